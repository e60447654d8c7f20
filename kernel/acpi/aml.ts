/**
 * Just enough of the ACPI Machine Language to list a DSDT's devices and the constant objects they
 * name (`_HID`, `_UID`, `_CRS` ...), without running any method (ACPI 6.5 chapter 20, AML grammar).
 * Scopes and devices are walked; methods, fields and packages are stepped over by their package
 * length. A term this walker does not know ends the walk of its enclosing scope only (its package
 * length still bounds it), and is counted, so a firmware quirk costs the devices after it in that
 * one scope, never the rest of the table.
 */
import { AcpiError, type AcpiTable } from "./tables";

const HEADER_LENGTH = 36;
const MAX_DEPTH = 32;

const ZERO_OP = 0x00;
const ONE_OP = 0x01;
const ALIAS_OP = 0x06;
const NAME_OP = 0x08;
const BYTE_PREFIX = 0x0a;
const WORD_PREFIX = 0x0b;
const DWORD_PREFIX = 0x0c;
const STRING_PREFIX = 0x0d;
const QWORD_PREFIX = 0x0e;
const SCOPE_OP = 0x10;
const BUFFER_OP = 0x11;
const PACKAGE_OP = 0x12;
const VAR_PACKAGE_OP = 0x13;
const METHOD_OP = 0x14;
const EXTERNAL_OP = 0x15;
const DUAL_NAME_PREFIX = 0x2e;
const MULTI_NAME_PREFIX = 0x2f;
const ROOT_CHAR = 0x5c;
const PARENT_PREFIX = 0x5e;
const EXT_OP_PREFIX = 0x5b;
const IF_OP = 0xa0;
const ELSE_OP = 0xa1;
const WHILE_OP = 0xa2;
const ONES_OP = 0xff;
/** After EXT_OP_PREFIX. */
const MUTEX_OP = 0x01;
const EVENT_OP = 0x02;
const REVISION_OP = 0x30;
const OP_REGION_OP = 0x80;
const FIELD_OP = 0x81;
const DEVICE_OP = 0x82;
const PROCESSOR_OP = 0x83;
const POWER_RES_OP = 0x84;
const THERMAL_ZONE_OP = 0x85;
const INDEX_FIELD_OP = 0x86;
const BANK_FIELD_OP = 0x87;
/** Terms that are a package length and content this walker steps over whole. */
const SKIPPED_OPS = new Set([METHOD_OP, IF_OP, ELSE_OP, WHILE_OP, BUFFER_OP, PACKAGE_OP, VAR_PACKAGE_OP]);
const SKIPPED_EXT_OPS = new Set([FIELD_OP, INDEX_FIELD_OP, BANK_FIELD_OP, PROCESSOR_OP, POWER_RES_OP, THERMAL_ZONE_OP]);
const NAME_SEG_LENGTH = 4;
const PKG_LENGTH_BYTES_SHIFT = 6;
const PKG_LENGTH_ONE_BYTE_MASK = 0x3f;
const PKG_LENGTH_LOW_NIBBLE = 0x0f;

/** The constant an object's name is bound to; other data (packages, references) is "other". */
export type AmlValue =
  | { readonly kind: "integer"; readonly value: number }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "buffer"; readonly bytes: Uint8Array }
  | { readonly kind: "other" };

export interface AmlDevice {
  /** Its path, as written: segments joined by dots (`_SB_.VR00`). */
  readonly path: string;
  readonly names: ReadonlyMap<string, AmlValue>;
}

export interface AmlWalk {
  readonly devices: AmlDevice[];
  /** Terms the walker did not know; each ended the walk of its scope. */
  readonly unknownTerms: number;
}

/** Thrown inside the walk for a malformed encoding: ends the enclosing scope, like an unknown term. */
class AmlStop extends Error {}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
    readonly end: number,
  ) {}

  byte(): number {
    if (this.at >= this.end) throw new AmlStop("past the end of its scope");
    return this.bytes[this.at++];
  }

  little(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value += this.byte() * 2 ** (8 * i);
    return value;
  }

  /** A PkgLength; returns the offset where the package ends (checked against this scope). */
  packageEnd(): number {
    const start = this.at;
    const lead = this.byte();
    const follow = lead >> PKG_LENGTH_BYTES_SHIFT;
    let length = follow === 0 ? lead & PKG_LENGTH_ONE_BYTE_MASK : lead & PKG_LENGTH_LOW_NIBBLE;
    for (let i = 0; i < follow; i++) length += this.byte() << (4 + 8 * i);
    const end = start + length;
    if (end < this.at || end > this.end) throw new AmlStop(`package length ${length} leaves its scope`);
    return end;
  }

  nameSeg(): string {
    let seg = "";
    for (let i = 0; i < NAME_SEG_LENGTH; i++) seg += String.fromCharCode(this.byte());
    return seg;
  }

  nameString(): string {
    let prefix = "";
    if (this.bytes[this.at] === ROOT_CHAR) prefix = String.fromCharCode(this.byte());
    while (this.at < this.end && this.bytes[this.at] === PARENT_PREFIX) prefix += String.fromCharCode(this.byte());
    const lead = this.byte();
    let count: number;
    if (lead === ZERO_OP) return prefix;
    if (lead === DUAL_NAME_PREFIX) count = 2;
    else if (lead === MULTI_NAME_PREFIX) count = this.byte();
    else {
      this.at--;
      count = 1;
    }
    const segs: string[] = [];
    for (let i = 0; i < count; i++) segs.push(this.nameSeg());
    return prefix + segs.join(".");
  }

  /** A DataObject (or an integer TermArg); undefined when it is something this walker cannot read. */
  data(): AmlValue | undefined {
    const op = this.byte();
    switch (op) {
      case ZERO_OP:
        return { kind: "integer", value: 0 };
      case ONE_OP:
        return { kind: "integer", value: 1 };
      case ONES_OP:
        // All ones in the table's integer width: no constant anything here needs.
        return { kind: "other" };
      case BYTE_PREFIX:
        return { kind: "integer", value: this.little(1) };
      case WORD_PREFIX:
        return { kind: "integer", value: this.little(2) };
      case DWORD_PREFIX:
        return { kind: "integer", value: this.little(4) };
      case QWORD_PREFIX:
        return { kind: "integer", value: this.little(8) };
      case STRING_PREFIX: {
        let value = "";
        for (let c = this.byte(); c !== 0; c = this.byte()) value += String.fromCharCode(c);
        return { kind: "string", value };
      }
      case BUFFER_OP: {
        const end = this.packageEnd();
        const size = new Reader(this.bytes, this.at, end).dataAt();
        if (size === undefined || size.value.kind !== "integer") throw new AmlStop("buffer size is not a constant");
        const start = size.next;
        this.at = end;
        return { kind: "buffer", bytes: this.bytes.subarray(start, Math.min(end, start + size.value.value)) };
      }
      case PACKAGE_OP:
      case VAR_PACKAGE_OP:
        this.at = this.packageEnd();
        return { kind: "other" };
      case EXT_OP_PREFIX:
        if (this.byte() === REVISION_OP) return { kind: "integer", value: 0 };
        return undefined;
      default:
        return undefined;
    }
  }

  private dataAt(): { value: AmlValue; next: number } | undefined {
    const value = this.data();
    return value === undefined ? undefined : { value, next: this.at };
  }
}

interface WalkState {
  readonly devices: AmlDevice[];
  unknownTerms: number;
}

function join(scope: string, name: string): string {
  if (name.startsWith("\\")) return name.slice(1);
  return scope === "" ? name : `${scope}.${name}`;
}

/** Walks a TermList up to `end`; `names` collects the Name objects when the list is a device's. */
function walkTerms(r: Reader, scope: string, depth: number, state: WalkState, names?: Map<string, AmlValue>): void {
  if (depth > MAX_DEPTH) throw new AcpiError(`AML scopes nest deeper than ${MAX_DEPTH}`);
  try {
    while (r.at < r.end) walkTerm(r, scope, depth, state, names);
  } catch (error) {
    if (!(error instanceof AmlStop)) throw error;
    state.unknownTerms++;
  }
}

function walkTerm(r: Reader, scope: string, depth: number, state: WalkState, names?: Map<string, AmlValue>): void {
  const op = r.byte();
  if (op === SCOPE_OP) {
    const end = r.packageEnd();
    const inner = new Reader(r.bytes, r.at, end);
    const name = inner.nameString();
    walkTerms(inner, join(scope, name), depth + 1, state);
    r.at = end;
  } else if (op === NAME_OP) {
    const name = r.nameString();
    const value = r.data();
    if (value === undefined) throw new AmlStop(`Name ${name} holds an object this walker cannot read`);
    names?.set(name, value);
  } else if (SKIPPED_OPS.has(op)) {
    r.at = r.packageEnd();
  } else if (op === ALIAS_OP) {
    r.nameString();
    r.nameString();
  } else if (op === EXTERNAL_OP) {
    r.nameString();
    r.little(2);
  } else if (op === EXT_OP_PREFIX) {
    walkExtTerm(r, scope, depth, state);
  } else {
    throw new AmlStop(`opcode 0x${op.toString(16)}`);
  }
}

function walkExtTerm(r: Reader, scope: string, depth: number, state: WalkState): void {
  const op = r.byte();
  if (op === DEVICE_OP) {
    const end = r.packageEnd();
    const inner = new Reader(r.bytes, r.at, end);
    const path = join(scope, inner.nameString());
    const names = new Map<string, AmlValue>();
    walkTerms(inner, path, depth + 1, state, names);
    state.devices.push({ path, names });
    r.at = end;
  } else if (SKIPPED_EXT_OPS.has(op)) {
    r.at = r.packageEnd();
  } else if (op === OP_REGION_OP) {
    r.nameString();
    r.byte();
    const offset = r.data();
    const length = r.data();
    if (offset?.kind !== "integer" || length?.kind !== "integer") throw new AmlStop("operation region bounds are not constants");
  } else if (op === MUTEX_OP) {
    r.nameString();
    r.byte();
  } else if (op === EVENT_OP) {
    r.nameString();
  } else {
    throw new AmlStop(`opcode 0x5b 0x${op.toString(16)}`);
  }
}

/** Every Device in a DSDT or SSDT, devices nested in devices included (inner ones first). */
export function walkAmlDevices(table: AcpiTable): AmlWalk {
  const state: WalkState = { devices: [], unknownTerms: 0 };
  walkTerms(new Reader(table.bytes, HEADER_LENGTH, table.bytes.length), "", 0, state);
  return state;
}
