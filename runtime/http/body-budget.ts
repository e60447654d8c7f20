import { HttpError } from "./request-head";
import { STATUS_SERVICE_UNAVAILABLE } from "./status";

/**
 * One server's budget of request body bytes read from its connections and not yet answered.
 * Each connection holds a claim; a body that would take the total past the limit fails with 503.
 */
export class BodyBudget {
  used = 0;

  constructor(readonly limit: number) {}

  claim(): BodyClaim {
    return new BodyClaim(this);
  }
}

export class BodyClaim {
  private held = 0;

  constructor(private readonly budget: BodyBudget) {}

  /** `body`, counting each chunk against the budget before it is handed on. */
  async *counted(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      const budget = this.budget;
      if (budget.used + chunk.length > budget.limit) throw new HttpError(STATUS_SERVICE_UNAVAILABLE, "request bodies over the server's memory budget");
      budget.used += chunk.length;
      this.held += chunk.length;
      yield chunk;
    }
  }

  /** Gives back everything counted so far (the request was answered, or the connection ended). */
  release(): void {
    this.budget.used -= this.held;
    this.held = 0;
  }
}
