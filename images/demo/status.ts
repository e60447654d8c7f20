// The demo's status page: uptime, virtio devices, network and block counters, the store.

export interface DeviceStatus {
  readonly name: string;
  readonly type: string;
  readonly transport: string;
  readonly notify: string;
  readonly features: string;
  readonly state: string;
}

export interface StatusSnapshot {
  readonly uptimeSeconds: number;
  readonly memory: { readonly heapBytes: number; readonly freePages: number; readonly totalPages: number };
  readonly devices: readonly DeviceStatus[];
  readonly network: Readonly<Record<string, unknown>>;
  readonly block: Readonly<Record<string, unknown>>;
  readonly store: Readonly<Record<string, unknown>>;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function table(rows: readonly (readonly string[])[], head: readonly string[]): string {
  const cells = (row: readonly string[], tag: string) => row.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("");
  return `<table><tr>${cells(head, "th")}</tr>${rows.map((r) => `<tr>${cells(r, "td")}</tr>`).join("")}</table>`;
}

function flatten(record: Readonly<Record<string, unknown>>, prefix = ""): string[][] {
  return Object.entries(record).flatMap(([key, value]) =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? flatten(value as Record<string, unknown>, `${prefix}${key}.`)
      : [[`${prefix}${key}`, String(value)]],
  );
}

export function renderStatusPage(status: StatusSnapshot): string {
  const devices = status.devices.map((d) => [d.name, d.type, d.transport, d.notify, d.features, d.state]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vireo</title>
<style>body{font:15px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .3em}</style>
</head><body>
<h1>Vireo</h1>
<p>A TypeScript unikernel. Up ${status.uptimeSeconds.toFixed(1)} s; JS heap ${status.memory.heapBytes} bytes;
${status.memory.freePages} of ${status.memory.totalPages} pages free.</p>
<h2>Virtio devices</h2>
${table(devices, ["device", "type", "transport", "notify", "features", "state"])}
<h2>Network</h2>
${table(flatten(status.network), ["counter", "value"])}
<h2>Block</h2>
${table(flatten(status.block), ["counter", "value"])}
<h2>Key-value store</h2>
${table(flatten(status.store), ["", "value"])}
<p>Store a value: <code>curl -X PUT --data-binary @file http://HOST/kv/name</code>;
read it: <code>curl http://HOST/kv/name</code>; list keys: <code>curl http://HOST/kv</code>.</p>
</body></html>
`;
}
