// The ScrapeStream console: plain JS against the gateway's API, no build step (docs/console.md).
// The API key is typed by the user and kept in sessionStorage (this tab only), never in the page.
// Charts: charts.js over the vendored uPlot. Pipeline figures come from ClickHouse through
// POST /v1/analytics/query (scrape_events, product_prices), lag from GET /v1/lag, products from
// GET /v1/products/{id}, live updates from GET /v1/updates.
"use strict";

const KEY_STORAGE = "scrapestream-api-key";
const REFRESH_MS = 5000;
const POINTS = 90; // time buckets across the window: 10 s buckets over 15 min
const CHARTED_DOMAINS = 8; // the busiest domains get a line; the table lists more
const LISTED_DOMAINS = 50;
let feedAbort = null;
let database = "scrapestream";
let selectedGroup = null;

const $ = (id) => document.getElementById(id);
const apiKey = () => sessionStorage.getItem(KEY_STORAGE);
const windowSeconds = () => Number($("window").value);

async function api(path, options = {}) {
  const headers = { "X-API-Key": apiKey() || "", ...(options.body ? { "Content-Type": "application/json" } : {}) };
  const response = await fetch(path, { ...options, headers });
  const body = await response.json();
  if (!response.ok) throw new Error(`${response.status}: ${body.error}`);
  return body;
}

async function query(sql, parameters = {}) {
  return (await api("/v1/analytics/query", { method: "POST", body: JSON.stringify({ sql, parameters }) })).rows;
}

function setStatus(id, text, isError = false) {
  $(id).textContent = text;
  $(id).classList.toggle("error", isError);
}

const updated = () => `updated ${new Date().toLocaleTimeString()}`;

// -- formatting -----------------------------------------------------------------------------
const percent = (fraction) => `${Number.isInteger(100 * fraction) ? 100 * fraction : (100 * fraction).toFixed(1)} %`;
const count = (value) => (value >= 10_000 ? `${(value / 1000).toFixed(0)}k` : String(Math.round(value * 10) / 10));
const milliseconds = (value) => (value == null ? "-" : `${Math.round(value)}`);
const when = (iso) => new Date(iso).toLocaleString();

function money(minor, currency) {
  if (minor == null) return "-";
  try {
    const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
    return format.format(minor / 10 ** format.resolvedOptions().maximumFractionDigits);
  } catch {
    return `${minor} ${currency || ""} (minor units)`;
  }
}

function cell(value, numeric = typeof value === "number") {
  const td = document.createElement("td");
  if (value instanceof Node) td.append(value);
  else td.textContent = value === null || value === undefined ? "-" : String(value);
  if (numeric) td.className = "num";
  return td;
}

function row(cells, onClick = null) {
  const tr = document.createElement("tr");
  tr.append(...cells.map((value) => (value instanceof HTMLTableCellElement ? value : cell(value))));
  if (onClick) {
    tr.classList.add("pick");
    tr.addEventListener("click", onClick);
  }
  return tr;
}

function swatch(index, label) {
  const span = document.createElement("span");
  const mark = document.createElement("span");
  mark.className = "swatch";
  mark.style.background = seriesColor(index);
  span.append(mark, label);
  return span;
}

// -- time buckets ---------------------------------------------------------------------------
// The window in POINTS buckets of a round number of seconds (at least 10), up to the last full one.
function buckets() {
  const span = windowSeconds();
  const step = Math.max(10, Math.round(span / POINTS / 10) * 10);
  const end = Math.floor(Date.now() / 1000 / step) * step - step;
  const xs = [];
  for (let t = end - span + step; t <= end; t += step) xs.push(t);
  return { step, xs };
}

// Every bucket of the window plus any the server placed elsewhere (its clock may differ a little).
const timeline = (xs, times) => [...new Set([...xs, ...times])].sort((a, b) => a - b);

// scrape_events of the window in whole buckets; {window:UInt32} and {step:UInt32} are bound.
const IN_WINDOW =
  "scraped_at >= toStartOfInterval(now(), toIntervalSecond({step:UInt32})) - toIntervalSecond({window:UInt32}) " +
  "AND scraped_at < toStartOfInterval(now(), toIntervalSecond({step:UInt32}))";
const BUCKET = "toUnixTimestamp(toStartOfInterval(scraped_at, toIntervalSecond({step:UInt32})))";
const FETCHED_MS = (quantile) => `quantileIf(${quantile})(fetch_ms, http_status IS NOT NULL)`;

// -- pipeline panels ------------------------------------------------------------------------
async function refreshThroughput() {
  const { step, xs } = buckets();
  const rows = await query(
    `SELECT ${BUCKET} AS t, count() AS results, countIf(status = 'OK') AS ok ` +
      `FROM ${database}.scrape_events WHERE ${IN_WINDOW} GROUP BY t ORDER BY t`,
    { step, window: windowSeconds() },
  );
  const byTime = new Map(rows.map(([t, results, ok]) => [t, { results, ok }]));
  const times = timeline(xs, byTime.keys());
  const perMinute = (pick) => times.map((t) => (byTime.has(t) ? (pick(byTime.get(t)) * 60) / step : 0));
  const total = rows.reduce((sum, [, results]) => sum + results, 0);
  drawTimeChart(
    "throughput-chart",
    total ? times : [],
    [
      { label: "OK / min", values: perMinute((b) => b.ok) },
      { label: "not OK / min", values: perMinute((b) => b.results - b.ok) },
    ],
    { format: count, dots: false, empty: "no results in this window" },
  );
  setStatus("throughput-status", `${total} results in ${step} s buckets; ${updated()}`);
}

async function refreshDomains() {
  const { step, xs } = buckets();
  const parameters = { step, window: windowSeconds() };
  const domains = await query(
    `SELECT domain, count() AS results, countIf(status = 'OK') AS ok, ${FETCHED_MS(0.5)}, ${FETCHED_MS(0.95)} ` +
      `FROM ${database}.scrape_events WHERE ${IN_WINDOW} GROUP BY domain ORDER BY results DESC, domain ` +
      `LIMIT ${LISTED_DOMAINS}`,
    parameters,
  );
  const charted = domains.slice(0, CHARTED_DOMAINS).map(([domain]) => domain);
  $("domains").replaceChildren(
    ...domains.map(([domain, results, ok, p50, p95], index) =>
      row([
        cell(index < CHARTED_DOMAINS ? swatch(index, domain) : domain, false),
        results,
        cell(percent(ok / results), true),
        cell(milliseconds(p50), true),
        cell(milliseconds(p95), true),
      ]),
    ),
  );
  setStatus("domains-status", `${domains.length} domains; ${updated()}`);

  const rows = charted.length
    ? await query(
        `SELECT domain, ${BUCKET} AS t, count() AS results, countIf(status = 'OK') AS ok, ${FETCHED_MS(0.95)} ` +
          `FROM ${database}.scrape_events WHERE ${IN_WINDOW} AND domain IN ({domains:Array(String)}) ` +
          "GROUP BY domain, t ORDER BY t",
        { ...parameters, domains: charted },
      )
    : [];
  const times = timeline(xs, rows.map(([, t]) => t));
  const cells = new Map(rows.map(([domain, t, results, ok, p95]) => [`${domain} ${t}`, { results, ok, p95 }]));
  const lines = (value) =>
    charted.map((domain) => ({
      label: domain,
      values: times.map((t) => (cells.has(`${domain} ${t}`) ? value(cells.get(`${domain} ${t}`)) : null)),
    }));
  const empty = "no results in this window";
  drawTimeChart("success-chart", rows.length ? times : [], lines((c) => (100 * c.ok) / c.results), {
    format: (v) => `${Math.round(v)} %`,
    range: [0, 105],
    empty,
  });
  drawTimeChart("latency-chart", rows.length ? times : [], lines((c) => c.p95), {
    format: (v) => `${Math.round(v)}`,
    empty,
  });
  for (const id of ["success-status", "latency-status"]) {
    setStatus(id, `top ${charted.length} of ${domains.length} domains by results; ${updated()}`);
  }
}

async function refreshLag() {
  const { partitions, history } = await api("/v1/lag");
  const groups = [...new Set([...partitions.map((p) => p.group), ...history.flatMap((h) => Object.keys(h.lag))])];
  drawTimeChart(
    "lag-chart",
    history.map((point) => Date.parse(point.at) / 1000),
    groups.map((group) => ({ label: group, values: history.map((point) => point.lag[group] ?? null) })),
    { format: count, empty: "no measurement yet (every 15 s)" },
  );
  $("lag-groups").replaceChildren(
    ...groups.map((group, index) => {
      const own = partitions.filter((p) => p.group === group);
      const tr = row(
        [cell(swatch(index, group), false), own.length, own.reduce((sum, p) => sum + p.lag, 0)],
        () => {
          selectedGroup = selectedGroup === group ? null : group;
          refreshLag().catch((error) => setStatus("lag-status", error.message, true));
        },
      );
      tr.dataset.group = group;
      tr.classList.toggle("selected", group === selectedGroup);
      return tr;
    }),
  );
  const chosen = partitions.filter((p) => p.group === selectedGroup);
  $("lag-partitions").hidden = selectedGroup === null;
  $("lag-partitions-title").textContent = `Partitions of ${selectedGroup}`;
  $("lag-partition-rows").replaceChildren(
    ...chosen.map((p) => row([p.topic, p.partition, p.committed, p.end, p.lag])),
  );
  const at = history.length ? `measured ${new Date(history.at(-1).at).toLocaleTimeString()}` : "not measured yet";
  setStatus("lag-status", `${partitions.length} partitions in ${groups.length} groups, ${at}`);
}

function refreshPipeline() {
  if (!apiKey() || $("pipeline-view").hidden) return;
  for (const [refresh, statusId] of [
    [refreshThroughput, "throughput-status"],
    [refreshDomains, "domains-status"],
    [refreshLag, "lag-status"],
  ]) {
    refresh().catch((error) => setStatus(statusId, error.message, true));
  }
}

// -- live updates ---------------------------------------------------------------------------
function describeUpdate(update) {
  const price = (m) => (m ? money(m.amount_minor, m.currency) : "-");
  const parts = [when(update.updated_at), update.product_id, `v${update.version}`, update.changes.join(",")];
  if (JSON.stringify(update.old_price) !== JSON.stringify(update.new_price)) {
    parts.push(`price ${price(update.old_price)} -> ${price(update.new_price)}`);
  }
  if (update.old_availability !== update.new_availability) {
    parts.push(`stock ${update.old_availability || "-"} -> ${update.new_availability}`);
  }
  return parts.join("  ");
}

const productLink = (productId) => `#product=${encodeURIComponent(productId)}`;

function showUpdate(update) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = productLink(update.product_id);
  link.textContent = describeUpdate(update);
  item.dataset.productId = update.product_id;
  item.append(link);
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

// -- product page ---------------------------------------------------------------------------
// Products seen in scrape_events whose id or URL is the text, or whose URL contains it; exact first.
async function findProducts(text) {
  return query(
    "SELECT product_id, argMax(url, scraped_at) AS latest_url, max(product_id = {q:String} OR url = {q:String}) AS exact " +
      `FROM ${database}.scrape_events WHERE product_id != '' AND positionCaseInsensitive(concat(product_id, ' ', url), {q:String}) > 0 ` +
      "GROUP BY product_id ORDER BY exact DESC, max(scraped_at) DESC LIMIT 20",
    { q: text },
  );
}

async function searchProduct(text) {
  setStatus("product-status", "searching...");
  $("product-matches").replaceChildren();
  let matches;
  try {
    matches = await findProducts(text);
  } catch (error) {
    // The analytics store is away: the text may still be a product id the product store knows.
    setStatus("product-status", `searching by URL needs the analytics store (${error.message}); trying it as an id`);
    openProduct(text);
    return;
  }
  if (matches.length && (matches[0][2] || matches.length === 1)) {
    openProduct(matches[0][0]);
    return;
  }
  setStatus("product-status", matches.length ? `${matches.length} products match; pick one` : "no product matches");
  $("product-matches").replaceChildren(
    ...matches.map(([productId, url]) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = productLink(productId);
      link.textContent = `${productId}  ${url}`;
      item.append(link);
      return item;
    }),
  );
}

function fact(term, value) {
  const dt = document.createElement("dt");
  const dd = document.createElement("dd");
  dt.textContent = term;
  if (value instanceof Node) dd.append(value);
  else dd.textContent = value === null || value === undefined || value === "" ? "-" : String(value);
  return [dt, dd];
}

async function showProduct(productId) {
  $("product-query").value = productId;
  $("product-matches").replaceChildren();
  let state;
  try {
    state = await api(`/v1/products/${encodeURIComponent(productId)}`);
  } catch (error) {
    $("product-card").hidden = true;
    setStatus("product-status", error.message, true);
    return;
  }
  setStatus("product-status", "");
  const product = state.product;
  const link = document.createElement("a");
  link.href = state.url;
  link.textContent = state.url;
  $("product-card").hidden = false;
  $("product-title").textContent = product.title;
  $("product-facts").replaceChildren(
    ...fact("price", product.price ? money(product.price.amount_minor, product.price.currency) : null),
    ...fact("availability", product.availability),
    ...fact("product id", state.product_id),
    ...fact("shop", state.domain),
    ...fact("page", link),
    ...fact("brand", product.brand),
    ...fact("rating", product.rating === null ? null : `${product.rating.toFixed(1)} (${product.review_count ?? 0} reviews)`),
    ...fact("version", `v${state.version}: ${state.last_changes.join(", ")} at ${when(state.changed_at)}`),
    ...fact("scraped", `${when(state.scraped_at)} (${Math.round(state.age_seconds)} s ago)`),
  );
  try {
    await showPriceHistory(productId);
  } catch (error) {
    setStatus("price-status", error.message, true);
  }
}

async function showPriceHistory(productId) {
  const rows = (
    await query(
      "SELECT toUnixTimestamp64Milli(scraped_at) AS t, price_minor, currency, availability " +
        `FROM ${database}.product_prices FINAL WHERE product_id = {id:String} ORDER BY scraped_at DESC LIMIT 5000`,
      { id: productId },
    )
  ).reverse();
  const currency = rows.length ? rows.at(-1)[2] : null;
  const priced = rows.filter(([, , c]) => c === currency); // one currency per chart: the current one
  drawTimeChart(
    "price-chart",
    priced.map(([t]) => t / 1000),
    [{ label: `price (${currency})`, values: priced.map(([, minor]) => minor) }],
    {
      format: (minor) => money(minor, currency),
      range: null,
      stepped: true,
      dots: true,
      empty: "no priced observation",
    },
  );
  const changes = rows.filter(
    ([, minor, c, stock], index) =>
      index === 0 || minor !== rows[index - 1][1] || c !== rows[index - 1][2] || stock !== rows[index - 1][3],
  );
  $("price-changes").replaceChildren(
    ...changes
      .reverse()
      .slice(0, 20)
      .map(([t, minor, c, stock]) => row([new Date(t).toLocaleString(), cell(money(minor, c), true), stock])),
  );
  setStatus("price-status", `${rows.length} observations, ${changes.length} distinct; ${updated()}`);
}

// -- views ----------------------------------------------------------------------------------
// "#product=<id>" is a product's page, "#product" the search, anything else the pipeline.
const onProductView = () => location.hash.startsWith("#product");

function showView() {
  $("pipeline-view").hidden = onProductView();
  $("product-view").hidden = !onProductView();
  $("nav-pipeline").classList.toggle("current", !onProductView());
  $("nav-product").classList.toggle("current", onProductView());
  fitCharts();
}

function route() {
  showView();
  if (!apiKey()) return;
  if (!onProductView()) refreshPipeline();
  else if (location.hash.startsWith("#product=")) showProduct(decodeURIComponent(location.hash.slice(9)));
}

function openProduct(productId) {
  if (location.hash === productLink(productId)) showProduct(productId); // no hashchange to wait for
  else location.hash = productLink(productId);
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
  route();
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

$("product-search").addEventListener("submit", (event) => {
  event.preventDefault();
  searchProduct($("product-query").value.trim());
});

$("window").addEventListener("change", refreshPipeline);
window.addEventListener("hashchange", route);
setInterval(refreshPipeline, REFRESH_MS);
showView();
start();
