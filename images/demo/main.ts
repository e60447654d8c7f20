// The demo app `npm start` boots.
import { start } from "../../kernel/start";

const NS_PER_MS = 1e6;

start(({ platform }) => {
  const usage = vireoNative.memoryUsage();
  console.log(`Vireo demo: TypeScript running ${(platform.monotonicNs() / NS_PER_MS).toFixed(1)} ms after kernel entry`);
  console.log(`memory: ${vireoNative.memoryBytes >> 20} MiB, ${usage.freePages} of ${usage.totalPages} pages free, JS heap ${usage.heapBytes} bytes`);
  console.log(`wall clock: ${new Date(platform.wallClockMs()).toISOString()}`);
  console.log("demo ready");
});
