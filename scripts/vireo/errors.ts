/** A mistake in how `vireo` was called (exit status 2) or a step that failed (status 1). */
export class UsageError extends Error {
  override name = "UsageError";
}

export class VireoError extends Error {
  override name = "VireoError";
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
