// The virtio-blk test and benchmark image. `blk=<command>[,<command>...]` picks what runs on the
// first disk (see commands.ts, resize.ts and bench.ts); other `key=value` words are the commands' arguments.
// `interrupts=off` polls the disk instead of taking its interrupts (benchmarks).
// Prints the boot report, one `blk info ...` line, `blk <command> ok ...` or
// `blk <command> FAIL ...` per command, and exits 0 only if every command passed.
import { start } from "../../kernel/start";
import { startDevices } from "../../runtime/devices";
import { bench } from "./bench";
import { COMMANDS, type Command } from "./commands";
import { watchResize } from "./resize";
import { virtioBlkOf } from "./virtio-blk";

const EXIT_FAILED = 1;
const EXIT_NO_DISK = 2;

const ALL: Readonly<Record<string, Command>> = { ...COMMANDS, bench, "watch-resize": watchResize };

start(async (system) => {
  const { platform, commandLine } = system;
  const [disk] = startDevices(system, { interrupts: commandLine.get("interrupts") !== "off" }).disks;
  if (disk === undefined) {
    console.log("blk no disk");
    return EXIT_NO_DISK;
  }
  const info = disk.info;
  console.log(
    `blk info ${info.name} serial="${info.serial}" sectors=${virtioBlkOf(disk).geometry.capacitySectors} block=${info.blockSize} ro=${info.readOnly} ` +
      `max-transfer=${info.maxTransferBytes} queue=${info.queueSize} features=${info.features.join(",")}`,
  );
  let failed = 0;
  for (const name of (commandLine.get("blk") ?? "").split(",").filter((n) => n !== "")) {
    const command = ALL[name];
    try {
      if (command === undefined) throw new Error(`unknown command; known: ${Object.keys(ALL).join(", ")}`);
      console.log(`blk ${name} ok ${await command(disk, commandLine, platform.monotonicNs)}`);
    } catch (error) {
      failed++;
      console.log(`blk ${name} FAIL ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }
  return failed === 0 ? 0 : EXIT_FAILED;
});
