/**
 * An HTTP handler serving the files of a FileSource (a tar archive on a disk, a host folder):
 * GET and HEAD, content types by extension, one byte range per request (206, or 416 past the
 * end), ETag and Last-Modified with If-None-Match, If-Modified-Since and If-Range, index.html
 * for a directory, else a listing of it. Paths are normalised by request-path.ts, which refuses
 * any that could climb above the root.
 */
import { byteRange, contentRange, type RangeRequest } from "./byte-range";
import { contentTypeFor } from "./content-types";
import { directoryListing } from "./directory-listing";
import type { FileEntry, FileSource } from "./file-source";
import { formatHttpDate, parseHttpDate, wholeSecondMs } from "./http-date";
import type { Request } from "./request";
import { requestPath } from "./request-path";
import { Response } from "./response";
import { STATUS_BAD_REQUEST, STATUS_NOT_MODIFIED } from "./status";
import { URL } from "./url";

export interface StaticFilesOptions {
  /** The file a directory is answered with when it holds one (default "index.html"; null: never). */
  readonly indexFile?: string | null;
  /** List a directory without an index file (default true; otherwise 404). */
  readonly listDirectories?: boolean;
  /** Bytes read from the source at a time while sending a file (default 64 KiB). */
  readonly readChunkBytes?: number;
  /** Entries a listing shows at most (default 10,000; the rest are counted). */
  readonly maxListingEntries?: number;
  /**
   * The URL path the source's root is served at (default "/"): with "/files", `/files/a.txt` is
   * the source's `/a.txt`, `/files` is sent to `/files/`, and paths outside it are not found.
   */
  readonly mountPath?: string;
}

/** The source gave fewer bytes than the file's size promised (it changed while being sent). */
export class StaticFileError extends Error {
  override name = "StaticFileError";
}

const DEFAULT_INDEX_FILE = "index.html";
const DEFAULT_READ_CHUNK_BYTES = 64 * 1024;
const DEFAULT_MAX_LISTING_ENTRIES = 10_000;
const STATUS_PARTIAL_CONTENT = 206;
const STATUS_MOVED_PERMANENTLY = 301;
const STATUS_NOT_FOUND = 404;
const STATUS_METHOD_NOT_ALLOWED = 405;
const STATUS_RANGE_NOT_SATISFIABLE = 416;
const ALLOWED_METHODS = "GET, HEAD";
const HEX_RADIX = 16;
const HTML = "text/html; charset=utf-8";

function text(status: number, message: string): Response {
  return new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** The bytes [start, end) of a file, read a chunk at a time as the connection takes them. */
async function* fileBytes(source: FileSource, path: string, start: number, end: number, chunkBytes: number): AsyncGenerator<Uint8Array> {
  for (let offset = start; offset < end; ) {
    const wanted = Math.min(chunkBytes, end - offset);
    const bytes = await source.read(path, offset, wanted);
    if (bytes.length !== wanted) throw new StaticFileError(`${path}: ${bytes.length} bytes at ${offset}, expected ${wanted}`);
    offset += wanted;
    yield bytes;
  }
}

/** A validator from size and modification time; none when the source does not know the time. */
function entityTag(entry: FileEntry): string | null {
  return entry.modifiedMs > 0 ? `"${entry.size.toString(HEX_RADIX)}-${entry.modifiedMs.toString(HEX_RADIX)}"` : null;
}

/** Weak comparison (RFC 9110 8.8.3.2) of an If-None-Match list with the file's tag. */
function noneMatch(field: string, tag: string): boolean {
  return field.split(",").some((candidate) => {
    const trimmed = candidate.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === tag;
  });
}

/** Whether the client's copy is current: If-None-Match decides when present, else If-Modified-Since. */
function notModified(request: Request, entry: FileEntry, tag: string | null): boolean {
  const ifNoneMatch = request.headers.get("if-none-match");
  if (ifNoneMatch !== null) return tag !== null && noneMatch(ifNoneMatch, tag);
  const ifModifiedSince = request.headers.get("if-modified-since");
  if (ifModifiedSince === null || entry.modifiedMs <= 0) return false;
  const since = parseHttpDate(ifModifiedSince);
  return since !== null && wholeSecondMs(entry.modifiedMs) <= since;
}

/** The range asked for, unless If-Range names another version (then the whole file). */
function rangeFor(request: Request, entry: FileEntry, tag: string | null): RangeRequest {
  const range = byteRange(request.headers.get("range"), entry.size);
  const ifRange = request.headers.get("if-range");
  if (ifRange === null || range.kind === "whole") return range;
  const current = ifRange.startsWith('"') ? tag !== null && ifRange === tag : entry.modifiedMs > 0 && parseHttpDate(ifRange) === wholeSecondMs(entry.modifiedMs);
  return current ? range : { kind: "whole" };
}

export function staticFiles(source: FileSource, options: StaticFilesOptions = {}): (request: Request) => Promise<Response> {
  const indexFile = options.indexFile === undefined ? DEFAULT_INDEX_FILE : options.indexFile;
  const listDirectories = options.listDirectories ?? true;
  const chunkBytes = options.readChunkBytes ?? DEFAULT_READ_CHUNK_BYTES;
  const maxListingEntries = options.maxListingEntries ?? DEFAULT_MAX_LISTING_ENTRIES;
  if (!(Number.isInteger(chunkBytes) && chunkBytes > 0)) throw new RangeError(`readChunkBytes ${chunkBytes} is not a positive integer`);
  const mount = (options.mountPath ?? "/").replace(/\/+$/, "");
  if (mount !== "" && requestPath(mount)?.path !== mount) throw new RangeError(`mountPath ${JSON.stringify(options.mountPath)} is not a plain absolute path`);

  async function serveFile(request: Request, path: string, entry: FileEntry): Promise<Response> {
    const tag = entityTag(entry);
    const headers: Record<string, string> = { "content-type": contentTypeFor(entry.name), "accept-ranges": "bytes" };
    if (tag !== null) {
      headers.etag = tag;
      headers["last-modified"] = formatHttpDate(entry.modifiedMs);
    }
    if (notModified(request, entry, tag)) return new Response(null, { status: STATUS_NOT_MODIFIED, headers });
    // Ranges are defined for GET only (RFC 9110 14.2); HEAD describes the whole file.
    const range = request.method === "GET" ? rangeFor(request, entry, tag) : ({ kind: "whole" } as const);
    if (range.kind === "unsatisfiable") {
      return new Response(`range not satisfiable (the file has ${entry.size} bytes)\n`, {
        status: STATUS_RANGE_NOT_SATISFIABLE,
        headers: { "content-type": "text/plain; charset=utf-8", "content-range": contentRange(range, entry.size) },
      });
    }
    const [start, end] = range.kind === "part" ? [range.start, range.end] : [0, entry.size];
    headers["content-length"] = String(end - start);
    if (range.kind === "part") headers["content-range"] = contentRange(range, entry.size);
    const status = range.kind === "part" ? STATUS_PARTIAL_CONTENT : undefined;
    // A HEAD answer is never read from the source: the server sends its head only.
    const body = end > start ? fileBytes(source, path, start, end, chunkBytes) : new Uint8Array(0);
    return new Response(body, { status, headers });
  }

  async function serveDirectory(request: Request, path: string): Promise<Response> {
    if (indexFile !== null) {
      const indexPath = path === "/" ? `/${indexFile}` : `${path}/${indexFile}`;
      const index = await source.stat(indexPath);
      if (index?.kind === "file") return serveFile(request, indexPath, index);
    }
    if (!listDirectories) return text(STATUS_NOT_FOUND, "not found");
    const page = directoryListing(path, await source.list(path), maxListingEntries, `${mount}${path}`);
    return new Response(page, { headers: { "content-type": HTML } });
  }

  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: STATUS_METHOD_NOT_ALLOWED, headers: { allow: ALLOWED_METHODS } });
    }
    const url = new URL(request.url);
    if (mount !== "" && url.pathname === mount) return new Response(null, { status: STATUS_MOVED_PERMANENTLY, headers: { location: `${mount}/${url.search}` } });
    if (!url.pathname.startsWith(`${mount}/`)) return text(STATUS_NOT_FOUND, "not found");
    const asked = requestPath(url.pathname.slice(mount.length));
    if (asked === null) return text(STATUS_BAD_REQUEST, "bad path");
    const entry = await source.stat(asked.path);
    if (entry === null) return text(STATUS_NOT_FOUND, "not found");
    if (entry.kind === "file") return asked.trailingSlash ? text(STATUS_NOT_FOUND, "not found") : serveFile(request, asked.path, entry);
    // Relative links in a directory's page resolve against a path ending in "/".
    if (!asked.trailingSlash && asked.path !== "/") {
      return new Response(null, { status: STATUS_MOVED_PERMANENTLY, headers: { location: `${url.pathname}/${url.search}` } });
    }
    return serveDirectory(request, asked.path);
  };
}
