import { IPV4_ADDRESS_LENGTH, type Ipv4Address } from "./address";
import { read16, read32, write16 } from "./bytes";
import { NetError } from "./errors";

/** DNS messages (RFC 1035): A queries out, A and CNAME answers in. */

export const DNS_PORT = 53;
export const DNS_HEADER_LENGTH = 12;
export const TYPE_A = 1;
export const TYPE_CNAME = 5;
export const CLASS_IN = 1;
export const RCODE_NO_ERROR = 0;
export const RCODE_NXDOMAIN = 3;

const ID_OFFSET = 0;
const FLAGS_OFFSET = 2;
const QUESTION_COUNT_OFFSET = 4;
const ANSWER_COUNT_OFFSET = 6;
const FLAG_RESPONSE = 0x8000;
const FLAG_RECURSION_DESIRED = 0x0100;
const RCODE_MASK = 0x000f;
/** Type and class after a question name; type, class, TTL and data length after a record name. */
const QUESTION_TRAILER_LENGTH = 4;
const RECORD_TRAILER_LENGTH = 10;
const MAX_NAME_LENGTH = 255;
const MAX_LABEL_LENGTH = 63;
const LABEL_KIND_MASK = 0xc0;
const LABEL_POINTER = 0xc0;
const POINTER_OFFSET_MASK = 0x3fff;
/** RFC 2181 8: TTLs with the top bit set mean zero. */
const MAX_TTL = 0x7fffffff;

export type DnsAnswer =
  | { readonly type: typeof TYPE_A; readonly name: string; readonly ttl: number; readonly address: Ipv4Address }
  | { readonly type: typeof TYPE_CNAME; readonly name: string; readonly ttl: number; readonly target: string };

export interface DnsResponse {
  readonly id: number;
  readonly rcode: number;
  /** The first question's name, lower case; null when the response repeats none. */
  readonly question: string | null;
  /** A and CNAME answers; other types are skipped. */
  readonly answers: DnsAnswer[];
}

class Malformed extends Error {}

/** Lower case without a trailing dot: the form names are compared and cached in. */
export function normalizeName(name: string): string {
  return (name.endsWith(".") ? name.slice(0, -1) : name).toLowerCase();
}

/** A recursive A query for `name`; throws "badName" for names DNS cannot carry. */
export function encodeDnsQuery(id: number, name: string): Uint8Array {
  const labels = normalizeName(name).split(".");
  const encodedLength = labels.reduce((sum, label) => sum + 1 + label.length, 1);
  if (encodedLength > MAX_NAME_LENGTH || labels.some((label) => label.length === 0 || label.length > MAX_LABEL_LENGTH || /[^\x21-\x7e]/.test(label))) {
    throw new NetError("badName", `not a valid DNS name: "${name}"`);
  }
  const query = new Uint8Array(DNS_HEADER_LENGTH + encodedLength + QUESTION_TRAILER_LENGTH);
  write16(query, ID_OFFSET, id);
  write16(query, FLAGS_OFFSET, FLAG_RECURSION_DESIRED);
  write16(query, QUESTION_COUNT_OFFSET, 1);
  let offset = DNS_HEADER_LENGTH;
  for (const label of labels) {
    query[offset++] = label.length;
    for (let i = 0; i < label.length; i++) query[offset++] = label.charCodeAt(i);
  }
  offset++;
  write16(query, offset, TYPE_A);
  write16(query, offset + 2, CLASS_IN);
  return query;
}

/** The message id, or null if there is no complete header. */
export function readDnsId(bytes: Uint8Array): number | null {
  return bytes.length < DNS_HEADER_LENGTH ? null : read16(bytes, ID_OFFSET);
}

/** A response, or null if any length, count, label or pointer is out of bounds. */
export function parseDnsResponse(bytes: Uint8Array): DnsResponse | null {
  try {
    return parse(bytes);
  } catch (error) {
    if (error instanceof Malformed) return null;
    throw error;
  }
}

function parse(bytes: Uint8Array): DnsResponse {
  if (bytes.length < DNS_HEADER_LENGTH) throw new Malformed();
  const flags = read16(bytes, FLAGS_OFFSET);
  if ((flags & FLAG_RESPONSE) === 0) throw new Malformed();
  const questionCount = read16(bytes, QUESTION_COUNT_OFFSET);
  const answerCount = read16(bytes, ANSWER_COUNT_OFFSET);
  let offset = DNS_HEADER_LENGTH;
  let question: string | null = null;
  for (let i = 0; i < questionCount; i++) {
    const name = readName(bytes, offset);
    if (question === null) question = name.name;
    offset = need(bytes, name.next, QUESTION_TRAILER_LENGTH);
  }
  const answers: DnsAnswer[] = [];
  for (let i = 0; i < answerCount; i++) {
    const { name, next } = readName(bytes, offset);
    const dataOffset = need(bytes, next, RECORD_TRAILER_LENGTH);
    const type = read16(bytes, next);
    const recordClass = read16(bytes, next + 2);
    const rawTtl = read32(bytes, next + 4);
    const ttl = rawTtl > MAX_TTL ? 0 : rawTtl;
    const dataLength = read16(bytes, next + 8);
    offset = need(bytes, dataOffset, dataLength);
    if (recordClass !== CLASS_IN) continue;
    if (type === TYPE_A) {
      if (dataLength !== IPV4_ADDRESS_LENGTH) throw new Malformed();
      answers.push({ type, name, ttl, address: read32(bytes, dataOffset) });
    } else if (type === TYPE_CNAME) {
      const target = readName(bytes, dataOffset);
      if (target.next > offset) throw new Malformed();
      answers.push({ type, name, ttl, target: target.name });
    }
  }
  return { id: read16(bytes, ID_OFFSET), rcode: flags & RCODE_MASK, question, answers };
}

/** Checks that `length` bytes follow `offset`; returns the offset after them. */
function need(bytes: Uint8Array, offset: number, length: number): number {
  if (offset + length > bytes.length) throw new Malformed();
  return offset + length;
}

/**
 * Reads a possibly compressed name. Each pointer must lead strictly before the segment it was
 * found in, so pointer chains cannot loop.
 */
function readName(bytes: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let offset = start;
  let segmentStart = start;
  let next = -1;
  let encodedLength = 1;
  for (;;) {
    need(bytes, offset, 1);
    const length = bytes[offset];
    const kind = length & LABEL_KIND_MASK;
    if (kind === LABEL_POINTER) {
      need(bytes, offset, 2);
      const target = read16(bytes, offset) & POINTER_OFFSET_MASK;
      if (target >= segmentStart) throw new Malformed();
      if (next < 0) next = offset + 2;
      offset = segmentStart = target;
      continue;
    }
    if (kind !== 0) throw new Malformed();
    if (length === 0) break;
    encodedLength += 1 + length;
    if (encodedLength > MAX_NAME_LENGTH) throw new Malformed();
    need(bytes, offset + 1, length);
    labels.push(String.fromCharCode(...bytes.subarray(offset + 1, offset + 1 + length)).toLowerCase());
    offset += 1 + length;
  }
  return { name: labels.join("."), next: next < 0 ? offset + 1 : next };
}
