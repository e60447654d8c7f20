// The `vireo` subcommands. Each takes its arguments (after the command name) and resolves to the
// exit status; UsageError and VireoError carry what the user is told.
import { readdirSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { makeIso } from "../lib/iso";
import { launch, type BootResult, type Guest } from "../lib/qemu";
import { DEFAULT_BOARD, type Board } from "../machines/boards";
import type { Progress } from "../lib/build-apps";
import { buildApp, imageFor, kernelName, OUTPUT_FOLDER, resolveEntry, resolveFile } from "./build";
import { boardNamed } from "./devices";
import { UsageError, VireoError } from "./errors";
import { HELP } from "./help";
import { MACHINE_OPTIONS, machineSettings, requireQemu, type MachineSettings } from "./machine-flags";
import { createApp } from "./new";
import { testSummary } from "./summary";
import { appDir } from "../lib/paths";
import { boardProblem, parseProfileFlags, PROFILE_OPTIONS } from "../profile/flags";
import { formatReport } from "../profile/report";
import { builtTarget, ProfileError, profileKernel } from "../profile/session";
import { buildCache } from "./cache";

export type Command = (args: string[], progress: Progress) => Promise<number>;

const DEFAULT_HTTP_FORWARD = { host: 8080, guest: 80 };
const DEFAULT_TEST_TIMEOUT_S = "120";
const TEST_SUFFIX = ".test.ts";
const KERNEL_EXTENSION = ".elf";
const SKIPPED_FOLDERS = new Set(["node_modules", OUTPUT_FOLDER]);
/** Ctrl-C ended QEMU (no guest status). */
const EXIT_INTERRUPTED = 130;
const EXIT_TIMED_OUT = 124;
const EXIT_NO_STATUS = 2;

function kindOf(entry: string): string {
  return basename(entry, extname(entry));
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** The guest's end; Ctrl-C or a kill of `vireo` ends the machine too instead of leaving QEMU behind. */
async function stoppedBySignals(guest: Guest): Promise<BootResult> {
  const stop = (): void => void guest.stop();
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  try {
    return await guest.exited;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
  }
}

/** Splits `args` at "--": the command's own arguments, then what goes to QEMU untouched. */
function splitQemuArgs(args: string[]): [string[], string[]] {
  const separator = args.indexOf("--");
  return separator < 0 ? [args, []] : [args.slice(0, separator), args.slice(separator + 1)];
}

const newCommand: Command = async (args, progress) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { vireo: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help) return help("new");
  if (positionals.length !== 1) throw new UsageError("vireo new needs one folder: vireo new <dir>");
  const folder = positionals[0];
  const files = createApp(folder, values.vireo);
  progress(`made ${folder}: ${files.join(", ")}`);
  console.log(`\nnext:\n  cd ${relative(process.cwd(), resolve(folder)) || "."}\n  npx vireo run      # then: curl http://127.0.0.1:8080/\n  npx vireo test`);
  return 0;
};

/** Builds one entry module into <its folder>/build/<its name>.elf. */
function buildEntry(entry: string, progress: Progress): Promise<string> {
  return buildApp({ entries: [entry], appFolder: dirname(entry), kind: kindOf(entry), progress });
}

const buildCommand: Command = async (args, progress) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { help: { type: "boolean", short: "h" } } });
  if (values.help) return help("build");
  if (positionals.length > 1) throw new UsageError("vireo build takes one entry file");
  await buildEntry(resolveEntry(positionals[0]), progress);
  return 0;
};

/** Boots `kernel` (the image `board` enters) with the machine flags, the guest's output on the terminal, until it ends or a signal stops it. */
function bootOn(kernel: string, board: Board, settings: MachineSettings, extraQemuArgs: readonly string[], stdin?: "inherit" | "ignore"): Promise<BootResult> {
  const guest = launch({
    kernel: imageFor(kernel, board.entry),
    append: settings.append,
    memory: settings.memory,
    qemuArgs: [...settings.qemuArgs(board), ...extraQemuArgs],
    timeoutMs: settings.timeoutMs,
    stdin,
    onOutput: (text) => process.stdout.write(text),
  });
  return stoppedBySignals(guest);
}

const runCommand: Command = async (args, progress) => {
  const [own, extraQemuArgs] = splitQemuArgs(args);
  const { values, positionals } = parseArgs({ args: own, allowPositionals: true, options: { ...MACHINE_OPTIONS, machine: { type: "string" } } });
  if (values.help) return help("run");
  if (positionals.length > 1) throw new UsageError("vireo run takes one entry file");
  const board = boardNamed(values.machine ?? DEFAULT_BOARD);
  const settings = machineSettings(values, [DEFAULT_HTTP_FORWARD]);
  requireQemu();
  const given = positionals[0];
  const kernel = given !== undefined && extname(given) === KERNEL_EXTENSION ? resolveFile(given) : await buildEntry(resolveEntry(given), progress);
  for (const port of settings.ports) progress(`http://127.0.0.1:${port.host} reaches the guest's port ${port.guest}`);
  progress(`booting ${relative(process.cwd(), kernel)} on ${values.machine ?? DEFAULT_BOARD} (Ctrl-C stops it)`);
  const result = await bootOn(kernel, board, settings, extraQemuArgs, process.stdin.isTTY ? "inherit" : "ignore");
  if (result.timedOut) {
    progress(`stopped after ${settings.timeoutMs / 1000} s (--timeout)`);
    return EXIT_TIMED_OUT;
  }
  if (result.qemuStatus === null) return EXIT_INTERRUPTED;
  if (result.status === undefined) {
    progress(`QEMU ended without a guest exit status (QEMU status ${result.qemuStatus})`);
    return EXIT_NO_STATUS;
  }
  return result.status;
};

/** Every *.test.ts under `folder`, node_modules and build aside, in name order. */
export function findTestFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(TEST_SUFFIX))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !relative(folder, file).split("/").some((part) => SKIPPED_FOLDERS.has(part) || part.startsWith(".")))
    .sort();
}

const testCommand: Command = async (args, progress) => {
  const [own, extraQemuArgs] = splitQemuArgs(args);
  const { values, positionals } = parseArgs({ args: own, allowPositionals: true, options: { ...MACHINE_OPTIONS, machines: { type: "string" } } });
  if (values.help) return help("test");
  const machines = (values.machines ?? DEFAULT_BOARD).split(",").filter(Boolean);
  const boards = machines.map((name) => ({ name, board: boardNamed(name) }));
  const settings = machineSettings({ ...values, timeout: values.timeout ?? DEFAULT_TEST_TIMEOUT_S }, []);
  requireQemu();
  const folder = process.cwd();
  const files = positionals.length > 0 ? positionals.map((file) => resolveEntry(file)) : findTestFiles(folder);
  if (files.length === 0) throw new UsageError(`no *${TEST_SUFFIX} files under ${folder}`);
  const kernel = await buildApp({ entries: files, appFolder: folder, kind: "test", progress });
  const failedOn: string[] = [];
  for (const { name, board } of boards) {
    progress(`testing on ${name}`);
    const result = await bootOn(kernel, board, settings, extraQemuArgs);
    const summary = testSummary(result.output);
    if (result.timedOut) progress(`${name}: timed out after ${settings.timeoutMs / 1000} s`);
    else if (summary === undefined) progress(`${name}: the tests did not finish (no "N passed, M failed" line; exit status ${result.status ?? "none"})`);
    if (result.status !== 0 || summary === undefined || summary.failed > 0) failedOn.push(name);
  }
  progress(failedOn.length === 0 ? `tests passed on ${machines.join(", ")}` : `tests failed on ${failedOn.join(", ")}`);
  return failedOn.length === 0 ? 0 : 1;
};

const profileCommand: Command = async (args, progress) => {
  const [own, extraQemuArgs] = splitQemuArgs(args);
  const { values, positionals } = parseArgs({ args: own, allowPositionals: true, options: { ...MACHINE_OPTIONS, ...PROFILE_OPTIONS, machine: { type: "string" } } });
  if (values.help) return help("profile");
  if (positionals.length > 1) throw new UsageError("vireo profile takes one entry file");
  const flags = parseProfileFlags(values);
  if (typeof flags === "string") throw new UsageError(flags);
  const board = boardNamed(values.machine ?? DEFAULT_BOARD);
  const problem = boardProblem(values.machine ?? DEFAULT_BOARD);
  if (problem !== undefined) throw new UsageError(problem);
  const settings = machineSettings(values, [DEFAULT_HTTP_FORWARD]);
  requireQemu();
  const entry = resolveEntry(positionals[0]);
  const appFolder = dirname(entry);
  const kind = kindOf(entry);
  const kernel = await buildEntry(entry, progress);
  const target = builtTarget(appDir(kernelName(appFolder, kind), buildCache().buildDir), imageFor(kernel, board.entry), board.entry, appFolder, kind);
  for (const port of settings.ports) progress(`http://127.0.0.1:${port.host} reaches the guest's port ${port.guest}`);
  progress(`profiling ${relative(process.cwd(), kernel)} for up to ${flags.seconds} s at ${flags.hz} Hz (Ctrl-C stops it)`);
  try {
    const result = await profileKernel(target, {
      ...flags,
      outputDir: join(appFolder, OUTPUT_FOLDER, `${kind}-profile`),
      append: settings.append,
      memory: settings.memory,
      qemuArgs: [...settings.qemuArgs(board), ...extraQemuArgs],
      onOutput: (text) => process.stdout.write(text),
      onLaunch: (guest) => void stoppedBySignals(guest),
    });
    console.log(`\n${formatReport(result.profile, result.ranked, flags.top).join("\n")}`);
    progress(`flame graph: ${relative(process.cwd(), result.svgPath)} (open it in a browser; folded stacks: ${relative(process.cwd(), result.foldedPath)})`);
    return 0;
  } catch (error) {
    if (error instanceof ProfileError) throw new VireoError(error.message);
    throw error;
  }
};

const imageCommand: Command = async (args, progress) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { append: { type: "string" }, output: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return help("image");
  if (positionals.length > 1) throw new UsageError("vireo image takes one entry file");
  const entry = resolveEntry(positionals[0]);
  const appFolder = dirname(entry);
  const kind = kindOf(entry);
  const kernel = await buildEntry(entry, progress);
  const output = resolve(values.output ?? join(appFolder, OUTPUT_FOLDER, `${kind}.iso`));
  makeIso({ kernel, title: kind, commandLine: values.append ?? "", output, tree: join(appFolder, OUTPUT_FOLDER, `${kind}-iso`) });
  progress(`made ${relative(process.cwd(), output)}`);
  return 0;
};

function help(command: string): number {
  console.log(HELP[command]);
  return 0;
}

export const COMMANDS: Record<string, Command> = {
  new: newCommand,
  build: buildCommand,
  run: runCommand,
  test: testCommand,
  image: imageCommand,
  profile: profileCommand,
};
