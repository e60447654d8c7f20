/**
 * The sampling profiler's command-line options (scripts/profile.ts sets them):
 * `profile.hz=N` turns it on at N samples per second, `profile.seconds=S` ends the recording
 * after S seconds (otherwise it ends when the machine exits), `profile.buffer-kib=K` bounds the
 * sample buffer.
 */
import type { CommandLine } from "../command-line";

export interface ProfileOptions {
  readonly hz: number;
  /** Undefined: record until the machine exits. */
  readonly seconds: number | undefined;
  readonly bufferBytes: number;
}

export const DEFAULT_BUFFER_KIB = 1024;
const BYTES_PER_KIB = 1024;
/** More than this is more memory than the smallest machines have. */
const MAX_BUFFER_KIB = 256 * 1024;

function positive(commandLine: CommandLine, key: string, integer: boolean): number | undefined {
  const text = commandLine.get(key);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value)))
    throw new RangeError(`${key}=${text}: expected a positive ${integer ? "integer" : "number"}`);
  return value;
}

/** The options, or undefined when profiling is off; a RangeError names a bad value. */
export function profileOptions(commandLine: CommandLine): ProfileOptions | undefined {
  const hz = positive(commandLine, "profile.hz", true);
  if (hz === undefined) return undefined;
  const bufferKib = positive(commandLine, "profile.buffer-kib", true) ?? DEFAULT_BUFFER_KIB;
  if (bufferKib > MAX_BUFFER_KIB) throw new RangeError(`profile.buffer-kib=${bufferKib}: at most ${MAX_BUFFER_KIB}`);
  return { hz, seconds: positive(commandLine, "profile.seconds", false), bufferBytes: bufferKib * BYTES_PER_KIB };
}
