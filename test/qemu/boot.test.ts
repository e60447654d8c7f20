// Boots the real images in QEMU and checks what the host sees on the serial console.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeIso } from "../../scripts/lib/iso";
import { kernelPath } from "../../scripts/lib/paths";
import { boot } from "../../scripts/lib/qemu";

const BOOT_TIMEOUT_MS = 60_000;
const PANIC_STATUS = 70;
const UNCAUGHT_STATUS = 1;

describe("booting the image", () => {
  it("passes the kernel command line to TypeScript", async () => {
    const result = await boot({ app: "faults", append: "fault=none answer=42 verbose", timeoutMs: BOOT_TIMEOUT_MS });
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('faults: command line "fault=none answer=42 verbose"');
    expect(result.output).toContain("faults: arg answer=42");
    expect(result.output).toContain("faults: arg verbose=true");
  });

  it("reports a page fault with the faulting address and the TypeScript stack, then fails", async () => {
    const result = await boot({ app: "faults", append: "fault=page", timeoutMs: BOOT_TIMEOUT_MS });
    expect(result.status, result.output).toBe(PANIC_STATUS);
    expect(result.output).toMatch(/CPU EXCEPTION 14 \(page fault\)/);
    expect(result.output).toMatch(/cr2=0000008000000000/);
    expect(result.output).toMatch(/rip=[0-9a-f]{16}/);
    expect(result.output).toMatch(/at readUnmappedMemory \(images\/faults\/main\.ts:\d+\)/);
  });

  it("reports an uncaught TypeScript exception with TypeScript file:line and exits non-zero", async () => {
    const result = await boot({ app: "faults", append: "fault=throw", timeoutMs: BOOT_TIMEOUT_MS });
    expect(result.status, result.output).toBe(UNCAUGHT_STATUS);
    expect(result.output).toContain("deliberate failure from TypeScript");
    expect(result.output).toMatch(/Uncaught Error: deliberate failure from TypeScript\n\s+at failDeepInside \(images\/faults\/main\.ts:13\)\n\s+at failDeepInside \(images\/faults\/main\.ts:14\)/);
  });

  it("reports an unhandled rejection and exits non-zero", async () => {
    const result = await boot({ app: "faults", append: "fault=reject", timeoutMs: BOOT_TIMEOUT_MS });
    expect(result.status, result.output).toBe(UNCAUGHT_STATUS);
    expect(result.output).toContain("TypeError: deliberate rejection");
    expect(result.output).toMatch(/images\/faults\/main\.ts:\d+/);
  });
});

describe("running out of memory", () => {
  it("says the engine ran out of memory (not \"Uncaught null\") and exits non-zero", async () => {
    const result = await boot({ app: "faults", append: "fault=exhaust", memory: "16M", timeoutMs: BOOT_TIMEOUT_MS });
    expect(result.status, result.output).toBe(UNCAUGHT_STATUS);
    expect(result.output).toMatch(/Uncaught InternalError: out of memory/);
    expect(result.output).not.toContain("Uncaught null");
  });
});

describe("the ISO image", () => {
  it("boots through GRUB (multiboot2) with its command line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vireo-iso-"));
    const iso = join(dir, "faults.iso");
    makeIso({ kernel: kernelPath("faults"), title: "faults", commandLine: "fault=none from=grub", output: iso, tree: join(dir, "tree") });
    const result = await boot({ app: "faults", iso, timeoutMs: BOOT_TIMEOUT_MS });
    rmSync(dir, { recursive: true, force: true });
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain("faults: arg from=grub");
  });
});
