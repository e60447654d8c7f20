/**
 * virtio-9p (device type 9, virtio 1.2 section 5.13: the transport) and the 9P2000.L messages it
 * carries (the 9P2000 protocol with Linux's `.L` extensions, as QEMU and Linux speak it).
 */
import { register, registerArray } from "../register";

export const NinePFeature = {
  /** The configuration holds the mount tag. */
  MountTag: 0,
} as const;

/** Longest mount tag read from the configuration (QEMU's limit is 31; the field is a le16 count). */
export const MAX_TAG_BYTES = 255;

/** `struct virtio_9p_config`: le16 tag_len, then tag_len bytes of the tag (no NUL). */
export const NINEP_CONFIG = {
  tag_len: register("tag_len", 0, 2, "ro"),
  tag: registerArray("tag", 2, 1, MAX_TAG_BYTES, "ro"),
} as const;

/** The one virtqueue: requests, each a device-readable T-message then a device-writable buffer for the R-message. */
export const NINEP_REQUEST_QUEUE = 0;

/** The protocol version this client speaks. */
export const NINEP_VERSION = "9P2000.L";

/** Message types: every T-message's reply is type + 1, or Rlerror. */
export const MessageType = {
  Rlerror: 7,
  Tstatfs: 8,
  Tlopen: 12,
  Tlcreate: 14,
  Tgetattr: 24,
  Tsetattr: 26,
  Treaddir: 40,
  Tfsync: 50,
  Tmkdir: 72,
  Trenameat: 74,
  Tunlinkat: 76,
  Tversion: 100,
  Tattach: 104,
  Tflush: 108,
  Twalk: 110,
  Tread: 116,
  Twrite: 118,
  Tclunk: 120,
} as const;
export type RequestType = Exclude<(typeof MessageType)[keyof typeof MessageType], typeof MessageType.Rlerror>;

const MESSAGE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(MessageType).map(([name, type]) => [type, name]));

/** "Twalk" for 110, for errors. */
export function messageName(type: number): string {
  return MESSAGE_NAMES[type] ?? `type ${type}`;
}

/** Every message starts with size[4] type[1] tag[2]; size counts the whole message. */
export const Header = { Size: 0, Type: 4, Tag: 5, Bytes: 7 } as const;

/** The tag of Tversion, and the fid meaning "none" (Tattach's afid). */
export const NOTAG = 0xffff;
export const NOFID = 0xffff_ffff;

/** A qid is type[1] version[4] path[8]. */
export const QID_BYTES = 13;
/** Bits of a qid's type. */
export const QidType = {
  Dir: 0x80,
  Append: 0x40,
  Exclusive: 0x20,
  Mount: 0x10,
  Auth: 0x08,
  Temporary: 0x04,
  Symlink: 0x02,
  Link: 0x01,
  File: 0x00,
} as const;
/** Every bit a qid type may carry. */
export const QID_TYPE_BITS = 0xff;

/** Names in one Twalk at most (the protocol's MAXWELEM). */
export const MAX_WALK_NAMES = 16;

/** Tlopen / Tlcreate flags (Linux's open flags, which 9P2000.L carries as they are). */
export const OpenFlag = {
  ReadOnly: 0,
  WriteOnly: 1,
  ReadWrite: 2,
  Create: 0o100,
  Exclusive: 0o200,
  Truncate: 0o1000,
  Append: 0o2000,
  Directory: 0o200000,
} as const;

/** Tgetattr request_mask / Rgetattr valid bits. */
export const GetattrMask = {
  Mode: 0x1,
  Nlink: 0x2,
  Uid: 0x4,
  Gid: 0x8,
  Rdev: 0x10,
  Atime: 0x20,
  Mtime: 0x40,
  Ctime: 0x80,
  Ino: 0x100,
  Size: 0x200,
  Blocks: 0x400,
  /** Everything above: P9_GETATTR_BASIC. */
  Basic: 0x7ff,
} as const;

/** Tsetattr valid bits. */
export const SetattrValid = {
  Mode: 0x1,
  Uid: 0x2,
  Gid: 0x4,
  Size: 0x8,
  Atime: 0x10,
  Mtime: 0x20,
  Ctime: 0x40,
  AtimeSet: 0x80,
  MtimeSet: 0x100,
} as const;

/** Tunlinkat flags: remove a directory (Linux's AT_REMOVEDIR). */
export const UNLINK_REMOVE_DIR = 0x200;

/** File type bits of a mode (S_IFMT) and the two this client tells apart. */
export const Mode = { TypeMask: 0o170000, Directory: 0o040000, Regular: 0o100000, Symlink: 0o120000 } as const;

/** Size of the fixed part of Rread/Rwrite and Tread/Twrite, for the data an msize leaves room for (P9_IOHDRSZ). */
export const IO_HEADER_BYTES = 24;
