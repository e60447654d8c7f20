// The demo's status page in a real browser (Debian's chromium, headless): the page's script
// fetches /status.json every second and draws its rate charts; after a few seconds of virtual
// time (while the test keeps the server and the disk busy) the rendered DOM must hold charts
// drawn from at least two refreshes, each device's row with its features by name, and the zero
// counters folded into a <details>.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RATE_CHARTS, CHART_HEIGHT } from "../../images/demo/status-script";
import { demoForFile, send } from "./lib/demo-guest";

/** Virtual time the page runs for: about four refreshes. */
const VIRTUAL_TIME_MS = 4500;
const BROWSER_TIMEOUT_MS = 120_000;

/** The DOM after the page's scripts ran for `VIRTUAL_TIME_MS` of virtual time. */
function renderedDom(url: string): Promise<string> {
  const profile = mkdtempSync(join(demo.dir, "chromium-"));
  const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
  const browser = spawn("chromium", [...flags, `--user-data-dir=${profile}`, `--virtual-time-budget=${VIRTUAL_TIME_MS}`, "--dump-dom", url], { stdio: ["ignore", "pipe", "pipe"] });
  let dom = "";
  let errors = "";
  browser.stdout.setEncoding("utf8").on("data", (text: string) => (dom += text));
  browser.stderr.setEncoding("utf8").on("data", (text: string) => (errors += text));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => browser.kill("SIGKILL"), BROWSER_TIMEOUT_MS);
    browser.on("error", reject);
    browser.on("exit", (status) => {
      clearTimeout(timer);
      if (status === 0 && dom.includes("</html>")) resolve(dom);
      else reject(new Error(`chromium ended with ${status}:\n${errors.slice(-4000)}`));
    });
  });
}

/** The y values of a chart's polyline (0 at the top: a higher rate is a smaller y). */
function chartYs(dom: string, id: string): number[] {
  const svg = new RegExp(`<svg id="chart-${id}" data-points="(\\d+)"[^>]*><polyline points="([^"]*)"`).exec(dom);
  if (svg === null) throw new Error(`no chart ${id} in the DOM`);
  const pairs = svg[2].split(" ").filter(Boolean);
  expect(pairs.length, `points of chart ${id}`).toBe(Number(svg[1]));
  return pairs.map((pair) => Number(pair.split(",")[1]));
}

const demo = demoForFile("vireo-status-page-");

describe("demo status page in headless chromium", () => {
  it("draws live rate charts from /status.json, lists devices with feature names, folds zero counters", async () => {
    // Requests and disk writes go on while the browser watches, so the rates are not all zero.
    let busy = true;
    const load = (async () => {
      for (let i = 0; busy; i++) expect((await send(demo.target, "PUT", `/kv/load-${i % 8}`, Buffer.alloc(4096, i))).status).toBeLessThan(300);
    })();
    let dom: string;
    try {
      dom = await renderedDom(`http://${demo.target.host}:${demo.target.port}/`);
    } finally {
      busy = false;
      await load;
    }

    const refreshes = Number(/<span id="refreshes">(\d+)<\/span>/.exec(dom)?.[1]);
    expect(refreshes).toBeGreaterThanOrEqual(2);
    for (const chart of RATE_CHARTS) expect(chartYs(dom, chart.id).length, chart.id).toBeGreaterThanOrEqual(2);
    for (const busyChart of ["requests", "rx", "iops"]) expect(Math.min(...chartYs(dom, busyChart)), busyChart).toBeLessThan(CHART_HEIGHT);
    expect(/<span id="rate-iops">[^<-]+<\/span>/.test(dom)).toBe(true);

    const rows = dom.match(/<tr class="device">.*?<\/tr>/g) ?? [];
    const row = (type: string) => rows.find((r) => r.includes(`<td>${type}</td>`)) ?? "";
    expect(rows).toHaveLength(3);
    expect(row("net")).toContain("<code>mrg-rxbuf</code>");
    expect(row("net")).toContain("<code>version-1</code>");
    expect(row("blk")).toContain("<code>flush</code>");
    expect(row("blk")).toMatch(/<td>split, event-idx, indirect<\/td>/);
    expect(row("rng")).toContain("<td>msix</td>");

    const network = dom.slice(dom.indexOf("<h2>Network</h2>"), dom.indexOf("<h2>Block</h2>"));
    const folded = /<details class="zero"><summary>counters at zero \((\d+)\)<\/summary>(.*?)<\/details>/s.exec(network);
    expect(folded).not.toBeNull();
    expect(folded?.[2]).toContain("<td>drops.tcp.badChecksum</td><td>0</td>");
    const shown = network.slice(0, network.indexOf("<details"));
    expect(shown).toMatch(/<td>rxFrames<\/td><td>[1-9]\d*<\/td>/);
    expect(shown).not.toMatch(/<td>0<\/td>/);
  }, BROWSER_TIMEOUT_MS + 30_000);
});
