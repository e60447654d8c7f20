import { hasFeature } from "../features";
import { BalloonFeature } from "./constants";

/** Queue indices of the negotiated queues; undefined for a queue the features leave out. */
export interface BalloonQueues {
  readonly inflate: number;
  readonly deflate: number;
  readonly stats: number | undefined;
  readonly reporting: number | undefined;
}

const INFLATEQ = 0;
const DEFLATEQ = 1;
const STATSQ = 2;
const FREE_PAGE_VQ = 3;
/** reporting_vq as section 5.5.2 numbers it. */
const REPORTING_VQ = 4;

/**
 * The specification numbers the queues 0..4 whether or not the optional ones exist; QEMU (and
 * Linux) number them consecutively over the queues the device has, so without FREE_PAGE_HINT
 * offered QEMU's reporting_vq is queue 3. The consecutive index is taken when that queue exists,
 * the specification's otherwise.
 */
export function balloonQueues(offered: bigint, negotiated: bigint, queueExists: (index: number) => boolean): BalloonQueues {
  const stats = hasFeature(negotiated, BalloonFeature.StatsVq) ? STATSQ : undefined;
  let reporting: number | undefined;
  if (hasFeature(negotiated, BalloonFeature.PageReporting)) {
    const consecutive = FREE_PAGE_VQ + (hasFeature(offered, BalloonFeature.FreePageHint) ? 1 : 0);
    reporting = queueExists(consecutive) ? consecutive : REPORTING_VQ;
  }
  return { inflate: INFLATEQ, deflate: DEFLATEQ, stats, reporting };
}
