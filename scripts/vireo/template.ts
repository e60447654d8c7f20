// The files `vireo new` writes: a small HTTP app, its in-guest tests, and what an editor and npm
// need (package.json depending on Vireo, tsconfig.json with the guest's types).

export interface TemplateOptions {
  /** The package name (the folder's name). */
  readonly name: string;
  /** How package.json names the Vireo dependency (a version, a tarball, a folder). */
  readonly vireo: string;
}

const MAIN = `// The app: an HTTP server on port 80 of the guest (vireo run forwards host port 8080 to it).
// Importing "vireo" brings the devices up; serve() brings the network up (DHCP, or ip= on the
// kernel command line) and answers each request with handler().
import { serve } from "vireo";
import { handler } from "./app";

serve({ port: 80, fetch: handler });
`;

const APP = `// What the app answers, kept apart from serve() so tests can call it directly.
const started = Date.now();

export async function handler(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (request.method === "GET" && url.pathname === "/") {
    return new Response("Hello from Vireo!\\n");
  }
  if (request.method === "GET" && url.pathname === "/api/status") {
    return Response.json({ ok: true, uptimeMs: Date.now() - started });
  }
  if (request.method === "POST" && url.pathname === "/api/echo") {
    return Response.json({ received: await request.json() });
  }
  return new Response("Not Found\\n", { status: 404 });
}
`;

const APP_TEST = `// In-guest tests: \`vireo test\` boots them and fails when any test fails.
import { assert, describe, test } from "vireo/test";
import { handler } from "./app";

describe("handler", () => {
  test("greets on /", async () => {
    const response = await handler(new Request("http://app/"));
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "Hello from Vireo!\\n");
  });

  test("echoes JSON", async () => {
    const response = await handler(new Request("http://app/api/echo", { method: "POST", body: '{"n":1}' }));
    assert.deepEqual(await response.json(), { received: { n: 1 } });
  });

  test("answers 404 elsewhere", async () => {
    const response = await handler(new Request("http://app/nowhere"));
    assert.equal(response.status, 404);
  });
});
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2020",
    // The guest has ES2020 and what "vireo" declares (console, timers, fetch, Request, ...), no DOM.
    lib: ["ES2020"],
    types: [],
    module: "ESNext",
    moduleResolution: "bundler",
    strict: true,
    noEmit: true,
    isolatedModules: true,
    skipLibCheck: true,
  },
  include: ["*.ts"],
};

function readme(name: string): string {
  return `# ${name}

A Vireo unikernel app: TypeScript that boots as its own kernel in QEMU.

\`\`\`sh
npx vireo build                  # build/main.elf
npx vireo run                    # boot it; http://127.0.0.1:8080 reaches the guest's port 80
curl http://127.0.0.1:8080/      # from another terminal
npx vireo test                   # boot the tests (*.test.ts) and report them as TAP
npx vireo run --help             # disks, networking, machines, memory, kernel command line
\`\`\`

- \`main.ts\` starts the server; \`app.ts\` answers requests; \`app.test.ts\` tests it.
- Ctrl-C stops a running machine; its exit status is the guest's.
- Type-check with \`npx tsc\` (after \`npm install --save-dev typescript\`).
`;
}

export function templateFiles({ name, vireo }: TemplateOptions): Record<string, string> {
  const packageJson = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: { build: "vireo build", start: "vireo run", test: "vireo test" },
    dependencies: { vireo },
  };
  return {
    "package.json": `${JSON.stringify(packageJson, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(TSCONFIG, null, 2)}\n`,
    "main.ts": MAIN,
    "app.ts": APP,
    "app.test.ts": APP_TEST,
    "README.md": readme(name),
    ".gitignore": "node_modules/\nbuild/\n",
  };
}
