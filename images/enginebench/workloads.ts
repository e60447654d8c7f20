// What the engine does for every app, one kind of work per entry: each runs `iterations` times and
// returns a checksum (so no work can be skipped) that is the same on every engine. The same list
// runs in the guest (images/enginebench) and under Node (scripts/bench/engine.ts).

export interface EngineWorkload {
  readonly name: string;
  /** Iterations for about the same guest time per workload (scaled by the bench's `scale`). */
  readonly iterations: number;
  readonly run: (iterations: number) => number | Promise<number>;
}

interface Point {
  x: number;
  y: number;
  z: number;
}

function propertyAccess(iterations: number): number {
  const point: Point = { x: 1, y: 2, z: 3 };
  for (let i = 0; i < iterations; i++) {
    point.x = point.y + i;
    point.y = point.z ^ point.x;
    point.z = (point.x + point.y) & 0xffff;
  }
  return point.z;
}

function add(a: number, b: number): number {
  return (a + b) | 0;
}

function calls(iterations: number): number {
  let total = 0;
  for (let i = 0; i < iterations; i++) total = add(total, i);
  return total;
}

function closures(iterations: number): number {
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    const offset = i & 7;
    const shift = (value: number): number => value + offset;
    total = shift(total) & 0xfffff;
  }
  return total;
}

class Counter {
  private count = 0;
  increment(by: number): void {
    this.count = (this.count + by) & 0xfffff;
  }
  get value(): number {
    return this.count;
  }
}

function methods(iterations: number): number {
  const counter = new Counter();
  for (let i = 0; i < iterations; i++) counter.increment(i);
  return counter.value;
}

const TYPED_LENGTH = 1024;

function typedArrays(iterations: number): number {
  const bytes = new Uint8Array(TYPED_LENGTH);
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    const at = i & (TYPED_LENGTH - 1);
    bytes[at] = i;
    total = (total + bytes[(at * 7) & (TYPED_LENGTH - 1)]) | 0;
  }
  return total;
}

function dataViews(iterations: number): number {
  const view = new DataView(new ArrayBuffer(TYPED_LENGTH));
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    const at = (i * 4) & (TYPED_LENGTH - 4);
    view.setUint32(at, i, true);
    total = (total + view.getUint16(at, true)) | 0;
  }
  return total;
}

async function promises(iterations: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < iterations; i++) total += await Promise.resolve(i & 1);
  return total;
}

function allocation(iterations: number): number {
  let kept: { id: number; tags: number[] }[] = [];
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    kept.push({ id: i, tags: [i, i + 1] });
    if (kept.length === 64) {
      total = (total + kept[63].tags[1]) | 0;
      kept = [];
    }
  }
  return total;
}

function strings(iterations: number): number {
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    const line = `GET /items/${i} HTTP/1.1`;
    total = (total + line.split(" ")[1].length + line.indexOf("HTTP")) | 0;
  }
  return total;
}

function maps(iterations: number): number {
  const map = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    map.set(i & 255, i);
    total = (total + (map.get((i * 3) & 255) ?? 0)) | 0;
  }
  return total;
}

function json(iterations: number): number {
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    const text = JSON.stringify({ key: `k${i}`, value: i, tags: ["a", "b"] });
    total = (total + (JSON.parse(text) as { value: number }).value + text.length) | 0;
  }
  return total;
}

const GROWTH_LENGTH = 2_000;

/** Arrays and strings that grow past the small block sizes: the engine reallocates them as they do. */
function growth(iterations: number): number {
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    const values: number[] = [];
    let text = "";
    for (let j = 0; j < GROWTH_LENGTH; j++) {
      values.push(j ^ i);
      if ((j & 15) === 0) text += String.fromCharCode(65 + (j & 31));
    }
    total = (total + values[(i * 13) % GROWTH_LENGTH] + text.length + text.charCodeAt(i % text.length)) | 0;
  }
  return total;
}

export const ENGINE_WORKLOADS: readonly EngineWorkload[] = [
  { name: "property-access", iterations: 200_000, run: propertyAccess },
  { name: "calls", iterations: 200_000, run: calls },
  { name: "closures", iterations: 100_000, run: closures },
  { name: "methods", iterations: 200_000, run: methods },
  { name: "typed-arrays", iterations: 200_000, run: typedArrays },
  { name: "DataView", iterations: 100_000, run: dataViews },
  { name: "promises", iterations: 50_000, run: promises },
  { name: "allocation", iterations: 50_000, run: allocation },
  { name: "strings", iterations: 30_000, run: strings },
  { name: "Map", iterations: 100_000, run: maps },
  { name: "JSON", iterations: 10_000, run: json },
  { name: "growth", iterations: 100, run: growth },
];

/** What one workload printed, as `engine <name>: <ns> ns/op, checksum <n>`. */
export function formatEngineLine(name: string, nsPerOp: number, checksum: number): string {
  return `engine ${name}: ${nsPerOp.toFixed(1)} ns/op, checksum ${checksum}`;
}

export const ENGINE_LINE = /^engine (.+): ([\d.]+) ns\/op, checksum (-?\d+)$/gm;
