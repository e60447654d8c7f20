import { BodyHolder, type BodyInit } from "./body";
import { ReadableBody } from "./readable-body";
import { Headers, type HeadersInit } from "./headers";

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
}

/** The web-standard Request shape, with the body as an async iterable of chunks. */
export class Request extends ReadableBody {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;

  constructor(url: string, init: RequestInit = {}) {
    super(new BodyHolder(init.body ?? null));
    this.url = url;
    this.method = (init.method ?? "GET").toUpperCase();
    this.headers = new Headers(init.headers);
  }
}
