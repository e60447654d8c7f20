import type { NinePCancelSignal, NinePClient } from "../../drivers/virtio/9p/client";
import { GetattrMask, OpenFlag, UNLINK_REMOVE_DIR } from "../../drivers/virtio/9p/constants";
import type { NinePStatfs } from "../../drivers/virtio/9p/replies";
import { FileHandle } from "./file-handle";
import { FsError, asFsError, errorCode } from "./errors";
import { parentAndName, pathNames } from "./path";
import { DirectoryEntry, FileStats } from "./stats";
import { readInto } from "./transfer";

export interface ShareOptions {
  /** Largest file `readFile` reads (default 64 MiB): it is held whole in memory. */
  readonly maxFileBytes?: number;
  /** Entries one `readdir` returns at most (default 65536). */
  readonly maxDirectoryEntries?: number;
  /** Directory levels `rm(..., { recursive: true })` descends at most (default 64). */
  readonly maxDepth?: number;
}

export type OpenFlags = "r" | "r+" | "w" | "w+" | "wx" | "wx+" | "a" | "a+" | "ax" | "ax+";

/** Node's flag strings as open(2) flags, and whether the file may be created. */
const FLAGS: Readonly<Record<OpenFlags, { flags: number; create: boolean; exclusive: boolean }>> = {
  r: { flags: OpenFlag.ReadOnly, create: false, exclusive: false },
  "r+": { flags: OpenFlag.ReadWrite, create: false, exclusive: false },
  w: { flags: OpenFlag.WriteOnly | OpenFlag.Truncate, create: true, exclusive: false },
  "w+": { flags: OpenFlag.ReadWrite | OpenFlag.Truncate, create: true, exclusive: false },
  wx: { flags: OpenFlag.WriteOnly, create: true, exclusive: true },
  "wx+": { flags: OpenFlag.ReadWrite, create: true, exclusive: true },
  a: { flags: OpenFlag.WriteOnly | OpenFlag.Append, create: true, exclusive: false },
  "a+": { flags: OpenFlag.ReadWrite | OpenFlag.Append, create: true, exclusive: false },
  ax: { flags: OpenFlag.WriteOnly | OpenFlag.Append, create: true, exclusive: true },
  "ax+": { flags: OpenFlag.ReadWrite | OpenFlag.Append, create: true, exclusive: true },
};

const FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/**
 * A host folder shared over virtio-9p, with a subset of `node:fs/promises`. Paths are relative to
 * the share's root whether or not they start with "/"; ".." is resolved before anything is sent
 * and may never climb above the root (FsPathError, EACCES). Failures are FsErrors carrying the
 * errno name the host gave (ENOENT, EACCES, EEXIST, ENOTDIR, ENOTEMPTY...).
 */
export class Share {
  private readonly maxFileBytes: number;
  private readonly maxDirectoryEntries: number;
  private readonly maxDepth: number;

  constructor(
    /** The mount tag the host gave the share. */
    readonly tag: string,
    private readonly client: NinePClient,
    options: ShareOptions = {},
  ) {
    this.maxFileBytes = options.maxFileBytes ?? 64 * 1024 * 1024;
    this.maxDirectoryEntries = options.maxDirectoryEntries ?? 65_536;
    this.maxDepth = options.maxDepth ?? 64;
  }

  /** The whole file: bytes, or text with `"utf8"`; aborting `signal` flushes what is in flight and fails with ABORT_ERR. */
  readFile(path: string, options?: { signal?: NinePCancelSignal }): Promise<Uint8Array>;
  readFile(path: string, options: "utf8" | { encoding: "utf8"; signal?: NinePCancelSignal }): Promise<string>;
  async readFile(path: string, options?: "utf8" | { encoding?: "utf8"; signal?: NinePCancelSignal }): Promise<Uint8Array | string> {
    const encoding = typeof options === "string" ? options : options?.encoding;
    const signal = typeof options === "string" ? undefined : options?.signal;
    const bytes = await this.using(pathNames(path, "open"), "open", path, async (fid) => {
      const attr = await this.client.getattr(fid, GetattrMask.Basic);
      if (new FileStats(attr).isDirectory()) throw new FsError("EISDIR", "read", path, "illegal operation on a directory");
      if (attr.size > this.maxFileBytes) throw new FsError("EFBIG", "read", path, `${attr.size} bytes is more than readFile holds (${this.maxFileBytes})`);
      await this.client.lopen(fid, OpenFlag.ReadOnly);
      const out = new Uint8Array(attr.size);
      const got = await readInto(this.client, fid, out, 0, signal);
      return got < out.length ? out.slice(0, got) : out;
    });
    return encoding === undefined ? bytes : DECODER.decode(bytes);
  }

  /** Replaces (or creates) the file with `data`; a string is written as UTF-8. `signal` as for readFile. */
  async writeFile(path: string, data: Uint8Array | string, options: { flag?: "w" | "wx" | "a"; signal?: NinePCancelSignal } = {}): Promise<void> {
    const handle = await this.open(path, options.flag ?? "w");
    try {
      await handle.write(typeof data === "string" ? ENCODER.encode(data) : data, 0, options.signal);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** Opens a file (creating it for "w", "wx", "a"...); the handle's fid is the caller's until `close()`. */
  async open(path: string, flags: OpenFlags = "r"): Promise<FileHandle> {
    const mode = FLAGS[flags];
    if (mode === undefined) throw new FsError("EINVAL", "open", path, `unknown flags ${JSON.stringify(flags)}`);
    const { parent, name } = parentAndName(path, "open");
    try {
      let existing: number | undefined;
      try {
        existing = (await this.client.walk(this.client.rootFid, [...parent, name])).fid;
      } catch (error) {
        if (!mode.create || errorCode(error) !== "ENOENT") throw error;
      }
      const fid = existing === undefined ? await this.create(parent, name, mode.flags) : await this.openExisting(existing, mode.exclusive, mode.flags, path);
      return new FileHandle(this.client, fid, path);
    } catch (error) {
      throw asFsError(error, "open", path);
    }
  }

  /** Names in the directory (without "." and ".."), or entries with their types. */
  readdir(path: string): Promise<string[]>;
  readdir(path: string, options: { withFileTypes: true }): Promise<DirectoryEntry[]>;
  async readdir(path: string, options?: { withFileTypes: true }): Promise<string[] | DirectoryEntry[]> {
    const entries = await this.entries(pathNames(path, "scandir"), path);
    return options?.withFileTypes === true ? entries : entries.map((e) => e.name);
  }

  stat(path: string): Promise<FileStats> {
    return this.using(pathNames(path, "stat"), "stat", path, async (fid) => new FileStats(await this.client.getattr(fid, GetattrMask.Basic)));
  }

  /** Makes a directory; with `recursive` its missing parents too, and an existing directory is no error. */
  async mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const mode = options.mode ?? DIRECTORY_MODE;
    if (options.recursive !== true) {
      const { parent, name } = parentAndName(path, "mkdir");
      await this.using(parent, "mkdir", path, (fid) => this.client.mkdir(fid, name, mode, 0));
      return;
    }
    const names = pathNames(path, "mkdir");
    for (let depth = 1; depth <= names.length; depth++) {
      const prefix = names.slice(0, depth);
      try {
        await this.using(prefix.slice(0, -1), "mkdir", path, (fid) => this.client.mkdir(fid, prefix[prefix.length - 1], mode, 0));
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
        if (!(await this.stat(prefix.join("/"))).isDirectory()) throw new FsError("ENOTDIR", "mkdir", path, `${prefix.join("/")} is not a directory`);
      }
    }
  }

  /** Removes a file, or with `recursive` a directory and everything in it; `force` ignores a missing path. */
  async rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    try {
      await this.remove(pathNames(path, "rm"), path, options.recursive === true, 0);
    } catch (error) {
      if (options.force === true && errorCode(error) === "ENOENT") return;
      throw error;
    }
  }

  /** Moves `oldPath` to `newPath` (replacing a file there), within the share. */
  async rename(oldPath: string, newPath: string): Promise<void> {
    const from = parentAndName(oldPath, "rename");
    const to = parentAndName(newPath, "rename");
    await this.using(from.parent, "rename", oldPath, (fromFid) =>
      this.using(to.parent, "rename", newPath, (toFid) => this.client.renameat(fromFid, from.name, toFid, to.name)),
    );
  }

  /** The host file system's sizes and counts. */
  statfs(path = "/"): Promise<NinePStatfs> {
    return this.using(pathNames(path, "statfs"), "statfs", path, (fid) => this.client.statfs(fid));
  }

  /** Directory entries of `names`, bounded by maxDirectoryEntries. */
  private entries(names: readonly string[], path: string): Promise<DirectoryEntry[]> {
    return this.using(names, "scandir", path, async (fid) => {
      await this.client.lopen(fid, OpenFlag.ReadOnly | OpenFlag.Directory);
      const out: DirectoryEntry[] = [];
      let offset = 0n;
      for (;;) {
        const batch = await this.client.readdir(fid, offset, this.client.ioUnit);
        if (batch.length === 0) return out;
        for (const entry of batch) {
          if (entry.name === "." || entry.name === "..") continue;
          if (out.length === this.maxDirectoryEntries) throw new FsError("E2BIG", "scandir", path, `more than ${this.maxDirectoryEntries} entries`);
          out.push(new DirectoryEntry(entry.name, entry.qid.type));
        }
        offset = batch[batch.length - 1].offset;
      }
    });
  }

  private async remove(names: string[], path: string, recursive: boolean, depth: number): Promise<void> {
    const name = names[names.length - 1];
    if (name === undefined) throw new FsError("EPERM", "rm", path, "the share's root itself");
    const stats = await this.stat(names.join("/"));
    const directory = stats.isDirectory();
    if (directory && !recursive) throw new FsError("EISDIR", "rm", path, "a directory (use recursive)");
    if (directory) {
      if (depth >= this.maxDepth) throw new FsError("ELOOP", "rm", path, `deeper than ${this.maxDepth} levels`);
      for (const entry of await this.entries(names, path)) await this.remove([...names, entry.name], path, true, depth + 1);
    }
    await this.using(names.slice(0, -1), "rm", path, (fid) => this.client.unlinkat(fid, name, directory ? UNLINK_REMOVE_DIR : 0));
  }

  /** Creates `name` in `parent`; returns the new file's fid, open with `flags`. */
  private async create(parent: readonly string[], name: string, flags: number): Promise<number> {
    const { fid } = await this.client.walk(this.client.rootFid, parent);
    try {
      await this.client.lcreate(fid, name, flags, FILE_MODE, 0);
      return fid;
    } catch (error) {
      this.forget(fid);
      throw error;
    }
  }

  /** Opens the walked `fid` with `flags` (refused when the file had to be new); returns it. */
  private async openExisting(fid: number, exclusive: boolean, flags: number, path: string): Promise<number> {
    try {
      if (exclusive) throw new FsError("EEXIST", "open", path, "file already exists");
      await this.client.lopen(fid, flags);
      return fid;
    } catch (error) {
      this.forget(fid);
      throw error;
    }
  }

  /** Walks to `names`, runs `use` with the fid and clunks it; failures become FsErrors of `syscall`. */
  private async using<T>(names: readonly string[], syscall: string, path: string, use: (fid: number) => Promise<T>): Promise<T> {
    try {
      const { fid } = await this.client.walk(this.client.rootFid, names);
      try {
        return await use(fid);
      } finally {
        this.forget(fid);
      }
    } catch (error) {
      throw asFsError(error, syscall, path);
    }
  }

  /** Clunks a fid without waiting: nothing the caller does depends on it, and the fid is reused only once the server answered. */
  private forget(fid: number): void {
    this.client.clunk(fid).catch(() => undefined);
  }
}
