import { describe, expect, it } from "vitest";
import { buildFlameTree, escapeXml, flameGraphSvg } from "../../scripts/profile/flame-graph";

const WIDTH = 1000;
const MARGIN = 10;
const INNER = WIDTH - 2 * MARGIN;

interface Frame {
  name: string;
  x: number;
  y: number;
  width: number;
}

/** The frames drawn, from each group's tooltip ("name: N samples, P%") and rectangle. */
function frames(svg: string): Frame[] {
  const found: Frame[] = [];
  for (const match of svg.matchAll(/<g><title>(.*?): \d+ samples, [\d.]+%<\/title><rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"/g))
    found.push({ name: match[1], x: Number(match[2]), y: Number(match[3]), width: Number(match[4]) });
  return found;
}

const frame = (all: Frame[], name: string): Frame => {
  const f = all.find((candidate) => candidate.name === name);
  if (f === undefined) throw new Error(`no frame ${name}`);
  return f;
};

describe("flame graph", () => {
  const folded = new Map([
    ["main;hot", 6],
    ["main;cold", 2],
    ["main", 1],
    ["[native] memcpy", 1],
  ]);

  it("builds the call tree with each node's samples", () => {
    const root = buildFlameTree(folded);
    expect(root.value).toBe(10);
    expect(root.children.get("main")?.value).toBe(9);
    expect(root.children.get("main")?.children.get("hot")?.value).toBe(6);
    expect(root.children.get("[native] memcpy")?.children.size).toBe(0);
  });

  it("draws each frame as wide as its share of all samples, callees above callers, siblings in name order", () => {
    const all = frames(flameGraphSvg(folded, { title: "t", width: WIDTH }));
    expect(all.map((f) => f.name).sort()).toEqual(["[native] memcpy", "all", "cold", "hot", "main"]);
    expect(frame(all, "all").width).toBeCloseTo(INNER, 1);
    expect(frame(all, "main").width).toBeCloseTo((INNER * 9) / 10, 1);
    expect(frame(all, "hot").width).toBeCloseTo((INNER * 6) / 10, 1);
    expect(frame(all, "cold").width).toBeCloseTo((INNER * 2) / 10, 1);
    expect(frame(all, "[native] memcpy").width).toBeCloseTo(INNER / 10, 1);
    // "[native] memcpy" sorts before "main"; "cold" before "hot".
    expect(frame(all, "[native] memcpy").x).toBeCloseTo(MARGIN, 1);
    expect(frame(all, "main").x).toBeCloseTo(MARGIN + INNER / 10, 1);
    expect(frame(all, "cold").x).toBeCloseTo(frame(all, "main").x, 1);
    expect(frame(all, "hot").x).toBeCloseTo(frame(all, "main").x + (INNER * 2) / 10, 1);
    expect(frame(all, "main").y).toBeLessThan(frame(all, "all").y);
    expect(frame(all, "hot").y).toBeLessThan(frame(all, "main").y);
    expect(frame(all, "hot").y).toBe(frame(all, "cold").y);
  });

  it("escapes names so the document stays well-formed, and shortens labels to fit", () => {
    const name = `<anonymous> (a&b "c" 'd'.ts:1) ${"x".repeat(400)}`;
    const svg = flameGraphSvg(new Map([[name, 1]]), { title: "a <b> & c", width: WIDTH });
    expect(svg).not.toContain("<anonymous>");
    expect(svg).toContain(escapeXml(name));
    expect(svg).toContain("a &lt;b&gt; &amp; c");
    const labels = [...svg.matchAll(/<text x="[\d.]+" y="\d+">(.*?)<\/text>/g)].map((m) => m[1]);
    expect(labels.some((label) => label.endsWith("..") && label.length < name.length)).toBe(true);
    expect(svg.startsWith("<?xml")).toBe(true);
    expect(svg.match(/<g>/g)?.length).toBe(svg.match(/<\/g>/g)?.length);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  });

  it("draws only the root for no samples", () => {
    const all = frames(flameGraphSvg(new Map(), { title: "empty", width: WIDTH }));
    expect(all).toEqual([{ name: "all", x: MARGIN, y: expect.any(Number), width: INNER }]);
  });
});
