// A disk resized on QEMU's monitor (QMP block_resize) while the blktest guest watches: the new
// capacity must arrive through the configuration-change interrupt, over MSI-X and over INTx.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch } from "../../scripts/lib/qemu";
import { qmp } from "./lib/qmp";

const MIB = 1024 * 1024;
const BEFORE_BYTES = 4 * MIB;
const AFTER_BYTES = 8 * MIB;
const NODE = "disk0";
const WATCH_TIMEOUT_MS = 60_000;
/** The guest gives up this long after it starts watching (it prints FAIL and exits 1). */
const GUEST_RESIZE_TIMEOUT_MS = 20_000;
const TEST_TIMEOUT_MS = 2 * WATCH_TIMEOUT_MS;

let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vireo-blk-resize-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const MODES = [
  { mode: "msix", device: "" },
  { mode: "intx", device: ",vectors=0" },
] as const;

describe("virtio-blk resized on the QEMU monitor", () => {
  for (const { mode, device } of MODES) {
    it(`sees block_resize ${BEFORE_BYTES} -> ${AFTER_BYTES} through the config interrupt (${mode})`, async () => {
      const file = join(dir, `${mode}.raw`);
      const socket = join(dir, `${mode}.qmp`);
      writeFileSync(file, Buffer.alloc(BEFORE_BYTES));
      const guest = launch({
        app: "blktest",
        append: `blk=watch-resize resize-timeout-ms=${GUEST_RESIZE_TIMEOUT_MS}`,
        timeoutMs: TEST_TIMEOUT_MS,
        qemuArgs: [
          "-drive", `file=${file},format=raw,if=none,id=d0,node-name=${NODE},cache=unsafe`,
          "-device", `virtio-blk-pci,drive=d0${device}`,
          "-qmp", `unix:${socket},server=on,wait=off`,
        ],
      });
      try {
        await guest.waitFor(new RegExp(`^blktest: watching capacity ${BEFORE_BYTES}$`, "m"), WATCH_TIMEOUT_MS);
        await qmp(socket, [{ execute: "block_resize", arguments: { "node-name": NODE, size: AFTER_BYTES } }]);
        const result = await guest.exited;
        expect(result.output, result.output).toMatch(
          new RegExp(`^blktest: capacity ${BEFORE_BYTES} -> ${AFTER_BYTES} interrupts=${mode} config-changes=1 `, "m"),
        );
        expect(result.output).toMatch(new RegExp(`^blk watch-resize ok last-block=${AFTER_BYTES / 512 - 1} zero-filled$`, "m"));
        expect(result.status, result.output).toBe(0);
      } finally {
        await guest.stop();
      }
    }, TEST_TIMEOUT_MS);
  }
});
