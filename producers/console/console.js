// The ScrapeStream console: plain JS against the gateway's API, no build step.
// The API key is typed by the user and kept in sessionStorage (this tab only), never in the page.
"use strict";

const KEY_STORAGE = "scrapestream-api-key";
const REFRESH_MS = 5000;
let feedAbort = null;
let database = "scrapestream";

const $ = (id) => document.getElementById(id);
const apiKey = () => sessionStorage.getItem(KEY_STORAGE);

async function api(path, options = {}) {
  const headers = { "X-API-Key": apiKey() || "", ...(options.body ? { "Content-Type": "application/json" } : {}) };
  const response = await fetch(path, { ...options, headers });
  const body = await response.json();
  if (!response.ok) throw new Error(`${response.status}: ${body.error}`);
  return body;
}

function setStatus(id, text, isError = false) {
  $(id).textContent = text;
  $(id).classList.toggle("error", isError);
}

function fillTable(id, rows) {
  $(id).replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      td.textContent = cell === null ? "-" : String(cell);
      if (typeof cell === "number") td.className = "num";
      tr.appendChild(td);
    }
    return tr;
  }));
}

async function query(sql) {
  return (await api("/v1/analytics/query", { method: "POST", body: JSON.stringify({ sql }) })).rows;
}

async function refreshThroughput() {
  const rows = await query(
    `SELECT toString(minute), results, ok, round(bytes / 1e6, 2) FROM ${database}.throughput_per_minute ` +
    "ORDER BY minute DESC LIMIT 10");
  fillTable("throughput", rows);
  setStatus("throughput-status", `updated ${new Date().toLocaleTimeString()}`);
}

async function refreshHealth() {
  const rows = await query(
    `SELECT domain, sum(results), round(sum(ok) / sum(results), 3), round(max(fetch_ms_p95)) ` +
    `FROM ${database}.domain_health_per_minute WHERE minute >= now() - INTERVAL 15 MINUTE ` +
    "GROUP BY domain ORDER BY domain");
  fillTable("health", rows);
  setStatus("health-status", `updated ${new Date().toLocaleTimeString()}`);
}

async function refreshLag() {
  const { partitions } = await api("/v1/lag");
  fillTable("lag", partitions.filter((p) => p.lag > 0 || p.committed !== null)
    .map((p) => [p.group, p.topic, p.partition, p.lag]));
  setStatus("lag-status", `${partitions.length} partitions measured, ${new Date().toLocaleTimeString()}`);
}

async function refreshPanels() {
  if (!apiKey()) return;
  for (const [refresh, statusId] of [[refreshThroughput, "throughput-status"], [refreshHealth, "health-status"],
                                     [refreshLag, "lag-status"]]) {
    refresh().catch((error) => setStatus(statusId, error.message, true));
  }
}

function describeUpdate(update) {
  const money = (m) => (m ? `${m.amount_minor} ${m.currency} (minor)` : "-");
  const parts = [update.updated_at, update.product_id, `v${update.version}`, update.changes.join(",")];
  if (JSON.stringify(update.old_price) !== JSON.stringify(update.new_price)) {
    parts.push(`price ${money(update.old_price)} -> ${money(update.new_price)}`);
  }
  if (update.old_availability !== update.new_availability) {
    parts.push(`stock ${update.old_availability || "-"} -> ${update.new_availability}`);
  }
  return parts.join(" ");
}

function showUpdate(update) {
  const item = document.createElement("li");
  item.dataset.productId = update.product_id;
  item.textContent = describeUpdate(update);
  $("feed").prepend(item);
  while ($("feed").children.length > 200) $("feed").lastChild.remove();
}

// EventSource cannot send the API key header, so the SSE stream is read with fetch and parsed here.
async function followUpdates() {
  if (feedAbort) feedAbort.abort();
  feedAbort = new AbortController();
  try {
    const response = await fetch("/v1/updates", { headers: { "X-API-Key": apiKey() }, signal: feedAbort.signal });
    if (!response.ok) throw new Error(`${response.status}: ${(await response.json()).error}`);
    setStatus("feed-status", "connected: updates appear as they happen");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        handleEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
    setStatus("feed-status", "stream ended; reconnecting", true);
  } catch (error) {
    if (error.name === "AbortError") return;
    setStatus("feed-status", `stream error: ${error.message}; reconnecting`, true);
  }
  setTimeout(followUpdates, 2000);
}

function handleEvent(block) {
  let event = "message";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (event === "update") showUpdate(JSON.parse(data));
  else if (event === "close") setStatus("feed-status", `dropped by the gateway: ${JSON.parse(data).reason}`, true);
}

async function start() {
  if (!apiKey()) return;
  try {
    database = (await api("/v1/info")).analytics_database;
    setStatus("key-status", "key accepted");
  } catch (error) {
    setStatus("key-status", error.message, true);
    return;
  }
  followUpdates();
  refreshPanels();
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, $("api-key").value);
  $("api-key").value = "";
  start();
});

$("publish-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const body = { url: $("publish-url").value, priority: $("publish-priority").value };
    const { accepted } = await api("/v1/requests", { method: "POST", body: JSON.stringify(body) });
    setStatus("publish-status", `accepted: request ${accepted[0].request_id}`);
  } catch (error) {
    setStatus("publish-status", error.message, true);
  }
});

setInterval(refreshPanels, REFRESH_MS);
start();
