// Boots a built app in QEMU, serial console on this terminal, and exits with the guest's status.
// Usage: tsx scripts/run.ts <app> [--machine pc|microvm] [--append "k=v ..."] [--memory 128M]
//                                 [--timeout seconds] [--port 8080] [--bare] [-- qemu args]
// The app's default devices (scripts/machines) are added unless --bare is given; --machine microvm
// boots the PVH image on QEMU's microvm board with the devices on virtio-mmio (docs/microvm.md).
// An app never built is built first.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildApps } from "./lib/build-apps";
import { kernelPath } from "./lib/paths";
import { boardMachine } from "./machines/board";
import { machineFor } from "./machines/index";
import { BOARDS, type Board } from "./machines/types";
import { boot } from "./lib/qemu";
import { splitAtQemuArgs } from "./lib/qemu-args";

const DEFAULT_HTTP_PORT = 8080;
const { own: ownArgs, qemu: extraQemuArgs } = splitAtQemuArgs(process.argv.slice(2));
const { values, positionals } = parseArgs({
  args: ownArgs,
  allowPositionals: true,
  options: {
    append: { type: "string" },
    memory: { type: "string" },
    timeout: { type: "string" },
    port: { type: "string" },
    bare: { type: "boolean", default: false },
    machine: { type: "string", default: "pc" },
  },
});

const app = positionals[0] ?? "demo";
const board = values.machine as Board;
if (!BOARDS.includes(board)) {
  console.error(`vireo: --machine ${values.machine}: one of ${BOARDS.join(", ")}`);
  process.exit(2);
}
if (!existsSync(kernelPath(app, boardMachine(board).entry))) await buildApps([app]);
const machine = values.bare ? boardMachine(board) : machineFor(app, { httpPort: Number(values.port ?? DEFAULT_HTTP_PORT), board });
if (machine.banner) console.log(machine.banner);
const result = await boot({
  app,
  entry: machine.entry,
  append: values.append,
  memory: values.memory,
  qemuArgs: [...machine.qemuArgs, ...extraQemuArgs],
  timeoutMs: values.timeout ? Number(values.timeout) * 1000 : 0,
  stdin: process.stdin.isTTY ? "inherit" : "ignore",
  onOutput: (text) => process.stdout.write(text),
});
if (result.timedOut) console.error(`vireo: ${app} timed out after ${values.timeout} s`);
const INTERRUPTED = 130;
if (result.qemuStatus === null && !result.timedOut) process.exit(INTERRUPTED);
if (result.status === undefined) {
  console.error(`vireo: QEMU ended without a guest exit status (QEMU status ${result.qemuStatus})`);
  process.exit(result.timedOut ? 124 : 2);
}
process.exit(result.status);
