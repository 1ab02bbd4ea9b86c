// The versions table, the rollouts panel and the live log tail.
import { MAX_LOGS, VERSIONS_SHOWN, state, $, el, swatch, vlabel, pct, fmtMs, fmtTime, fmtDate, fmtGoDuration, getJSON } from './util.js';

/* ---------- versions ---------- */

// instancesCell shows a version's live instances as "provisioned + on demand",
// the provisioned part only when the version has provisioned concurrency.
function instancesCell(n) {
  if (!n) return el('td', { class: 'num instances', text: '—' });
  const prov = n.provisionedWant > 0;
  const title = (prov ? `${n.provisioned} provisioned (of ${n.provisionedWant} kept warm), ` : '') + `${n.onDemand} on demand`;
  return el('td', { class: 'num instances', title, dataset: { provisioned: String(n.provisioned), onDemand: String(n.onDemand) } },
    prov ? el('span', { class: 'tag prov', text: `${n.provisioned}/${n.provisionedWant} prov` }) : null,
    prov ? ` + ${n.onDemand}` : String(n.onDemand));
}

export function renderVersions(d) {
  const usedBy = new Map();
  for (const a of d.aliases) {
    for (const v of new Set([a.functionVersion, ...(a.weights || []).map((w) => w.version), ...(a.matches || []).map((m) => m.version)])) {
      if (!usedBy.has(v)) usedBy.set(v, []);
      usedBy.get(v).push(a.name);
    }
  }
  // $LATEST first, then newest first; versions with traffic or an alias
  // are always shown, the rest only after "show all".
  const rows = d.versions.filter((v, i) => state.showAllVersions || i < VERSIONS_SHOWN || v.last1m || usedBy.has(v.version));
  const body = rows.map((v) => {
    const s = v.last1m;
    const num = (x, cls) => el('td', { class: 'num ' + (cls || '') }, x);
    return el('tr', { class: s && s.requests ? '' : 'idle', dataset: { version: v.version } },
      el('th', { scope: 'row' }, el('span', { class: 'vchip' }, swatch(v.version), vlabel(v.version)),
        v.debugPort ? el('span', { class: 'tag debug', title: `runs under a debugger on port ${v.debugPort}: one instance, timeout suspended`, text: `debug :${v.debugPort}` }) : null),
      el('td', {}, (usedBy.get(v.version) || []).map((n) => el('span', { class: 'tag', text: n }))),
      num(s ? String(s.requests) : '—'),
      num(s && s.requests ? pct(s.share) : '—'),
      num(s && s.requests ? `${s.errors} (${pct(s.errorRate)})` : '—', s && s.errors ? 'bad' : ''),
      num(s && s.requests ? fmtMs(s.p50ms) : '—'),
      num(s && s.requests ? fmtMs(s.p99ms) : '—'),
      instancesCell(v.instances),
      num(s ? String(s.coldStarts) : '—'),
      el('td', {}, el('code', { title: v.codeHash || '', text: (v.codeHash || '').slice(0, 10) })),
      el('td', { text: fmtDate(v.addTime) }),
      el('td', { class: 'desc', text: v.description || '' }));
  });
  $('versions').tBodies[0].replaceChildren(...body);
  const more = $('versions-more');
  const hiddenCount = d.versions.length - rows.length;
  more.hidden = !state.showAllVersions && hiddenCount <= 0;
  more.textContent = state.showAllVersions ? 'Show fewer versions' : `Show all ${d.versions.length} versions (${hiddenCount} idle not shown)`;
  if (state.showAllVersions && d.versions.length <= VERSIONS_SHOWN) more.hidden = true;
}

/* ---------- rollouts ---------- */

// A held rollout (its function parked) is not over: it resumes.
const live = (r) => r.state === 'running' || r.state === 'held';

export async function pollRollouts(name) {
  if (Date.now() < state.rolloutsQuietUntil) return;
  let list;
  try {
    list = await getJSON('/emulator/rollouts?function=' + encodeURIComponent(name));
  } catch (e) {
    // No rollout support, or it failed: nothing to show. Ask again later
    // rather than every poll, when the endpoint is missing.
    $('rollouts-panel').hidden = true;
    if (e.status === 404) state.rolloutsQuietUntil = Date.now() + 30000;
    return;
  }
  if (name !== state.selected) return;
  if (!Array.isArray(list) || !list.length) { $('rollouts-panel').hidden = true; return; }
  const active = list.filter(live);
  const recent = list.filter((r) => !live(r))
    .sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt))).slice(0, Math.max(0, 3 - active.length));
  $('rollouts').replaceChildren(...[...active, ...recent].map(rolloutCard));
  $('rollouts-panel').hidden = false;
}

function rolloutCard(r) {
  const steps = r.steps || [];
  const weight = typeof r.weight === 'number' ? r.weight : 0;
  const done = r.state === 'promoted' ? 1 : weight;
  const bar = el('span');
  bar.style.width = Math.round(done * 100) + '%';
  if (r.state === 'held') bar.style.background = 'var(--warn)';
  else if (r.state !== 'running') bar.style.background = r.state === 'promoted' ? 'var(--ok)' : 'var(--danger)';
  const lc = r.lastCheck;
  const lines = [];
  lines.push(`${vlabel(r.from)} → ${vlabel(r.to)} · ${pct(weight)} on ${vlabel(r.to)}` +
    (steps.length ? ` · step ${Math.min((r.step || 0) + 1, steps.length)} of ${steps.length} (${steps.map((s) => pct(s)).join(', ')})` : ''));
  const g = r.gates || {};
  const gates = [];
  if (g.maxErrorRate !== undefined) gates.push(`errors ≤ ${pct(g.maxErrorRate)}`);
  if (g.maxP99) gates.push(`p99 ≤ ${fmtGoDuration(g.maxP99)}`);
  if (g.minRequests) gates.push(`≥ ${g.minRequests} requests`);
  if (gates.length) lines.push('gates: ' + gates.join(', '));
  if (lc) {
    lines.push(`last check ${fmtDate(lc.time)}: ${lc.verdict || ''} · ${lc.requests} req, ${pct(lc.errorRate || 0)} err` +
      (lc.p99 ? ', p99 ' + fmtGoDuration(lc.p99) : '') + (lc.detail && lc.verdict !== 'pass' ? ' — ' + lc.detail : ''));
  }
  if (r.state === 'running' && r.nextStepAt) lines.push('next step at ' + fmtDate(r.nextStepAt));
  if (r.hold) lines.push(`held since ${fmtDate(r.hold.since)}: ${r.hold.reason}`);
  if (r.reason) lines.push(r.reason);
  return el('article', { class: 'rollout', dataset: { rollout: r.id || '' } },
    el('div', { class: 'rollout-head' }, el('strong', { text: `${r.alias} ` }),
      el('span', { class: 'state ' + r.state, text: live(r) && r.phase ? `${r.state} · ${r.phase}` : r.state })),
    el('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(done * 100), 'aria-label': `Rollout of ${r.alias}` }, bar),
    ...lines.map((t) => el('div', { class: 'detail', text: t })));
}

/* ---------- logs ---------- */

export function startLogs() {
  if (state.logAbort) state.logAbort.abort();
  clearTimeout(state.logRetry);
  state.logIDs.clear();
  $('logs').replaceChildren();
  $('logs-empty').hidden = false;
  if (!$('log-follow').checked || !state.selected) return;
  const ctl = new AbortController();
  state.logAbort = ctl;
  followLogs(state.selected, ctl.signal);
}

async function followLogs(name, signal) {
  try {
    const res = await fetch(`/emulator/logs?function=${encodeURIComponent(name)}&follow=1&limit=50`, { signal });
    if (!res.ok || !res.body) throw new Error('logs: ' + res.status);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) {
          try { addLog(JSON.parse(line)); } catch { /* a torn line: skip it */ }
        }
      }
    }
  } catch (e) {
    if (signal.aborted) return;
  }
  // The stream ended (emulator restarting?): follow again shortly.
  if (!signal.aborted && name === state.selected) {
    state.logRetry = setTimeout(() => { if (!signal.aborted) followLogs(name, signal); }, 3000);
  }
}

// origin names where an invocation came from: the trigger (type:name, with
// the async retry), the API Gateway stage, or the cloud API.
function origin(r) {
  let s = r.trigger ? r.source + ':' + r.trigger : r.stage ? 'stage ' + r.stage : r.source || '';
  if (r.retryNum) s += ' retry ' + r.retryNum;
  return s;
}

function addLog(r) {
  const list = $('logs');
  const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 24;
  const bad = r.status && r.status !== 200;
  const text = (r.log || '').trimEnd();
  const li = el('li', { class: bad ? 'bad' : '', dataset: { version: r.version, status: r.status || '' } },
    el('div', { class: 'line' },
      el('span', { class: 't', text: fmtTime(r.startTime) }),
      el('span', { class: 'vchip' }, swatch(r.version), vlabel(r.version)),
      r.alias ? el('span', { class: 'tag', text: r.alias }) : null,
      origin(r) ? el('span', { class: 'tag', title: 'where the call came from', text: origin(r) }) : null,
      el('span', { class: 'st ' + (r.running ? '' : bad ? 'bad' : 'ok'), text: r.running ? 'running' : String(r.status || 200) }),
      el('span', { text: fmtMs((r.durationNs || 0) / 1e6) }),
      r.coldStart ? el('span', { class: 'tag', text: 'cold' }) : null,
      r.retMsg && bad ? el('span', { class: 'muted', text: r.retMsg.slice(0, 160) }) : null,
      el('span', { class: 't', text: r.requestId })),
    text ? el('pre', { text: text.length > 2000 ? text.slice(0, 2000) + '\n…' : text }) : null);
  if ($('log-errors').checked && !bad) li.hidden = true;
  const old = state.logIDs.get(r.requestId);
  if (old) old.replaceWith(li); else list.append(li);
  state.logIDs.set(r.requestId, li);
  while (list.children.length > MAX_LOGS) {
    const first = list.firstElementChild;
    for (const [id, node] of state.logIDs) if (node === first) { state.logIDs.delete(id); break; }
    first.remove();
  }
  $('logs-empty').hidden = true;
  list.dataset.count = String(list.children.length);
  if (stick) list.scrollTop = list.scrollHeight;
}
