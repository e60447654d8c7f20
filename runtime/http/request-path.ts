/**
 * A URL path as a FileSource path: percent-decoded segment by segment, empty segments dropped,
 * and refused (null) when a segment is "." or "..", hides a separator or a control character
 * once decoded ("%2e%2e", "%2f", "%5c", "%00"), or is not valid percent-encoding. Nothing a
 * client sends can name a path above the root.
 */
export interface RequestPath {
  /** "/" or "/a/b", as file-source.ts expects. */
  readonly path: string;
  /** Whether the URL path ended in "/" (a directory was asked for). */
  readonly trailingSlash: boolean;
}

/** Longest URL path taken, in characters (encoded). */
export const MAX_REQUEST_PATH = 4096;
const REFUSED_SEGMENTS = new Set([".", ".."]);
// Separators of any file system a source may sit on, and control characters (C0 and DEL).
const REFUSED_CHARACTERS = /[/\\\u0000-\u001f\u007f]/;

export function requestPath(pathname: string): RequestPath | null {
  if (!pathname.startsWith("/") || pathname.length > MAX_REQUEST_PATH) return null;
  const segments: string[] = [];
  for (const raw of pathname.split("/")) {
    if (raw === "") continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (REFUSED_SEGMENTS.has(segment) || REFUSED_CHARACTERS.test(segment)) return null;
    segments.push(segment);
  }
  return { path: `/${segments.join("/")}`, trailingSlash: pathname.endsWith("/") };
}
