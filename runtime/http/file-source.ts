/**
 * A read-only tree of files that HTTP can serve (runtime/http/static-files.ts): an archive on a
 * disk image, a host folder shared over virtio-9p, anything with paths, sizes and bytes.
 * Paths are absolute ("/", "/css/site.css"); the caller has already normalised them, so they never
 * hold "." or ".." segments, empty segments or a trailing slash (except "/" itself).
 */

export type FileKind = "file" | "directory";

export interface FileEntry {
  /** The last path segment ("" for the root). */
  readonly name: string;
  readonly kind: FileKind;
  /** Bytes for a file; 0 for a directory. */
  readonly size: number;
  /** Last modification, milliseconds since 1970 (0 when the source does not know). */
  readonly modifiedMs: number;
}

export interface FileSource {
  /** What is at `path`, or null when nothing is. */
  stat(path: string): Promise<FileEntry | null>;
  /** Up to `length` bytes of the file at `path` from `offset` (fewer only at the end of the file). */
  read(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** The entries of the directory at `path`, in the source's order. */
  list(path: string): Promise<readonly FileEntry[]>;
}
