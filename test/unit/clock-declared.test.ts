// Which declared TSC and APIC bus rates the kernel takes on a machine without PIT and RTC, from
// CPUID tables as QEMU, KVM with vmware-cpuid-freq and Intel parts answer, and from the command line.
import { describe, expect, it } from "vitest";
import { signatureOf, type Cpuid, type CpuidRegisters } from "../../kernel/timers/cpuid";
import { commandLineClock, crystalClock, findDeclaredClock, hypervisorClock, processorFrequencyClock } from "../../kernel/timers/declared-clock";

type Leaves = Record<number, CpuidRegisters>;

/** A signature's ebx, ecx, edx words, as the CPU returns them. */
function words(signature: string): [number, number, number] {
  const bytes = Buffer.from(signature, "latin1");
  return [bytes.readUInt32LE(0), bytes.readUInt32LE(4), bytes.readUInt32LE(8)];
}

const HYPERVISOR_BIT = 0x8000_0000;

/**
 * A CPU answering from `leaves`; any other leaf gets the data of the highest basic leaf, as Intel
 * parts and QEMU do for leaves out of range.
 */
function cpuOf(leaves: Leaves): Cpuid & { asked: number[] } {
  const asked: number[] = [];
  const cpuid = (leaf: number): CpuidRegisters => {
    asked.push(leaf);
    return leaves[leaf] ?? leaves[leaves[0][0]] ?? [0, 0, 0, 0];
  };
  return Object.assign(cpuid, { asked });
}

/** QEMU 7.2 under TCG, -cpu max (read on this project's QEMU): highest basic leaf 0xd, "TCGTCGTCGTCG" up to 0x40000001. */
const QEMU_TCG_MAX: Leaves = {
  0x0: [0xd, 0x68747541, 0x444d4163, 0x69746e65],
  0x1: [0x60fb1, 0x800, 0xf6d8320b, 0x0fcbfbfd],
  0xd: [0x21f, 0x240, 0xa88, 0],
  0x4000_0000: [0x4000_0001, ...words("TCGTCGTCGTCG")],
  0x4000_0001: [0, 0, 0, 0],
};

/** QEMU/KVM with vmware-cpuid-freq=on and a stable TSC: KVM's range reaches the timing leaf. */
const KVM_TIMING: Leaves = {
  0x0: [0xd, 0, 0, 0],
  0x1: [0, 0, HYPERVISOR_BIT, 0],
  0xd: [0x21f, 0x240, 0xa88, 0],
  0x4000_0000: [0x4000_0010, ...words("KVMKVMKVM\0\0\0")],
  0x4000_0010: [2_096_023, 1_000_000, 0, 0],
};

describe("the command line's tsc-khz=", () => {
  it("gives the TSC rate in kHz", () => {
    expect(commandLineClock("1000000")).toEqual({ clock: { source: "command-line", tscHz: 1e9 } });
  });

  it("is absent, malformed or implausible: no rate, and the reason", () => {
    expect(commandLineClock(undefined)).toEqual({ absent: "no tsc-khz= on the command line" });
    expect(commandLineClock("2.1GHz")).toEqual({ absent: "tsc-khz=2.1GHz is not a decimal number of kHz" });
    expect(commandLineClock("-5")).toEqual({ absent: "tsc-khz=-5 is not a decimal number of kHz" });
    expect(commandLineClock("0")).toEqual({ absent: "command-line declares a TSC of 0 Hz, outside 100 MHz to 10000 MHz" });
    expect(commandLineClock("99999")).toMatchObject({ absent: expect.stringContaining("99.999 MHz, outside") });
    expect(commandLineClock("10000001")).toMatchObject({ absent: expect.stringContaining("10000.001 MHz, outside") });
  });

  it("accepts the edges of the plausible range", () => {
    expect(commandLineClock("100000")).toEqual({ clock: { source: "command-line", tscHz: 100e6 } });
    expect(commandLineClock("10000000")).toEqual({ clock: { source: "command-line", tscHz: 10e9 } });
  });
});

describe("the hypervisor timing leaf", () => {
  it("is read from KVM's range when it reaches 0x40000010: TSC and APIC bus in kHz", () => {
    expect(hypervisorClock(cpuOf(KVM_TIMING))).toEqual({ clock: { source: "cpuid-0x40000010", tscHz: 2_096_023_000, apicBusHz: 1e9 } });
  });

  it("is found past Hyper-V's range, at 0x40000110 when KVM sits at 0x40000100", () => {
    const cpu = cpuOf({
      0x0: [0xd, 0, 0, 0],
      0x1: [0, 0, HYPERVISOR_BIT, 0],
      0xd: [0x21f, 0x240, 0xa88, 0],
      0x4000_0000: [0x4000_000a, ...words("Microsoft Hv")],
      0x4000_0100: [0x4000_0110, ...words("KVMKVMKVM\0\0\0")],
      0x4000_0110: [3_000_000, 25_000, 0, 0],
    });
    expect(hypervisorClock(cpu)).toEqual({ clock: { source: "cpuid-0x40000110", tscHz: 3e9, apicBusHz: 25e6 } });
  });

  it("is not asked for without the hypervisor bit", () => {
    const cpu = cpuOf({ ...KVM_TIMING, 0x1: [0, 0, 0, 0] });
    expect(hypervisorClock(cpu)).toEqual({ absent: "no hypervisor leaves (CPUID.1:ECX bit 31 is clear)" });
    expect(cpu.asked).toEqual([0x1]);
  });

  it("is not read from QEMU's TCG range, which ends at 0x40000001, though the leaf answers with leaf 0xd's data", () => {
    const cpu = cpuOf(QEMU_TCG_MAX);
    expect(hypervisorClock(cpu)).toEqual({ absent: 'no hypervisor timing leaf: "TCGTCGTCGTCG" at 0x40000000 (leaves to 0x40000001)' });
    expect(cpu.asked).not.toContain(0x4000_0010);
  });

  it("is not read in the range of a signature that does not define it", () => {
    const cpu = cpuOf({ ...KVM_TIMING, 0x4000_0000: [0x4000_0010, ...words("XenVMMXenVMM")] });
    expect(hypervisorClock(cpu)).toEqual({ absent: 'no hypervisor timing leaf: "XenVMMXenVMM" at 0x40000000 (leaves to 0x40000010)' });
  });

  it("ignores ranges whose highest leaf lies outside them (a CPU's out-of-range answer)", () => {
    const cpu = cpuOf({ 0x0: [0xd, 0, 0, 0], 0x1: [0, 0, HYPERVISOR_BIT, 0], 0xd: [0x21f, 0x240, 0xa88, 0] });
    expect(hypervisorClock(cpu)).toEqual({ absent: "no hypervisor range from 0x40000000 to 0x4000ff00 answers" });
    expect(cpu.asked.filter((leaf) => leaf >= 0x4000_0000)).toHaveLength(256);
  });

  it("refuses a TSC of zero or an absurd one, and drops an implausible APIC bus rate", () => {
    expect(hypervisorClock(cpuOf({ ...KVM_TIMING, 0x4000_0010: [0, 1_000_000, 0, 0] }))).toEqual({
      absent: "cpuid-0x40000010 declares a TSC of 0 Hz, outside 100 MHz to 10000 MHz",
    });
    expect(hypervisorClock(cpuOf({ ...KVM_TIMING, 0x4000_0010: [0xffff_ffff, 1_000_000, 0, 0] }))).toMatchObject({ absent: expect.stringContaining("outside") });
    expect(hypervisorClock(cpuOf({ ...KVM_TIMING, 0x4000_0010: [2_000_000, 0, 0, 0] }))).toEqual({ clock: { source: "cpuid-0x40000010", tscHz: 2e9 } });
    expect(hypervisorClock(cpuOf({ ...KVM_TIMING, 0x4000_0010: [2_000_000, 0xffff_ffff, 0, 0] }))).toEqual({ clock: { source: "cpuid-0x40000010", tscHz: 2e9 } });
  });
});

describe("CPUID leaves 0x15 and 0x16", () => {
  const intel = (leaf15: CpuidRegisters, leaf16: CpuidRegisters = [0, 0, 0, 0]): Leaves => ({
    0x0: [0x16, 0, 0, 0],
    0x1: [0, 0, 0, 0],
    0x15: leaf15,
    0x16: leaf16,
  });

  it("0x15 with the crystal: TSC = crystal * ebx / eax, and the crystal drives the LAPIC timer", () => {
    expect(crystalClock(cpuOf(intel([2, 176, 24_000_000, 0])), 0x16)).toEqual({ clock: { source: "cpuid-0x15", tscHz: 2_112_000_000, apicBusHz: 24e6 } });
  });

  it("0x15 without a ratio or without the crystal gives nothing, and says which", () => {
    expect(crystalClock(cpuOf(intel([0, 0, 0, 0])), 0x16)).toEqual({ absent: "CPUID leaf 0x15 enumerates no TSC/crystal ratio" });
    expect(crystalClock(cpuOf(intel([2, 0, 24_000_000, 0])), 0x16)).toEqual({ absent: "CPUID leaf 0x15 enumerates no TSC/crystal ratio" });
    expect(crystalClock(cpuOf(intel([2, 176, 0, 0])), 0x16)).toEqual({ absent: "CPUID leaf 0x15 gives the ratio 176/2 but not the crystal frequency" });
  });

  it("0x16's base frequency in MHz (bits 15-0) is the TSC's", () => {
    expect(processorFrequencyClock(cpuOf(intel([0, 0, 0, 0], [0xffff_0000 + 2100, 3900, 100, 0])), 0x16)).toEqual({ clock: { source: "cpuid-0x16", tscHz: 2.1e9 } });
    expect(processorFrequencyClock(cpuOf(intel([0, 0, 0, 0], [0, 0, 0, 0])), 0x16)).toEqual({ absent: "CPUID leaf 0x16 gives no base frequency" });
  });

  it("are not read beyond the highest basic leaf, where QEMU answers with leaf 0xd's data", () => {
    const cpu = cpuOf(QEMU_TCG_MAX);
    expect(crystalClock(cpu, 0xd)).toEqual({ absent: "CPUID leaf 0x15 is beyond the highest basic leaf 0xd" });
    expect(processorFrequencyClock(cpu, 0xd)).toEqual({ absent: "CPUID leaf 0x16 is beyond the highest basic leaf 0xd" });
    expect(cpu.asked).toEqual([]);
  });
});

describe("the order of declared sources", () => {
  const everything: Leaves = {
    ...KVM_TIMING,
    0x0: [0x16, 0, 0, 0],
    0x15: [2, 176, 24_000_000, 0],
    0x16: [2100, 3900, 100, 0],
  };

  it("the command line first, then the hypervisor leaf, then 0x15, then 0x16", () => {
    expect(findDeclaredClock(cpuOf(everything), "1500000")).toEqual({ clock: { source: "command-line", tscHz: 1.5e9 }, absent: [] });
    expect(findDeclaredClock(cpuOf(everything), undefined).clock?.source).toBe("cpuid-0x40000010");
    expect(findDeclaredClock(cpuOf({ ...everything, 0x1: [0, 0, 0, 0] }), undefined)).toEqual({
      clock: { source: "cpuid-0x15", tscHz: 2_112_000_000, apicBusHz: 24e6 },
      absent: ["no tsc-khz= on the command line", "no hypervisor leaves (CPUID.1:ECX bit 31 is clear)"],
    });
    expect(findDeclaredClock(cpuOf({ ...everything, 0x1: [0, 0, 0, 0], 0x15: [2, 176, 0, 0] }), undefined).clock).toEqual({ source: "cpuid-0x16", tscHz: 2.1e9 });
  });

  it("a malformed command line falls through to CPUID and is named", () => {
    const search = findDeclaredClock(cpuOf(everything), "fast");
    expect(search.clock?.source).toBe("cpuid-0x40000010");
    expect(search.absent).toEqual(["tsc-khz=fast is not a decimal number of kHz"]);
  });

  it("QEMU under TCG declares nothing: every source says why", () => {
    expect(findDeclaredClock(cpuOf(QEMU_TCG_MAX), undefined)).toEqual({
      absent: [
        "no tsc-khz= on the command line",
        'no hypervisor timing leaf: "TCGTCGTCGTCG" at 0x40000000 (leaves to 0x40000001)',
        "CPUID leaf 0x15 is beyond the highest basic leaf 0xd",
        "CPUID leaf 0x16 is beyond the highest basic leaf 0xd",
      ],
    });
  });

  it("signatures read as the CPU stores them", () => {
    expect(signatureOf(...words("TCGTCGTCGTCG"))).toBe("TCGTCGTCGTCG");
    expect(signatureOf(0x4b4d564b, 0x564b4d56, 0x4d)).toBe("KVMKVMKVM\0\0\0");
  });
});
