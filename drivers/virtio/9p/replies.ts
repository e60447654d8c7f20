/** Decoding the parts of R-messages that are more than one field: qids, attributes, directory entries, statfs. */
import { QID_TYPE_BITS, QidType } from "./constants";
import type { MessageReader } from "./message-reader";

/** Longest file name accepted from the server (Linux's NAME_MAX). */
export const MAX_NAME_BYTES = 255;

/** The server's identity of a file: type bits, version, and a path unique within the share. */
export interface Qid {
  readonly type: number;
  readonly version: number;
  readonly path: bigint;
}

export function isDirectoryQid(qid: Qid): boolean {
  return (qid.type & QidType.Dir) !== 0;
}

/** A qid whose type mixes directory and symlink, or carries an auth bit (never a file in a share), is refused. */
export function readQid(reader: MessageReader): Qid {
  const type = reader.u8() & QID_TYPE_BITS;
  const version = reader.u32();
  const path = reader.u64Big("qid.path");
  if ((type & QidType.Auth) !== 0) throw reader.error(`qid type 0x${type.toString(16)} is an auth file`);
  if ((type & QidType.Dir) !== 0 && (type & QidType.Symlink) !== 0) throw reader.error(`qid type 0x${type.toString(16)} is both directory and symlink`);
  return { type, version, path };
}

/** Rgetattr's fields this client uses. */
export interface NinePAttr {
  /** Which fields the server filled (GetattrMask bits). */
  readonly valid: number;
  readonly qid: Qid;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  readonly size: number;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

const NS_PER_MS = 1_000_000;
const MS_PER_S = 1000;

function readTimeMs(reader: MessageReader, what: string): number {
  const seconds = reader.u64(`${what}_sec`);
  const nanoseconds = reader.u64(`${what}_nsec`);
  if (nanoseconds >= 1_000_000_000) throw reader.error(`${what}_nsec ${nanoseconds} is not below one second`);
  return seconds * MS_PER_S + Math.floor(nanoseconds / NS_PER_MS);
}

/** Rgetattr: valid[8] qid[13] mode[4] uid[4] gid[4] nlink[8] rdev[8] size[8] blksize[8] blocks[8] atime mtime ctime btime[16 each] gen[8] data_version[8]. */
export function readAttr(reader: MessageReader): NinePAttr {
  const valid = reader.u64("valid");
  const qid = readQid(reader);
  const mode = reader.u32();
  const uid = reader.u32();
  const gid = reader.u32();
  const nlink = reader.u64("nlink");
  reader.u64Big("rdev");
  const size = reader.u64("size");
  reader.u64Big("blksize");
  const blocks = reader.u64("blocks");
  const atimeMs = readTimeMs(reader, "atime");
  const mtimeMs = readTimeMs(reader, "mtime");
  const ctimeMs = readTimeMs(reader, "ctime");
  readTimeMs(reader, "btime");
  reader.u64Big("gen");
  reader.u64Big("data_version");
  return { valid, qid, mode, uid, gid, nlink, size, blocks, atimeMs, mtimeMs, ctimeMs };
}

/** One Rreaddir entry: qid[13] offset[8] type[1] name[s]. */
export interface NinePDirEntry {
  readonly qid: Qid;
  /** Where the next Treaddir continues after this entry: the server's cookie, all 64 bits of it. */
  readonly offset: bigint;
  readonly type: number;
  readonly name: string;
}

/** A name the server may hand out: not empty, no "/" or NUL. "." and ".." are returned (callers skip them). */
export function checkName(reader: MessageReader, name: string): string {
  if (name.length === 0 || name.includes("/") || name.includes("\0")) throw reader.error(`directory entry name ${JSON.stringify(name)} is not a file name`);
  return name;
}

export function readDirEntry(reader: MessageReader): NinePDirEntry {
  const qid = readQid(reader);
  const offset = reader.u64Big("offset");
  const type = reader.u8();
  const name = checkName(reader, reader.string("name", MAX_NAME_BYTES));
  return { qid, offset, type, name };
}

/** Rstatfs: type[4] bsize[4] blocks[8] bfree[8] bavail[8] files[8] ffree[8] fsid[8] namelen[4]. */
export interface NinePStatfs {
  readonly type: number;
  readonly blockSize: number;
  readonly blocks: number;
  readonly blocksFree: number;
  readonly blocksAvailable: number;
  readonly files: number;
  readonly filesFree: number;
  readonly fsid: bigint;
  readonly nameLength: number;
}

export function readStatfs(reader: MessageReader): NinePStatfs {
  return {
    type: reader.u32(),
    blockSize: reader.u32(),
    blocks: reader.u64("blocks"),
    blocksFree: reader.u64("bfree"),
    blocksAvailable: reader.u64("bavail"),
    files: reader.u64("files"),
    filesFree: reader.u64("ffree"),
    fsid: reader.u64Big("fsid"),
    nameLength: reader.u32(),
  };
}
