import { describe, expect, it } from "vitest";
import { boardProblem, parseProfileFlags } from "../../scripts/profile/flags";
import { DEFAULT_TOP } from "../../scripts/profile/report";
import { DEFAULT_HZ, DEFAULT_SECONDS, profileCommandLine, profileQemuArgs } from "../../scripts/profile/session";

describe("profiling flags", () => {
  it("default the rate, the length and the table size", () => {
    expect(parseProfileFlags({})).toEqual({ seconds: DEFAULT_SECONDS, hz: DEFAULT_HZ, bufferKib: undefined, top: DEFAULT_TOP });
    expect(parseProfileFlags({ seconds: "2.5", hz: "250", "buffer-kib": "64", top: "5" })).toEqual({ seconds: 2.5, hz: 250, bufferKib: 64, top: 5 });
  });

  it("name the flag with a bad value", () => {
    expect(parseProfileFlags({ seconds: "0" })).toMatch(/--seconds 0/);
    expect(parseProfileFlags({ hz: "1e3.5" })).toMatch(/--hz/);
    expect(parseProfileFlags({ hz: "99.5" })).toMatch(/whole number/);
    expect(parseProfileFlags({ top: "-3" })).toMatch(/--top -3/);
    expect(parseProfileFlags({ hz: "5" })).toMatch(/--hz 5: the PIT cannot tick at 5 Hz/);
  });
});

describe("boards", () => {
  it("are those with the PIT", () => {
    expect(boardProblem("pc")).toBeUndefined();
    expect(boardProblem("q35")).toBeUndefined();
    expect(boardProblem("microvm")).toMatch(/--machine microvm: the profiler's clock is the PIT/);
  });
});

describe("the profiled guest's settings", () => {
  it("adds the profiler's options to the kernel command line", () => {
    expect(profileCommandLine({ hz: 1000, seconds: 3, bufferKib: undefined, append: "ip=10.0.2.15/24" })).toBe("ip=10.0.2.15/24 profile.hz=1000 profile.seconds=3");
    expect(profileCommandLine({ hz: 100, seconds: 1, bufferKib: 64 })).toBe("profile.hz=100 profile.seconds=1 profile.buffer-kib=64");
  });

  it("sends the debugcon port's bytes to the file, with commas in its path doubled for QEMU", () => {
    expect(profileQemuArgs("/tmp/a,b/profile.bin")).toEqual(["-chardev", "file,id=vireoprofile,path=/tmp/a,,b/profile.bin", "-device", "isa-debugcon,iobase=0xe9,chardev=vireoprofile"]);
  });
});
