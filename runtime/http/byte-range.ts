/**
 * A Range request field (RFC 9110 14.2) for one range of bytes. What is not a single valid
 * "bytes=" range is ignored (the whole representation is sent, as RFC 9110 allows); a valid
 * range that starts past the end is unsatisfiable (416).
 */
export type RangeRequest =
  | { readonly kind: "whole" }
  | { readonly kind: "unsatisfiable" }
  /** Bytes [start, end) of the representation. */
  | { readonly kind: "part"; readonly start: number; readonly end: number };

const WHOLE: RangeRequest = { kind: "whole" };
const UNSATISFIABLE: RangeRequest = { kind: "unsatisfiable" };
const BYTES_RANGE = /^bytes=[ \t]*(\d*)-(\d*)[ \t]*$/;

export function byteRange(field: string | null, size: number): RangeRequest {
  if (field === null) return WHOLE;
  const match = BYTES_RANGE.exec(field);
  if (match === null) return WHOLE;
  const [, first, last] = match;
  if (first === "") {
    if (last === "") return WHOLE;
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return UNSATISFIABLE;
    return { kind: "part", start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return WHOLE;
  if (start >= size) return UNSATISFIABLE;
  return { kind: "part", start, end: last === "" ? size : Math.min(Number(last) + 1, size) };
}

/** The Content-Range value for a part, or for an unsatisfiable range ("bytes STAR/size"). */
export function contentRange(range: RangeRequest, size: number): string {
  return range.kind === "part" ? `bytes ${range.start}-${range.end - 1}/${size}` : `bytes */${size}`;
}
