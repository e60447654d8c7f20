// The smallest app on the app API: a greeting with the kernel command line and a random UUID
// (from the virtio-rng, when the machine has one), then the machine ends with status 0.
// npm run build -- hello && npm run run -- hello --bare --append "greeting=hi"
// or, as an app outside the repository would: npm run vireo -- run images/hello/main.ts
import { commandLine, exit } from "../../runtime/app/index";

console.log(`hello from Vireo (command line: "${commandLine.text}")`);
if (crypto !== undefined) console.log(`a random UUID: ${crypto.randomUUID()}`);
exit(0);
