// A stock Linux guest for `npm run bench -- compare`: Debian's kernel, an initramfs with busybox,
// the kernel's own virtio modules and an init script, and a read-only ext2 disk holding fio and
// the libraries it links (84 MB: kept off the initramfs so that unpacking it does not count as
// boot time). The init script brings the network up with the address its kernel command line
// gives (linuxGuestOptions), prints the NIC's negotiated virtio features, starts busybox httpd on
// the same files the Vireo side serves, prints LINUX_READY, runs the fio jobs it is given (unless
// told not to) on the disk whose serial is BENCH_SERIAL (one JSON report each, between markers),
// prints LINUX_FIO_DONE and waits.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { cpioArchive, type CpioEntry } from "../../lib/cpio";
import { ensureDebianPackages } from "../../lib/setup-steps";
import { LINUX_NET_FEATURES } from "./offloads";

export const LINUX_GUEST_PACKAGES = ["linux-image-amd64", "busybox-static", "fio", "e2fsprogs"];
export const LINUX_READY = "compare: linux ready";
export const LINUX_FIO_DONE = "compare: linux fio done";
export const BENCH_SERIAL = "bench";
const TOOLS_SERIAL = "tools";
/** Modules the guest loads (with what they depend on) to see virtio-pci disks and NICs and to mount the tools disk (ext4 asks for crc32c when it mounts). */
const MODULES = ["virtio_pci", "virtio_blk", "virtio_net", "crc32c_generic", "ext4"];
const BUSYBOX = "/bin/busybox";
const FIO = "/usr/bin/fio";

/** Kernel command-line options the init script reads (from /proc/cmdline; the kernel takes a dotted name for a module's and passes it to no one). */
const ADDRESS_OPTION = "compare.ip";
const GATEWAY_OPTION = "compare.gw";
const FIO_OPTION = "compare.fio";

/** What one boot of the guest does. */
export interface LinuxGuestRun {
  /** The NIC's address and prefix length, e.g. 10.0.2.15/24. */
  readonly address: string;
  /** The default gateway; without it, no default route. */
  readonly gateway?: string;
  /** Whether to run the fio jobs after serving HTTP starts (the tap rows need no block figures). */
  readonly fio: boolean;
}

/** The kernel command-line options that tell the init script what `run` is. */
export function linuxGuestOptions(run: LinuxGuestRun): string {
  return [`${ADDRESS_OPTION}=${run.address}`, ...(run.gateway ? [`${GATEWAY_OPTION}=${run.gateway}`] : []), ...(run.fio ? [] : [`${FIO_OPTION}=off`])].join(" ");
}

export interface FioJob {
  readonly name: string;
  /** fio options after --name, e.g. "--rw=randread --bs=4k --iodepth=32 --runtime=3 --time_based". */
  readonly options: string;
}

export interface WebFile {
  readonly name: string;
  readonly data: Uint8Array;
}

export interface LinuxGuest {
  readonly kernel: string;
  readonly initrd: string;
  /** The ext2 image with fio, attached read-only with serial "tools". */
  readonly toolsDisk: string;
  readonly toolsSerial: string;
}

function newestKernelVersion(): string {
  const versions = readdirSync("/boot").filter((name) => name.startsWith("vmlinuz-")).map((name) => name.slice("vmlinuz-".length));
  if (versions.length === 0) throw new Error("no /boot/vmlinuz-*: the linux-image-amd64 package did not install a kernel");
  return versions.sort().at(-1) as string;
}

/** Module files (relative to the modules folder) for `names`, each after everything it needs. */
function moduleOrder(modulesDir: string, names: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(join(modulesDir, "modules.dep"), "utf8").split("\n")) {
    const [file, rest] = line.split(":");
    if (file && rest !== undefined) deps.set(file, rest.trim() ? rest.trim().split(/\s+/) : []);
  }
  const byName = new Map([...deps.keys()].map((file) => [file.split("/").at(-1)?.replace(/\.ko$/, "").replace(/-/g, "_"), file]));
  const order: string[] = [];
  const visit = (file: string): void => {
    if (order.includes(file)) return;
    for (const dep of deps.get(file) ?? []) visit(dep);
    order.push(file);
  };
  for (const name of names) {
    const file = byName.get(name);
    if (file === undefined) throw new Error(`the kernel has no module ${name} (is it built in? see /boot/config-*)`);
    visit(file);
  }
  return order;
}

function initScript(modules: readonly string[], jobs: readonly FioJob[], libraries: readonly string[]): string {
  const [loader] = libraries.filter((file) => file.includes("/ld-linux"));
  const libraryPath = [...new Set(libraries.map((file) => `/opt${dirname(file)}`))].join(":");
  const fio = `/opt${loader} --library-path ${libraryPath} /opt${FIO}`;
  return `#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
${modules.map((file) => `insmod /modules/${file.split("/").at(-1)} || echo "insmod ${file} failed"`).join("\n")}
address=
gateway=
fio=on
for option in $(cat /proc/cmdline); do
  case "$option" in
    ${ADDRESS_OPTION}=*) address=\${option#*=} ;;
    ${GATEWAY_OPTION}=*) gateway=\${option#*=} ;;
    ${FIO_OPTION}=off) fio=off ;;
  esac
done
ip link set lo up
ip link set eth0 up
ip addr add $address dev eth0
if [ -n "$gateway" ]; then ip route add default via $gateway; fi
echo "${LINUX_NET_FEATURES} $(cat /sys/class/net/eth0/device/features)"
httpd -p 80 -h /www
echo "${LINUX_READY}"
if [ "$fio" = off ]; then exec sleep 100000; fi
disk=
for dev in /sys/block/vd*; do
  serial=$(cat $dev/serial 2>/dev/null)
  if [ "$serial" = "${TOOLS_SERIAL}" ]; then mount -t ext2 -o ro /dev/\${dev##*/} /opt || echo "compare: the tools disk does not mount"; fi
  if [ "$serial" = "${BENCH_SERIAL}" ]; then disk=/dev/\${dev##*/}; fi
done
${jobs
  .map(
    (job) => `echo "compare: fio ${job.name} begin"
${fio} --name=${job.name} --filename=$disk --ioengine=libaio --direct=1 ${job.options} --output-format=json
echo "compare: fio ${job.name} end"`,
  )
  .join("\n")}
echo "${LINUX_FIO_DONE}"
exec sleep 100000
`;
}

/** Every shared library fio needs, as absolute paths on this machine (the loader included; some sit in subfolders fio's run path names). */
function fioLibraries(): string[] {
  const output = execFileSync("ldd", [FIO], { encoding: "utf8" });
  return [...output.matchAll(/(\/\S+) \(0x/g)].map((match) => match[1]);
}

function buildToolsDisk(dir: string, image: string, libraries: readonly string[]): void {
  const root = join(dir, "tools");
  rmSync(root, { recursive: true, force: true });
  for (const file of [FIO, ...libraries]) {
    const target = join(root, file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(realpathSync(file), target);
  }
  rmSync(image, { force: true });
  // Size: the files plus room for the file system's own structures.
  const bytes = Number(execFileSync("du", ["-sb", root], { encoding: "utf8" }).split("\t")[0]);
  const kib = Math.ceil((bytes * 1.2) / 1024) + 8192;
  execFileSync("mke2fs", ["-q", "-t", "ext2", "-d", root, image, `${kib}K`], { stdio: "ignore", env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
}

/** Prepares (or reuses, when the kernel and the jobs are unchanged) the Linux guest in `dir`. */
export function prepareLinuxGuest(dir: string, jobs: readonly FioJob[], web: readonly WebFile[], progress: (line: string) => void): LinuxGuest {
  ensureDebianPackages(progress, LINUX_GUEST_PACKAGES);
  mkdirSync(dir, { recursive: true });
  const version = newestKernelVersion();
  const modulesDir = join("/lib/modules", version);
  const modules = moduleOrder(modulesDir, MODULES);
  const libraries = fioLibraries();
  const toolsDisk = join(dir, "tools.ext2");
  if (!existsSync(toolsDisk)) {
    progress("building the Linux guest's tools disk (fio and its libraries)");
    buildToolsDisk(dir, toolsDisk, libraries);
  }
  const entries: CpioEntry[] = [
    ...["bin", "dev", "proc", "sys", "opt", "modules", "www"].map((path) => ({ kind: "directory" as const, path })),
    { kind: "char-device", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "bin/busybox", data: readFileSync(BUSYBOX), executable: true },
    ...["sh", "mount", "insmod", "ip", "httpd", "mkdir", "cat", "echo", "sleep"].map((applet) => ({ kind: "symlink" as const, path: `bin/${applet}`, target: "busybox" })),
    ...modules.map((file) => ({ kind: "file" as const, path: `modules/${file.split("/").at(-1)}`, data: readFileSync(join(modulesDir, file)) })),
    ...web.map((file) => ({ kind: "file" as const, path: `www/${file.name}`, data: file.data })),
    { kind: "file", path: "init", data: Buffer.from(initScript(modules, jobs, libraries)), executable: true },
  ];
  const initrd = join(dir, "initramfs.cpio");
  writeFileSync(initrd, cpioArchive(entries));
  return { kernel: join("/boot", `vmlinuz-${version}`), initrd, toolsDisk, toolsSerial: TOOLS_SERIAL };
}
