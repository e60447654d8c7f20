/**
 * A Node-like console writing to one text sink (the serial port in the guest). Like Node's, every
 * level prints plainly; warn and error are not prefixed. Methods are bound so they can be passed around.
 */
import { formatWithOptions } from "./format";
import { formatValue, type InspectOptions } from "./inspect";

export interface ConsoleOptions {
  /** Milliseconds for console.time; default Date.now. */
  now?: () => number;
  /** Rewrites error stacks (bundle to source positions). */
  mapStack?: (stack: string) => string;
}

export class Console {
  private readonly inspectOptions: InspectOptions;
  private readonly now: () => number;
  private readonly counts = new Map<string, number>();
  private readonly timers = new Map<string, number>();
  private groupIndent = "";

  constructor(
    private readonly write: (text: string) => void,
    options: ConsoleOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.inspectOptions = { mapStack: options.mapStack };
  }

  readonly log = (...data: unknown[]): void => {
    this.print(formatWithOptions(this.inspectOptions, ...data));
  };

  readonly info = this.log;
  readonly debug = this.log;
  readonly warn = this.log;
  readonly error = this.log;

  readonly dir = (value: unknown): void => {
    this.print(formatValue(value, this.inspectOptions));
  };

  readonly assert = (condition?: unknown, ...data: unknown[]): void => {
    if (condition) return;
    data[0] = data.length === 0 ? "Assertion failed" : `Assertion failed: ${data[0]}`;
    this.warn(...data);
  };

  readonly count = (label = "default"): void => {
    const count = (this.counts.get(label) ?? 0) + 1;
    this.counts.set(label, count);
    this.print(`${label}: ${count}`);
  };

  readonly countReset = (label = "default"): void => {
    if (!this.counts.delete(label)) this.print(`Warning: Count for '${label}' does not exist`);
  };

  readonly group = (...label: unknown[]): void => {
    if (label.length > 0) this.log(...label);
    this.groupIndent += "  ";
  };

  readonly groupEnd = (): void => {
    this.groupIndent = this.groupIndent.slice(2);
  };

  readonly time = (label = "default"): void => {
    if (this.timers.has(label)) this.print(`Warning: Label '${label}' already exists for console.time()`);
    else this.timers.set(label, this.now());
  };

  readonly timeLog = (label = "default", ...data: unknown[]): void => {
    this.printElapsed(label, "timeLog", data);
  };

  readonly timeEnd = (label = "default"): void => {
    if (this.printElapsed(label, "timeEnd", [])) this.timers.delete(label);
  };

  private printElapsed(label: string, method: string, data: unknown[]): boolean {
    const start = this.timers.get(label);
    if (start === undefined) {
      this.print(`Warning: No such label '${label}' for console.${method}()`);
      return false;
    }
    this.log(`${label}: ${formatDuration(this.now() - start)}`, ...data);
    return true;
  }

  private print(text: string): void {
    if (this.groupIndent !== "") text = this.groupIndent + text.replace(/\n/g, `\n${this.groupIndent}`);
    this.write(`${text}\n`);
  }
}

/** `12.5ms`, `1.500s`, `2:03.250 (m:ss.mmm)` or `1:02:03.250 (h:mm:ss.mmm)`, as Node prints timers. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Number(ms.toFixed(3))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)}s`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(3).padStart(6, "0");
  if (hours === 0) return `${minutes}:${seconds} (m:ss.mmm)`;
  return `${hours}:${String(minutes).padStart(2, "0")}:${seconds} (h:mm:ss.mmm)`;
}
