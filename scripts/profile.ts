// Profiles an app of this repository: builds it, boots it with the in-guest sampling profiler on,
// prints the top functions (self and total) and writes a flame graph.
// Usage: tsx scripts/profile.ts <app> [--seconds N] [--hz H] [--buffer-kib K] [--top N]
//                               [--machine pc|q35] [--port 8080] [--append "k=v"] [--memory M] [-- qemu args]
// Output: build/apps/<app>/profile.svg (open it in a browser) and profile.folded (folded stacks).
import { parseArgs } from "node:util";
import { relative } from "node:path";
import { buildApps } from "./lib/build-apps";
import { appDir, kernelPath, ROOT } from "./lib/paths";
import { machineFor } from "./machines/index";
import { BOARDS, type Board } from "./machines/types";
import { boardProblem, parseProfileFlags, PROFILE_OPTIONS } from "./profile/flags";
import { formatReport } from "./profile/report";
import { builtTarget, ProfileError, profileKernel } from "./profile/session";
import { splitAtQemuArgs } from "./lib/qemu-args";

const DEFAULT_HTTP_PORT = 8080;
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;
const { own: ownArgs, qemu: extraQemuArgs } = splitAtQemuArgs(process.argv.slice(2));
const { values, positionals } = parseArgs({
  args: ownArgs,
  allowPositionals: true,
  options: { ...PROFILE_OPTIONS, append: { type: "string" }, memory: { type: "string" }, port: { type: "string" }, machine: { type: "string", default: "pc" } },
});

const app = positionals[0];
const board = values.machine as Board;
if (app === undefined || !BOARDS.includes(board)) {
  console.error(app === undefined ? "usage: npm run profile -- <app> [--seconds N] [--hz H] [-- qemu args]" : `vireo: --machine ${values.machine}: one of ${BOARDS.join(", ")}`);
  process.exit(EXIT_USAGE);
}
const flags = parseProfileFlags(values);
const problem = typeof flags === "string" ? flags : boardProblem(board);
if (typeof flags === "string" || problem !== undefined) {
  console.error(`vireo: ${problem}`);
  process.exit(EXIT_USAGE);
}
await buildApps([app]);
const machine = machineFor(app, { httpPort: Number(values.port ?? DEFAULT_HTTP_PORT), board });
if (machine.banner) console.log(machine.banner);
const dir = appDir(app);
console.log(`vireo: profiling ${app} for up to ${flags.seconds} s at ${flags.hz} Hz`);
try {
  const result = await profileKernel(
    builtTarget(dir, kernelPath(app, machine.entry), machine.entry ?? "multiboot", ROOT, app),
    { ...flags, outputDir: dir, append: values.append, memory: values.memory, qemuArgs: [...machine.qemuArgs, ...extraQemuArgs], onOutput: (text) => process.stdout.write(text) },
  );
  console.log(`\n${formatReport(result.profile, result.ranked, flags.top).join("\n")}`);
  console.log(`\nflame graph: ${relative(process.cwd(), result.svgPath)} (folded stacks: ${relative(process.cwd(), result.foldedPath)})`);
} catch (error) {
  if (!(error instanceof ProfileError)) throw error;
  console.error(`vireo: ${error.message}`);
  process.exit(EXIT_FAILURE);
}
