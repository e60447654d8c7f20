/**
 * One field of a register block or structure as the virtio specification lays it out: byte
 * offset, width in bytes and who may write it ("ro": the driver only reads, "wo": the driver only
 * writes, "rw": both). `count` is for arrays (u8 mac[6]); each element is `width` bytes.
 */
export interface SpecField {
  readonly offset: number;
  readonly width: 1 | 2 | 4 | 8;
  readonly access: "ro" | "rw" | "wo";
  readonly count?: number;
}

/** A register block or structure, keyed by the field names the specification uses. */
export type SpecTable = Readonly<Record<string, SpecField>>;

/** Bytes a field covers (all elements of an array). */
export function fieldSize(field: SpecField): number {
  return field.width * (field.count ?? 1);
}

/** Bytes a structure covers: the end of its last field. */
export function tableSize(table: SpecTable): number {
  return Math.max(...Object.values(table).map((f) => f.offset + fieldSize(f)));
}

/** The field (and its name) whose bytes include `offset`, if any. */
export function fieldAt(table: SpecTable, offset: number): [string, SpecField] | undefined {
  for (const entry of Object.entries(table)) {
    const field = entry[1];
    if (offset >= field.offset && offset < field.offset + fieldSize(field)) return entry;
  }
  return undefined;
}
