/**
 * AbortController and AbortSignal as the web platform has them (the subset apps use: `aborted`,
 * `reason`, `throwIfAborted`, "abort" listeners and `onabort`, `AbortSignal.abort`,
 * `AbortSignal.timeout`, `AbortSignal.any`). Timeouts use the global setTimeout.
 */

type AbortListener = (event: { readonly type: "abort"; readonly target: AbortSignal }) => void;

/** The error a signal aborts with when none is given ("AbortError") or when it times out ("TimeoutError"). */
export function abortError(name: "AbortError" | "TimeoutError", message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export class AbortSignal {
  private abortedFlag = false;
  private abortReason: unknown = undefined;
  private readonly listeners = new Set<AbortListener>();
  onabort: AbortListener | null = null;

  /** Signals are made by AbortController and the static helpers. */
  protected constructor() {}

  get aborted(): boolean {
    return this.abortedFlag;
  }

  get reason(): unknown {
    return this.abortReason;
  }

  throwIfAborted(): void {
    if (this.abortedFlag) throw this.abortReason;
  }

  addEventListener(type: string, listener: AbortListener, options?: { once?: boolean }): void {
    if (type !== "abort") return;
    if (options?.once) {
      const once: AbortListener = (event) => {
        this.listeners.delete(once);
        listener(event);
      };
      this.listeners.add(once);
    } else {
      this.listeners.add(listener);
    }
  }

  removeEventListener(type: string, listener: AbortListener): void {
    if (type === "abort") this.listeners.delete(listener);
  }

  static abort(reason?: unknown): AbortSignal {
    const signal = new AbortSignal();
    signal.signalAbort(reason);
    return signal;
  }

  static timeout(ms: number): AbortSignal {
    const signal = new AbortSignal();
    setTimeout(() => signal.signalAbort(abortError("TimeoutError", `signal timed out after ${ms} ms`)), ms);
    return signal;
  }

  /** Aborts when the first of `signals` does, with its reason. */
  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const combined = new AbortSignal();
    for (const signal of signals) {
      if (signal.aborted) {
        combined.signalAbort(signal.reason);
        return combined;
      }
    }
    for (const signal of signals) signal.addEventListener("abort", () => combined.signalAbort(signal.reason), { once: true });
    return combined;
  }

  /** Runs the listeners once; later calls do nothing. */
  protected signalAbort(reason: unknown): void {
    if (this.abortedFlag) return;
    this.abortedFlag = true;
    this.abortReason = reason === undefined ? abortError("AbortError", "This operation was aborted") : reason;
    const event = { type: "abort", target: this } as const;
    this.onabort?.(event);
    for (const listener of [...this.listeners]) listener(event);
    this.listeners.clear();
  }
}

/** The one way to make a signal that aborts on demand. */
class ControlledSignal extends AbortSignal {
  constructor() {
    super();
  }

  abortNow(reason: unknown): void {
    this.signalAbort(reason);
  }
}

export class AbortController {
  private readonly controlled = new ControlledSignal();

  get signal(): AbortSignal {
    return this.controlled;
  }

  abort(reason?: unknown): void {
    this.controlled.abortNow(reason);
  }
}
