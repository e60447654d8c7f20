/** Corrections to the JS engine's built-ins, installed once at start-up in the guest. */
import { installStrictJsonEscapes } from "./json-escapes";
import { installNumberRadix } from "./number-radix";

export function installPolyfills(): void {
  installNumberRadix();
  installStrictJsonEscapes();
}
