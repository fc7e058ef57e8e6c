"""The HTML of ``GET /status``: one self-contained page, no CDN, no build step.

It fetches ``status.json`` (relative, so it works behind a path-prefixing proxy), renders one row
per downstream service, and fetches again every few seconds: ``?refresh=N`` sets the period in
seconds, ``?refresh=0`` fetches once and stops (for screenshots and tests). Values are put in the
page as text, never as HTML. Each figure is shown with the precision the JSON already rounded it
to, so what the page shows is exactly what the JSON says. ``body[data-generation]`` counts the
documents rendered so far, for anything that waits for the page to be up to date.
"""

STATUS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BFF status</title>
<style>
  :root { color-scheme: light; --ink: #1d2433; --muted: #667085; --line: #e4e7ec;
          --ok: #067647; --ok-bg: #ecfdf3; --bad: #b42318; --bad-bg: #fef3f2;
          --warn: #b54708; --warn-bg: #fffaeb; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color: var(--ink); background: #f8f9fb; }
  header { padding: 20px 32px 12px; }
  h1 { margin: 0 0 4px; font-size: 22px; }
  #summary { color: var(--muted); font-size: 13px; }
  main { padding: 0 32px 32px; }
  table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line);
          border-radius: 8px; overflow: hidden; }
  th, td { padding: 10px 14px; text-align: right; border-bottom: 1px solid var(--line);
           font-variant-numeric: tabular-nums; white-space: nowrap; }
  th { background: #f2f4f7; font-size: 12px; text-transform: uppercase; letter-spacing: .04em;
       color: var(--muted); }
  th:first-child, td:first-child, td[data-field=breaker], td[data-field=lastError],
  th.text { text-align: left; }
  tr:last-child td { border-bottom: 0; }
  td[data-field=service] { font-weight: 600; }
  tr.failing td[data-field=errorPercent], tr.failing td[data-field=lastError] {
    color: var(--bad); font-weight: 600; }
  .badge { display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: 13px; }
  .badge.closed { color: var(--ok); background: var(--ok-bg); }
  .badge.open { color: var(--bad); background: var(--bad-bg); }
  .badge.half_open { color: var(--warn); background: var(--warn-bg); }
  #error { color: var(--bad); margin: 8px 0 0; min-height: 1em; }
  footer { color: var(--muted); font-size: 12px; margin-top: 12px; }
</style>
</head>
<body data-generation="0">
<header>
  <h1>BFF status</h1>
  <div id="summary">loading&hellip;</div>
</header>
<main>
  <table>
    <thead>
      <tr>
        <th>service</th><th>calls/s</th><th>calls</th><th>errors %</th><th>p50 ms</th>
        <th>p99 ms</th><th class="text">breaker</th><th>cache hits %</th>
        <th class="text">last error</th>
      </tr>
    </thead>
    <tbody id="services"></tbody>
  </table>
  <p id="error"></p>
  <footer>Per downstream service, over the last minute of this worker process.
    Figures: <a href="status.json">status.json</a>; history: <a href="metrics">metrics</a>.</footer>
</main>
<script>
"use strict";
const FIELDS = [
  ["service", (v) => v],
  ["callRate", (v) => v.toFixed(2)],
  ["calls", (v) => String(v)],
  ["errorPercent", (v) => v.toFixed(1)],
  ["p50Ms", (v) => v.toFixed(1)],
  ["p99Ms", (v) => v.toFixed(1)],
  ["breaker", (v) => v],
  ["cacheHitPercent", (v) => v.toFixed(1)],
  ["lastError", (v) => v],
];
const EMPTY = "\\u2013";
const asked = new URLSearchParams(location.search).get("refresh");
const refreshSeconds = asked === null || asked === "" || isNaN(Number(asked)) ? 3 : Number(asked);

function cell(row, field, format) {
  const td = document.createElement("td");
  td.dataset.field = field;
  const value = row[field];
  if (value === null || value === undefined) {
    td.textContent = EMPTY;
  } else if (field === "breaker") {
    const badge = document.createElement("span");
    badge.className = "badge " + value;
    badge.textContent = format(value);
    td.appendChild(badge);
  } else {
    td.textContent = format(value);
  }
  return td;
}

function render(doc) {
  const rows = doc.services.map((row) => {
    const tr = document.createElement("tr");
    tr.dataset.service = row.service;
    if (row.failures > 0) tr.className = "failing";
    for (const [field, format] of FIELDS) tr.appendChild(cell(row, field, format));
    return tr;
  });
  document.getElementById("services").replaceChildren(...rows);
  const parts = ["last " + doc.windowSeconds + " s", "updated " + doc.generatedAt];
  if (doc.cacheEnabled !== null) parts.push(doc.cacheEnabled ? "cache on" : "cache off");
  parts.push(refreshSeconds > 0 ? "refreshing every " + refreshSeconds + " s" : "not refreshing");
  document.getElementById("summary").textContent = parts.join(" \\u00b7 ");
  document.body.dataset.generation = String(Number(document.body.dataset.generation) + 1);
}

async function load() {
  try {
    const response = await fetch("status.json", {cache: "no-store"});
    if (!response.ok) throw new Error("status.json answered " + response.status);
    render(await response.json());
    document.getElementById("error").textContent = "";
  } catch (error) {
    document.getElementById("error").textContent = String(error);
  } finally {
    if (refreshSeconds > 0) setTimeout(load, refreshSeconds * 1000);
  }
}
load();
</script>
</body>
</html>
"""
