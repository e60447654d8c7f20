// Deliberate failures, chosen on the kernel command line, to test the panic and uncaught-error
// reports: fault=page | throw | reject | exhaust (memory) | none (prints the command line).
import { start } from "../../kernel/start";

/** Above the boot identity map and never mapped: reading it must page-fault. */
const UNMAPPED_ADDRESS = 0x80_0000_0000;

function readUnmappedMemory(read: (address: number) => number): number {
  return read(UNMAPPED_ADDRESS);
}

function failDeepInside(depth: number): never {
  if (depth === 0) throw new Error("deliberate failure from TypeScript");
  return failDeepInside(depth - 1);
}

interface Link {
  readonly next: Link | undefined;
  readonly index: number;
}

/** Keeps allocating small objects, all reachable: only running out of memory ends it. */
function exhaustMemory(): never {
  let head: Link | undefined;
  for (let index = 0; ; index++) head = { next: head, index };
}

async function rejectLater(): Promise<void> {
  await null;
  throw new TypeError("deliberate rejection");
}

start(({ platform, commandLine }) => {
  const fault = commandLine.get("fault") ?? "none";
  console.log(`faults: command line ${JSON.stringify(commandLine.text)}`);
  for (const [key, value] of commandLine.entries()) console.log(`faults: arg ${key}=${value}`);
  switch (fault) {
    case "page":
      return readUnmappedMemory((address) => platform.mmio.read32(address));
    case "throw":
      return failDeepInside(3);
    case "reject":
      void rejectLater();
      return undefined;
    case "exhaust":
      return exhaustMemory();
    case "none":
      return 0;
    default:
      throw new Error(`unknown fault "${fault}"`);
  }
});
