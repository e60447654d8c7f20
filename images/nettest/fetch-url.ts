// `fetch=URL`: an HTTP request from the guest (a TCP connect out through the gateway), reported
// as status, length and SHA-256 of the body so the host can check every byte.
import { sha256Hex } from "../../runtime/crypto/sha256";
import { createFetch } from "../../runtime/http/fetch";
import type { NetStack } from "../../runtime/net/index";

export async function fetchAndReport(stack: NetStack, url: string, describe: (error: unknown) => string): Promise<void> {
  try {
    const response = await createFetch(stack)(url);
    const body = new Uint8Array(await response.arrayBuffer());
    console.log(`nettest: fetch ${url} status ${response.status} bytes ${body.length} sha256 ${sha256Hex(body)}`);
  } catch (error) {
    console.log(`nettest: fetch ${url} error ${describe(error)}`);
  }
}
