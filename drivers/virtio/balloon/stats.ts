import type { PageCounts } from "../../../kernel/memory-pressure";
import { BALLOON_PAGE_SIZE, BalloonStat, BalloonStatTag } from "./constants";

/**
 * The statistics the driver supplies, always the same set in the same order (section 5.5.6.3: the
 * same subset in every buffer). Vireo has no swap and no page cache and takes no page faults, so
 * the faults are zero and the memory available for new work is the free memory.
 */
const TAGS = [BalloonStatTag.MajorFaults, BalloonStatTag.MinorFaults, BalloonStatTag.MemFree, BalloonStatTag.MemTotal, BalloonStatTag.Available] as const;

/** Bytes of one statistics buffer (a multiple of the 10-byte entry, as the spec requires). */
export const STATS_BUFFER_BYTES = TAGS.length * BalloonStat.Size;

/** Writes the current statistics into `view` (STATS_BUFFER_BYTES long), little-endian. */
export function writeBalloonStats(view: DataView, pages: PageCounts): void {
  const free = BigInt(pages.freePages() * BALLOON_PAGE_SIZE);
  const total = BigInt(pages.totalPages() * BALLOON_PAGE_SIZE);
  for (let i = 0; i < TAGS.length; i++) {
    const tag = TAGS[i];
    const at = i * BalloonStat.Size;
    view.setUint16(at + BalloonStat.Tag, tag, true);
    view.setBigUint64(at + BalloonStat.Value, valueOf(tag, free, total), true);
  }
}

function valueOf(tag: (typeof TAGS)[number], free: bigint, total: bigint): bigint {
  switch (tag) {
    case BalloonStatTag.MemFree:
    case BalloonStatTag.Available:
      return free;
    case BalloonStatTag.MemTotal:
      return total;
    default:
      return 0n;
  }
}
