// The sampling profiler end to end: boots an image with a deliberately hot, named function and
// checks that the profile names it on top with its TypeScript file and line, and that the flame
// graph is a well-formed SVG.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appDir, kernelPath, ROOT } from "../../scripts/lib/paths";
import { builtTarget, profileKernel } from "../../scripts/profile/session";

const APP = "profile-target";
const SOURCE = "images/profile-target/main.ts";
const HZ = 1000;
/** Lines of the hot function's body after its first line. */
const BODY_LINES = 4;
const target = builtTarget(appDir(APP), kernelPath(APP), "multiboot", ROOT, APP);
const outputs: string[] = [];
const outputDir = (): string => {
  const folder = mkdtempSync(join(tmpdir(), "vireo-profile-"));
  outputs.push(folder);
  return folder;
};

/** The 1-based line where `function name` begins in the test image's source. */
function lineOf(name: string): number {
  const index = readFileSync(join(ROOT, SOURCE), "utf8").split("\n").findIndex((line) => line.startsWith(`function ${name}(`));
  if (index < 0) throw new Error(`no function ${name} in ${SOURCE}`);
  return index + 1;
}

afterAll(() => {
  for (const folder of outputs) rmSync(folder, { recursive: true, force: true });
});

describe("sampling profiler", () => {
  it("puts the hot TypeScript function on top with its file and line, under its callers (a method among them), and writes a well-formed flame graph", async () => {
    const result = await profileKernel(target, { hz: HZ, seconds: 60, outputDir: outputDir(), append: "work.ms=2000", qemuArgs: [] });
    expect(result.guest.status, result.guest.output).toBe(0);
    expect(result.profile.hz).toBe(HZ);
    expect(result.profile.dropped).toBe(0);
    expect(result.profile.samples.length).toBeGreaterThan(0);
    const hot = lineOf("spinChecksum");
    const [top] = result.ranked;
    expect(top.label, result.report.join("\n")).toBe(`spinChecksum (${SOURCE}:${hot})`);
    const hotLine = Number(top.hotLine?.replace(`${SOURCE}:`, ""));
    expect(hotLine).toBeGreaterThanOrEqual(hot);
    expect(hotLine).toBeLessThanOrEqual(hot + BODY_LINES);
    const caller = result.ranked.find((f) => f.label === `workUntil (${SOURCE}:${lineOf("workUntil")})`);
    expect(caller?.total).toBeGreaterThanOrEqual(top.total);
    expect(readFileSync(result.foldedPath, "utf8")).toMatch(new RegExp(`workUntil \\([^;]+\\);run \\(${SOURCE}:\\d+\\);spinChecksum \\(${SOURCE}:${hot}\\) \\d+\\n`));
    execFileSync("python3", ["-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])", result.svgPath]);
    expect(readFileSync(result.svgPath, "utf8")).toContain(`spinChecksum (${SOURCE}:${hot})`);
  });

  it("ends the recording after the chosen seconds while the app keeps running", async () => {
    const seconds = 1;
    const result = await profileKernel(target, { hz: HZ, seconds, outputDir: outputDir(), append: "work.ms=600000", qemuArgs: [] });
    // The host stopped the guest once the profile was out: the app never reached its exit.
    expect(result.guest.status).toBeUndefined();
    expect(result.guest.output).not.toContain("rounds, checksum");
    expect(result.profile.samples.length).toBeGreaterThan(0);
    expect(result.profile.samples.length).toBeLessThanOrEqual(seconds * HZ);
  });
});
