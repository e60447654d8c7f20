// The virtio-9p test and benchmark image, on the app API. `fs=<command>[,<command>...]` picks what
// runs on the share tagged `fs.tag` (default "host"): the steps in checks.ts, or `bench`.
// Prints `fs <step> ok ...` or `fs <step> FAIL ...` per step and exits 0 only if every one passed.
import { commandLine, exit, openShare, type Share } from "../../runtime/app/index";
import { bench } from "./bench";
import { CHECKS } from "./checks";

const EXIT_FAILED = 1;
const EXIT_NO_SHARE = 2;

type Step = (share: Share) => Promise<string>;
const STEPS: Readonly<Record<string, Step>> = { ...CHECKS, bench: (share) => bench(share, commandLine) };

async function main(): Promise<number> {
  const tag = commandLine.get("fs.tag") ?? "host";
  let share: Share;
  try {
    share = await openShare(tag);
  } catch (error) {
    console.log(`fs open FAIL ${describe(error)}`);
    return EXIT_NO_SHARE;
  }
  console.log(`fs open ok tag=${share.tag}`);
  let failed = 0;
  for (const name of (commandLine.get("fs") ?? "").split(",").filter((n) => n !== "")) {
    const step = STEPS[name];
    try {
      if (step === undefined) throw new Error(`unknown step; known: ${Object.keys(STEPS).join(", ")}`);
      console.log(`fs ${name} ok ${await step(share)}`);
    } catch (error) {
      failed++;
      console.log(`fs ${name} FAIL ${describe(error)}`);
    }
  }
  return failed === 0 ? 0 : EXIT_FAILED;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

main().then(exit, (error: unknown) => {
  console.log(`fs FAIL ${describe(error)}`);
  exit(EXIT_FAILED);
});
