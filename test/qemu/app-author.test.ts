// What a new user does, as the README's "Write your own app" section says it: the packed
// package installed into an empty folder, `vireo new`, `vireo build`, `vireo run` with a port
// forward answering HTTP, and `vireo test` passing (then failing, once a failing test is added).
// The README's command lines run as they stand; only the tarball path and the host port are
// this run's own.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";
import { BUILD_DIR, ROOT } from "../../scripts/lib/paths";
import { freePort } from "./lib/ports";

const SECTION = "## Write your own app";
const README_PORT = "8080";
const LISTENING = /listening on http:\/\/10\.0\.2\.15:80\//;
const LISTEN_TIMEOUT_MS = 120_000;
/** A cold engine cache builds QuickJS and the kernel objects first (a minute or two on TCG hosts). */
const TEST_TIMEOUT_MS = 420_000;
const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const README_TARBALL = `/path/to/vireo-${version}.tgz`;
const work = mkdtempSync(join(tmpdir(), "vireo-app-author-"));
let running: ChildProcess | undefined;

afterAll(() => {
  if (running?.pid !== undefined && running.exitCode === null) process.kill(-running.pid, "SIGTERM");
  rmSync(work, { recursive: true, force: true });
});

/** The command lines of the section's first sh block, comments and blank lines dropped. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf(SECTION));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`no sh block in the README's "${SECTION}"`);
  return block[1].split("\n").map((line) => line.replace(/\s+#.*$/, "").trim()).filter(Boolean);
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number, output: () => string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output()}`)), timeoutMs);
    const check = (): void => {
      if (!pattern.test(output())) return;
      clearTimeout(timer);
      resolvePromise();
    };
    child.stdout?.on("data", check);
    child.on("exit", () => {
      clearTimeout(timer);
      reject(new Error(`vireo run ended before ${pattern}:\n${output()}`));
    });
  });
}

it("takes a new user from an empty folder to an app answering HTTP and passing its tests", async () => {
  const port = String(await freePort());
  const tarballs = join(work, "pack");
  mkdirSync(tarballs);
  const packed = spawnSync("npm", ["pack", "--silent", "--pack-destination", tarballs], { cwd: ROOT, encoding: "utf8" });
  expect(packed.status, packed.stderr).toBe(0);
  const tarball = join(tarballs, `vireo-${version}.tgz`);

  const commands = readmeCommands();
  expect(commands.join("\n")).toContain(README_TARBALL);
  // The engine cache outlives this run (a later run only links); npm installs from its cache when it can.
  const env = { ...process.env, VIREO_CACHE: join(BUILD_DIR, "vireo-cache"), npm_config_prefer_offline: "true", npm_config_audit: "false", npm_config_fund: "false" };
  let cwd = join(work, "user");
  mkdirSync(cwd);
  const seen: string[] = [];
  for (const line of commands) {
    for (const step of line.split(" && ").map((s) => s.replaceAll(README_TARBALL, tarball).replaceAll(README_PORT, port))) {
      seen.push(step.split(" ").slice(0, 3).join(" "));
      if (step.startsWith("cd ")) {
        cwd = resolve(cwd, step.slice("cd ".length));
      } else if (step.startsWith("npx vireo run")) {
        let output = "";
        running = spawn("sh", ["-c", step], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        running.stdout?.setEncoding("utf8").on("data", (text: string) => (output += text));
        running.stderr?.setEncoding("utf8").on("data", (text: string) => (output += text));
        await waitForOutput(running, LISTENING, LISTEN_TIMEOUT_MS, () => output);
      } else if (step.startsWith("curl ")) {
        const answer = spawnSync("sh", ["-c", `${step} --silent --show-error --max-time 30`], { cwd, env, encoding: "utf8" });
        expect(answer.stderr).toBe("");
        expect(answer.stdout).toBe("Hello from Vireo!\n");
        // The machine is no longer needed (vireo stops QEMU on SIGTERM).
        if (running?.pid !== undefined) process.kill(-running.pid, "SIGTERM");
      } else {
        const started = Date.now();
        const result = spawnSync("sh", ["-c", step], { cwd, env, encoding: "utf8" });
        console.log(`${step}: ${((Date.now() - started) / 1000).toFixed(1)} s\n${result.stderr.trim()}`);
        expect(result.status, `${step}\n${result.stdout}\n${result.stderr}`).toBe(0);
        if (step.startsWith("npx vireo test")) expect(result.stdout).toMatch(/\n3 passed, 0 failed\n/);
      }
    }
  }
  // What CI sees when a test fails: TAP naming it, the tally, a non-zero status.
  writeFileSync(join(cwd, "broken.test.ts"), 'import { assert, test } from "vireo/test";\ntest("sums", () => assert.equal(1 + 1, 3));\n');
  const failing = spawnSync("npx", ["vireo", "test"], { cwd, env, encoding: "utf8" });
  expect(failing.stdout).toContain("not ok - sums: expected 3, got 2\n");
  expect(failing.stdout).toMatch(/\n3 passed, 1 failed\n$/);
  expect(failing.stderr).toContain("vireo: tests failed on pc");
  expect(failing.status).toBe(1);
  // Each of the user's steps ran.
  expect(seen).toEqual([
    `npm install ${tarball}`,
    "npx vireo new",
    "cd hello",
    "npx vireo build",
    "npx vireo run",
    "curl http://127.0.0.1:" + port + "/",
    "npx vireo test",
  ]);
}, TEST_TIMEOUT_MS);
