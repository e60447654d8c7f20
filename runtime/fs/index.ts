/** Host folders shared over virtio-9p, with a subset of `node:fs/promises` (see share.ts). */
export { adoptShares, listShares, openShare } from "./directory";
export { FsError, FsPathError } from "./errors";
export { FileHandle } from "./file-handle";
export { shareFileSource } from "./file-source";
export { Share, type OpenFlags, type ShareOptions } from "./share";
export { DirectoryEntry, FileStats } from "./stats";
