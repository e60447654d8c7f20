import { describe, expect, it } from "vitest";
import { NativeSymbols, parseNm } from "../../scripts/profile/native-symbols";
import { BundleLines } from "../../scripts/profile/source-lines";

const NM_OUTPUT = `0000000000000008 a KERNEL_CODE
0000000000100000 T kernel_entry
0000000000102bb6 00000000000000a4 T wait_for_interrupt
000000000010e86f 0000000000000005 t JS_CallInternal.cold
000000000010e874 0000000000007dbe t JS_CallInternal
0000000000118000 0000000000000100 W memcpy
0000000000118100 0000000000000040 t js_helper.constprop.0
0000000000200000 0000000000001000 B page_bitmap
0000000000201000 0000000000000010 D some_data
`;

describe("native symbols", () => {
  it("keeps only code symbols, in address order, with compiler suffixes dropped", () => {
    const symbols = parseNm(NM_OUTPUT);
    expect(symbols.map((s) => s.name)).toEqual(["kernel_entry", "wait_for_interrupt", "JS_CallInternal", "JS_CallInternal", "memcpy", "js_helper"]);
    expect(symbols[1]).toEqual({ address: 0x102bb6n, size: 0xa4n, name: "wait_for_interrupt" });
  });

  it("names the function holding an address, and nothing past a sized symbol's end or before the first", () => {
    const symbols = new NativeSymbols(parseNm(NM_OUTPUT));
    expect(symbols.lookup(0x102bb6n)).toBe("wait_for_interrupt");
    expect(symbols.lookup(0x102bb6n + 0xa3n)).toBe("wait_for_interrupt");
    expect(symbols.lookup(0x102bb6n + 0xa4n)).toBeUndefined();
    expect(symbols.lookup(0x10e870n)).toBe("JS_CallInternal");
    expect(symbols.lookup(0x10e874n + 0x7000n)).toBe("JS_CallInternal");
    expect(symbols.lookup(0x100010n)).toBe("kernel_entry");
    expect(symbols.lookup(0xfffffn)).toBeUndefined();
    expect(symbols.lookup(0x118120n)).toBe("js_helper");
  });
});

describe("bundle lines", () => {
  // Bundle line 1 has no source; 2-3 come from a.ts lines 5 and 7; 4 from b.ts line 40.
  const table = { files: ["src/a.ts", "src/b.ts"], sourceLines: [0, 5, 7, 40], spans: [{ bundleLine: 2, file: 0 }, { bundleLine: 4, file: 1 }] };

  it("maps a bundle line to its TypeScript file and line", () => {
    const lines = new BundleLines(table);
    expect(lines.position(2)).toEqual({ file: "src/a.ts", line: 5 });
    expect(lines.position(3)).toEqual({ file: "src/a.ts", line: 7 });
    expect(lines.position(4)).toEqual({ file: "src/b.ts", line: 40 });
  });

  it("has no position for lines without source or past the bundle", () => {
    const lines = new BundleLines(table);
    expect(lines.position(1)).toBeUndefined();
    expect(lines.position(0)).toBeUndefined();
    expect(lines.position(5)).toBeUndefined();
  });
});
