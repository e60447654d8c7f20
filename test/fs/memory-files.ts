import type { FileEntry, FileSource } from "../../runtime/http/file-source";

/** A FileSource over files held in memory, with directories implied by their paths. */
export class MemoryFiles implements FileSource {
  readonly reads: { path: string; offset: number; length: number }[] = [];
  private readonly files = new Map<string, Uint8Array>();

  constructor(
    files: Record<string, string | Uint8Array>,
    readonly modifiedMs = Date.UTC(2026, 0, 2, 3, 4, 5),
  ) {
    for (const [path, data] of Object.entries(files)) this.files.set(path, typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  async stat(path: string): Promise<FileEntry | null> {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const file = this.files.get(path);
    if (file !== undefined) return { name, kind: "file", size: file.length, modifiedMs: this.modifiedMs };
    const prefix = path === "/" ? "/" : `${path}/`;
    return [...this.files.keys()].some((p) => p.startsWith(prefix)) ? { name, kind: "directory", size: 0, modifiedMs: this.modifiedMs } : null;
  }

  async read(path: string, offset: number, length: number): Promise<Uint8Array> {
    this.reads.push({ path, offset, length });
    const file = this.files.get(path);
    if (file === undefined) throw new Error(`no file ${path}`);
    return file.slice(offset, offset + length);
  }

  async list(path: string): Promise<readonly FileEntry[]> {
    const prefix = path === "/" ? "/" : `${path}/`;
    const names = new Set<string>();
    for (const p of this.files.keys()) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]);
    const entries = await Promise.all([...names].map((name) => this.stat(`${prefix}${name}`)));
    return entries.filter((e): e is FileEntry => e !== null);
  }
}
