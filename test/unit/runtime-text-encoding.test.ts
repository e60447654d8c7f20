import { describe, expect, it } from "vitest";
import { TextDecoder, TextEncoder, useNativeUtf8 } from "../../kernel/text-encoding";

const NodeDecoder = globalThis.TextDecoder;
const NodeEncoder = globalThis.TextEncoder;

function random(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** Random bytes biased towards UTF-8 lead and continuation bytes, so sequences are often nearly valid. */
function randomBytes(next: () => number, length: number): Uint8Array {
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xfe, 0xbb];
  return Uint8Array.from({ length }, () => (next() < 0.6 ? interesting[Math.floor(next() * interesting.length)] : Math.floor(next() * 256)));
}

function outcome(run: () => string): string {
  try {
    return `ok:${run()}`;
  } catch (error) {
    return `throws:${(error as Error).name}`;
  }
}

const tricky: Record<string, number[]> = {
  "empty": [],
  "ascii": [0x68, 0x69],
  "two-byte": [0xc3, 0xa9],
  "four-byte": [0xf0, 0x9f, 0x98, 0x80],
  "overlong slash": [0xc0, 0xaf],
  "overlong three-byte": [0xe0, 0x80, 0xaf],
  "overlong four-byte": [0xf0, 0x80, 0x80, 0xaf],
  "encoded surrogate": [0xed, 0xa0, 0x80],
  "above U+10FFFF": [0xf4, 0x90, 0x80, 0x80],
  "truncated three-byte": [0xe2, 0x82],
  "truncated then ascii": [0xe2, 0x82, 0x41],
  "lone continuation": [0x80, 0xbf],
  "invalid bytes": [0xfe, 0xff, 0xf5],
  "truncated four-byte at end": [0x41, 0xf0, 0x9f, 0x98],
  "bom": [0xef, 0xbb, 0xbf, 0x41],
  "double bom": [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf],
  "maximal subparts": [0x61, 0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2, 0x62, 0x80, 0x63, 0x80, 0xbf, 0x64],
};

describe("TextDecoder utf-8 matches Node", () => {
  for (const [name, bytes] of Object.entries(tricky)) {
    it(name, () => {
      for (const fatal of [false, true]) {
        for (const ignoreBOM of [false, true]) {
          const input = Uint8Array.from(bytes);
          const ours = outcome(() => new TextDecoder("utf-8", { fatal, ignoreBOM }).decode(input));
          const node = outcome(() => new NodeDecoder("utf-8", { fatal, ignoreBOM }).decode(input));
          expect(ours, `fatal ${fatal} ignoreBOM ${ignoreBOM}`).toBe(node);
        }
      }
    });
  }

  it("decodes random bytes, whole and streamed in random pieces", () => {
    const next = random(7);
    for (let round = 0; round < 400; round++) {
      const bytes = randomBytes(next, Math.floor(next() * 24));
      const fatal = next() < 0.3;
      expect(outcome(() => new TextDecoder("utf-8", { fatal }).decode(bytes))).toBe(
        outcome(() => new NodeDecoder("utf-8", { fatal }).decode(bytes)),
      );
      const ours = new TextDecoder();
      let streamed = "";
      for (let at = 0; at < bytes.length; ) {
        const end = Math.min(bytes.length, at + 1 + Math.floor(next() * 4));
        streamed += ours.decode(bytes.subarray(at, end), { stream: true });
        at = end;
      }
      streamed += ours.decode();
      expect(streamed).toBe(new NodeDecoder().decode(bytes));
    }
  });

  it("strips a BOM split across stream chunks, once per stream", () => {
    const decoder = new TextDecoder();
    const parts = [[0xef], [0xbb], [0xbf, 0x41], [0xef, 0xbb, 0xbf]].map((part) => decoder.decode(Uint8Array.from(part), { stream: true }));
    expect(parts.join("") + decoder.decode()).toBe("A\ufeff");
    expect(decoder.decode(Uint8Array.from([0xef, 0xbb, 0xbf, 0x42]))).toBe("B");
  });

  it("recovers after a fatal error", () => {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    expect(() => decoder.decode(Uint8Array.from([0xe2, 0x28]))).toThrow(TypeError);
    expect(decoder.decode(Uint8Array.from([0x41]))).toBe("A");
    expect(() => decoder.decode(Uint8Array.from([0xe2]))).toThrow(TypeError);
  });

  it("accepts buffers and views with offsets, and large ASCII input", () => {
    const bytes = Uint8Array.from([0x78, 0x68, 0x69, 0x78]);
    const decoder = new TextDecoder();
    expect(decoder.decode(bytes.buffer)).toBe("xhix");
    expect(decoder.decode(new DataView(bytes.buffer, 1, 2))).toBe("hi");
    expect(decoder.decode(bytes.subarray(1, 3))).toBe("hi");
    expect(decoder.decode()).toBe("");
    const big = "é".repeat(20000) + "a".repeat(30000) + "😀";
    expect(decoder.decode(new NodeEncoder().encode(big))).toBe(big);
    expect(() => decoder.decode("text" as never)).toThrow(TypeError);
  });
});

describe("TextDecoder labels and other encodings", () => {
  it("normalises labels and rejects unknown ones", () => {
    expect(new TextDecoder(" UTF8\n").encoding).toBe("utf-8");
    expect(new TextDecoder("latin1").encoding).toBe("windows-1252");
    expect(new TextDecoder("utf-16").encoding).toBe("utf-16le");
    expect(new TextDecoder().encoding).toBe("utf-8");
    expect(() => new TextDecoder("klingon")).toThrow(RangeError);
  });

  it("decodes utf-16le like Node, including lone surrogates and odd lengths", () => {
    const next = random(11);
    for (let round = 0; round < 300; round++) {
      const units = Array.from({ length: Math.floor(next() * 8) }, () =>
        next() < 0.5 ? [0xd83d, 0xde00, 0xdc00, 0xd800, 0xfeff][Math.floor(next() * 5)] : Math.floor(next() * 0x10000),
      );
      const bytes = new Uint8Array(new Uint16Array(units).buffer.slice(0, units.length * 2 - (next() < 0.2 ? 1 : 0)));
      for (const fatal of [false, true]) {
        expect(outcome(() => new TextDecoder("utf-16le", { fatal }).decode(bytes))).toBe(
          outcome(() => new NodeDecoder("utf-16le", { fatal }).decode(bytes)),
        );
      }
      const ours = new TextDecoder("utf-16le");
      const streamed = Array.from(bytes, (byte) => ours.decode(Uint8Array.of(byte), { stream: true })).join("") + ours.decode();
      expect(streamed).toBe(new NodeDecoder("utf-16le").decode(bytes));
    }
  });

  it("decodes windows-1252 per the Encoding Standard", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = new TextDecoder("latin1").decode(bytes);
    expect(text.length).toBe(256);
    expect(text.charCodeAt(0x41)).toBe(0x41);
    expect(text[0x80]).toBe("€");
    expect(text.charCodeAt(0x81)).toBe(0x81);
    expect(text[0x9f]).toBe("Ÿ");
    expect(text[0xe9]).toBe("é");
  });
});

describe("TextEncoder matches Node", () => {
  const strings = ["", "hello", "é", "€uro", "😀", "a\ud800b", "\udc00", "\ud83d", "x\ud83d\ude00\ude00", "\u0000\u007f\u0080\u07ff\u0800\uffff"];

  it("encodes, replacing lone surrogates", () => {
    for (const text of strings) expect(new TextEncoder().encode(text)).toEqual(new NodeEncoder().encode(text));
    expect(new TextEncoder().encode()).toEqual(new Uint8Array(0));
    expect(new TextEncoder().encoding).toBe("utf-8");
  });

  it("encodes into buffers of every size without splitting characters", () => {
    for (const text of strings) {
      for (let size = 0; size <= 12; size++) {
        const ours = new Uint8Array(size);
        const node = new Uint8Array(size);
        expect(new TextEncoder().encodeInto(text, ours)).toEqual(new NodeEncoder().encodeInto(text, node));
        expect(ours).toEqual(node);
      }
    }
  });

  it("round-trips every code point range through the decoder", () => {
    const next = random(3);
    for (let round = 0; round < 200; round++) {
      const text = String.fromCodePoint(...Array.from({ length: 10 }, () => {
        const scalar = Math.floor(next() * 0x110000);
        return scalar >= 0xd800 && scalar <= 0xdfff ? 0x41 : scalar;
      }));
      expect(new TextDecoder().decode(new TextEncoder().encode(text))).toBe(text);
    }
  });
});

describe("TextEncoder over the engine's UTF-8 conversion", () => {
  /** What the guest engine's conversion does: UTF-8, but a lone surrogate kept as its 3-byte form. */
  function engineUtf8(text: string): ArrayBuffer {
    const out: number[] = [];
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      const next = text.charCodeAt(i + 1);
      if (code >= 0xd800 && code < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
      if (code < 0x80) out.push(code);
      else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
      else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
      else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
    return Uint8Array.from(out).buffer;
  }

  it("takes the engine's conversion for well-formed strings and its own loop around lone surrogates", () => {
    const calls: string[] = [];
    useNativeUtf8((text) => {
      calls.push(text);
      return engineUtf8(text);
    });
    try {
      const encoder = new TextEncoder();
      for (const text of ["", "plain ascii", "é€😀", "x".repeat(10_000), "a\ud800b", "\udc00", "z\ud83d"]) {
        expect(encoder.encode(text), JSON.stringify(text)).toEqual(new NodeEncoder().encode(text));
      }
      expect(calls).toEqual(["", "plain ascii", "é€😀", "x".repeat(10_000)]);
      const target = new Uint8Array(16);
      expect(encoder.encodeInto("é😀", target)).toEqual({ read: 3, written: 6 });
      expect([...target.subarray(0, 6)]).toEqual([0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80]);
      // Too small a target for the worst case: the loop stops at the last whole character.
      expect(encoder.encodeInto("ab😀", new Uint8Array(5))).toEqual({ read: 2, written: 2 });
    } finally {
      useNativeUtf8(undefined);
    }
  });
});
