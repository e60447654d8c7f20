// Boots a built app in QEMU, serial console on this terminal, and exits with the guest's status.
// Usage: tsx scripts/run.ts <app> [--append "k=v ..."] [--memory 128M] [--timeout seconds] [-- qemu args]
import { parseArgs } from "node:util";
import { boot } from "./lib/qemu";

const separator = process.argv.indexOf("--");
const ownArgs = separator < 0 ? process.argv.slice(2) : process.argv.slice(2, separator);
const extraQemuArgs = separator < 0 ? [] : process.argv.slice(separator + 1);
const { values, positionals } = parseArgs({
  args: ownArgs,
  allowPositionals: true,
  options: { append: { type: "string" }, memory: { type: "string" }, timeout: { type: "string" } },
});

const app = positionals[0] ?? "demo";
const result = await boot({
  app,
  append: values.append,
  memory: values.memory,
  qemuArgs: extraQemuArgs,
  timeoutMs: values.timeout ? Number(values.timeout) * 1000 : 0,
  stdin: process.stdin.isTTY ? "inherit" : "ignore",
  onOutput: (text) => process.stdout.write(text),
});
if (result.timedOut) console.error(`vireo: ${app} timed out after ${values.timeout} s`);
if (result.status === undefined) {
  console.error(`vireo: QEMU ended without a guest exit status (QEMU status ${result.qemuStatus})`);
  process.exit(result.timedOut ? 124 : 2);
}
process.exit(result.status);
