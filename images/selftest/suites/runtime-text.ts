/** The kernel's TextEncoder and TextDecoder, imported explicitly so Node's globals are not tested instead. */
import { TextDecoder, TextEncoder } from "../../../kernel/text-encoding";
import { expectEqual, expectThrows, type TestRegistry } from "../harness";

const bytes = (...values: number[]) => Uint8Array.from(values);
const decode = (input: Uint8Array, fatal = false) => new TextDecoder("utf-8", { fatal }).decode(input);

export function registerTextTests(t: TestRegistry): void {
  t.test("encodes ASCII, multi-byte characters and surrogate pairs", () => {
    const encoder = new TextEncoder();
    expectEqual(encoder.encode("hi"), bytes(0x68, 0x69));
    expectEqual(encoder.encode("é€😀"), bytes(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80));
    expectEqual(encoder.encode("a\ud800b"), bytes(0x61, 0xef, 0xbf, 0xbd, 0x62));
  });

  t.test("encodeInto stops before a character that does not fit", () => {
    const target = new Uint8Array(4);
    expectEqual(new TextEncoder().encodeInto("a😀b", target), { read: 1, written: 1 });
    expectEqual(new TextEncoder().encodeInto("ab😀", new Uint8Array(6)), { read: 4, written: 6 });
  });

  t.test("decodes with one replacement per maximal invalid subpart", () => {
    expectEqual(decode(bytes(0x61, 0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2, 0x62, 0x80, 0x63)), "a\ufffd\ufffd\ufffdb\ufffdc");
    expectEqual(decode(bytes(0xc0, 0xaf)), "\ufffd\ufffd");
    expectEqual(decode(bytes(0xed, 0xa0, 0x80)), "\ufffd\ufffd\ufffd");
    expectEqual(decode(bytes(0xf4, 0x90, 0x80, 0x80)), "\ufffd\ufffd\ufffd\ufffd");
    expectEqual(decode(bytes(0x41, 0xf0, 0x9f, 0x98)), "A\ufffd");
  });

  t.test("fatal decoding throws TypeError", () => {
    expectThrows(() => decode(bytes(0xe2, 0x28), true), TypeError);
    expectThrows(() => decode(bytes(0xe2, 0x82), true), TypeError);
    expectEqual(decode(bytes(0xe2, 0x82, 0xac), true), "€");
  });

  t.test("strips one leading BOM unless told not to", () => {
    expectEqual(decode(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x41)), "\ufeffA");
    expectEqual(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes(0xef, 0xbb, 0xbf)), "\ufeff");
  });

  t.test("streams characters split across chunks", () => {
    const decoder = new TextDecoder();
    const encoded = new TextEncoder().encode("€😀x");
    let text = "";
    for (const byte of encoded) text += decoder.decode(bytes(byte), { stream: true });
    expectEqual(text + decoder.decode(), "€😀x");
    expectEqual(decoder.decode(bytes(0xe2, 0x82), { stream: true }) + decoder.decode(), "\ufffd");
  });

  t.test("utf-16le and latin1", () => {
    expectEqual(new TextDecoder("utf-16le").decode(bytes(0x3d, 0xd8, 0x00, 0xde, 0x41, 0x00)), "😀A");
    expectEqual(new TextDecoder("utf-16le").decode(bytes(0x00, 0xdc, 0x41)), "\ufffd\ufffd");
    expectEqual(new TextDecoder("latin1").decode(bytes(0x80, 0xe9, 0x41)), "€éA");
    expectThrows(() => new TextDecoder("no-such-encoding"), RangeError);
  });

  t.test("round-trips large mixed text", () => {
    const text = "héllo wörld 😀 ".repeat(2000) + "a".repeat(20000);
    expectEqual(new TextDecoder().decode(new TextEncoder().encode(text)), text);
  });
}
