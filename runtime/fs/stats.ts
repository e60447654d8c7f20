import { Mode, QidType } from "../../drivers/virtio/9p/constants";
import type { NinePAttr } from "../../drivers/virtio/9p/replies";

/** What `stat` returns: the fields of Node's fs.Stats a share has. */
export class FileStats {
  readonly mode: number;
  readonly size: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;

  constructor(attr: NinePAttr) {
    this.mode = attr.mode;
    this.size = attr.size;
    this.nlink = attr.nlink;
    this.uid = attr.uid;
    this.gid = attr.gid;
    this.blocks = attr.blocks;
    this.atimeMs = attr.atimeMs;
    this.mtimeMs = attr.mtimeMs;
    this.ctimeMs = attr.ctimeMs;
  }

  get mtime(): Date {
    return new Date(this.mtimeMs);
  }

  isFile(): boolean {
    return (this.mode & Mode.TypeMask) === Mode.Regular;
  }

  isDirectory(): boolean {
    return (this.mode & Mode.TypeMask) === Mode.Directory;
  }

  isSymbolicLink(): boolean {
    return (this.mode & Mode.TypeMask) === Mode.Symlink;
  }
}

/** One entry of `readdir(path, { withFileTypes: true })`. */
export class DirectoryEntry {
  constructor(
    readonly name: string,
    private readonly qidType: number,
  ) {}

  isDirectory(): boolean {
    return (this.qidType & QidType.Dir) !== 0;
  }

  isSymbolicLink(): boolean {
    return (this.qidType & QidType.Symlink) !== 0;
  }

  isFile(): boolean {
    return !this.isDirectory() && !this.isSymbolicLink();
  }
}
