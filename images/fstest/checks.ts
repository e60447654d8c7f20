// What the QEMU test has the guest do in a host folder it prepared (test/qemu/9p.test.ts): each
// step prints what it saw, and the host checks the folder afterwards.
import { FsPathError, sha256Hex, type Share } from "../../runtime/app/index";

/** The code of what `operation` rejected with, or "none". */
async function failureCode(operation: () => Promise<unknown>): Promise<string> {
  try {
    await operation();
    return "none";
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return `${error instanceof FsPathError ? "path:" : ""}${typeof code === "string" ? code : String(error)}`;
  }
}

export const CHECKS: Readonly<Record<string, (share: Share) => Promise<string>>> = {
  list: async (share) => (await share.readdir("/")).sort().join(","),
  read: async (share) => JSON.stringify(await share.readFile("hello.txt", "utf8")),
  stat: async (share) => {
    const [file, dir] = await Promise.all([share.stat("big.bin"), share.stat("dir")]);
    return `big.bin size=${file.size} file=${file.isFile()} dir=${dir.isDirectory()}`;
  },
  /** The host's 1 MiB file by SHA-256, and written back as copy.bin for the host to hash. */
  sha: async (share) => {
    const data = await share.readFile("big.bin");
    await share.writeFile("copy.bin", data);
    return `sha256=${sha256Hex(data)} bytes=${data.length}`;
  },
  write: async (share) => {
    await share.mkdir("guest/deep/er", { recursive: true });
    await share.writeFile("guest/out.txt", "written by the guest\n");
    const handle = await share.open("guest/handle.txt", "w+");
    await handle.write("0123456789");
    const buffer = new Uint8Array(4);
    await handle.read(buffer, 0, 4, 3);
    const size = (await handle.stat()).size;
    await handle.close();
    return `handle-read=${new TextDecoder().decode(buffer)} size=${size}`;
  },
  rename: async (share) => {
    await share.rename("rename-me.txt", "guest/renamed.txt");
    return "renamed";
  },
  remove: async (share) => {
    await share.rm("remove-me.txt");
    await share.rm("dir", { recursive: true });
    return "removed";
  },
  escape: async (share) => {
    const codes = await Promise.all(["../outside.txt", "dir/../../outside.txt", "/../outside.txt", "link-out/outside.txt"].map((p) => failureCode(() => share.readFile(p))));
    const write = await failureCode(() => share.writeFile("../planted.txt", "x"));
    return `${codes.join(",")} write=${write}`;
  },
  errors: async (share) => {
    const codes = await Promise.all([
      failureCode(() => share.readFile("nope.txt")),
      failureCode(() => share.mkdir("guest")),
      failureCode(() => share.rm("guest")),
      failureCode(() => share.readdir("hello.txt")),
    ]);
    return codes.join(",");
  },
};
