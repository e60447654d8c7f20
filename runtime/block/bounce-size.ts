/** How much DMA memory each disk's bounce buffers take, by the machine's memory. */
import { PAGE_SIZE } from "../../kernel/platform";
import { DEFAULT_BOUNCE_BUFFER_BYTES, DEFAULT_BOUNCE_BUFFERS } from "./device";

/** At most this share of the machine's memory per disk: 8 x 256 KiB from 32 MiB up. */
const BOUNCE_MEMORY_SHARE = 16;

/** Each disk's bounce buffers on a machine of `totalPages` pages, in whole pages, one at least. */
export function bounceOptions(totalPages: number): { readonly bounceBuffers: number; readonly bounceBufferBytes: number } {
  const perBuffer = Math.floor(totalPages / BOUNCE_MEMORY_SHARE / DEFAULT_BOUNCE_BUFFERS) * PAGE_SIZE;
  return { bounceBuffers: DEFAULT_BOUNCE_BUFFERS, bounceBufferBytes: Math.max(PAGE_SIZE, Math.min(DEFAULT_BOUNCE_BUFFER_BYTES, perBuffer)) };
}
