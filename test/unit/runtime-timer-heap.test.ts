import { expect, it } from "vitest";
import { TimerHeap, type HeapEntry } from "../../kernel/timers/timer-heap";

it("pops entries by deadline then sequence under random pushes and removals", () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const heap = new TimerHeap<HeapEntry>();
  const live = new Set<HeapEntry>();
  for (let i = 0; i < 2000; i++) {
    if (live.size > 0 && random() < 0.3) {
      const victim = [...live][Math.floor(random() * live.size)];
      heap.remove(victim);
      heap.remove(victim);
      live.delete(victim);
    } else {
      const entry = { deadlineNs: Math.floor(random() * 50), sequence: i, heapIndex: -1 };
      heap.push(entry);
      live.add(entry);
    }
  }
  const expected = [...live].sort((a, b) => a.deadlineNs - b.deadlineNs || a.sequence - b.sequence);
  const popped: HeapEntry[] = [];
  for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
    heap.remove(top);
    popped.push(top);
  }
  expect(popped).toEqual(expected);
  expect(heap.size).toBe(0);
});
