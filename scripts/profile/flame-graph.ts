// A flame graph as one self-contained SVG file: the root at the bottom, each frame as wide as
// its share of the samples, callees above callers, siblings in name order; hovering a frame
// shows its name, samples and share.
import { IDLE_LABEL, NATIVE_PREFIX } from "./stacks";

export interface FlameGraphOptions {
  readonly title: string;
  /** Image width in pixels. */
  readonly width?: number;
}

export interface FlameNode {
  readonly name: string;
  value: number;
  readonly children: Map<string, FlameNode>;
}

const DEFAULT_WIDTH = 1200;
const FRAME_HEIGHT = 16;
const MARGIN = 10;
const TITLE_HEIGHT = 28;
const FONT_SIZE = 11;
/** About how wide one character of the 11 px font is. */
const CHAR_WIDTH = 6.5;
const TEXT_INSET = 3;
/** From a frame's top to its label's baseline. */
const TEXT_BASELINE = FRAME_HEIGHT - 4;
/** Narrower frames get no label (the tooltip still names them). */
const MIN_LABEL_CHARS = 3;
const ELLIPSIS = "..";
const PERCENT = 100;
const COORDINATE_DIGITS = 2;
const ROOT_NAME = "all";
const FRAME_SEPARATOR = ";";

/** Hue ranges (degrees) by frame kind: JavaScript warm, native blue, idle grey. */
const JS_HUE = { base: 12, spread: 40 };
const NATIVE_HUE = { base: 195, spread: 35 };
const HASH_MULTIPLIER = 31;
const HASH_MODULUS = 1_000_003;

/** Builds the call tree of folded stacks ("outer;inner" -> samples). */
export function buildFlameTree(folded: ReadonlyMap<string, number>): FlameNode {
  const root: FlameNode = { name: ROOT_NAME, value: 0, children: new Map() };
  for (const [stack, count] of folded) {
    if (count <= 0) continue;
    root.value += count;
    let node = root;
    for (const name of stack.split(FRAME_SEPARATOR)) {
      let child = node.children.get(name);
      if (child === undefined) {
        child = { name, value: 0, children: new Map() };
        node.children.set(name, child);
      }
      child.value += count;
      node = child;
    }
  }
  return root;
}

function depthOf(node: FlameNode): number {
  let deepest = 0;
  for (const child of node.children.values()) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos" }[c]};`);
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * HASH_MULTIPLIER + text.charCodeAt(i)) % HASH_MODULUS;
  return h;
}

function colour(name: string): string {
  if (name === IDLE_LABEL || name === ROOT_NAME) return "hsl(0,0%,78%)";
  const hue = name.startsWith(NATIVE_PREFIX) ? NATIVE_HUE : JS_HUE;
  return `hsl(${hue.base + (hash(name) % hue.spread)},75%,62%)`;
}

function fit(name: string, width: number): string {
  const chars = Math.floor((width - 2 * TEXT_INSET) / CHAR_WIDTH);
  if (chars < MIN_LABEL_CHARS) return "";
  return name.length <= chars ? name : `${name.slice(0, chars - ELLIPSIS.length)}${ELLIPSIS}`;
}

const round = (n: number): string => n.toFixed(COORDINATE_DIGITS);

/** The SVG for folded stacks. A frame of `n` samples out of `total` is n/total of the inner width wide. */
export function flameGraphSvg(folded: ReadonlyMap<string, number>, options: FlameGraphOptions): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const root = buildFlameTree(folded);
  const levels = depthOf(root);
  const height = TITLE_HEIGHT + levels * FRAME_HEIGHT + MARGIN;
  const inner = width - 2 * MARGIN;
  const total = root.value;
  const frames: string[] = [];
  const draw = (node: FlameNode, depth: number, start: number): void => {
    const x = MARGIN + (total ? (start / total) * inner : 0);
    const w = total ? (node.value / total) * inner : inner;
    const y = height - MARGIN - (depth + 1) * FRAME_HEIGHT;
    const share = total ? ((node.value / total) * PERCENT).toFixed(COORDINATE_DIGITS) : "0";
    const label = fit(node.name, w);
    frames.push(
      `<g><title>${escapeXml(`${node.name}: ${node.value} samples, ${share}%`)}</title>` +
        `<rect x="${round(x)}" y="${y}" width="${round(w)}" height="${FRAME_HEIGHT - 1}" fill="${colour(node.name)}" rx="2"/>` +
        (label ? `<text x="${round(x + TEXT_INSET)}" y="${y + TEXT_BASELINE}">${escapeXml(label)}</text>` : "") +
        `</g>`,
    );
    let offset = start;
    for (const child of [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      draw(child, depth + 1, offset);
      offset += child.value;
    }
  };
  draw(root, 0, 0);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="${FONT_SIZE}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fbfaf7"/>`,
    `<text x="${width / 2}" y="${TITLE_HEIGHT - MARGIN}" text-anchor="middle" font-size="${FONT_SIZE + 3}">${escapeXml(options.title)}</text>`,
    ...frames,
    `</svg>`,
    "",
  ].join("\n");
}
