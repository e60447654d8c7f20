import { afterEach, describe, expect, it, vi } from "vitest";
import { randomUuid } from "../../runtime/crypto/uuid";
import { AbortController, AbortSignal } from "../../kernel/web/abort";
import { structuredClone } from "../../kernel/web/structured-clone";

describe("AbortController and AbortSignal", () => {
  afterEach(() => vi.useRealTimers());

  it("aborts once, with an AbortError unless given a reason, telling listeners and onabort", () => {
    const controller = new AbortController();
    const seen: string[] = [];
    controller.signal.onabort = (event) => seen.push(`onabort ${event.type}`);
    controller.signal.addEventListener("abort", () => seen.push("listener"));
    const once = (): void => void seen.push("once");
    controller.signal.addEventListener("abort", once, { once: true });
    const removed = (): void => void seen.push("removed");
    controller.signal.addEventListener("abort", removed);
    controller.signal.removeEventListener("abort", removed);
    expect(controller.signal.aborted).toBe(false);
    expect(() => controller.signal.throwIfAborted()).not.toThrow();
    controller.abort();
    controller.abort("again");
    expect(seen).toEqual(["onabort abort", "listener", "once"]);
    expect(controller.signal.aborted).toBe(true);
    expect((controller.signal.reason as Error).name).toBe("AbortError");
    expect(() => controller.signal.throwIfAborted()).toThrow(controller.signal.reason as Error);
  });

  it("keeps a given reason; AbortSignal.abort is aborted from the start", () => {
    const controller = new AbortController();
    controller.abort("stop");
    expect(controller.signal.reason).toBe("stop");
    expect(AbortSignal.abort(42).reason).toBe(42);
  });

  it("times out with a TimeoutError after the delay, not before", () => {
    vi.useFakeTimers();
    const signal = AbortSignal.timeout(100);
    vi.advanceTimersByTime(99);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect((signal.reason as Error).name).toBe("TimeoutError");
  });

  it("any() follows the first of its signals", () => {
    const a = new AbortController();
    const b = new AbortController();
    const either = AbortSignal.any([a.signal, b.signal]);
    b.abort("b first");
    a.abort("a later");
    expect(either.reason).toBe("b first");
    expect(AbortSignal.any([new AbortController().signal, AbortSignal.abort("now")]).reason).toBe("now");
  });
});

describe("structuredClone", () => {
  it("copies nested data, keeping shared and cyclic references", () => {
    const shared = { n: 1 };
    const value: Record<string, unknown> = { list: [shared, shared], when: new Date(5), map: new Map([["k", shared]]), set: new Set([1]), re: /a+/gi };
    value.self = value;
    const copy = structuredClone(value);
    expect(copy).not.toBe(value);
    expect(copy.self).toBe(copy);
    const list = copy.list as object[];
    expect(list[0]).toBe(list[1]);
    expect(list[0]).not.toBe(shared);
    expect((copy.map as Map<string, object>).get("k")).toBe(list[0]);
    expect(copy.when).toEqual(new Date(5));
    expect(copy.set).toEqual(new Set([1]));
    expect((copy.re as RegExp).flags).toBe("gi");
  });

  it("copies binary data: views of one buffer stay views of one (copied) buffer", () => {
    const buffer = new ArrayBuffer(8);
    const bytes = new Uint8Array(buffer, 2, 4);
    bytes.set([1, 2, 3, 4]);
    const words = new DataView(buffer);
    const copy = structuredClone({ bytes, words });
    expect(copy.bytes.buffer).toBe(copy.words.buffer);
    expect(copy.bytes.buffer).not.toBe(buffer);
    expect([...copy.bytes]).toEqual([1, 2, 3, 4]);
    expect(copy.bytes.byteOffset).toBe(2);
  });

  it("turns class instances into plain objects and keeps an error's name and message", () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const copy = structuredClone({ point: new Point(3), error: new RangeError("far") });
    expect(Object.getPrototypeOf(copy.point)).toBe(Object.prototype);
    expect(copy.point).toEqual({ x: 3 });
    expect(copy.error.name).toBe("RangeError");
    expect(copy.error.message).toBe("far");
  });

  it("refuses functions and symbols with a DataCloneError", () => {
    expect(() => structuredClone({ f: () => 1 })).toThrow(expect.objectContaining({ name: "DataCloneError" }));
    expect(() => structuredClone([Symbol("s")])).toThrow(expect.objectContaining({ name: "DataCloneError" }));
  });
});

describe("randomUUID", () => {
  it("formats 16 random bytes as a version 4, RFC variant UUID", () => {
    expect(randomUuid((bytes) => bytes.fill(0xff))).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    expect(randomUuid((bytes) => bytes.fill(0))).toBe("00000000-0000-4000-8000-000000000000");
    let next = 0;
    expect(randomUuid((bytes) => bytes.forEach((_, i) => (bytes[i] = next++)))).toBe("00010203-0405-4607-8809-0a0b0c0d0e0f");
  });
});
