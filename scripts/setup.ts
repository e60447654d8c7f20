// Makes a fresh Debian machine ready to build and boot Vireo (scripts/lib/setup-steps.ts).
import { ensureDebianPackages, ensureQuickJs, SetupError } from "./lib/setup-steps";
import { QUICKJS_DIR } from "./lib/paths";

const progress = (line: string): void => console.log(`vireo: ${line}`);
try {
  ensureDebianPackages(progress);
  ensureQuickJs(QUICKJS_DIR, progress);
} catch (error) {
  if (!(error instanceof SetupError)) throw error;
  console.error(`vireo: ${error.message}`);
  process.exit(1);
}
