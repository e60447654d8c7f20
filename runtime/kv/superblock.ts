/** Encoding and validation of one superblock slot (layout in layout.ts). */
import { crc32 } from "./crc32";
import { LAYOUT_VERSION, Superblock, SUPERBLOCK_MAGIC } from "./layout";

/** What a commit makes durable: the log between `start` and `end`, as of record `sequence`. */
export interface CommitState {
  readonly commit: number;
  readonly start: number;
  readonly end: number;
  readonly sequence: number;
}

export type SlotReading =
  | { readonly kind: "valid"; readonly state: CommitState }
  | { readonly kind: "blank" }
  | { readonly kind: "invalid"; readonly reason: string };

const HALF = 2 ** 32;

function setWide(view: DataView, low: number, high: number, value: number): void {
  view.setUint32(low, value % HALF, true);
  view.setUint32(high, Math.floor(value / HALF), true);
}

function getWide(view: DataView, low: number, high: number): number {
  return view.getUint32(high, true) * HALF + view.getUint32(low, true);
}

export function encodeSuperblock(state: CommitState, logBlocks: number, blockSize: number): Uint8Array {
  const block = new Uint8Array(blockSize);
  const view = new DataView(block.buffer);
  view.setUint32(Superblock.Magic, SUPERBLOCK_MAGIC, true);
  view.setUint32(Superblock.Version, LAYOUT_VERSION, true);
  setWide(view, Superblock.CommitLow, Superblock.CommitHigh, state.commit);
  setWide(view, Superblock.StartLow, Superblock.StartHigh, state.start);
  setWide(view, Superblock.EndLow, Superblock.EndHigh, state.end);
  view.setUint32(Superblock.Sequence, state.sequence, true);
  view.setUint32(Superblock.LogBlocks, logBlocks, true);
  view.setUint32(Superblock.Crc, crc32(block.subarray(0, Superblock.Crc)), true);
  return block;
}

/** Reads a slot's block: valid only if every field checks out. */
export function decodeSuperblock(block: Uint8Array, logBlocks: number): SlotReading {
  if (block.every((byte) => byte === 0)) return { kind: "blank" };
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (view.getUint32(Superblock.Magic, true) !== SUPERBLOCK_MAGIC) return { kind: "invalid", reason: "no superblock magic" };
  if (crc32(block.subarray(0, Superblock.Crc)) !== view.getUint32(Superblock.Crc, true)) return { kind: "invalid", reason: "checksum mismatch" };
  const version = view.getUint32(Superblock.Version, true);
  if (version !== LAYOUT_VERSION) return { kind: "invalid", reason: `layout version ${version}, expected ${LAYOUT_VERSION}` };
  const recorded = view.getUint32(Superblock.LogBlocks, true);
  if (recorded !== logBlocks) return { kind: "invalid", reason: `made for a log of ${recorded} blocks, the disk has ${logBlocks}` };
  const state: CommitState = {
    commit: getWide(view, Superblock.CommitLow, Superblock.CommitHigh),
    start: getWide(view, Superblock.StartLow, Superblock.StartHigh),
    end: getWide(view, Superblock.EndLow, Superblock.EndHigh),
    sequence: view.getUint32(Superblock.Sequence, true),
  };
  if (!Number.isSafeInteger(state.commit) || !Number.isSafeInteger(state.end) || state.start > state.end || state.end - state.start > logBlocks)
    return { kind: "invalid", reason: `log ${state.start}..${state.end} does not fit ${logBlocks} blocks` };
  return { kind: "valid", state };
}
