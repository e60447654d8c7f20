import { FsPathError } from "./errors";

/** Longest name of one path segment, in UTF-8 bytes (Linux's NAME_MAX). */
export const MAX_NAME_BYTES = 255;
/** Segments in one path at most. */
export const MAX_PATH_SEGMENTS = 256;

const ENCODER = new TextEncoder();

/**
 * The names from the share's root to what `path` names ("/a/b", "a/b" and "./x/../a/b" all give
 * ["a", "b"]; "/" and "" give []). "." and empty segments are dropped and ".." takes one name
 * back, lexically: a path whose ".." would climb above the root is refused with FsPathError
 * (EACCES), whatever lies on the host above it. A NUL, or a name longer than 255 bytes, is refused
 * too (EINVAL, ENAMETOOLONG).
 */
export function pathNames(path: string, syscall: string): string[] {
  if (typeof path !== "string") throw new FsPathError("EINVAL", syscall, String(path), "the path is not a string");
  if (path.includes("\0")) throw new FsPathError("EINVAL", syscall, path, "the path holds a NUL");
  const names: string[] = [];
  const segments = path.split("/");
  if (segments.length > MAX_PATH_SEGMENTS) throw new FsPathError("ENAMETOOLONG", syscall, path, `more than ${MAX_PATH_SEGMENTS} segments`);
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (names.length === 0) throw new FsPathError("EACCES", syscall, path, "the path climbs above the share's root");
      names.pop();
      continue;
    }
    if (ENCODER.encode(segment).length > MAX_NAME_BYTES) throw new FsPathError("ENAMETOOLONG", syscall, path, `a name is longer than ${MAX_NAME_BYTES} bytes`);
    names.push(segment);
  }
  return names;
}

/** The parent's names and the last name of a path that must name something below the root. */
export function parentAndName(path: string, syscall: string): { parent: string[]; name: string } {
  const names = pathNames(path, syscall);
  const name = names.pop();
  if (name === undefined) throw new FsPathError("EPERM", syscall, path, "the share's root itself");
  return { parent: names, name };
}
