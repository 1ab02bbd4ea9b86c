// The traffic charts, drawn as SVG: requests/s stacked by version and
// each version's error rate, with a legend and a hover readout.
import { state, $, el, svg, colour, swatch, vlabel, pct, fmtRate, fmtTime } from './util.js';

function chartData() {
  const s = state.series;
  if (!s || !s.times.length) return null;
  // The last step is still filling up: leave it out rather than draw a dip.
  const n = s.times.length > 1 ? s.times.length - 1 : s.times.length;
  const times = s.times.slice(0, n);
  const lines = s.versions.map((l) => ({
    version: l.version, total: l.total,
    rps: l.requests.slice(0, n).map((x) => x / s.stepSeconds),
    req: l.requests.slice(0, n), err: l.errors.slice(0, n),
  }));
  return { times, step: s.stepSeconds * 1000, lines };
}

function niceMax(x) {
  if (x <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export function drawCharts() {
  const data = chartData();
  renderLegend(data);
  drawRPS(data);
  drawErrors(data);
}

function frame(box, yMax, fmtY, data) {
  const w = Math.max(box.clientWidth, 200), h = Math.max(box.clientHeight, 80);
  const m = { l: 44, r: 8, t: 6, b: 20 };
  const root = svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}` });
  const iw = w - m.l - m.r, ih = h - m.t - m.b;
  const t0 = data ? data.times[0] : 0, t1 = data ? data.times[data.times.length - 1] + data.step : 1;
  const x = (t) => m.l + ((t - t0) / (t1 - t0 || 1)) * iw;
  const y = (v) => m.t + ih - (v / yMax) * ih;
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4, yy = y(v);
    root.append(svg('line', { class: 'gridline', x1: m.l, x2: w - m.r, y1: yy, y2: yy }));
    root.append(svg('text', { class: 'axis', x: m.l - 6, y: yy + 4, 'text-anchor': 'end', text: fmtY(v) }));
  }
  if (data) {
    const ticks = Math.max(2, Math.min(6, Math.floor(iw / 110)));
    for (let i = 0; i <= ticks; i++) {
      const t = t0 + ((t1 - t0) * i) / ticks;
      root.append(svg('text', { class: 'axis', x: x(t), y: h - 4, 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle', text: fmtTime(t) }));
    }
  }
  return { root, x, y, m, w, h, iw, ih, t0, t1 };
}

function drawRPS(data) {
  const box = $('chart-rps');
  const visible = data ? data.lines.filter((l) => !state.hidden.has(l.version)) : [];
  let peak = 0;
  if (data) {
    for (let i = 0; i < data.times.length; i++) {
      peak = Math.max(peak, visible.reduce((s, l) => s + l.rps[i], 0));
    }
  }
  const f = frame(box, niceMax(peak), (v) => (v ? fmtRate(v) : '0'), data);
  box.dataset.versions = data ? data.lines.map((l) => l.version).join(',') : '';
  if (!data || !data.lines.length) {
    f.root.append(svg('text', { class: 'nodata', x: f.w / 2, y: f.h / 2, 'text-anchor': 'middle', text: 'No traffic yet — send requests through the gateway.' }));
    box.replaceChildren(f.root);
    box.setAttribute('role', 'img');
    box.setAttribute('aria-label', 'No traffic in this window.');
    return;
  }
  const base = new Array(data.times.length).fill(0);
  const mid = (i) => f.x(data.times[i] + data.step / 2);
  for (const l of visible) {
    const top = base.map((b, i) => b + l.rps[i]);
    let d = '';
    for (let i = 0; i < top.length; i++) d += (i ? 'L' : 'M') + mid(i).toFixed(1) + ',' + f.y(top[i]).toFixed(1);
    for (let i = top.length - 1; i >= 0; i--) d += 'L' + mid(i).toFixed(1) + ',' + f.y(base[i]).toFixed(1);
    d += 'Z';
    let edge = '';
    for (let i = 0; i < top.length; i++) edge += (i ? 'L' : 'M') + mid(i).toFixed(1) + ',' + f.y(top[i]).toFixed(1);
    const c = colour(l.version);
    f.root.append(svg('path', {
      class: 'area', d, fill: c, 'fill-opacity': 0.28, stroke: 'none',
      'data-version': l.version, 'data-total': l.total, 'data-points': l.req.filter((x) => x > 0).length,
    }));
    f.root.append(svg('path', { class: 'edge', d: edge, fill: 'none', stroke: c, 'stroke-width': 1.8, 'stroke-linejoin': 'round' }));
    top.forEach((v, i) => { base[i] = v; });
  }
  const last = data.times.length - 1;
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', 'Requests per second by version, latest step: ' +
    data.lines.map((l) => `${vlabel(l.version)} ${fmtRate(l.rps[last] || 0)}`).join(', '));
  hover(box, f, data, (i) => data.lines.map((l) => [l.version, fmtRate(l.rps[i]) + '/s', l.err[i] ? `${l.err[i]} err` : '']));
  box.replaceChildren(f.root);
}

function drawErrors(data) {
  const box = $('chart-err');
  const visible = data ? data.lines.filter((l) => !state.hidden.has(l.version)) : [];
  let peak = 0;
  const overall = [];
  if (data) {
    for (let i = 0; i < data.times.length; i++) {
      let r = 0, e = 0;
      for (const l of data.lines) { r += l.req[i]; e += l.err[i]; }
      overall.push(r ? e / r : null);
      for (const l of visible) if (l.req[i]) peak = Math.max(peak, l.err[i] / l.req[i]);
    }
  }
  // Quarters of these maxima are whole percentages.
  const yMax = [0.04, 0.08, 0.2, 0.4, 0.8, 1].find((m) => m >= peak) || 1;
  const f = frame(box, yMax, (v) => Math.round(v * 100) + '%', data);
  if (data) {
    const mid = (i) => f.x(data.times[i] + data.step / 2);
    const line = (vals) => {
      let d = '', pen = false;
      vals.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        d += (pen ? 'L' : 'M') + mid(i).toFixed(1) + ',' + f.y(v).toFixed(1);
        pen = true;
      });
      return d;
    };
    for (const l of visible) {
      const d = line(l.req.map((r, i) => (r ? l.err[i] / r : null)));
      if (d) f.root.append(svg('path', { class: 'errline', d, fill: 'none', stroke: colour(l.version), 'stroke-width': 1.8, 'data-version': l.version, 'data-errors': l.err.reduce((a, b) => a + b, 0) }));
    }
    const d = line(overall);
    if (d) f.root.append(svg('path', { class: 'errline all', d, fill: 'none', stroke: 'currentColor', 'stroke-width': 1.2, 'stroke-dasharray': '4 3', opacity: 0.7 }));
    hover(box, f, data, (i) => [...data.lines.map((l) => [l.version, l.req[i] ? pct(l.err[i] / l.req[i]) : '—', `${l.err[i]}/${l.req[i]}`]),
      ['all', overall[i] === null ? '—' : pct(overall[i]), '']]);
  }
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', 'Error rate by version.');
  box.replaceChildren(f.root);
}

// hover shows the values of the step under the pointer.
function hover(box, f, data, rowsAt) {
  const cursor = svg('line', { class: 'cursor', y1: f.m.t, y2: f.h - f.m.b, x1: 0, x2: 0, visibility: 'hidden' });
  f.root.append(cursor);
  const tip = $('chart-tip');
  const panel = box.closest('.panel');
  f.root.addEventListener('pointermove', (ev) => {
    const r = f.root.getBoundingClientRect();
    const t = f.t0 + ((ev.clientX - r.left - f.m.l) / f.iw) * (f.t1 - f.t0);
    const i = Math.floor((t - f.t0) / data.step);
    if (i < 0 || i >= data.times.length) { cursor.setAttribute('visibility', 'hidden'); tip.hidden = true; return; }
    const cx = f.x(data.times[i] + data.step / 2);
    cursor.setAttribute('x1', cx);
    cursor.setAttribute('x2', cx);
    cursor.setAttribute('visibility', 'visible');
    const rows = rowsAt(i).map(([v, a, b]) => el('tr', {},
      el('td', {}, v === 'all' ? 'all' : el('span', { class: 'vchip' }, swatch(v), vlabel(v))),
      el('td', { class: 'num', text: a }), el('td', { class: 'num muted', text: b })));
    tip.replaceChildren(el('div', { class: 'muted', text: fmtTime(data.times[i]) }), el('table', {}, el('tbody', {}, rows)));
    tip.hidden = false;
    const pr = panel.getBoundingClientRect();
    const left = ev.clientX - pr.left + 14;
    tip.style.left = Math.min(left, pr.width - tip.offsetWidth - 8) + 'px';
    tip.style.top = (ev.clientY - pr.top + 12) + 'px';
  });
  f.root.addEventListener('pointerleave', () => { tip.hidden = true; cursor.setAttribute('visibility', 'hidden'); });
}

function renderLegend(data) {
  const box = $('legend');
  if (!data) { box.replaceChildren(); return; }
  const last = data.times.length - 1;
  box.replaceChildren(...data.lines.map((l) => {
    const errs = l.err.reduce((a, b) => a + b, 0);
    const on = !state.hidden.has(l.version);
    return el('button', {
      type: 'button', 'aria-pressed': on ? 'true' : 'false', dataset: { version: l.version, total: l.total },
      onclick: () => { if (on) state.hidden.add(l.version); else state.hidden.delete(l.version); drawCharts(); },
    }, swatch(l.version), el('strong', { text: vlabel(l.version) }),
    el('span', { class: 'figs', text: `${fmtRate(l.rps[last] || 0)}/s · ${l.total} req · ${l.total ? pct(errs / l.total) : '0%'} err` }));
  }));
}
