/** A share as a FileSource (runtime/http/file-source.ts), so HTTP can serve a host folder. */
import type { FileEntry, FileSource } from "../http/file-source";
import { errorCode } from "./errors";
import type { Share } from "./share";
import type { FileStats } from "./stats";

/** Entries whose sizes `list` asks for at once. */
const STAT_PARALLELISM = 8;
/** What "nothing is there" looks like from the host: no such name, or a path through a file. */
const ABSENT = new Set(["ENOENT", "ENOTDIR"]);

function entryOf(name: string, stats: FileStats): FileEntry | null {
  // Only files and directories are served: a symlink (or a device node) on the host is not there.
  if (stats.isDirectory()) return { name, kind: "directory", size: 0, modifiedMs: stats.mtimeMs };
  if (stats.isFile()) return { name, kind: "file", size: stats.size, modifiedMs: stats.mtimeMs };
  return null;
}

function lastName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function shareFileSource(share: Share): FileSource {
  const stat = async (path: string): Promise<FileEntry | null> => {
    try {
      return entryOf(lastName(path), await share.stat(path));
    } catch (error) {
      if (ABSENT.has(errorCode(error) ?? "")) return null;
      throw error;
    }
  };
  return {
    stat,
    async read(path: string, offset: number, length: number): Promise<Uint8Array> {
      const handle = await share.open(path, "r");
      try {
        const buffer = new Uint8Array(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        return bytesRead < length ? buffer.slice(0, bytesRead) : buffer;
      } finally {
        await handle.close().catch(() => undefined);
      }
    },
    async list(path: string): Promise<readonly FileEntry[]> {
      const names = await share.readdir(path);
      const base = path === "/" ? "" : path;
      const entries: (FileEntry | null)[] = new Array<FileEntry | null>(names.length).fill(null);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < names.length) {
          const index = next++;
          entries[index] = await stat(`${base}/${names[index]}`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(STAT_PARALLELISM, names.length) }, worker));
      return entries.filter((e): e is FileEntry => e !== null);
    },
  };
}
