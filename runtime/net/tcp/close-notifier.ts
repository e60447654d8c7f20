import { reportCallbackError, type NetError } from "../errors";

/** The app's close and error handlers of one connection; each close is reported once. */
export class CloseNotifier {
  private readonly closeHandlers: (() => void)[] = [];
  private readonly errorHandlers: ((error: NetError) => void)[] = [];
  private reported = false;

  onClose(handler: () => void): void {
    if (this.reported) queueCallback(handler);
    else this.closeHandlers.push(handler);
  }

  onError(handler: (error: NetError) => void): void {
    this.errorHandlers.push(handler);
  }

  reportError(error: NetError): void {
    for (const handler of this.errorHandlers) queueCallback(() => handler(error));
  }

  reportClose(): void {
    if (this.reported) return;
    this.reported = true;
    for (const handler of this.closeHandlers.splice(0)) queueCallback(handler);
  }
}

/** App callbacks run outside the receive path; their exceptions are reported, not propagated. */
function queueCallback(callback: () => void): void {
  void Promise.resolve().then(() => {
    try {
      callback();
    } catch (error) {
      reportCallbackError(error);
    }
  });
}
