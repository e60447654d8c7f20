/**
 * A 9P2000.L server over an in-memory tree, written from the protocol's description. It answers
 * one T-message at a time, checks what the protocol asks of a client (tags unique among requests
 * outstanding, Tversion first, fids not reused before Rclunk, at most 16 names per walk, messages
 * within msize) and records breaches. One-shot faults make a reply malformed or withhold it.
 */
import { AT_REMOVEDIR, ERRNO, O, P9, P9_HEADER, P9_MAXWELEM, P9_NOFID, P9_NOTAG, SETATTR } from "./protocol";
import { FsNode, FsTree } from "./tree";
import { Builder, Cursor, WireError } from "./wire";

/** Ways to answer one request wrongly. */
export type ReplyFault =
  | "wrong-tag"
  /** size[4] smaller than the message (the driver must not read past it). */
  | "short-size"
  /** size[4] larger than what the device wrote. */
  | "long-size"
  | "wrong-type"
  /** Four bytes after the last field. */
  | "trailing"
  /** The first string (or directory entry name) claims 0xffff bytes. */
  | "oversized-string"
  /** Rread/Rwrite count larger than asked. */
  | "oversized-count"
  /** A qid with the auth bit set. */
  | "bad-qid"
  /** Rlerror with `errno`. */
  | "lerror"
  /** No reply at all: the device keeps the buffers. */
  | "silent";

export interface ServerFault {
  /** The T-message type it applies to (any when absent). */
  readonly on?: number;
  readonly kind: ReplyFault;
  readonly errno?: number;
}

export interface FidState {
  node: FsNode;
  /** open flags once Tlopen/Tlcreate succeeded */
  open: number | undefined;
}

export class ServerProtocolError extends Error {}

/** What the server does with a request: the reply bytes, or nothing (held). */
export type ServerAnswer = Uint8Array | "silent";

export class NinePServer {
  readonly tree = new FsTree();
  readonly fids = new Map<number, FidState>();
  /** Tags of requests taken and not answered yet. */
  readonly outstanding = new Set<number>();
  /** Withheld Tflushes: their tag and the tag they flush, which may not be reused before Rflush. */
  readonly flushesHeld = new Map<number, number>();
  readonly faults: ServerFault[] = [];
  /** Messages handled, by type. */
  readonly counts = new Map<number, number>();
  msize = 0;
  /** Largest msize the server accepts. */
  maxMsize = 512 * 1024;
  /** Flushes that named an outstanding tag. */
  flushes = 0;
  /** Most bytes one Rread carries (a server with a small iounit answers reads in part). */
  maxReadBytes = Number.POSITIVE_INFINITY;
  /** Walk on through a symlink to where it points (a server exposing what lies outside the share); off: a symlink ends a walk. */
  followSymlinks = false;
  /** The reply the server gives to Tversion ("9P2000.L" unless a test changes it). */
  version = "9P2000.L";

  constructor(private readonly breach: (message: string) => void) {}

  /** Handles one T-message. */
  handle(message: Uint8Array): ServerAnswer {
    if (message.length < P9_HEADER) {
      this.breach(`T-message of ${message.length} bytes is shorter than a header`);
      return this.lerror(0, P9_NOTAG, ERRNO.EPROTO);
    }
    const head = new Cursor(message);
    const size = head.u32();
    const type = head.u8();
    const tag = head.u16();
    if (size !== message.length) this.breach(`T-message size[4] ${size} but ${message.length} readable bytes`);
    if (this.msize > 0 && size > this.msize) this.breach(`T-message of ${size} bytes exceeds msize ${this.msize}`);
    if (type !== P9.Tversion && this.msize === 0) this.breach(`type ${type} before Tversion`);
    if (type !== P9.Tversion && tag === P9_NOTAG) this.breach(`type ${type} with NOTAG`);
    if (this.outstanding.has(tag)) this.breach(`tag ${tag} reused while a request with it is outstanding`);
    if ([...this.flushesHeld.values()].includes(tag)) this.breach(`tag ${tag} reused before the Rflush of its Tflush`);
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    const fault = this.takeFault(type);
    if (fault?.kind === "silent") {
      this.outstanding.add(tag);
      if (type === P9.Tflush && size >= P9_HEADER + 2) this.flushesHeld.set(tag, new DataView(message.buffer, message.byteOffset).getUint16(P9_HEADER, true));
      return "silent";
    }
    let reply: Uint8Array;
    try {
      reply = fault?.kind === "lerror" ? this.lerror(type, tag, fault.errno ?? ERRNO.EIO) : this.dispatch(type, tag, new Cursor(message.subarray(P9_HEADER, size)));
    } catch (error) {
      if (!(error instanceof WireError || error instanceof ServerProtocolError)) throw error;
      this.breach(`type ${type}: ${error.message}`);
      reply = this.lerror(type, tag, ERRNO.EPROTO);
    }
    return fault === undefined ? reply : damage(reply, fault.kind);
  }

  /** A held request's tag is answered (or abandoned) from outside: it is no longer outstanding. */
  release(tag: number): void {
    this.outstanding.delete(tag);
    this.flushesHeld.delete(tag);
  }

  lerror(_type: number, tag: number, errno: number): Uint8Array {
    return new Builder().u32(errno).done(P9.Rlerror, tag);
  }

  private takeFault(type: number): ServerFault | undefined {
    const index = this.faults.findIndex((f) => f.on === undefined || f.on === type);
    return index < 0 ? undefined : this.faults.splice(index, 1)[0];
  }

  private dispatch(type: number, tag: number, c: Cursor): Uint8Array {
    const reply = (rtype: number, b: Builder = new Builder()): Uint8Array => {
      if (c.left !== 0) throw new ServerProtocolError(`${c.left} bytes after the last field`);
      return b.done(rtype, tag);
    };
    const fail = (errno: number): Uint8Array => this.lerror(type, tag, errno);
    switch (type) {
      case P9.Tversion: {
        const msize = c.u32();
        const version = c.str();
        if (tag !== P9_NOTAG) this.breach(`Tversion with tag ${tag}, not NOTAG`);
        this.fids.clear();
        this.msize = Math.min(msize, this.maxMsize);
        return reply(P9.Rversion, new Builder().u32(this.msize).str(version === "9P2000.L" ? this.version : "unknown"));
      }
      case P9.Tattach: {
        const fid = c.u32();
        const afid = c.u32();
        c.str();
        c.str();
        c.u32();
        if (afid !== P9_NOFID) return fail(ERRNO.EINVAL);
        if (!this.newFid(fid)) return fail(ERRNO.EBADF);
        this.fids.set(fid, { node: this.tree.root, open: undefined });
        return reply(P9.Rattach, new Builder().qid(this.tree.root.qid));
      }
      case P9.Twalk: {
        const fid = c.u32();
        const newfid = c.u32();
        const count = c.u16();
        const names: string[] = [];
        for (let i = 0; i < count; i++) names.push(c.str());
        if (count > P9_MAXWELEM) this.breach(`Twalk of ${count} names (at most ${P9_MAXWELEM})`);
        const from = this.fids.get(fid);
        if (from === undefined) return fail(ERRNO.EBADF);
        if (newfid !== fid && !this.newFid(newfid)) return fail(ERRNO.EBADF);
        if (from.open !== undefined) this.breach(`Twalk from fid ${fid}, which is open`);
        const qids = new Builder();
        let node = from.node;
        let walked = 0;
        for (const name of names) {
          const through = node.kind === "symlink" && this.followSymlinks ? this.tree.lookup(node.target) : node;
          const next = name === ".." ? node.parent : through?.kind === "dir" ? through.children.get(name) : undefined;
          if (next === undefined) break;
          node = next;
          qids.qid(node.qid);
          walked++;
        }
        if (walked === 0 && count > 0) return fail(node.kind === "dir" ? ERRNO.ENOENT : ERRNO.ENOTDIR);
        if (walked === count) this.fids.set(newfid, { node, open: undefined });
        return reply(P9.Rwalk, new Builder().u16(walked).raw(qidsBytes(qids)));
      }
      case P9.Tgetattr: {
        const state = this.fids.get(c.u32());
        c.u64();
        if (state === undefined) return fail(ERRNO.EBADF);
        const n = state.node;
        const sec = Math.floor(n.mtimeMs / 1000);
        const nsec = (n.mtimeMs % 1000) * 1_000_000;
        const b = new Builder().u64(0x7ff).qid(n.qid).u32(n.fileMode).u32(0).u32(0).u64(1).u64(0).u64(n.size).u64(4096).u64(Math.ceil(n.size / 512));
        for (let i = 0; i < 3; i++) b.u64(sec).u64(nsec);
        b.u64(0).u64(0).u64(0).u64(0);
        return reply(P9.Rgetattr, b);
      }
      case P9.Tsetattr: {
        const state = this.fids.get(c.u32());
        const valid = c.u32();
        const mode = c.u32();
        c.u32();
        c.u32();
        const size = c.u64();
        c.u64();
        c.u64();
        const mtimeSec = c.u64();
        const mtimeNsec = c.u64();
        if (state === undefined) return fail(ERRNO.EBADF);
        if (valid & SETATTR.MODE) state.node.mode = mode;
        if (valid & SETATTR.SIZE) {
          if (state.node.kind !== "file") return fail(ERRNO.EISDIR);
          state.node.resize(size);
        }
        if (valid & SETATTR.MTIME_SET) state.node.mtimeMs = mtimeSec * 1000 + Math.floor(mtimeNsec / 1_000_000);
        return reply(P9.Rsetattr);
      }
      case P9.Tlopen: {
        const state = this.fids.get(c.u32());
        const flags = c.u32();
        if (state === undefined) return fail(ERRNO.EBADF);
        if (state.open !== undefined) this.breach("Tlopen of a fid already open");
        if (state.node.kind === "dir" && (flags & O.ACCMODE) !== O.RDONLY) return fail(ERRNO.EISDIR);
        if (state.node.kind === "file" && flags & O.TRUNC) state.node.resize(0);
        state.open = flags;
        return reply(P9.Rlopen, new Builder().qid(state.node.qid).u32(0));
      }
      case P9.Tlcreate: {
        const state = this.fids.get(c.u32());
        const name = c.str();
        const flags = c.u32();
        const mode = c.u32();
        c.u32();
        if (state === undefined) return fail(ERRNO.EBADF);
        const bad = this.badName(state.node, name);
        if (bad !== 0) return fail(bad);
        const node = this.tree.add(state.node, "file", name, mode);
        state.node = node;
        state.open = flags;
        return reply(P9.Rlcreate, new Builder().qid(node.qid).u32(0));
      }
      case P9.Tread: {
        const state = this.fids.get(c.u32());
        const offset = c.u64();
        const count = c.u32();
        if (state?.open === undefined) return fail(ERRNO.EBADF);
        if ((state.open & O.ACCMODE) === O.WRONLY) return fail(ERRNO.EBADF);
        if (state.node.kind !== "file") return fail(ERRNO.EISDIR);
        if (count > this.msize - P9_HEADER - 4) this.breach(`Tread of ${count} bytes, more than msize ${this.msize} allows`);
        const n = state.node;
        const take = Math.max(0, Math.min(count, n.size - offset, this.msize - P9_HEADER - 4, this.maxReadBytes));
        return reply(P9.Rread, new Builder().u32(take).raw(n.data.subarray(offset, offset + take)));
      }
      case P9.Twrite: {
        const state = this.fids.get(c.u32());
        const offset = c.u64();
        const count = c.u32();
        const data = c.raw(count);
        if (state?.open === undefined || (state.open & O.ACCMODE) === O.RDONLY) return fail(ERRNO.EBADF);
        const n = state.node;
        const at = state.open & O.APPEND ? n.size : offset;
        if (at + count > n.size) n.resize(at + count);
        n.data.set(data, at);
        n.touch();
        return reply(P9.Rwrite, new Builder().u32(count));
      }
      case P9.Treaddir: {
        const state = this.fids.get(c.u32());
        const cookie = c.u64Big();
        const count = c.u32();
        if (state?.open === undefined) return fail(ERRNO.EBADF);
        if (state.node.kind !== "dir") return fail(ERRNO.ENOTDIR);
        const offset = cookie === 0n ? 0 : indexOfCookie(cookie);
        if (offset < 0) return fail(ERRNO.EINVAL);
        const dir = state.node;
        const entries: [string, FsNode][] = [[".", dir], ["..", dir.parent], ...dir.children];
        const b = new Builder();
        for (let i = offset; i < entries.length; i++) {
          const [name, node] = entries[i];
          const entry = new Builder().qid(node.qid).u64(cookieAfter(i)).u8(node.direntType).str(name);
          if (b.length + entry.length > count) break;
          b.raw(qidsBytes(entry));
        }
        return reply(P9.Rreaddir, new Builder().u32(b.length).raw(qidsBytes(b)));
      }
      case P9.Tfsync: {
        const state = this.fids.get(c.u32());
        c.u32();
        return state === undefined ? fail(ERRNO.EBADF) : reply(P9.Rfsync);
      }
      case P9.Tstatfs: {
        const state = this.fids.get(c.u32());
        if (state === undefined) return fail(ERRNO.EBADF);
        return reply(P9.Rstatfs, new Builder().u32(0x01021997).u32(4096).u64(1000).u64(900).u64(900).u64(100).u64(90).u64(7).u32(255));
      }
      case P9.Tmkdir: {
        const state = this.fids.get(c.u32());
        const name = c.str();
        const mode = c.u32();
        c.u32();
        if (state === undefined) return fail(ERRNO.EBADF);
        const bad = this.badName(state.node, name);
        if (bad !== 0) return fail(bad);
        const node = this.tree.add(state.node, "dir", name, mode);
        return reply(P9.Rmkdir, new Builder().qid(node.qid));
      }
      case P9.Trenameat: {
        const from = this.fids.get(c.u32());
        const oldName = c.str();
        const to = this.fids.get(c.u32());
        const newName = c.str();
        if (from === undefined || to === undefined) return fail(ERRNO.EBADF);
        const node = from.node.children.get(oldName);
        if (node === undefined) return fail(ERRNO.ENOENT);
        if (to.node.kind !== "dir") return fail(ERRNO.ENOTDIR);
        const existing = to.node.children.get(newName);
        if (existing?.kind === "dir" && existing.children.size > 0) return fail(ERRNO.ENOTEMPTY);
        from.node.children.delete(oldName);
        to.node.children.set(newName, node);
        node.parent = to.node;
        node.name = newName;
        from.node.touch();
        to.node.touch();
        return reply(P9.Rrenameat);
      }
      case P9.Tunlinkat: {
        const state = this.fids.get(c.u32());
        const name = c.str();
        const flags = c.u32();
        if (state === undefined) return fail(ERRNO.EBADF);
        const node = state.node.children.get(name);
        if (node === undefined) return fail(ERRNO.ENOENT);
        if (node.kind === "dir" && !(flags & AT_REMOVEDIR)) return fail(ERRNO.EISDIR);
        if (node.kind !== "dir" && flags & AT_REMOVEDIR) return fail(ERRNO.ENOTDIR);
        if (node.children.size > 0) return fail(ERRNO.ENOTEMPTY);
        state.node.children.delete(name);
        state.node.touch();
        return reply(P9.Runlinkat);
      }
      case P9.Tclunk: {
        const fid = c.u32();
        if (!this.fids.delete(fid)) return fail(ERRNO.EBADF);
        return reply(P9.Rclunk);
      }
      case P9.Tflush: {
        const oldTag = c.u16();
        if (this.outstanding.has(oldTag)) this.flushes++;
        return reply(P9.Rflush);
      }
      default:
        this.breach(`unknown T-message type ${type}`);
        return fail(ERRNO.ENOSYS);
    }
  }

  /** A fid number the client may use for a new fid: one not in use (reusing one before Rclunk is a client error). */
  private newFid(fid: number): boolean {
    if (fid === P9_NOFID) return false;
    if (this.fids.has(fid)) {
      this.breach(`fid ${fid} reused before it was clunked`);
      return false;
    }
    return true;
  }

  private badName(dir: FsNode, name: string): number {
    if (dir.kind !== "dir") return ERRNO.ENOTDIR;
    if (name.length === 0 || name === "." || name === ".." || name.includes("/")) return ERRNO.EINVAL;
    if (new TextEncoder().encode(name).length > 255) return ERRNO.ENAMETOOLONG;
    if (dir.children.has(name)) return ERRNO.EEXIST;
    return 0;
  }
}

/**
 * Directory offsets are cookies only the server understands (a host's telldir values): these use
 * all 64 bits, so a client that keeps them in a double loses them.
 */
const COOKIE_SHIFT = 44n;
const COOKIE_MARK = 0xc0ffeen;

function cookieAfter(index: number): bigint {
  return (BigInt(index + 1) << COOKIE_SHIFT) | COOKIE_MARK;
}

function indexOfCookie(cookie: bigint): number {
  return (cookie & ((1n << COOKIE_SHIFT) - 1n)) === COOKIE_MARK ? Number(cookie >> COOKIE_SHIFT) : -1;
}

function qidsBytes(b: Builder): Uint8Array {
  return b.done(0, 0).subarray(P9_HEADER);
}

/** Rewrites a correct reply into a malformed one. */
function damage(reply: Uint8Array, kind: ReplyFault): Uint8Array {
  const out = new Uint8Array(reply.length + (kind === "trailing" ? 4 : 0));
  out.set(reply);
  const view = new DataView(out.buffer);
  switch (kind) {
    case "wrong-tag":
      view.setUint16(5, (view.getUint16(5, true) + 1) & 0xffff, true);
      break;
    case "short-size":
      view.setUint32(0, reply.length - 1, true);
      break;
    case "long-size":
      view.setUint32(0, reply.length + 8, true);
      break;
    case "wrong-type":
      view.setUint8(4, view.getUint8(4) + 2);
      break;
    case "trailing":
      view.setUint32(0, out.length, true);
      break;
    case "oversized-string":
      // Rversion: msize[4] then the string; Rreaddir: count[4] qid[13] offset[8] type[1] then the name.
      view.setUint16(view.getUint8(4) === P9.Rversion ? P9_HEADER + 4 : P9_HEADER + 4 + 13 + 8 + 1, 0xffff, true);
      break;
    case "oversized-count":
      view.setUint32(P9_HEADER, view.getUint32(P9_HEADER, true) + 1, true);
      break;
    case "bad-qid":
      view.setUint8(P9_HEADER, 0x08);
      break;
    default:
      break;
  }
  return out;
}
