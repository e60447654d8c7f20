// The status page's script (runs in the browser, not in the guest): every second it fetches
// /status.json, turns the growth of the counters since the last snapshot into rates, and redraws
// one small SVG chart per rate. The first snapshot is the one the page was rendered from.

export const CHART_WIDTH = 240;
export const CHART_HEIGHT = 60;
/** Rates a chart keeps (a minute at one refresh a second). */
export const CHART_POINTS = 60;
export const REFRESH_MS = 1000;

/** One chart per rate; `id` names the counter the script totals from a snapshot. */
export const RATE_CHARTS = [
  { id: "requests", title: "HTTP requests/s" },
  { id: "rx", title: "received bytes/s" },
  { id: "tx", title: "sent bytes/s" },
  { id: "iops", title: "block IOPS" },
] as const;

// Plain ES2017 for any browser; the totals read /status.json as machine-status.ts and the demo shape it.
export const STATUS_SCRIPT = `
(function () {
  var ids = ${JSON.stringify(RATE_CHARTS.map((c) => c.id))};
  var series = {};
  ids.forEach(function (id) { series[id] = []; });
  function totals(s) {
    var iops = 0;
    Object.keys(s.block).forEach(function (name) { iops += s.block[name].requests; });
    var n = s.network || {};
    return { t: s.uptimeSeconds, requests: s.http.requests, rx: n.rxBytes || 0, tx: n.txBytes || 0, iops: iops };
  }
  function format(v) {
    return v >= 1e6 ? (v / 1e6).toFixed(1) + " M" : v >= 1e3 ? (v / 1e3).toFixed(1) + " k" : v.toFixed(1);
  }
  function draw(id) {
    var points = series[id];
    var max = Math.max.apply(null, points.concat([1]));
    var step = ${CHART_WIDTH} / (${CHART_POINTS} - 1);
    var coords = points.map(function (v, i) {
      return (i * step).toFixed(1) + "," + (${CHART_HEIGHT} - (v / max) * ${CHART_HEIGHT}).toFixed(1);
    });
    var svg = document.getElementById("chart-" + id);
    svg.querySelector("polyline").setAttribute("points", coords.join(" "));
    svg.setAttribute("data-points", String(points.length));
    document.getElementById("rate-" + id).textContent = format(points[points.length - 1]);
  }
  var last = totals(JSON.parse(document.getElementById("status-data").textContent));
  var refreshes = 0;
  function refresh() {
    fetch("/status.json", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        var now = totals(status);
        var seconds = now.t - last.t;
        if (seconds > 0) {
          ids.forEach(function (id) {
            series[id].push(Math.max(0, (now[id] - last[id]) / seconds));
            if (series[id].length > ${CHART_POINTS}) series[id].shift();
            draw(id);
          });
        }
        last = now;
        refreshes++;
        document.getElementById("refreshes").textContent = String(refreshes);
        document.getElementById("uptime").textContent = status.uptimeSeconds.toFixed(1);
      })
      .catch(function () {})
      .then(function () { setTimeout(refresh, ${REFRESH_MS}); });
  }
  setTimeout(refresh, ${REFRESH_MS});
})();
`;
