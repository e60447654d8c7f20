// The virtio-scsi test and benchmark image. Prints the boot report (with a `scsi ...` line per
// logical unit), then `scsi disks N`, then runs `scsi=<command>[,<command>...]` on the disk whose
// serial is `disk=` (the first disk otherwise): the blk checks (fill, sha256, readonly-check,
// qd64, discard), `hotplug` (see hotplug.ts) and `bench` (see bench.ts). One `scsi <command> ok
// ...` or `scsi <command> FAIL ...` line each; exits 0 only if every command passed.
import { start } from "../../kernel/start";
import { startDevices } from "../../runtime/devices";
import { COMMANDS, type Command } from "../blktest/commands";
import { benchAgainstBlk } from "./bench";
import { hotplug } from "./hotplug";

const EXIT_FAILED = 1;
const EXIT_NO_DISK = 2;

const ALL: Readonly<Record<string, Command>> = { ...COMMANDS, hotplug, bench: benchAgainstBlk };

start(async (system) => {
  const { platform, commandLine } = system;
  const { disks } = startDevices(system, { interrupts: commandLine.get("interrupts") !== "off" });
  console.log(`scsi disks ${disks.length}`);
  const serial = commandLine.get("disk");
  const disk = serial === undefined ? disks[0] : disks.find((d) => d.info.serial === serial);
  if (disk === undefined) {
    console.log("scsi no disk");
    return EXIT_NO_DISK;
  }
  let failed = 0;
  for (const name of (commandLine.get("scsi") ?? "").split(",").filter((n) => n !== "")) {
    const command = ALL[name];
    try {
      if (command === undefined) throw new Error(`unknown command; known: ${Object.keys(ALL).join(", ")}`);
      console.log(`scsi ${name} ok ${await command(disk, commandLine, platform.monotonicNs)}`);
    } catch (error) {
      failed++;
      console.log(`scsi ${name} FAIL ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }
  return failed === 0 ? 0 : EXIT_FAILED;
});
