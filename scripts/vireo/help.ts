// `vireo --help` and `vireo <command> --help`.
export const HELP: Record<string, string> = {
  vireo: `vireo: build, boot and test TypeScript unikernel apps

usage: vireo <command> [options]

commands:
  new <dir>            make an app folder (main.ts, app.ts, app.test.ts, package.json, tsconfig.json)
  build [entry.ts]     build a bootable kernel (default ./main.ts) into build/<entry>.elf
  run [entry.ts]       build and boot it in QEMU; serial console here; exit status from the guest
  test [file.test.ts]  boot the app's in-guest tests (default: every *.test.ts) on each machine
  image [entry.ts]     build a bootable ISO (GRUB)
  profile [entry.ts]   boot it with the sampling profiler: top functions and a flame graph (SVG)

vireo <command> --help shows a command's options.
`,
  new: `usage: vireo new <dir> [--vireo SPEC]

Makes <dir> (absent or empty) a ready app: main.ts serving HTTP, app.ts with its handler,
app.test.ts with in-guest tests, package.json, tsconfig.json, README.md.

  --vireo SPEC   the package.json dependency on Vireo (default: this copy of Vireo, as file:PATH)
`,
  build: `usage: vireo build [entry.ts]

Bundles the entry (default ./main.ts) with the kernel and links a bootable kernel at
build/<entry>.elf next to it. The engine and native objects are built once and cached
($VIREO_CACHE, else ~/.cache/vireo); a rebuild after editing TypeScript takes seconds.
`,
  run: `usage: vireo run [entry.ts | kernel.elf] [options] [-- qemu args]

Builds the entry (default ./main.ts; a .elf boots as it is) and boots it in QEMU with a
virtio-rng, the serial console on this terminal. Exits with the guest's status; Ctrl-C stops it.

  --machine NAME                      pc (default), q35 or microvm (virtio-mmio, PVH)
  --disk FILE[,serial=S][,readonly]   a virtio-blk disk on a raw image file (repeatable)
  --share DIR,tag=TAG[,readonly]      a host folder over virtio-9p, opened in the app with openShare(TAG) (repeatable)
  --net user|tap:IFNAME|none          virtio-net on QEMU user networking (default), a tap device, or none
  --port HOST:GUEST                   forward 127.0.0.1:HOST to the guest's TCP port (repeatable;
                                      default with --net user: 8080:80)
  --memory SIZE                       guest memory (default 128M)
  --append "k=v ..."                  kernel command line (e.g. ip=10.0.2.15/24 gw=10.0.2.2)
  --timeout SECONDS                   stop the machine after this long (status 124)
`,
  test: `usage: vireo test [file.test.ts ...] [options]

Builds the test files (default: every *.test.ts under this folder, node_modules and build
aside) into one image and boots it on each machine. Tests use "vireo/test" (test, describe,
assert); the output is TAP ending in "N passed, M failed". Exits 1 when a test fails on any
machine, as CI expects.

  --machines a,b                      machines to test on (default pc; known: pc, q35, microvm)
  --disk, --share, --net, --port, --memory, --append   as for vireo run (default --net user, no ports)
  --timeout SECONDS                   per machine (default 120)
`,
  profile: `usage: vireo profile [entry.ts] [options] [-- qemu args]

Builds the entry (default ./main.ts) and boots it as vireo run does, with the in-guest sampling
profiler on: a timer NMI records where the CPU is and the JavaScript stack. After --seconds (or
when the app exits) it prints the top functions by self and total samples, with their TypeScript
file:line, and writes a flame graph to build/<entry>-profile/profile.svg (open it in a browser).
Put load on the app meanwhile (e.g. a curl loop through --port).

  --seconds N      how long to record (default 10); the app may exit sooner
  --hz N           samples per second (default 1000; 19 to 596591)
  --buffer-kib N   the guest's sample buffer (default 1024); samples past it are counted as dropped
  --top N          how many functions to list (default 20)
  --machine, --disk, --net, --port, --memory, --append   as for vireo run (pc or q35: the
                   profiler's clock is the PIT)
`,
  image: `usage: vireo image [entry.ts] [--append "k=v ..."] [--output FILE]

Builds the entry (default ./main.ts) and makes a bootable GRUB ISO (default build/<entry>.iso)
whose kernel command line is --append.
`,
};
