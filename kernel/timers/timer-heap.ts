/** An entry ordered by deadline, then by sequence number so equal deadlines keep creation order. */
export interface HeapEntry {
  deadlineNs: number;
  sequence: number;
  /** Position in the heap, or -1 when not queued. */
  heapIndex: number;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.deadlineNs < b.deadlineNs || (a.deadlineNs === b.deadlineNs && a.sequence < b.sequence);
}

/** A binary min-heap that tracks each entry's index so entries can be removed in O(log n). */
export class TimerHeap<T extends HeapEntry> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(entry: T): void {
    entry.heapIndex = this.items.length;
    this.items.push(entry);
    this.siftUp(entry.heapIndex);
  }

  remove(entry: T): void {
    const index = entry.heapIndex;
    if (index < 0) return;
    const last = this.items.pop() as T;
    entry.heapIndex = -1;
    if (last === entry) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.siftUp(index);
    this.siftDown(last.heapIndex);
  }

  private siftUp(index: number): void {
    const items = this.items;
    const entry = items[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex];
      if (!before(entry, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }

  private siftDown(index: number): void {
    const items = this.items;
    const count = items.length;
    const entry = items[index];
    for (;;) {
      let child = 2 * index + 1;
      if (child >= count) break;
      if (child + 1 < count && before(items[child + 1], items[child])) child++;
      if (!before(items[child], entry)) break;
      items[index] = items[child];
      items[index].heapIndex = index;
      index = child;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }
}
