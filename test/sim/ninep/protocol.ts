/**
 * 9P2000.L as the server model knows it, from the protocol's own description (the Plan 9 intro(5)
 * pages and the 9P2000.L additions): message numbers, qid types, Linux errno and open flags.
 */
export const P9 = {
  Rlerror: 7,
  Tstatfs: 8,
  Rstatfs: 9,
  Tlopen: 12,
  Rlopen: 13,
  Tlcreate: 14,
  Rlcreate: 15,
  Tgetattr: 24,
  Rgetattr: 25,
  Tsetattr: 26,
  Rsetattr: 27,
  Treaddir: 40,
  Rreaddir: 41,
  Tfsync: 50,
  Rfsync: 51,
  Tmkdir: 72,
  Rmkdir: 73,
  Trenameat: 74,
  Rrenameat: 75,
  Tunlinkat: 76,
  Runlinkat: 77,
  Tversion: 100,
  Rversion: 101,
  Tattach: 104,
  Rattach: 105,
  Tflush: 108,
  Rflush: 109,
  Twalk: 110,
  Rwalk: 111,
  Tread: 116,
  Rread: 117,
  Twrite: 118,
  Rwrite: 119,
  Tclunk: 120,
  Rclunk: 121,
} as const;

export const P9_NOTAG = 0xffff;
export const P9_NOFID = 0xffffffff;
export const P9_MAXWELEM = 16;
/** size[4] type[1] tag[2]. */
export const P9_HEADER = 7;

export const QT = { DIR: 0x80, SYMLINK: 0x02, FILE: 0x00 } as const;

/** Linux errno values (asm-generic errno-base.h and errno.h, as on x86 and arm64). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  EPROTO: 71,
  EOVERFLOW: 75,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  ESTALE: 116,
  EDQUOT: 122,
} as const;

/** Linux open(2) flags as Tlopen/Tlcreate carry them. */
export const O = { ACCMODE: 3, RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, EXCL: 0o200, TRUNC: 0o1000, APPEND: 0o2000 } as const;
export const AT_REMOVEDIR = 0x200;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
/** Tsetattr valid bits the model applies. */
export const SETATTR = { MODE: 0x1, SIZE: 0x8, MTIME: 0x20, MTIME_SET: 0x100 } as const;
/** Dirent d_type values. */
export const DT = { DIR: 4, REG: 8, LNK: 10 } as const;
