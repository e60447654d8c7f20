import { NineCancelledError, NinePError, NineProtocolError, NineTimeoutError, NineUsageError } from "../../drivers/virtio/9p/errors";
import { VirtioError } from "../../drivers/virtio/errors";

/**
 * A file operation that failed, shaped like Node's system errors: `code` is the errno name (ENOENT,
 * EACCES, EEXIST, ENOTDIR, ENOTEMPTY...), `syscall` the operation and `path` the path it was given.
 * A share that does not answer in time is ETIMEDOUT, one that broke the protocol EPROTO, one that is
 * gone ENODEV; an operation its caller aborted is ABORT_ERR.
 */
export class FsError extends Error {
  override name = "FsError";

  constructor(
    readonly code: string,
    readonly syscall: string,
    readonly path: string,
    detail: string,
    /** The device failure behind it, if any. */
    readonly deviceError?: unknown,
  ) {
    super(`${code}: ${detail}, ${syscall} '${path}'`);
  }
}

/** A path that is not one inside the share: it climbs above the root with "..", or holds a name no file can have. */
export class FsPathError extends FsError {
  override name = "FsPathError";
}

/** The errno name a failure from the 9P client stands for. */
function codeOf(error: VirtioError): string {
  if (error instanceof NinePError) return error.code;
  if (error instanceof NineTimeoutError) return "ETIMEDOUT";
  if (error instanceof NineCancelledError) return "ABORT_ERR";
  if (error instanceof NineProtocolError) return "EPROTO";
  if (error instanceof NineUsageError && error.code === "busy") return "EBUSY";
  if (error instanceof NineUsageError && (error.code === "message-size" || error.code === "io-size")) return "ENAMETOOLONG";
  if (error instanceof NineUsageError && error.code === "fids") return "EMFILE";
  return "ENODEV";
}

/** What the commonest codes mean, worded as Node words them. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EEXIST: "file already exists",
  ENOTDIR: "not a directory",
  EISDIR: "illegal operation on a directory",
  ENOTEMPTY: "directory not empty",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  ENAMETOOLONG: "name too long",
};

/** `error` as an FsError of `syscall` on `path` (FsErrors pass through; what is not a device failure is rethrown as is). */
export function asFsError(error: unknown, syscall: string, path: string): unknown {
  if (error instanceof FsError || !(error instanceof VirtioError)) return error;
  const code = codeOf(error);
  const detail = error instanceof NinePError ? (DESCRIPTIONS[code] ?? error.detail) : error.detail;
  return new FsError(code, syscall, path, detail, error);
}

/** The errno name of an FsError or a 9P failure; undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  if (error instanceof FsError) return error.code;
  return error instanceof VirtioError ? codeOf(error) : undefined;
}
