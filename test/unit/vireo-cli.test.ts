import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/paths";
import { BOARDS } from "../../scripts/machines/boards";
import { kernelName, resolveEntry, resolveFile } from "../../scripts/vireo/build";
import { buildCache, ensureBootCopy } from "../../scripts/vireo/cache";
import { findTestFiles } from "../../scripts/vireo/commands";
import { boardNamed, deviceArgs, parseDisk, parseNet, parsePort } from "../../scripts/vireo/devices";
import { UsageError, VireoError } from "../../scripts/vireo/errors";
import { machineSettings, requireQemu } from "../../scripts/vireo/machine-flags";
import { createApp, packageNameFor } from "../../scripts/vireo/new";
import { testSummary } from "../../scripts/vireo/summary";

const folders: string[] = [];
function scratch(): string {
  const folder = mkdtempSync(join(tmpdir(), "vireo-cli-"));
  folders.push(folder);
  return folder;
}
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function vireo(args: string[], cwd: string) {
  return spawnSync(process.execPath, [join(ROOT, "scripts", "vireo.mjs"), ...args], { cwd, encoding: "utf8" });
}

describe("vireo's device flags", () => {
  it("parses disks, networks and port forwards, and says what is wrong", () => {
    const folder = scratch();
    const image = join(folder, "data.img");
    writeFileSync(image, "");
    expect(parseDisk(`${image},serial=kv,readonly`)).toEqual({ file: image, serial: "kv", readonly: true });
    expect(parseDisk(image)).toEqual({ file: image, serial: undefined, readonly: false });
    expect(() => parseDisk(join(folder, "none.img"))).toThrow(/no such file/);
    expect(() => parseDisk(`${image},cache=none`)).toThrow(new UsageError(`--disk ${image},cache=none: unknown option "cache=none" (serial=S or readonly)`));
    expect(() => parseDisk(`${image},serial=${"x".repeat(21)}`)).toThrow(/1 to 20 printable/);
    expect(parseNet("tap:tap0")).toEqual({ kind: "tap", ifname: "tap0" });
    expect(() => parseNet("bridge")).toThrow(UsageError);
    expect(parsePort("8080:80")).toEqual({ host: 8080, guest: 80 });
    expect(parsePort("9000")).toEqual({ host: 9000, guest: 9000 });
    expect(() => parsePort("0:80")).toThrow(/ports are 1 to 65535/);
    expect(() => parsePort("a:b:c")).toThrow(UsageError);
    expect(() => boardNamed("vax")).toThrow(`unknown machine "vax" (known: ${Object.keys(BOARDS).join(", ")})`);
  });

  it("turns them into QEMU devices on the machine's bus", () => {
    const folder = scratch();
    const image = join(folder, "a,b.img");
    // A comma in a file name is doubled, as QEMU's option syntax wants.
    const args = deviceArgs(boardNamed("q35"), { disks: [{ file: image, serial: "kv", readonly: false }, { file: "/r.img", readonly: true }], net: { kind: "user" }, ports: [{ host: 8080, guest: 80 }] });
    expect(args).toEqual([
      "-device", "virtio-rng-pci",
      "-drive", `file=${image.replace(",", ",,")},format=raw,if=none,id=disk0,cache=writeback`, "-device", "virtio-blk-pci,drive=disk0,serial=kv",
      "-drive", "file=/r.img,format=raw,if=none,id=disk1,cache=writeback,readonly=on", "-device", "virtio-blk-pci,drive=disk1",
      "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80", "-device", "virtio-net-pci,netdev=net0",
    ]);
    expect(() => deviceArgs(boardNamed("pc"), { disks: [], net: { kind: "none" }, ports: [{ host: 1, guest: 1 }] })).toThrow(/--net user/);
  });

  it("forwards 8080 to the guest's 80 by default with user networking only", () => {
    const board = boardNamed("pc");
    const defaults = [{ host: 8080, guest: 80 }];
    expect(machineSettings({}, defaults).ports).toEqual(defaults);
    expect(machineSettings({ port: ["9000:90"] }, defaults).ports).toEqual([{ host: 9000, guest: 90 }]);
    expect(machineSettings({ net: "none" }, defaults).qemuArgs(board)).toEqual(["-machine", "pc", "-device", "virtio-rng-pci"]);
    expect(() => machineSettings({ memory: "lots" }, defaults)).toThrow(/--memory lots/);
    expect(() => machineSettings({ timeout: "-1" }, defaults)).toThrow(/--timeout -1/);
    expect(machineSettings({ timeout: "2.5" }, defaults).timeoutMs).toBe(2500);
  });
});

describe("vireo's app folders", () => {
  it("finds the entry or says how to name one", () => {
    const folder = scratch();
    expect(() => resolveEntry(undefined, folder)).toThrow(/no entry file \.\/main\.ts \(name one: vireo build path\/to\/main\.ts/);
    writeFileSync(join(folder, "notes.txt"), "");
    expect(() => resolveEntry("notes.txt", folder)).toThrow(/not a TypeScript or JavaScript file/);
    writeFileSync(join(folder, "main.ts"), "");
    expect(resolveEntry(undefined, folder)).toBe(join(folder, "main.ts"));
    // A built kernel is a file to boot, not an entry to build.
    writeFileSync(join(folder, "main.elf"), "");
    expect(resolveFile("main.elf", folder)).toBe(join(folder, "main.elf"));
    expect(() => resolveEntry("main.elf", folder)).toThrow(/not a TypeScript/);
    expect(() => resolveFile(".", folder)).toThrow(". is not a file");
  });

  it("names kernels per app folder and kind", () => {
    expect(kernelName("/home/a/my app", "main")).toMatch(/^my_app-main-[0-9a-f]{10}$/);
    expect(kernelName("/home/a/my app", "main")).not.toBe(kernelName("/home/b/my app", "main"));
    expect(kernelName("/home/a/my app", "test")).not.toBe(kernelName("/home/a/my app", "main"));
  });

  it("finds test files, leaving node_modules, build and hidden folders aside", () => {
    const folder = scratch();
    for (const dir of ["test", "node_modules/x", "build", ".git"]) mkdirSync(join(folder, dir), { recursive: true });
    for (const file of ["b.test.ts", "test/a.test.ts", "main.ts", "node_modules/x/c.test.ts", "build/d.test.ts", ".git/e.test.ts"]) writeFileSync(join(folder, file), "");
    expect(findTestFiles(folder)).toEqual([join(folder, "b.test.ts"), join(folder, "test", "a.test.ts")]);
  });

  it("reads the tally line a test run ends with", () => {
    expect(testSummary("TAP version 13\nok - a\n1..1\n1 passed, 0 failed\n")).toEqual({ passed: 1, failed: 0 });
    expect(testSummary("ok - a\n")).toBeUndefined();
  });

  it("keeps objects inside a clone, and per version and native sources (built from a copy of them) elsewhere", () => {
    expect(buildCache({})).toEqual({ buildDir: join(ROOT, "build"), quickjsDir: join(ROOT, ".cache", "quickjs-2021-03-27"), bootDir: join(ROOT, "boot") });
    const installed = buildCache({ VIREO_CACHE: "/var/cache/v" });
    expect(installed.quickjsDir).toBe("/var/cache/v/quickjs-2021-03-27");
    expect(installed.buildDir).toMatch(/^\/var\/cache\/v\/build-\d+\.\d+\.\d+-[0-9a-f]{12}$/);
    expect(installed.bootDir).toBe(join(installed.buildDir, "boot"));
  });

  it("copies the native sources into the cache once, keeping the copy's times", () => {
    const cache = buildCache({ VIREO_CACHE: scratch() });
    ensureBootCopy(cache);
    const makefile = join(cache.bootDir, "Makefile");
    expect(readFileSync(makefile, "utf8")).toBe(readFileSync(join(ROOT, "boot", "Makefile"), "utf8"));
    const copiedAt = statSync(makefile).mtimeMs;
    ensureBootCopy(cache);
    expect(statSync(makefile).mtimeMs).toBe(copiedAt);
  });

  it("makes an app whose TypeScript checks against the installed package's types", () => {
    const folder = scratch();
    const app = join(folder, "My App");
    expect(createApp(app, "file:../vireo.tgz").sort()).toEqual([".gitignore", "README.md", "app.test.ts", "app.ts", "main.ts", "package.json", "tsconfig.json"]);
    expect(JSON.parse(readFileSync(join(app, "package.json"), "utf8"))).toMatchObject({ name: "my-app", dependencies: { vireo: "file:../vireo.tgz" } });
    expect(() => createApp(app, undefined)).toThrow(/exists and is not empty/);
    // As npm would install it: the package under node_modules/vireo.
    mkdirSync(join(app, "node_modules"));
    symlinkSync(ROOT, join(app, "node_modules", "vireo"));
    const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(app, "tsconfig.json")], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
    expect(packageNameFor("/x/.Hidden Thing")).toBe("hidden-thing");
  });
});

describe("the vireo command", () => {
  it("answers --help, and refuses unknown commands, unknown flags and a missing entry with status 2", () => {
    const folder = scratch();
    const help = vireo(["run", "--help"], folder);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--disk FILE[,serial=S][,readonly]");
    expect(vireo(["frob"], folder)).toMatchObject({ status: 2, stderr: expect.stringContaining('unknown command "frob"') });
    expect(vireo(["run", "--bogus"], folder)).toMatchObject({ status: 2, stderr: expect.stringContaining("(vireo run --help)") });
    expect(vireo(["build"], folder)).toMatchObject({ status: 2, stderr: expect.stringContaining("no entry file ./main.ts") });
  });

  it("profile: answers --help, and refuses a board without the PIT and a rate the PIT cannot make with status 2", () => {
    const folder = scratch();
    const help = vireo(["profile", "--help"], folder);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--seconds N");
    expect(vireo(["profile", "--machine", "microvm"], folder)).toMatchObject({ status: 2, stderr: expect.stringContaining("the profiler's clock is the PIT") });
    expect(vireo(["profile", "--hz", "5"], folder)).toMatchObject({ status: 2, stderr: expect.stringContaining("--hz 5: the PIT cannot tick at 5 Hz") });
  });

  it("says how to install QEMU when it is missing", () => {
    const path = process.env.PATH;
    process.env.PATH = "";
    try {
      expect(() => requireQemu()).toThrow(new VireoError("QEMU is not installed (qemu-system-x86_64 is not on the PATH); on Debian: apt-get install qemu-system-x86"));
    } finally {
      process.env.PATH = path;
    }
  });
});
