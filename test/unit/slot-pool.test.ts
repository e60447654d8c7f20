import { describe, expect, it } from "vitest";
import { NO_SLOT, SlotPool } from "../../kernel/slot-pool";

describe("SlotPool", () => {
  it("hands out every slot once, lowest first, then NO_SLOT", () => {
    const pool = new SlotPool(3);
    expect([pool.acquire(), pool.acquire(), pool.acquire()]).toEqual([0, 1, 2]);
    expect(pool.acquire()).toBe(NO_SLOT);
    expect(pool.free).toBe(0);
    expect(pool.inUse(1)).toBe(true);
  });

  it("takes slots back in stack order and ignores one that is not handed out", () => {
    const pool = new SlotPool(3);
    pool.acquire();
    const second = pool.acquire();
    pool.release(second);
    pool.release(second);
    expect(pool.free).toBe(2);
    expect(pool.inUse(second)).toBe(false);
    expect(pool.acquire()).toBe(second);
    expect(pool.acquire()).toBe(2);
    expect(pool.acquire()).toBe(NO_SLOT);
  });
});
