// The profiling flags `npm run profile` and `vireo profile` share.
import type { ParseArgsConfig } from "node:util";
import { pitDivisor } from "../../kernel/profiler/pit";
import type { BoardName } from "../machines/boards";
import { DEFAULT_TOP } from "./report";
import { DEFAULT_HZ, DEFAULT_SECONDS } from "./session";

export const PROFILE_OPTIONS = {
  seconds: { type: "string" },
  hz: { type: "string" },
  "buffer-kib": { type: "string" },
  top: { type: "string" },
} satisfies ParseArgsConfig["options"];

export interface ProfileFlags {
  readonly seconds: number;
  readonly hz: number;
  readonly bufferKib: number | undefined;
  readonly top: number;
}

export interface ProfileFlagValues {
  seconds?: string;
  hz?: string;
  "buffer-kib"?: string;
  top?: string;
}

/** Boards with the PIT, the profiler's clock (microvm boots with it off). */
export const PROFILED_BOARDS: readonly BoardName[] = ["pc", "q35"];

/** Why `board` cannot be profiled, or undefined when it can. */
export function boardProblem(board: string): string | undefined {
  return (PROFILED_BOARDS as readonly string[]).includes(board) ? undefined : `--machine ${board}: the profiler's clock is the PIT, which ${PROFILED_BOARDS.join(" and ")} have`;
}

/** The flags' values, or what is wrong with one. */
export function parseProfileFlags(values: ProfileFlagValues): ProfileFlags | string {
  const number = (flag: keyof ProfileFlagValues, fallback: number | undefined, integer: boolean): number | undefined | string => {
    const text = values[flag];
    if (text === undefined) return fallback;
    const value = Number(text);
    return value > 0 && Number.isFinite(value) && (!integer || Number.isInteger(value)) ? value : `--${flag} ${text}: a positive ${integer ? "whole " : ""}number`;
  };
  const seconds = number("seconds", DEFAULT_SECONDS, false);
  const hz = number("hz", DEFAULT_HZ, true);
  const bufferKib = number("buffer-kib", undefined, true);
  const top = number("top", DEFAULT_TOP, true);
  for (const value of [seconds, hz, bufferKib, top]) if (typeof value === "string") return value;
  try {
    pitDivisor(hz as number);
  } catch (error) {
    if (error instanceof RangeError) return `--hz ${hz}: ${error.message}`;
    throw error;
  }
  return { seconds: seconds as number, hz: hz as number, bufferKib: bufferKib as number | undefined, top: top as number };
}
