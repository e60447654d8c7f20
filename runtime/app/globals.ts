/**
 * The web platform's HTTP globals for app code: Request, Response, Headers, URL, URLSearchParams
 * (runtime/http), and `fetch` on the machine's network once an app asks for one. Types for guest
 * code: boot/guest-web.d.ts.
 */
import { createFetch, type FetchInit } from "../http/fetch";
import { Headers } from "../http/headers";
import { Request } from "../http/request";
import { Response } from "../http/response";
import { URL, URLSearchParams } from "../http/url";
import type { NetStack } from "../net/stack";

export function installHttpGlobals(): void {
  Object.assign(globalThis, { Request, Response, Headers, URL, URLSearchParams });
}

/** A fetch that brings the network up on its first call (see AppMachine.network). */
export function networkFetch(network: () => Promise<NetStack>): (input: string | URL, init?: FetchInit) => Promise<Response> {
  return async (input, init) => createFetch(await network())(input, init);
}
