// The HTTP load of `bench -- compare` over tap, run inside the tap device's network namespace
// (see tap.ts): `http-inside.ts <guest address> <port>` prints the figures as JSON.
import { measureHttp } from "./http-workloads";

const [host, port] = process.argv.slice(2);
process.stdout.write(JSON.stringify(await measureHttp(host, Number(port))));
