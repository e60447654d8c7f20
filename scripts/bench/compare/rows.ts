// The compare table's rows: which figures there are, in which unit, whether more is better, and
// each one's ratio. A network's HTTP rows carry its name ("http-1mib (tap)"); the user-networking
// rows keep the plain names. A row appears only when both guests were measured for it.

/** Figures of one guest by row name. */
export type Side = Record<string, number>;

export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  readonly linux: number;
  readonly vireo: number;
}

interface RowKind {
  readonly name: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
}

const BASE_ROWS: readonly RowKind[] = [
  { name: "ready", unit: "ms (QEMU start -> serving)", higherIsBetter: false },
  { name: "seq-write", unit: "MB/s (1 MiB, qd 4)", higherIsBetter: true },
  { name: "seq-read", unit: "MB/s (1 MiB, qd 4)", higherIsBetter: true },
  { name: "rand-read-qd1", unit: "IOPS (4 KiB)", higherIsBetter: true },
  { name: "rand-read-qd32", unit: "IOPS (4 KiB)", higherIsBetter: true },
];

/** The HTTP rows, measured over every network. */
const HTTP_ROWS: readonly RowKind[] = [
  { name: "http-small-c1", unit: "requests/s (13 B, concurrency 1)", higherIsBetter: true },
  { name: "http-small-c8", unit: "requests/s (13 B, concurrency 8)", higherIsBetter: true },
  { name: "http-1mib", unit: "MB/s (1 MiB responses)", higherIsBetter: true },
];

/** A figure's name over `network`: the plain name over user networking. */
export function networkRowName(name: string, network: string): string {
  return network === "user" ? name : `${name} (${network})`;
}

/** `side`'s HTTP figures renamed for `network`. */
export function overNetwork(side: Side, network: string): Side {
  return Object.fromEntries(Object.entries(side).map(([name, value]) => [networkRowName(name, network), value]));
}

/** The rows both guests have figures for, block and user networking first, then each further network's HTTP rows in `networks` order. */
export function compareRows(linux: Side, vireo: Side, networks: readonly string[]): Figure[] {
  const kinds = [...BASE_ROWS, ...networks.flatMap((network) => HTTP_ROWS.map((row) => ({ ...row, name: networkRowName(row.name, network) })))];
  return kinds.filter((row) => row.name in linux && row.name in vireo).map((row) => ({ ...row, linux: linux[row.name], vireo: vireo[row.name] }));
}

/** How many times better Vireo did (above 1: Vireo ahead). */
export function ratio(figure: Figure): number {
  return figure.higherIsBetter ? figure.vireo / figure.linux : figure.linux / figure.vireo;
}

/** A row of the printed table: name, unit, both figures (one decimal below 100) and the ratio. */
export function tableCells(figure: Figure): string[] {
  const value = (x: number) => x.toFixed(x < 100 ? 1 : 0);
  return [figure.name, figure.unit, value(figure.linux), value(figure.vireo), `${ratio(figure).toFixed(2)}x`];
}
