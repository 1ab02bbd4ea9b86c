// The Diff panel: an alias's primary and shadow version compared on the
// same requests (shadow copies in diff mode), grouped by endpoint and path.
import { state, $, el, vlabel, pct, getJSON } from './util.js';

export async function pollDiff(name) {
  if (Date.now() < state.diffQuietUntil) return;
  let rep;
  try {
    rep = await getJSON('/emulator/diff?function=' + encodeURIComponent(name));
  } catch (e) {
    $('diff-panel').hidden = true;
    if (e.status === 404) state.diffQuietUntil = Date.now() + 30000;
    return;
  }
  if (name !== state.selected) return;
  if (!rep || !rep.compared) { $('diff-panel').hidden = true; return; }
  $('diff-summary').replaceChildren(...[
    el('span', { class: 'vchip', text: `${vlabel(rep.candidate)} vs ${vlabel(rep.primary)}` }),
    rep.alias ? el('span', { class: 'tag', text: rep.alias }) : null,
    el('span', { text: ` ${rep.compared} requests compared · ` }),
    el('strong', { class: rep.differing ? 'bad' : 'ok', text: `${rep.differing} differ (${pct(rep.diffRate)})` }),
    el('span', { class: 'muted', text: ` · ${rep.noiseSamples} noise samples` })].filter(Boolean));
  const rows = [];
  for (const ep of rep.endpoints || []) {
    rows.push(el('tr', { class: 'ep' }, el('th', { scope: 'rowgroup', colspan: 4 },
      el('code', { text: ep.endpoint }), el('span', { class: 'muted', text: ` · ${ep.compared} compared, ${ep.differing} differ` }))));
    for (const g of ep.groups || []) rows.push(groupRow(g, false));
    for (const g of ep.noise || []) rows.push(groupRow(g, true));
  }
  $('diff').tBodies[0].replaceChildren(...rows);
  $('diff-panel').hidden = false;
}

function groupRow(g, noise) {
  const ex = g.example;
  const example = ex ? el('details', {},
    el('summary', { text: `${ex.request.method} ${ex.request.path}` }),
    el('div', { class: 'pair' },
      el('div', {}, el('div', { class: 'muted small', text: `primary · ${ex.primary.status}` }), el('pre', { text: ex.primary.body || '' })),
      el('div', {}, el('div', { class: 'muted small', text: `candidate · ${ex.candidate.status}` }), el('pre', { text: ex.candidate.body || '' })))) : null;
  return el('tr', { class: noise ? 'noise' : 'real', dataset: { path: g.path } },
    el('td', {}, el('code', { text: g.path + ' ' }), noise ? el('span', { class: 'tag', text: 'noise' }) : null,
      el('span', { class: 'muted small', text: ' ' + (g.kinds || []).join(', ') })),
    el('td', { class: 'num', text: String(g.count) }),
    el('td', { class: 'num ' + (noise ? '' : 'bad'), text: pct(g.share) }),
    el('td', {}, example));
}
