// Shared state, DOM and formatting helpers, and the calls to the emulator.

export const POLL_MS = 2000;          // function detail, series and rollouts
export const OVERVIEW_MS = 5000;      // the function list
export const MAX_LIST = 200;          // function list rows rendered at once
export const MAX_LOGS = 200;          // log records kept in the DOM
export const VERSIONS_SHOWN = 10;     // version rows before "show all"
const API_VERSION = '2018-04-16';
export const STEP_FOR = { '1m': '1s', '2m': '2s', '5m': '2s', '15m': '5s' };
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const LATEST_COLOUR = '#8d93a5';
const SVG_NS = 'http://www.w3.org/2000/svg';

export const state = {
  overview: null,
  selected: null,       // function name
  detail: null,
  series: null,
  hidden: new Set(),    // versions hidden from the chart via the legend
  editing: null,        // alias name whose editor is open
  showAllVersions: false,
  readOnly: false,
  lastDetailJSON: '',
  lastListJSON: '',
  detailTimer: 0,
  detailGen: 0,         // the newest pollDetail call; older ones do not reschedule
  overviewTimer: 0,
  overviewGen: 0,
  rolloutsQuietUntil: 0, // after a 404 from /emulator/rollouts
  diffQuietUntil: 0,     // after a 404 from /emulator/diff
  logAbort: null,
  logRetry: 0,
  logIDs: new Map(),    // requestId -> <li>
};

// hooks lets modules ask app.js for things without importing it.
export const hooks = { refresh: () => {} };

export const $ = (id) => document.getElementById(id);

// el builds an element; text goes through textContent only, so nothing the
// emulator returns (function output in logs included) is parsed as HTML.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function svg(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, String(v));
  }
  return e;
}

export function colour(v) {
  if (v === '$LATEST') return LATEST_COLOUR;
  const n = parseInt(v, 10);
  return Number.isFinite(n) && n > 0 ? PALETTE[(n - 1) % PALETTE.length] : LATEST_COLOUR;
}

export function swatch(v) {
  const s = el('span', { class: 'swatch', 'aria-hidden': 'true' });
  s.style.background = colour(v);
  return s;
}

export const vlabel = (v) => (v === '$LATEST' ? '$LATEST' : 'v' + v);
export const pct = (x, digits = 1) => +(x * 100).toFixed(digits) + '%';
export const fmtMs = (x) => (x >= 1000 ? (x / 1000).toFixed(2) + ' s' : x >= 10 ? x.toFixed(0) + ' ms' : x.toFixed(1) + ' ms');
export const fmtRate = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
export const fmtTime = (t) => new Date(t).toLocaleTimeString([], { hour12: false });
export function fmtDate(t) {
  const d = new Date(t);
  if (!t || d.getFullYear() < 2000) return '';
  const today = new Date().toDateString() === d.toDateString();
  return today ? fmtTime(t) : d.toLocaleString([], { hour12: false, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

// fmtGoDuration shortens a Go duration string such as "4.063ms" or "1.5s";
// anything else is shown as it is.
export function fmtGoDuration(s) {
  const m = /^([0-9.]+)(ms|s|µs|us)$/.exec(String(s));
  if (!m) return String(s);
  const scale = { ms: 1, s: 1000, 'µs': 0.001, us: 0.001 }[m[2]];
  return fmtMs(parseFloat(m[1]) * scale);
}

export async function getJSON(url, signal) {
  const res = await fetch(url, { signal, cache: 'no-store' });
  if (!res.ok) {
    let msg = res.status + ' ' + res.statusText;
    try { msg = (await res.json()).error || msg; } catch { /* not JSON */ }
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return res.json();
}

// cloudAPI makes a real Tencent Cloud API 3.0 call. Unsigned: the page is
// only writable when the emulator does not verify signatures.
export async function cloudAPI(action, params) {
  const res = await fetch('/', {
    method: 'POST',
    headers: { 'X-TC-Action': action, 'X-TC-Version': API_VERSION, 'Content-Type': 'application/json' },
    body: JSON.stringify(params),
  });
  let body;
  try { body = await res.json(); } catch { throw apiError('HTTP' + res.status, 'the emulator answered ' + res.status + ' without JSON'); }
  const r = body.Response || {};
  if (r.Error) throw apiError(r.Error.Code, r.Error.Message, r.RequestId);
  return r;
}

function apiError(code, message, requestId) {
  const e = new Error(message);
  e.code = code;
  e.requestId = requestId;
  return e;
}

export function setLive(ok, text) {
  $('live').className = 'live ' + (ok ? 'ok' : 'down');
  $('live-text').textContent = text;
}
