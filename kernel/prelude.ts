/**
 * The first module of every image (the build evaluates it before the app's own modules): installs
 * the Node-like globals (console, timers, queueMicrotask, TextEncoder/TextDecoder,
 * performance.now, AbortController/AbortSignal, structuredClone), engine fixes, and wires the event loop, device interrupts and the
 * uncaught-error report into the native kernel.
 */
import { CommandLine } from "./command-line";
import { Console } from "./console/console";
import { ConsoleOutput } from "./console/output";
import { setClassDetector } from "./console/inspect";
import { createEventLoop, type EventLoop } from "./event-loop";
import { InterruptRouter } from "./irq/router";
import { PortPciConfig, type PciConfigAccess } from "./pci/config";
import { nativeClockHardware, nativeInterruptHardware, nativePlatform, nativeProfileRecorder } from "./platform-native";
import type { Platform } from "./platform";
import { installPolyfills } from "./polyfills/index";
import { profileOptions } from "./profiler/options";
import { startProfiler } from "./profiler/start";
import { formatUncaught, mapStack } from "./stack-trace";
import { TextDecoder, TextEncoder, useNativeUtf8 } from "./text-encoding";
import { AbortController, AbortSignal } from "./web/abort";
import { structuredClone } from "./web/structured-clone";
import { startBootClock } from "./timers/boot-clock";
import { TSC_KHZ_OPTION } from "./timers/declared-clock";

const commandLine = new CommandLine(nativePlatform.commandLine);
// Before anything reads the clock: on a machine without PIT and RTC its rate is set only here.
startBootClock(nativeClockHardware, commandLine.get(TSC_KHZ_OPTION), nativePlatform);

/** When the prelude's own code began (its imports evaluate just before it, the clock is set just before): the first TypeScript. */
const preludeStartNs = nativePlatform.monotonicNs();

/** The name the build gives the bundle; QuickJS stacks show "(app.js:N)". */
const BUNDLE_NAME = "app.js";
const EXIT_UNCAUGHT = 1;
const NS_PER_MS = 1e6;

export interface System {
  readonly platform: Platform;
  readonly commandLine: CommandLine;
  readonly loop: EventLoop;
  readonly console: Console;
  /** Where the console's text goes (serial, plus mirrors such as a virtio-console port). */
  readonly consoleOutput: ConsoleOutput;
  readonly pci: PciConfigAccess;
  /** Device interrupts; their handlers run from the event loop. */
  readonly interrupts: InterruptRouter;
  /** Monotonic ns (since kernel entry) when TypeScript started running. */
  readonly typescriptStartNs: number;
}

function mapFrames(stack: string): string {
  return mapStack(stack, vireoNative.sourceLine, BUNDLE_NAME);
}

function reportUncaught(error: unknown): void {
  nativePlatform.serialWrite(`${formatUncaught(error, mapFrames)}\n`);
}

export function dieUncaught(error: unknown): never {
  reportUncaught(error);
  return nativePlatform.exit(EXIT_UNCAUGHT);
}

installPolyfills();
setClassDetector(vireoNative.isClassConstructor);
useNativeUtf8(vireoNative.utf8Encode);
const loop = createEventLoop(nativePlatform.monotonicNs, dieUncaught);
const consoleOutput = new ConsoleOutput((text) => nativePlatform.serialWrite(text));
const console = new Console(consoleOutput.write, { mapStack: mapFrames });
const globals = globalThis as Record<string, unknown>;
Object.assign(globals, {
  console,
  setTimeout: loop.setTimeout,
  setInterval: loop.setInterval,
  clearTimeout: loop.clearTimeout,
  clearInterval: loop.clearInterval,
  setImmediate: loop.setImmediate,
  clearImmediate: loop.clearImmediate,
  queueMicrotask: loop.queueMicrotask,
  TextEncoder,
  TextDecoder,
  AbortController,
  AbortSignal,
  structuredClone,
  // Defined (as undefined) until a virtio-rng is up, so `crypto !== undefined` is the test for it.
  crypto: undefined,
  performance: { now: () => nativePlatform.monotonicNs() / NS_PER_MS, timeOrigin: nativePlatform.wallClockMs() },
});
const pci = new PortPciConfig(nativePlatform.ports);
const interrupts = new InterruptRouter(nativePlatform, pci, nativeInterruptHardware);
vireoNative.setLoopHook(() => {
  interrupts.dispatcher.dispatch();
  return loop.tick();
});
vireoNative.setUncaughtHook(reportUncaught);
const profile = profileOptions(commandLine);
if (profile !== undefined)
  startProfiler(profile, {
    ports: nativePlatform.ports,
    recorder: nativeProfileRecorder,
    routeIsaIrqAsNmi: (irq) => interrupts.routeIsaIrqAsNmi(irq),
    setBackgroundTimeout: (callback, delayMs) => loop.setTimeout(callback, delayMs).unref(),
  });

export const system: System = {
  platform: nativePlatform,
  commandLine,
  loop,
  console,
  consoleOutput,
  pci,
  interrupts,
  typescriptStartNs: preludeStartNs,
};
