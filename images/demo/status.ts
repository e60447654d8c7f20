// The demo's status page: uptime and memory, each virtio device (features by name, ring layout,
// per-queue figures), the network's, the disks' and the store's counters (non-zero ones first,
// zero ones folded away), and live rates drawn by a small script (status-script.ts) from
// /status.json. Everything is in the page: no external assets.
import type { DeviceStatus, MachineStatus } from "../../runtime/app/index";
import { escapeHtml } from "../../runtime/http/html";
import { CHART_HEIGHT, CHART_WIDTH, RATE_CHARTS, STATUS_SCRIPT } from "./status-script";

export interface StatusSnapshot extends MachineStatus {
  /** Requests the demo has answered. */
  readonly http: { readonly requests: number };
  readonly store: Readonly<Record<string, unknown>>;
}

type Row = readonly string[];

function table(head: Row, rows: readonly Row[], className = ""): string {
  const cells = (row: Row, tag: string) => row.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("");
  const attribute = className === "" ? "" : ` class="${className}"`;
  return `<table${attribute}><tr>${cells(head, "th")}</tr>${rows.map((r) => `<tr>${cells(r, "td")}</tr>`).join("")}</table>`;
}

function flatten(record: Readonly<Record<string, unknown>>, prefix = ""): Row[] {
  return Object.entries(record).flatMap(([key, value]) =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? flatten(value as Record<string, unknown>, `${prefix}${key}.`)
      : [[`${prefix}${key}`, String(value)]],
  );
}

const isZero = (row: Row) => row[1] === "0";

/** Counters with a value first; the zero ones (most drop reasons, most of the time) folded into a <details>. */
function counters(record: Readonly<Record<string, unknown>> | null, what: string): string {
  if (record === null) return `<p>No ${what} yet.</p>`;
  const rows = flatten(record);
  const zero = rows.filter(isZero);
  const folded = zero.length === 0 ? "" : `<details class="zero"><summary>counters at zero (${zero.length})</summary>${table(["counter", "value"], zero)}</details>`;
  return table(["counter", "value"], rows.filter((row) => !isZero(row))) + folded;
}

function ring(device: DeviceStatus): string {
  const { layout, inOrder, eventIdx, indirect } = device.ring;
  return [layout, inOrder ? "in-order" : "", eventIdx ? "event-idx" : "", indirect ? "indirect" : ""].filter(Boolean).join(", ");
}

function deviceRows(devices: readonly DeviceStatus[]): string {
  const rows = devices.map(
    (d) =>
      `<tr class="device"><td>${escapeHtml(d.name)}</td><td>${escapeHtml(d.type)}</td><td>${escapeHtml(d.transport)}</td><td>${escapeHtml(d.notify)}</td>` +
      `<td>${escapeHtml(d.state)}</td><td>${escapeHtml(d.interruptMode)}</td><td>${escapeHtml(ring(d))}</td>` +
      `<td class="features">${d.featureNames.map((name) => `<code>${escapeHtml(name)}</code>`).join(" ")}</td></tr>`,
  );
  const head = ["device", "type", "transport", "notify", "state", "interrupts", "ring", "features"].map((h) => `<th>${h}</th>`).join("");
  return `<table class="devices"><tr>${head}</tr>${rows.join("")}</table>`;
}

function queueTables(devices: readonly DeviceStatus[]): string {
  return devices
    .filter((d) => d.queues.length > 0)
    .map((d) => {
      const rows = d.queues.map((q) => [q.index, q.size, q.inFlight, q.notifications, q.interrupts, q.deviceErrors].map(String));
      const head = ["queue", "size", "in flight", "notifications", "interrupts", "device errors"];
      return `<h3>${escapeHtml(`${d.name} (${d.type})`)}</h3>${table(head, rows, "queues")}`;
    })
    .join("\n");
}

function charts(): string {
  return RATE_CHARTS.map(
    (c) =>
      `<figure class="chart"><figcaption>${escapeHtml(c.title)}: <span id="rate-${c.id}">-</span></figcaption>` +
      `<svg id="chart-${c.id}" data-points="0" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}">` +
      `<polyline points="" fill="none" stroke="#2a6" stroke-width="2"/></svg></figure>`,
  ).join("");
}

/** JSON safe inside a <script> element (no "</script>" can end it early). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

export function renderStatusPage(status: StatusSnapshot): string {
  const { memory } = status;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vireo</title>
<style>body{font:15px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .3em}
.chart{display:inline-block;margin:0 1.5em 1em 0}.chart svg{border:1px solid #ccc;background:#fafafa}details{margin-bottom:1.5em}</style>
</head><body>
<h1>Vireo</h1>
<p>A TypeScript unikernel. Up <span id="uptime">${status.uptimeSeconds.toFixed(1)}</span> s; JS heap ${memory.heapBytes} bytes;
${memory.freePages} of ${memory.totalPages} pages free; <span id="refreshes">0</span> refreshes of <code>/status.json</code>.</p>
<h2>Rates</h2>
${charts()}
<h2>Virtio devices</h2>
${deviceRows(status.devices)}
<h2>Queues</h2>
${queueTables(status.devices)}
<h2>HTTP</h2>
${counters(status.http, "requests")}
<h2>Network</h2>
${counters(status.network, "network (it comes up with the server)")}
<h2>Block</h2>
${counters(status.block, "disks")}
<h2>Key-value store</h2>
${counters(status.store, "store")}
<p>Store a value: <code>curl -X PUT --data-binary @file http://HOST/kv/name</code>;
read it: <code>curl http://HOST/kv/name</code>; list keys: <code>curl http://HOST/kv</code>.</p>
<script type="application/json" id="status-data">${scriptJson(status)}</script>
<script>${STATUS_SCRIPT}</script>
</body></html>
`;
}
