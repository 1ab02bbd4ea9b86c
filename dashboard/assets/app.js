// SCF emulator dashboard. Plain browser JavaScript modules, no build step,
// no dependencies: it polls the admin address's /emulator/ endpoints, draws
// the charts as SVG, tails /emulator/logs, and changes aliases through the
// cloud API's own UpdateAlias (POST /), so the API validates every edit.
import { POLL_MS, OVERVIEW_MS, MAX_LIST, STEP_FOR, state, hooks, $, el, pct, fmtRate, fmtTime, getJSON, setLive } from './util.js';
import { drawCharts } from './chart.js';
import { renderAliases, closeEditor } from './aliases.js';
import { renderVersions, pollRollouts, startLogs } from './panels.js';
import { pollDiff } from './diff.js';

/* ---------- function list ---------- */

async function pollOverview() {
  clearTimeout(state.overviewTimer);
  const gen = ++state.overviewGen;
  try {
    const ov = await getJSON('/emulator/overview');
    if (gen !== state.overviewGen) return;
    state.overview = ov;
    state.readOnly = ov.readOnly;
    $('readonly').hidden = !ov.readOnly;
    $('readonly-reason').textContent = ov.readOnlyReason || '';
    renderList();
    if (!state.selected && ov.functions.length) {
      select(fromHash() || ov.functions[0].name, false);
    } else if (!ov.functions.length) {
      $('empty-text').textContent = 'No functions yet: add one to emulator.yaml or create one with the cloud API.';
    }
  } catch (e) {
    if (gen !== state.overviewGen) return;
    if (e.status === 401) {
      // The page itself needs no login, its data does.
      setLive(false, 'not logged in');
      $('empty-text').textContent = 'Not logged in: open the dashboard link (…/?token=…) that emulator up printed.';
    } else {
      setLive(false, 'emulator unreachable — retrying');
    }
  }
  if (!document.hidden) state.overviewTimer = setTimeout(pollOverview, OVERVIEW_MS);
}

function renderList() {
  const ov = state.overview;
  if (!ov) return;
  const q = $('fn-filter').value.trim().toLowerCase();
  const match = ov.functions.filter((f) => !q || f.name.toLowerCase().includes(q) || f.runtime.toLowerCase().includes(q));
  const key = JSON.stringify([q, state.selected, match.slice(0, MAX_LIST)]);
  $('fn-count').textContent = q ? `${match.length} of ${ov.functions.length}` : `(${ov.functions.length})`;
  if (key === state.lastListJSON) return;
  state.lastListJSON = key;
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.fn : null;
  const items = match.slice(0, MAX_LIST).map((f) => {
    const perSec = f.requests / 60;
    const btn = el('button', {
      type: 'button', dataset: { fn: f.name }, 'aria-current': f.name === state.selected ? 'true' : 'false',
      onclick: () => select(f.name, true),
    },
    el('span', { class: 'fn-name' }, nsTag(f.name), plainName(f.name), f.split ? el('span', { class: 'split-dot', title: 'traffic is split between versions' }) : null,
      f.debug ? el('span', { class: 'tag debug', title: 'a version runs under a debugger', text: 'debug' }) : null),
    el('span', { class: 'fn-rate' }, f.requests ? fmtRate(perSec) + '/s' : '',
      f.errors ? el('span', { class: 'err' }, pct(f.errorRate) + ' err') : null),
    el('span', { class: 'fn-sub' }, `${f.runtime} · ${f.versions} version${f.versions === 1 ? '' : 's'} · ${f.aliases} alias${f.aliases === 1 ? '' : 'es'}`));
    if (f.split) btn.setAttribute('aria-label', `${f.name}, traffic split between versions`);
    return el('li', {}, btn);
  });
  $('fn-list').replaceChildren(...items);
  const more = match.length - MAX_LIST;
  $('fn-more').hidden = more <= 0;
  $('fn-more').textContent = more > 0 ? `${more} more — refine the filter` : '';
  if (focused) {
    const b = $('fn-list').querySelector(`button[data-fn="${CSS.escape(focused)}"]`);
    if (b) b.focus();
  }
}

function fromHash() {
  const m = /^#fn=(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

function select(name, userAction) {
  if (state.selected === name) return;
  state.selected = name;
  state.detail = null;
  state.series = null;
  state.editing = null;
  state.hidden.clear();
  state.showAllVersions = false;
  state.lastDetailJSON = '';
  state.rolloutsQuietUntil = 0;
  history.replaceState(null, '', '#fn=' + encodeURIComponent(name));
  $('empty').hidden = true;
  $('fn-view').hidden = false;
  $('fn-name').replaceChildren(...[nsTag(name), plainName(name)].filter(Boolean));
  $('fn-meta').textContent = '';
  $('aliases').replaceChildren();
  $('versions').tBodies[0].replaceChildren();
  $('rollouts-panel').hidden = true;
  drawCharts();
  renderList();
  startLogs();
  pollDetail();
  if (userAction) $('main').focus({ preventScroll: true });
}

/* ---------- selected function ---------- */

async function pollDetail() {
  clearTimeout(state.detailTimer);
  const gen = ++state.detailGen;
  const name = state.selected;
  if (!name) return;
  const win = $('window').value;
  const enc = encodeURIComponent(name);
  const [detail, series] = await Promise.allSettled([
    getJSON('/emulator/functions/' + enc),
    getJSON(`/emulator/series?function=${enc}&window=${win}&step=${STEP_FOR[win]}`),
  ]);
  if (gen !== state.detailGen) return; // a newer poll (or another function) took over
  if (detail.status === 'fulfilled') {
    state.detail = detail.value;
    renderDetail();
    setLive(true, 'live · ' + fmtTime(Date.now()));
  } else if (detail.reason.status === 404) {
    $('fn-meta').textContent = 'This function no longer exists.';
    setLive(true, 'live · ' + fmtTime(Date.now()));
  } else {
    setLive(false, 'emulator unreachable — retrying');
  }
  if (series.status === 'fulfilled') {
    state.series = series.value;
    drawCharts();
  }
  pollRollouts(name);
  pollDiff(name);
  if (!document.hidden) state.detailTimer = setTimeout(pollDetail, POLL_MS);
}

function renderDetail() {
  const d = state.detail;
  const json = JSON.stringify(d);
  if (json === state.lastDetailJSON) return;
  state.lastDetailJSON = json;
  $('fn-name').replaceChildren(...[nsTag(d.name), plainName(d.name)].filter(Boolean));
  $('fn-meta').textContent = [d.runtime, d.type === 'http' ? 'web function' : 'event function',
    d.memorySize + ' MB', d.timeout + ' s timeout', d.description].filter(Boolean).join(' · ');
  renderKPIs(d);
  renderAliases(d);
  renderVersions(d);
}

function renderKPIs(d) {
  let req = 0, errs = 0;
  for (const v of d.versions) if (v.last1m) { req += v.last1m.requests; errs += v.last1m.errors; }
  const rate = req ? errs / req : 0;
  const kpi = (label, value, bad) => el('div', {}, el('dt', { text: label }), el('dd', { class: bad ? 'bad' : '', text: value }));
  $('fn-kpis').replaceChildren(
    kpi('req/s (1m)', fmtRate(req / 60)),
    kpi('errors (1m)', req ? pct(rate) : '—', rate > 0),
    kpi('versions', String(d.versions.length - 1)),
  );
}

/* ---------- wiring ---------- */

function init() {
  hooks.refresh = () => { pollDetail(); pollOverview(); };
  $('fn-filter').addEventListener('input', renderList);
  $('fn-filter').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      const first = $('fn-list').querySelector('button');
      if (first) first.click();
    }
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === '/' && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) {
      ev.preventDefault();
      $('fn-filter').focus();
    }
    if (ev.key === 'Escape' && state.editing) closeEditor();
  });
  $('window').addEventListener('change', () => { state.series = null; drawCharts(); pollDetail(); });
  $('log-follow').addEventListener('change', startLogs);
  $('log-clear').addEventListener('click', () => { state.logIDs.clear(); $('logs').replaceChildren(); $('logs-empty').hidden = false; });
  $('log-errors').addEventListener('change', () => {
    for (const li of $('logs').children) li.hidden = $('log-errors').checked && !li.classList.contains('bad');
  });
  $('versions-more').addEventListener('click', () => { state.showAllVersions = !state.showAllVersions; if (state.detail) renderVersions(state.detail); });
  window.addEventListener('hashchange', () => { const n = fromHash(); if (n) select(n, true); });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) { pollOverview(); pollDetail(); }
  });
  new ResizeObserver(() => drawCharts()).observe($('chart-rps'));
  pollOverview();
}

init();

// A function outside the default namespace is keyed "namespace/name": the
// namespace is shown as a tag next to the plain name.
function plainName(key) {
  const i = key.indexOf('/');
  return i < 0 ? key : key.slice(i + 1);
}

function nsTag(key) {
  const i = key.indexOf('/');
  return i < 0 ? null : el('span', { class: 'fn-ns', title: 'namespace' }, key.slice(0, i));
}
