import { BodyHolder, type BodyInit } from "./body";
import { ReadableBody } from "./readable-body";
import { Headers, type HeadersInit } from "./headers";
import { STATUS_OK, reasonPhrase, statusHasBody } from "./status";

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

const MIN_STATUS = 200;
const MAX_STATUS = 599;
const FIRST_NON_SUCCESS = 300;

/** The web-standard Response shape; bodies are strings, bytes or async iterables of chunks. */
export class Response extends ReadableBody {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** What the server serializes; kept apart from the readable body so reading does not consume it. */
  readonly rawBody: BodyInit | null;

  constructor(body: BodyInit | null = null, init: ResponseInit = {}) {
    super(new BodyHolder(body));
    const status = init.status ?? STATUS_OK;
    if (!Number.isInteger(status) || status < MIN_STATUS || status > MAX_STATUS) throw new RangeError(`invalid status ${status}`);
    if (body !== null && !statusHasBody(status)) throw new TypeError(`a ${status} response has no body`);
    this.status = status;
    this.statusText = init.statusText ?? reasonPhrase(status);
    this.headers = new Headers(init.headers);
    this.rawBody = body;
    if (typeof body === "string" && !this.headers.has("content-type")) this.headers.set("content-type", "text/plain;charset=UTF-8");
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(JSON.stringify(data), { ...init, headers });
  }

  get ok(): boolean {
    return this.status >= MIN_STATUS && this.status < FIRST_NON_SUCCESS;
  }
}
