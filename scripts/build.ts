// Builds bootable kernels for the named apps. Usage: tsx scripts/build.ts [app ...] (default: demo)
import { buildApps } from "./lib/build-apps";

const apps = process.argv.slice(2);
await buildApps(apps.length ? apps : ["demo"]);
