import { describe, expect, it } from "vitest";
import { UNKNOWN_FUNCTION, type RawProfile } from "../../scripts/profile/format";
import { formatReport } from "../../scripts/profile/report";
import { foldStacks, IDLE_LABEL, rankFunctions, resolveSamples, type Symbolizer } from "../../scripts/profile/stacks";

const INTERPRETER = 0x1000n;
const IDLE = 0x2000n;
const MEMCPY = 0x3000n;
const NOWHERE = 0x9999n;
const symbolizer: Symbolizer = {
  native: (address) => ({ [String(INTERPRETER)]: "JS_CallInternal", [String(IDLE)]: "wait_for_interrupt", [String(MEMCPY)]: "memcpy" })[String(address)],
  // Bundle line n comes from main.ts line n + 100; line 1 has no source.
  position: (line) => (line > 1 ? { file: "main.ts", line: line + 100 } : undefined),
};
const functions = new Map([
  [1, { name: "main", line: 10 }],
  [2, { name: "hot", line: 20 }],
  [3, { name: "", line: 1 }],
  [4, { name: "a;b", line: 40 }],
]);
const profile = (samples: RawProfile["samples"]): RawProfile => ({ hz: 1000, elapsedNs: 8_000_000, samplingNs: 120_000, dropped: 0, functions, samples });
const MAIN = "main (main.ts:110)";
const HOT = "hot (main.ts:120)";

describe("naming samples", () => {
  it("ends a stack in the interpreter with its JavaScript function, and names where that function was", () => {
    const [sample] = resolveSamples(profile([{ rip: INTERPRETER, frames: [{ function: 1, line: 12 }, { function: 2, line: 25 }] }]), symbolizer);
    expect(sample).toEqual({ stack: [MAIN, HOT], leafLine: "main.ts:125" });
  });

  it("adds the native function the CPU was in, or its address, and marks a halt as idle", () => {
    const samples = resolveSamples(
      profile([
        { rip: MEMCPY, frames: [{ function: 1, line: 12 }] },
        { rip: NOWHERE, frames: [] },
        { rip: IDLE, frames: [] },
        { rip: INTERPRETER, frames: [] },
      ]),
      symbolizer,
    );
    expect(samples.map((s) => s.stack)).toEqual([[MAIN, "[native] memcpy"], ["[native] 0x9999"], [IDLE_LABEL], ["[native] JS_CallInternal"]]);
    expect(samples.every((s) => s.leafLine === undefined)).toBe(true);
  });

  it("names anonymous and unknown functions, bundle lines without source, and keeps ';' out of frame names", () => {
    const [sample] = resolveSamples(profile([{ rip: INTERPRETER, frames: [{ function: UNKNOWN_FUNCTION, line: 0 }, { function: 4, line: 41 }, { function: 3, line: 1 }] }]), symbolizer);
    expect(sample.stack).toEqual(["<unknown function>", "a,b (main.ts:140)", "<anonymous> (app.js:1)"]);
    expect(sample.leafLine).toBe("app.js:1");
  });
});

describe("folding and ranking", () => {
  const samples = resolveSamples(
    profile([
      { rip: INTERPRETER, frames: [{ function: 1, line: 12 }, { function: 2, line: 25 }] },
      { rip: INTERPRETER, frames: [{ function: 1, line: 12 }, { function: 2, line: 25 }] },
      { rip: INTERPRETER, frames: [{ function: 1, line: 12 }, { function: 2, line: 26 }] },
      { rip: MEMCPY, frames: [{ function: 1, line: 13 }, { function: 2, line: 27 }] },
      { rip: INTERPRETER, frames: [{ function: 1, line: 14 }] },
      { rip: IDLE, frames: [] },
    ]),
    symbolizer,
  );

  it("counts identical stacks once each", () => {
    expect(foldStacks(samples)).toEqual(
      new Map([
        [`${MAIN};${HOT}`, 3],
        [`${MAIN};${HOT};[native] memcpy`, 1],
        [MAIN, 1],
        [IDLE_LABEL, 1],
      ]),
    );
  });

  it("ranks by self samples, counts a function once per sample in its total, and finds its hottest line", () => {
    const ranked = rankFunctions(samples);
    expect(ranked[0]).toEqual({ label: HOT, self: 3, total: 4, hotLine: "main.ts:125" });
    expect(ranked.find((f) => f.label === MAIN)).toEqual({ label: MAIN, self: 1, total: 5, hotLine: "main.ts:114" });
    expect(ranked.find((f) => f.label === "[native] memcpy")).toEqual({ label: "[native] memcpy", self: 1, total: 1, hotLine: undefined });
  });

  it("reports shares of all samples, with idle time in the summary instead of the table", () => {
    const lines = formatReport(profile(new Array(6).fill({ rip: 0n, frames: [] })), rankFunctions(samples), 2);
    expect(lines[0]).toBe("6 samples over 0.0 s of guest time (750 per second of 1000 asked), 0 dropped (buffer full); idle 16.7%");
    expect(lines[1]).toBe("taking them cost 1.5% of guest time (20 us each)");
    expect(lines.slice(3)).toEqual([
      ` 50.0%  66.7%       3  ${HOT}  [hottest line main.ts:125]`,
      ` 16.7%  83.3%       1  ${MAIN}  [hottest line main.ts:114]`,
    ]);
  });
});
