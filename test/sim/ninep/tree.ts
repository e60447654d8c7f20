/** The in-memory file tree the 9P server model serves. */
import { DT, QT, S_IFDIR, S_IFLNK, S_IFREG } from "./protocol";

export type NodeKind = "dir" | "file" | "symlink";

export class FsNode {
  readonly children = new Map<string, FsNode>();
  data = new Uint8Array(0);
  size = 0;
  version = 0;
  mtimeMs = 1_700_000_000_000;
  parent: FsNode;
  name: string;

  constructor(
    readonly kind: NodeKind,
    readonly path: number,
    public mode: number,
    parent: FsNode | undefined,
    name: string,
    readonly target = "",
  ) {
    this.parent = parent ?? this;
    this.name = name;
  }

  get qid(): { type: number; version: number; path: number } {
    const type = this.kind === "dir" ? QT.DIR : this.kind === "symlink" ? QT.SYMLINK : QT.FILE;
    return { type, version: this.version, path: this.path };
  }

  get fileMode(): number {
    return (this.kind === "dir" ? S_IFDIR : this.kind === "symlink" ? S_IFLNK : S_IFREG) | (this.mode & 0o7777);
  }

  get direntType(): number {
    return this.kind === "dir" ? DT.DIR : this.kind === "symlink" ? DT.LNK : DT.REG;
  }

  /** Bytes of a file, grown or cut to `size`. */
  resize(size: number): void {
    if (size > this.data.length) {
      const grown = new Uint8Array(Math.max(size, this.data.length * 2));
      grown.set(this.data.subarray(0, this.size));
      this.data = grown;
    } else if (size < this.size) {
      this.data.fill(0, size, this.size);
    }
    this.size = size;
    this.touch();
  }

  touch(): void {
    this.version++;
    this.mtimeMs++;
  }
}

export class FsTree {
  private nextPath = 1;
  readonly root: FsNode;

  constructor() {
    this.root = new FsNode("dir", this.nextPath++, 0o755, undefined, "");
  }

  add(parent: FsNode, kind: NodeKind, name: string, mode: number, target = ""): FsNode {
    const node = new FsNode(kind, this.nextPath++, mode, parent, name, target);
    parent.children.set(name, node);
    parent.touch();
    return node;
  }

  /** Node at a "/"-separated path from the root, made (with its directories) if absent: for tests to set up. */
  file(path: string, content: Uint8Array | string = ""): FsNode {
    const names = path.split("/").filter((n) => n.length > 0);
    let dir = this.root;
    for (const name of names.slice(0, -1)) dir = dir.children.get(name) ?? this.add(dir, "dir", name, 0o755);
    const node = this.add(dir, "file", names[names.length - 1], 0o644);
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    node.resize(bytes.length);
    node.data.set(bytes);
    return node;
  }

  dir(path: string): FsNode {
    let dir = this.root;
    for (const name of path.split("/").filter((n) => n.length > 0)) dir = dir.children.get(name) ?? this.add(dir, "dir", name, 0o755);
    return dir;
  }

  symlink(path: string, target: string): FsNode {
    const names = path.split("/").filter((n) => n.length > 0);
    const dir = this.dir(names.slice(0, -1).join("/"));
    return this.add(dir, "symlink", names[names.length - 1], 0o777, target);
  }

  /** The node at `path`, or undefined. */
  lookup(path: string): FsNode | undefined {
    let node: FsNode | undefined = this.root;
    for (const name of path.split("/").filter((n) => n.length > 0)) node = node?.children.get(name);
    return node;
  }

  /** A file's bytes. */
  read(path: string): Uint8Array | undefined {
    const node = this.lookup(path);
    return node?.kind === "file" ? node.data.slice(0, node.size) : undefined;
  }
}
