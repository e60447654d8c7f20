// virtio-9p on QEMU's own device: the fstest guest works in a host temp folder shared with
// `-fsdev local,security_model=none` and the host checks the folder afterwards: exactly the
// files the guest wrote, renamed and removed changed; a 1 MiB file round-trips by SHA-256; paths
// that climb above the share (with "..", or through a symlink pointing out) reach nothing; two
// shares are told apart by tag; and the same on microvm's virtio-mmio.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot } from "../../scripts/lib/qemu";
import { MICROVM_MACHINE } from "../../scripts/machines/boards";
import { hostFolderArgs } from "../../scripts/machines/share";

const BOOT_TIMEOUT_MS = 150_000;
const MIB = 1024 * 1024;

let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vireo-9p-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Every path under `root` with its content ("<dir>" for directories, "-> target" for symlinks). */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const name = relative(root, path);
      if (entry.isSymbolicLink()) out[name] = "<symlink>";
      else if (entry.isDirectory()) {
        out[name] = "<dir>";
        walk(path);
      } else out[name] = statSync(path).size > 4096 ? `sha256:${sha256(readFileSync(path))}` : readFileSync(path, "utf8");
    }
  };
  walk(root);
  return out;
}

function shareArgs(id: string, dir: string, tag: string): string[] {
  return hostFolderArgs("virtio-9p-pci", { id, dir, tag });
}

function line(output: string, step: string): string {
  const match = new RegExp(`^fs ${step} ok (.*)$`, "m").exec(output);
  if (!match) throw new Error(`no "fs ${step} ok" line in:\n${output}`);
  return match[1];
}

describe("virtio-9p on QEMU", () => {
  it("lists, reads, writes, renames and deletes in a host folder, which sees exactly those changes", async () => {
    const share = join(dir, "share");
    mkdirSync(join(share, "dir"), { recursive: true });
    mkdirSync(join(share, "emptydir"));
    writeFileSync(join(share, "hello.txt"), "hello from the host\n");
    writeFileSync(join(share, "dir", "a.txt"), "a\n");
    writeFileSync(join(share, "remove-me.txt"), "bye\n");
    writeFileSync(join(share, "rename-me.txt"), "moved\n");
    const big = randomBytes(MIB);
    writeFileSync(join(share, "big.bin"), big);
    writeFileSync(join(dir, "outside.txt"), "outside the share\n");
    symlinkSync("..", join(share, "link-out"));
    const before = snapshot(share);

    const result = await boot({
      app: "fstest",
      append: "fs=list,read,stat,sha,write,rename,remove,errors,escape",
      timeoutMs: BOOT_TIMEOUT_MS,
      qemuArgs: shareArgs("fs0", share, "host"),
    });
    const output = result.output;
    expect(output, output).not.toMatch(/FAIL/);
    expect(result.status, output).toBe(0);
    expect(output).toMatch(/^virtio 00:\S+ type=9p transport=modern/m);

    expect(line(output, "list")).toBe("big.bin,dir,emptydir,hello.txt,link-out,remove-me.txt,rename-me.txt");
    expect(line(output, "read")).toBe(JSON.stringify("hello from the host\n"));
    expect(line(output, "stat")).toBe(`big.bin size=${MIB} file=true dir=true`);
    expect(line(output, "sha")).toBe(`sha256=${sha256(big)} bytes=${MIB}`);
    expect(line(output, "write")).toBe("handle-read=3456 size=10");
    expect(line(output, "errors")).toBe("ENOENT,EEXIST,EISDIR,ENOTDIR");
    // "..": refused in the guest before anything is sent; through the symlink: the host's server does not follow it.
    const escape = line(output, "escape");
    expect(escape).toMatch(/^path:EACCES,path:EACCES,path:EACCES,E[A-Z]+ write=path:EACCES$/);
    expect(escape).not.toMatch(/none/);
    expect(readdirSync(dir).sort()).toEqual(["outside.txt", "share"]);

    const expected: Record<string, string> = { ...before };
    delete expected["remove-me.txt"];
    delete expected["rename-me.txt"];
    delete expected.dir;
    delete expected["dir/a.txt"];
    Object.assign(expected, {
      "copy.bin": `sha256:${sha256(big)}`,
      guest: "<dir>",
      "guest/deep": "<dir>",
      "guest/deep/er": "<dir>",
      "guest/out.txt": "written by the guest\n",
      "guest/handle.txt": "0123456789",
      "guest/renamed.txt": "moved\n",
    });
    expect(snapshot(share)).toEqual(expected);
  });

  it("finds each of several shares by its mount tag", async () => {
    const one = join(dir, "one");
    const www = join(dir, "www");
    mkdirSync(one);
    mkdirSync(www);
    writeFileSync(join(one, "only-in-one.txt"), "1");
    writeFileSync(join(www, "index.html"), "<h1>www</h1>");
    writeFileSync(join(www, "hello.txt"), "hello from www\n");
    const result = await boot({
      app: "fstest",
      append: "fs.tag=www fs=list,read",
      timeoutMs: BOOT_TIMEOUT_MS,
      qemuArgs: [...shareArgs("fs0", one, "one"), ...shareArgs("fs1", www, "www")],
    });
    expect(result.status, result.output).toBe(0);
    expect(result.output.match(/^virtio \S+ type=9p/gm)).toHaveLength(2);
    expect(line(result.output, "open")).toBe("tag=www");
    expect(line(result.output, "list")).toBe("hello.txt,index.html");
    expect(line(result.output, "read")).toBe(JSON.stringify("hello from www\n"));
  });

  it("works on microvm's virtio-mmio (legacy interface, PVH entry)", async () => {
    const folder = join(dir, "micro");
    mkdirSync(folder);
    writeFileSync(join(folder, "hello.txt"), "hello over mmio\n");
    const result = await boot({
      app: "fstest",
      entry: "pvh",
      append: "fs=read,write",
      timeoutMs: BOOT_TIMEOUT_MS,
      qemuArgs: ["-M", MICROVM_MACHINE, "-fsdev", `local,id=fs0,path=${folder},security_model=none`, "-device", "virtio-9p-device,fsdev=fs0,mount_tag=host"],
    });
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/^virtio mmio@\S+ type=9p transport=mmio/m);
    expect(line(result.output, "read")).toBe(JSON.stringify("hello over mmio\n"));
    expect(readFileSync(join(folder, "guest", "out.txt"), "utf8")).toBe("written by the guest\n");
  });
});
