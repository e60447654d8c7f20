/** Port failures an app can tell apart by `code`. */
export class PortError extends Error {
  constructor(
    readonly code: "closed" | "removed" | "timeout" | "busy" | "read-pending",
    message: string,
  ) {
    super(message);
    this.name = "PortError";
  }
}
