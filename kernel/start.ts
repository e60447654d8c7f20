/** How an image runs its main function (the globals are already in place: kernel/prelude.ts). */
import { dieUncaught, system, type System } from "./prelude";

export type { System };

/**
 * Runs `main`. A number it returns (or resolves to) ends the machine with that status; otherwise
 * the machine runs until nothing keeps the event loop alive, then exits 0. A throw or rejection
 * is reported with its TypeScript stack and ends the machine with status 1.
 */
export function start(main: (system: System) => unknown): void {
  Promise.resolve()
    .then(() => main(system))
    .then((status) => {
      if (typeof status === "number") system.platform.exit(status);
    }, dieUncaught);
}
