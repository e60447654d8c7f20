/** Why the high-level app API could not give an app what it asked for. */
export type AppErrorCode = "no-network-device" | "no-disk";

export class AppError extends Error {
  override name = "AppError";

  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
  }
}
