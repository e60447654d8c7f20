// Writes a cpio archive in the "newc" format, the one Linux unpacks as an initramfs. Entries are
// written as given (parents before children); device nodes need no privileges to describe.

export type CpioEntry =
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "file"; readonly path: string; readonly data: Uint8Array; readonly executable?: boolean }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | { readonly kind: "char-device"; readonly path: string; readonly major: number; readonly minor: number };

const MAGIC = "070701";
const TRAILER = "TRAILER!!!";
const ALIGN = 4;
const MODE = { directory: 0o040755, file: 0o100644, executable: 0o100755, symlink: 0o120777, charDevice: 0o020600 } as const;

function hex8(value: number): string {
  return value.toString(16).padStart(8, "0");
}

function padTo(length: number): number {
  return (ALIGN - (length % ALIGN)) % ALIGN;
}

function record(inode: number, mode: number, name: string, data: Uint8Array, rdev: [number, number] = [0, 0]): Buffer {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [inode, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(MAGIC + fields.map(hex8).join(""));
  return Buffer.concat([header, nameBytes, Buffer.alloc(padTo(header.length + nameBytes.length)), data, Buffer.alloc(padTo(data.length))]);
}

export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts = entries.map((entry, index) => {
    const inode = index + 1;
    const name = entry.path.replace(/^\/+/, "");
    switch (entry.kind) {
      case "directory":
        return record(inode, MODE.directory, name, new Uint8Array());
      case "file":
        return record(inode, entry.executable ? MODE.executable : MODE.file, name, entry.data);
      case "symlink":
        return record(inode, MODE.symlink, name, Buffer.from(entry.target));
      case "char-device":
        return record(inode, MODE.charDevice, name, new Uint8Array(), [entry.major, entry.minor]);
    }
  });
  return Buffer.concat([...parts, record(0, 0, TRAILER, new Uint8Array())]);
}
