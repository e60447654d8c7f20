/**
 * Slots 0 to count - 1, handed out and taken back in stack order (a fresh pool gives 0 first):
 * the request slots of a disk driver, a block layer's bounce buffers. Nothing allocates after
 * construction.
 */
/** What `acquire` returns when every slot is handed out. */
export const NO_SLOT = -1;

export class SlotPool {
  readonly count: number;
  private readonly freeStack: Int32Array;
  /** 1 while a slot is handed out. */
  private readonly busy: Uint8Array;
  private freeTop: number;

  constructor(count: number) {
    this.count = count;
    this.freeStack = new Int32Array(count);
    for (let i = 0; i < count; i++) this.freeStack[i] = count - 1 - i;
    this.freeTop = count;
    this.busy = new Uint8Array(count);
  }

  /** Slots not handed out. */
  get free(): number {
    return this.freeTop;
  }

  /** A free slot, or NO_SLOT. */
  acquire(): number {
    if (this.freeTop === 0) return NO_SLOT;
    const slot = this.freeStack[--this.freeTop];
    this.busy[slot] = 1;
    return slot;
  }

  inUse(slot: number): boolean {
    return this.busy[slot] === 1;
  }

  /** Takes `slot` back; one that is not handed out is left alone. */
  release(slot: number): void {
    if (this.busy[slot] !== 1) return;
    this.busy[slot] = 0;
    this.freeStack[this.freeTop++] = slot;
  }
}
