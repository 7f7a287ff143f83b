// chainvault's dashboard: plain script, no build step. Reads the JSON endpoints beside it; charts by uPlot.
"use strict";

const NY = "America/New_York";
const LOCAL = Intl.DateTimeFormat().resolvedOptions().timeZone;
const OUTCOMES = [
  "completed",
  "partial",
  "failed",
  "dead_lettered",
  "missed",
  "running",
  "pending",
  "skipped",
];
const PROGRESS_POLL_MS = 2000;
const HEALTH_POLL_MS = 60000;

const state = { snapshots: [], chain: null, charts: {}, healthTimer: null };
// For tests and the screenshot script: what was drawn.
window.dashboard = state;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
  return body;
}

function showError(error) {
  const box = document.getElementById("error");
  box.hidden = error === null;
  box.textContent = error === null ? "" : String(error.message || error);
}

const timeIn = (iso, zone) =>
  iso === null
    ? "-"
    : new Date(iso).toLocaleTimeString("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit" });
const dateTimeIn = (iso, zone) =>
  iso === null
    ? "-"
    : new Date(iso).toLocaleString("en-GB", {
        timeZone: zone,
        month: "short",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
      });
const pct = (value) => (value === null || value === undefined ? "-" : `${(value * 100).toFixed(1)}%`);
const num = (value, digits = 2) =>
  value === null || value === undefined ? "" : Number(value).toFixed(digits);
const int = (value) => (value === null || value === undefined ? "" : String(Math.round(value)));
const bytes = (value) => {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
};
const badge = (outcome) => el("span", { class: `badge o-${outcome}` }, outcome);

function fillTable(table, header, rows, empty) {
  table.replaceChildren(
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        header.map((name) => el("th", { class: name.endsWith("#") ? "num" : "" }, name.replace(/#$/, ""))),
      ),
    ),
    el(
      "tbody",
      {},
      rows.length === 0 ? el("tr", {}, el("td", { class: "muted", colSpan: header.length }, empty)) : rows,
    ),
  );
}

// ---------- health ----------

function renderHeatmap(health) {
  const dates = [...new Set(health.cells.map((cell) => cell.date))].sort();
  const lines = new Map();
  for (const cell of health.cells) {
    if (cell.manual) continue;
    const key = `${cell.symbol}\u0000${cell.type}`;
    if (!lines.has(key)) lines.set(key, { symbol: cell.symbol, type: cell.type, cells: new Map() });
    lines.get(key).cells.set(cell.date, cell);
  }
  const sorted = [...lines.values()].sort((a, b) =>
    a.symbol === b.symbol
      ? a.type.localeCompare(b.type)
      : a.symbol === "*"
        ? 1
        : b.symbol === "*"
          ? -1
          : a.symbol.localeCompare(b.symbol),
  );
  const months = el("tr", {}, el("th", { class: "label" }));
  let lastMonth = "";
  for (const date of dates) {
    const month = date.slice(0, 7);
    months.append(
      el("th", { class: "month" }, month !== lastMonth ? date.slice(5, 7) + "/" + date.slice(8) : ""),
    );
    lastMonth = month;
  }
  const body = sorted.map((line) =>
    el(
      "tr",
      { "data-symbol": line.symbol, "data-type": line.type },
      el("th", { class: "label" }, `${line.symbol} ${line.type}`),
      dates.map((date) => {
        const cell = line.cells.get(date);
        if (!cell) return el("td", { class: "cell o-none", "data-date": date, "data-outcome": "none" });
        const faded = (cell.outcome === "completed" || cell.outcome === "partial") && cell.coverage !== null;
        const td = el("td", {
          class: `cell o-${cell.outcome}`,
          "data-date": date,
          "data-symbol": cell.symbol,
          "data-type": cell.type,
          "data-outcome": cell.outcome,
          title:
            `${date} ${cell.symbol} ${cell.type}: ${cell.outcome}` +
            (cell.coverage !== null
              ? `, coverage ${pct(cell.coverage)} (${cell.stored}/${cell.selected})`
              : "") +
            (cell.runId ? `\nrun ${cell.runId}` : "") +
            (cell.error ? `\n${cell.error}` : ""),
        });
        // Coverage shows as strength: a thin run is paler than a full one.
        if (faded) td.style.opacity = String(0.35 + 0.65 * Math.min(1, cell.coverage));
        return td;
      }),
    ),
  );
  document.getElementById("heatmap").replaceChildren(el("thead", {}, months), el("tbody", {}, body));
  document.getElementById("range").textContent = `${health.from} .. ${health.to}`;
  document
    .getElementById("legend")
    .replaceChildren(
      ...OUTCOMES.map((outcome) =>
        el("span", {}, el("i", { class: `o-${outcome}` }), `${outcome} (${health.counts[outcome]})`),
      ),
      el("span", { class: "muted" }, "paler = lower coverage"),
    );
}

function renderHealth(health) {
  renderHeatmap(health);
  fillTable(
    document.getElementById("today"),
    ["type", "symbol", "New York", `local (${LOCAL})`, "outcome", "coverage#", "note"],
    health.todayPlan.map((slot) =>
      el(
        "tr",
        { "data-outcome": slot.outcome },
        el("td", {}, slot.type),
        el("td", {}, slot.symbol),
        el("td", {}, timeIn(slot.plannedAt, NY)),
        el("td", {}, timeIn(slot.plannedAt, LOCAL)),
        el("td", {}, badge(slot.outcome)),
        el("td", { class: "num" }, pct(slot.coverage)),
        el("td", { class: "error" }, slot.error || ""),
      ),
    ),
    "nothing planned today",
  );
  fillTable(
    document.getElementById("next"),
    ["date", "type", "symbol", "New York", `local (${LOCAL})`, "note"],
    health.next.map((slot) =>
      el(
        "tr",
        {},
        el("td", {}, slot.date),
        el("td", {}, slot.type),
        el("td", {}, slot.symbol),
        el("td", {}, dateTimeIn(slot.at, NY)),
        el("td", {}, dateTimeIn(slot.at, LOCAL)),
        el("td", { class: "muted" }, slot.note || ""),
      ),
    ),
    "no slot in the next week",
  );
  fillTable(
    document.getElementById("failures"),
    ["date", "symbol", "type", "status", "error", "run_id"],
    health.failures.map((row) =>
      el(
        "tr",
        {},
        el("td", {}, row.date),
        el("td", {}, row.symbol),
        el("td", {}, row.type),
        el("td", {}, badge(row.status)),
        el("td", { class: "error" }, row.error || ""),
        el("td", { class: "run" }, row.runId || ""),
      ),
    ),
    "no failed, partial or missed run",
  );
  fillTable(
    document.getElementById("dead-letters"),
    ["date", "symbol", "type", "contract", "category", "attempts#", "error", "run_id"],
    health.deadLetters.map((row) =>
      el(
        "tr",
        {},
        el("td", {}, row.date || ""),
        el("td", {}, row.symbol || ""),
        el("td", {}, row.type || ""),
        el("td", {}, row.contractSymbol || "(slot)"),
        el("td", {}, row.category),
        el("td", { class: "num" }, row.attempts),
        el("td", { class: "error" }, row.error),
        el("td", { class: "run" }, row.runId || ""),
      ),
    ),
    "no unresolved dead letter",
  );
  fillTable(
    document.getElementById("quality"),
    ["date", "symbol", "type", "severity", "rule", "message", "run_id"],
    health.quality.map((row) =>
      el(
        "tr",
        {},
        el("td", {}, row.date),
        el("td", {}, row.symbol || ""),
        el("td", {}, row.type || ""),
        el("td", {}, row.severity),
        el("td", {}, row.rule),
        el("td", { class: "error" }, row.message),
        el("td", { class: "run" }, row.runId || ""),
      ),
    ),
    "no warning or error",
  );
  fillTable(
    document.getElementById("storage"),
    ["table", "size#", "compression#"],
    health.storage
      .filter((row) => row.bytes > 0)
      .map((row) =>
        el(
          "tr",
          {},
          el("td", {}, row.table),
          el("td", { class: "num" }, bytes(row.bytes)),
          el(
            "td",
            { class: "num" },
            row.beforeCompressionBytes && row.afterCompressionBytes
              ? `${(row.beforeCompressionBytes / row.afterCompressionBytes).toFixed(1)}× (${bytes(row.beforeCompressionBytes)} → ${bytes(row.afterCompressionBytes)})`
              : "",
          ),
        ),
      ),
    "no table",
  );
}

async function loadHealth() {
  try {
    renderHealth(await getJson("/api/health"));
    document.body.dataset.health = "ready";
    showError(null);
  } catch (error) {
    showError(error);
  }
}

async function pollProgress() {
  try {
    const progress = await getJson("/api/progress");
    const box = document.getElementById("progress");
    const running = progress.runs.filter((run) => run.phase !== "done");
    const title = el(
      "h2",
      {},
      "Live ",
      el(
        "small",
        {},
        progress.live
          ? `${progress.messagesPerSecond} msg/s to the gateway`
          : "(the daemon serves live progress; this process runs no collection)",
      ),
    );
    const rows = progress.runs.map((run) =>
      el(
        "div",
        { "data-run": run.runId },
        el(
          "span",
          { class: "bar-bg" },
          el("span", { class: "bar", style: `width:${run.total ? (160 * run.done) / run.total : 0}px` }),
        ),
        `${run.symbol} ${run.type} ${run.date}: ${run.phase} ${run.done}/${run.total} contracts, ${run.linesInUse}/${run.lines} lines in use`,
      ),
    );
    box.replaceChildren(
      title,
      ...(rows.length ? rows : [el("div", { class: "muted" }, running.length ? "" : "no run in progress")]),
    );
  } catch (error) {
    showError(error);
  }
}

// ---------- chain ----------

function options(select, values, selected) {
  select.replaceChildren(
    ...values.map(([value, label]) => el("option", { value, selected: value === selected }, label)),
  );
}

function pickers() {
  return {
    symbol: document.getElementById("pick-symbol"),
    date: document.getElementById("pick-date"),
    type: document.getElementById("pick-type"),
    expiry: document.getElementById("pick-expiry"),
  };
}

function fillPickers(wanted) {
  const pick = pickers();
  const symbols = [...new Set(state.snapshots.map((s) => s.symbol))].sort();
  const symbol = symbols.includes(wanted.symbol)
    ? wanted.symbol
    : symbols.includes("SPY")
      ? "SPY"
      : symbols[0];
  options(
    pick.symbol,
    symbols.map((s) => [s, s]),
    symbol,
  );
  const dates = [...new Set(state.snapshots.filter((s) => s.symbol === symbol).map((s) => s.date))];
  const date = dates.includes(wanted.date) ? wanted.date : dates[0];
  options(
    pick.date,
    dates.map((d) => [d, d]),
    date,
  );
  const types = state.snapshots.filter((s) => s.symbol === symbol && s.date === date);
  const type = types.some((s) => s.type === wanted.type) ? wanted.type : types[0] && types[0].type;
  options(
    pick.type,
    types.map((s) => [s.type, `${s.type} (${s.stored} quotes)`]),
    type,
  );
  return { symbol, date, type };
}

function hashParams() {
  const [, query = ""] = location.hash.split("?");
  return Object.fromEntries(new URLSearchParams(query));
}

async function loadChain() {
  try {
    if (state.snapshots.length === 0) state.snapshots = (await getJson("/api/snapshots")).snapshots;
    const wanted = hashParams();
    const { symbol, date, type } = fillPickers(wanted);
    if (!symbol) {
      document.getElementById("chain-summary").textContent = "no stored snapshot yet";
      return;
    }
    const chain = await getJson(`/api/chain?${new URLSearchParams({ symbol, date, type })}`);
    state.chain = chain;
    const expiries = chain.expiries.map((e) => e.expiry);
    const expiry = expiries.includes(wanted.expiry) ? wanted.expiry : expiries[0];
    options(
      pickers().expiry,
      chain.expiries.map((e) => [e.expiry, `${e.expiry} (${daysTo(chain.date, e.expiry)} d)`]),
      expiry,
    );
    document.getElementById("chain-summary").textContent =
      `${chain.symbol} ${chain.date} ${chain.type}: ${chain.expiries.length} expiries` +
      (chain.underlyingPrice !== null ? `, underlying ${num(chain.underlyingPrice)}` : "");
    renderExpiries(chain);
    renderTerm(chain);
    renderExpiry(chain, expiry);
    document.body.dataset.chain = "ready";
    showError(null);
  } catch (error) {
    showError(error);
  }
}

const daysTo = (from, to) => Math.round((Date.parse(to) - Date.parse(from)) / 86400000);

function atmIv(chain, expiry) {
  const reference = expiry.forward ?? chain.underlyingPrice;
  let best = null;
  for (const row of expiry.rows) {
    const ivs = [row.call && row.call.impliedVolatility, row.put && row.put.impliedVolatility].filter(
      (v) => v !== null && v !== undefined && v > 0,
    );
    if (ivs.length === 0) continue;
    const distance = reference === null ? 0 : Math.abs(row.strike - reference);
    if (best === null || distance < best.distance)
      best = { distance, iv: ivs.reduce((a, b) => a + b, 0) / ivs.length };
  }
  return best === null ? null : best.iv;
}

function renderExpiries(chain) {
  fillTable(
    document.getElementById("expiries"),
    [
      "expiry",
      "days#",
      "strikes#",
      "ATM IV#",
      "forward#",
      "implied rate#",
      "box rate#",
      "dividend yield#",
      "parity breaches#",
    ],
    chain.expiries.map((e) =>
      el(
        "tr",
        {},
        el("td", {}, e.expiry),
        el("td", { class: "num" }, daysTo(chain.date, e.expiry)),
        el("td", { class: "num" }, e.rows.length),
        el("td", { class: "num" }, pct(atmIv(chain, e))),
        el("td", { class: "num" }, num(e.forward)),
        el("td", { class: "num" }, pct(e.impliedRate)),
        el("td", { class: "num" }, pct(e.boxRate)),
        el("td", { class: "num" }, pct(e.impliedDividendYield)),
        el("td", { class: "num" }, e.parityBreaches === null ? "" : e.parityBreaches),
      ),
    ),
    "no expiry",
  );
}

function chart(name, target, opts, data) {
  if (state.charts[name]) state.charts[name].destroy();
  const width = Math.max(320, target.clientWidth - 8);
  state.charts[name] = new uPlot({ width, height: 260, ...opts }, data, target);
  return state.charts[name];
}

function renderTerm(chain) {
  const points = chain.expiries
    .map((e) => ({ days: daysTo(chain.date, e.expiry), iv: atmIv(chain, e), rate: e.impliedRate }))
    .filter((p) => p.iv !== null);
  const x = points.map((p) => p.days);
  chart(
    "term",
    document.getElementById("term"),
    {
      scales: { x: { time: false } },
      axes: [
        { label: "days to expiry" },
        { label: "ATM IV", values: (_u, ticks) => ticks.map((t) => `${(t * 100).toFixed(1)}%`) },
      ],
      series: [
        { label: "days" },
        {
          label: "ATM IV",
          stroke: "#2f6fd0",
          width: 2,
          points: { show: true, size: 7 },
          value: (_u, v) => pct(v),
        },
      ],
    },
    [x, points.map((p) => p.iv)],
  );
}

function renderExpiry(chain, expiryDate) {
  const expiry = chain.expiries.find((e) => e.expiry === expiryDate);
  if (!expiry) return;
  document.getElementById("smile-title").textContent = expiryDate;
  document.getElementById("chain-title").textContent = `${chain.symbol} ${expiryDate}`;
  const strikes = expiry.rows.map((r) => r.strike);
  const iv = (quote) => (quote && quote.impliedVolatility > 0 ? quote.impliedVolatility : null);
  // The smile from out-of-the-money options, the liquid side: puts below the forward, calls above.
  const reference = expiry.forward ?? chain.underlyingPrice;
  const otm = (row, right) =>
    reference === null || (right === "P" ? row.strike <= reference : row.strike >= reference)
      ? iv(right === "P" ? row.put : row.call)
      : null;
  chart(
    "smile",
    document.getElementById("smile"),
    {
      scales: { x: { time: false } },
      axes: [
        { label: "strike" },
        { label: "IV", values: (_u, ticks) => ticks.map((t) => `${(t * 100).toFixed(1)}%`) },
      ],
      series: [
        { label: "strike" },
        {
          label: "OTM calls",
          stroke: "#2e9d5b",
          width: 2,
          points: { show: true, size: 5 },
          spanGaps: true,
          value: (_u, v) => pct(v),
        },
        {
          label: "OTM puts",
          stroke: "#d2452f",
          width: 2,
          points: { show: true, size: 5 },
          spanGaps: true,
          value: (_u, v) => pct(v),
        },
      ],
    },
    [strikes, expiry.rows.map((r) => otm(r, "C")), expiry.rows.map((r) => otm(r, "P"))],
  );
  let atm = null;
  for (const row of expiry.rows)
    if (reference !== null && (atm === null || Math.abs(row.strike - reference) < Math.abs(atm - reference)))
      atm = row.strike;
  const sideCells = (quote, order, itm) => {
    const values = quote
      ? {
          bid: num(quote.bid),
          ask: num(quote.ask),
          size: `${int(quote.bidSize)}×${int(quote.askSize)}`,
          iv: pct(quote.impliedVolatility),
          delta: num(quote.delta, 3),
          oi: int(quote.openInterest),
        }
      : {};
    return order.map((key) =>
      el("td", { class: `num${itm ? " itm" : ""}`, "data-field": key }, values[key] ?? ""),
    );
  };
  const callOrder = ["oi", "delta", "iv", "size", "bid", "ask"];
  const putOrder = ["bid", "ask", "size", "iv", "delta", "oi"];
  const label = { oi: "OI", delta: "delta", iv: "IV", size: "size", bid: "bid", ask: "ask" };
  document.getElementById("chain").replaceChildren(
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { class: "side", colSpan: 6 }, "calls"),
        el("th", {}),
        el("th", { class: "side", colSpan: 6 }, "puts"),
      ),
      el(
        "tr",
        {},
        callOrder.map((k) => el("th", { class: "num" }, label[k])),
        el("th", {}, "strike"),
        putOrder.map((k) => el("th", { class: "num" }, label[k])),
      ),
    ),
    el(
      "tbody",
      {},
      expiry.rows.map((row) =>
        el(
          "tr",
          {
            class: row.strike === atm ? "atm" : "",
            "data-strike": row.strike,
            "data-call": row.call ? "1" : "0",
            "data-put": row.put ? "1" : "0",
          },
          sideCells(row.call, callOrder, reference !== null && row.strike < reference),
          el("td", { class: "strike" }, row.strike),
          sideCells(row.put, putOrder, reference !== null && row.strike > reference),
        ),
      ),
    ),
  );
}

function setHash(params) {
  location.hash = `chain?${new URLSearchParams(params)}`;
}

// ---------- routing ----------

function route() {
  const view = location.hash.startsWith("#chain") ? "chain" : "health";
  document.getElementById("health-view").hidden = view !== "health";
  document.getElementById("chain-view").hidden = view !== "chain";
  document.getElementById("nav-health").classList.toggle("active", view === "health");
  document.getElementById("nav-chain").classList.toggle("active", view === "chain");
  clearInterval(state.healthTimer);
  if (view === "health") {
    void loadHealth();
    void pollProgress();
    let polls = 0;
    state.healthTimer = setInterval(() => {
      void pollProgress();
      if (++polls % (HEALTH_POLL_MS / PROGRESS_POLL_MS) === 0) void loadHealth();
    }, PROGRESS_POLL_MS);
  } else void loadChain();
}

window.addEventListener("hashchange", route);
const pick = pickers();
pick.symbol.addEventListener("change", () => setHash({ symbol: pick.symbol.value }));
pick.date.addEventListener("change", () => setHash({ symbol: pick.symbol.value, date: pick.date.value }));
pick.type.addEventListener("change", () =>
  setHash({ symbol: pick.symbol.value, date: pick.date.value, type: pick.type.value }),
);
pick.expiry.addEventListener("change", () => {
  history.replaceState(
    null,
    "",
    `#chain?${new URLSearchParams({ symbol: pick.symbol.value, date: pick.date.value, type: pick.type.value, expiry: pick.expiry.value })}`,
  );
  if (state.chain) renderExpiry(state.chain, pick.expiry.value);
});
setInterval(() => {
  document.getElementById("clock").textContent =
    `New York ${timeIn(new Date().toISOString(), NY)} · local ${timeIn(new Date().toISOString(), LOCAL)}`;
}, 1000);
route();
