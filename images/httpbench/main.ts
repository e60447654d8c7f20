// The HTTP side of `npm run bench -- compare`: the same two files the Linux guest's busybox httpd
// serves, from memory. The bodies are given on the command line as sizes and a seed so that the
// host knows what to expect: `small=N large=N seed=S`. `/busy` answers the nanoseconds the CPU has
// worked since boot (not halted): two readings around a workload give the guest's own cost.
import { haltedNs, nativePlatform } from "../../kernel/platform-native";
import { commandLine, serve } from "../../runtime/app/index";
import { webFileBytes } from "./web-files";

const small = webFileBytes(Number(commandLine.get("small")), Number(commandLine.get("seed")));
const large = webFileBytes(Number(commandLine.get("large")), Number(commandLine.get("seed")) + 1);
const NOT_FOUND = 404;

serve((request) => {
  const path = new URL(request.url).pathname;
  if (path === "/small") return new Response(small);
  if (path === "/large") return new Response(large);
  if (path === "/busy") return new Response(`${nativePlatform.monotonicNs() - haltedNs()}\n`);
  return new Response("no such file\n", { status: NOT_FOUND });
});
