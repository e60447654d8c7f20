export type KvErrorCode = "key" | "value-too-large" | "full" | "corrupt" | "read-only";

export class KvError extends Error {
  override name = "KvError";

  constructor(
    readonly code: KvErrorCode,
    message: string,
  ) {
    super(message);
  }
}
