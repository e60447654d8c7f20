// The `vireo` command (scripts/vireo.mjs starts it): vireo <new|build|run|test|image|profile> [options].
import { COMMANDS } from "./vireo/commands";
import { EXIT_FAILURE, EXIT_USAGE, UsageError, VireoError } from "./vireo/errors";
import { HELP } from "./vireo/help";
import { SetupError } from "./lib/setup-steps";

const progress = (line: string): void => console.error(`vireo: ${line}`);

/** parseArgs reports unknown and malformed flags as TypeErrors with these codes. */
function isArgumentError(error: unknown): error is Error {
  return error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS");
}

async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP.vireo);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")}; vireo --help)`);
  try {
    return await command(rest, progress);
  } catch (error) {
    if (isArgumentError(error)) throw new UsageError(`${error.message} (vireo ${name} --help)`);
    throw error;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    progress(error.message);
    process.exitCode = EXIT_USAGE;
  } else if (error instanceof VireoError || error instanceof SetupError) {
    progress(error.message);
    process.exitCode = EXIT_FAILURE;
  } else {
    throw error;
  }
}
