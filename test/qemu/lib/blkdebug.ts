// Disk errors from QEMU's blkdebug driver, switched while the guest runs.
//
// blkdebug (QEMU 7.2, block/blkdebug.c) has no monitor command that turns rules on or off: its
// rules are chosen by a state number that only `set-state` rules change, when a block event
// fires. The guest's disk is raw -> blkdebug -> file, so the raw layer reports `write_aio` before
// each write and `flush_to_os` before each flush, and the host can raise `pwritev_zero` by
// writing zeroes through the drive with HMP `qemu-io` (the guest never writes zeroes). Each
// phase of a test is one state; every `pwritev_zero` moves to the next one.
//
// An `inject-error` rule becomes the active one when its event fires in its state, and stays
// active until another inject-error rule fires: so every state has a rule for both events, with
// errno 0 (no error) where the phase leaves that kind of request alone.
import { writeFileSync } from "node:fs";
import { qmp } from "./qmp";

export type FaultPhase = "off" | "write-once" | "write-always" | "flush-once" | "flush-always";

const EIO = 5;
const NO_ERROR = 0;
/** blkdebug numbers states from 1 (its initial state). */
const FIRST_STATE = 1;
const KINDS = [
  { kind: "write", event: "write_aio", iotype: "write" },
  { kind: "flush", event: "flush_to_os", iotype: "flush" },
] as const;
const ADVANCE_EVENT = "pwritev_zero";
/** Bytes of zeroes written to move on: aligned, so blkdebug takes them as write-zeroes (never as a data write). */
export const ADVANCE_BYTES = 64 * 1024;

function rules(phases: readonly FaultPhase[]): string {
  const sections: string[] = [];
  phases.forEach((phase, index) => {
    const state = FIRST_STATE + index;
    for (const { kind, event, iotype } of KINDS) {
      const failing = phase.startsWith(`${kind}-`);
      const once = phase.endsWith("-once");
      sections.push(
        `[inject-error]\nevent = "${event}"\nstate = "${state}"\niotype = "${iotype}"\nerrno = "${failing ? EIO : NO_ERROR}"\nonce = "${failing && once ? "on" : "off"}"\n`,
      );
    }
    if (index + 1 < phases.length) sections.push(`[set-state]\nevent = "${ADVANCE_EVENT}"\nstate = "${state}"\nnew_state = "${state + 1}"\n`);
  });
  return sections.join("\n");
}

/**
 * A disk whose errors follow `phases`, one after the other: `config` is the blkdebug rules file
 * to boot with, `advance()` moves on to the next phase.
 */
export class DiskFaults {
  private index = 0;

  /**
   * `zeroOffset`: where on the disk `advance()` writes its zeroes; the caller picks a region its
   * guest never uses (and that holds zeroes), so the write changes nothing the guest sees.
   */
  constructor(
    readonly config: string,
    private readonly phases: readonly FaultPhase[],
    private readonly drive: string,
    private readonly zeroOffset: number,
  ) {
    writeFileSync(config, rules(phases));
  }

  get phase(): FaultPhase {
    return this.phases[this.index] as FaultPhase;
  }

  /** Moves to the next phase, which must be `expected` (tests name the phase they start). */
  async advance(qmpSocket: string, expected: FaultPhase): Promise<void> {
    const next = this.phases[this.index + 1];
    if (next !== expected) throw new Error(`the next disk fault phase is ${next ?? "none"}, not ${expected}`);
    const command = `qemu-io ${this.drive} "write -z ${this.zeroOffset} ${ADVANCE_BYTES}"`;
    // qemu-io prints its result on QEMU's stdout, not in the reply: the phase's effect is what tests check.
    await qmp(qmpSocket, [{ execute: "human-monitor-command", arguments: { "command-line": command } }]);
    this.index++;
  }
}
