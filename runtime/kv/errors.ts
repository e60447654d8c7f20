/**
 * "io": the disk failed a read, write or flush. A put or delete that fails with "io" may or may not
 * have taken effect (as after a power cut during it); the store stays usable and consistent.
 */
export type KvErrorCode = "key" | "value-too-large" | "full" | "corrupt" | "read-only" | "io";

export class KvError extends Error {
  override name = "KvError";

  constructor(
    readonly code: KvErrorCode,
    message: string,
  ) {
    super(message);
  }
}
