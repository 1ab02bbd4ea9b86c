// Alias cards: the routing bar, rules, sticky and shadow settings, the
// weight editor and one-click rollback, both through the cloud API.
import { state, hooks, $, el, colour, swatch, vlabel, pct, fmtDate, cloudAPI } from './util.js';

function routeParts(a) {
  const weights = a.weights || [];
  const extra = weights.reduce((s, w) => s + w.weight, 0);
  return [{ version: a.functionVersion, weight: Math.max(0, 1 - extra), primary: true }, ...weights];
}

export function renderAliases(d) {
  const box = $('aliases');
  const keep = state.editing ? box.querySelector(`.alias[data-alias="${CSS.escape(state.editing)}"]`) : null;
  const cards = d.aliases.map((a) => (keep && a.name === state.editing ? keep : aliasCard(d, a)));
  if (state.editing && !d.aliases.some((a) => a.name === state.editing)) state.editing = null;
  box.replaceChildren(...cards);
  if (!cards.length) box.append(el('p', { class: 'muted', text: 'No aliases.' }));
}

function aliasCard(d, a) {
  const parts = routeParts(a);
  const bar = el('div', { class: 'routebar', role: 'img', 'aria-label': 'Routing: ' + parts.map((p) => `${vlabel(p.version)} ${pct(p.weight)}`).join(', ') });
  for (const p of parts) {
    if (p.weight <= 0) continue;
    const s = el('span', { title: `${vlabel(p.version)}: ${pct(p.weight, 2)}` }, p.weight >= 0.08 ? `${vlabel(p.version)} ${pct(p.weight)}` : '');
    s.style.width = (p.weight * 100) + '%';
    s.style.background = colour(p.version);
    bar.append(s);
  }
  const routes = el('ul', { class: 'routes' });
  for (const m of a.matches || []) {
    routes.append(el('li', {}, el('span', { class: 'tag', text: 'rule' }),
      el('code', { text: `${m.key} ${m.method} ${m.expression}` }), '→', el('span', { class: 'vchip' }, swatch(m.version), vlabel(m.version))));
  }
  for (const w of a.weights || []) {
    routes.append(el('li', {}, el('span', { class: 'tag', text: 'weight' }), el('span', { class: 'vchip' }, swatch(w.version), vlabel(w.version)), pct(w.weight, 2)));
  }
  if (a.stickyHeader) {
    routes.append(el('li', {}, el('span', { class: 'tag', text: 'sticky' }), 'weighted picks follow header ', el('code', { text: a.stickyHeader })));
  }
  if (a.shadow) {
    routes.append(el('li', {}, el('span', { class: 'tag', text: 'shadow' }), `${pct(a.shadow.weight, 2)} mirrored to `,
      el('span', { class: 'vchip' }, swatch(a.shadow.version), vlabel(a.shadow.version)), el('span', { class: 'muted', text: '(answers discarded)' })));
  }
  const routed = (a.weights || []).length > 0 || (a.matches || []).length > 0;
  const actions = el('div', { class: 'alias-actions' });
  if (!state.readOnly) {
    actions.append(
      el('button', { type: 'button', class: 'btn small', dataset: { action: 'edit' }, 'aria-expanded': 'false', onclick: () => openEditor(a.name) }, 'Edit'),
      el('button', {
        type: 'button', class: 'btn small danger', dataset: { action: 'rollback' }, disabled: !routed,
        title: routed ? `Send all traffic to ${vlabel(a.functionVersion)} and drop weights and rules` : 'All traffic already goes to the primary version',
        onclick: (ev) => rollback(a, ev.currentTarget),
      }, 'Roll back'));
  }
  return el('article', { class: 'alias', dataset: { alias: a.name }, 'aria-label': 'Alias ' + a.name },
    el('div', { class: 'alias-head' }, el('span', { class: 'alias-name', text: a.name }), actions),
    el('div', { class: 'alias-sub' }, `primary ${vlabel(a.functionVersion)}`, a.modTime ? ` · changed ${fmtDate(a.modTime)}` : '',
      a.description ? ' · ' + a.description : ''),
    bar, routes,
    el('div', { class: 'status', role: 'status', 'aria-live': 'polite' }));
}

function versionOptions(d, selected) {
  return d.versions.map((v) => el('option', { value: v.version, selected: v.version === selected }, vlabel(v.version)));
}

function openEditor(name) {
  const d = state.detail;
  const a = d.aliases.find((x) => x.name === name);
  const card = $('aliases').querySelector(`.alias[data-alias="${CSS.escape(name)}"]`);
  if (!a || !card) return;
  closeEditor();
  state.editing = name;
  card.querySelector('[data-action=edit]').setAttribute('aria-expanded', 'true');
  const id = 'ed-' + name.replace(/[^A-Za-z0-9_-]/g, '_');
  const rows = el('div', { class: 'weights' });
  const primaryPct = el('span', { class: 'pct', 'aria-live': 'polite' });
  const update = () => {
    let sum = 0;
    for (const inp of rows.querySelectorAll('input.weight')) {
      const x = Number(inp.value);
      inp.nextElementSibling.textContent = Number.isFinite(x) && inp.value.trim() !== '' ? pct(x, 2) : '';
      if (Number.isFinite(x)) sum += x;
    }
    primaryPct.textContent = 'gets ' + pct(Math.max(0, 1 - sum), 2);
  };
  const addRow = (w) => {
    const n = rows.children.length;
    const sel = el('select', { 'aria-label': 'Extra version ' + (n + 1), class: 'wversion' }, versionOptions(d, w.version));
    const inp = el('input', {
      type: 'text', inputmode: 'decimal', class: 'weight', value: w.weight === '' ? '' : String(w.weight),
      'aria-label': 'Share of traffic for extra version ' + (n + 1) + ', from 0 to 1', oninput: update,
    });
    const row = el('div', { class: 'row' }, sel, inp, el('span', { class: 'pct' }),
      el('button', { type: 'button', class: 'btn small', 'aria-label': 'Remove extra version ' + (n + 1), onclick: () => { row.remove(); update(); } }, 'Remove'));
    rows.append(row);
    update();
    return row;
  };
  for (const w of a.weights || []) addRow(w);
  const primary = el('select', { id: id + '-primary', class: 'primary' }, versionOptions(d, a.functionVersion));
  const err = el('div', { class: 'alert', role: 'alert', hidden: true });
  const form = el('form', { class: 'editor', novalidate: true, 'aria-label': 'Edit routing of ' + name },
    el('div', { class: 'row' }, el('label', { for: id + '-primary', text: 'Primary version' }), primary, primaryPct),
    rows,
    el('div', { class: 'row' }, el('button', {
      type: 'button', class: 'btn small', dataset: { action: 'add' },
      onclick: () => {
        const used = new Set([primary.value, ...[...rows.querySelectorAll('select')].map((s) => s.value)]);
        const free = d.versions.map((v) => v.version).find((v) => !used.has(v) && v !== '$LATEST') || d.versions[0].version;
        addRow({ version: free, weight: '' }).querySelector('input').focus();
      },
    }, '+ Add weighted version')),
    (a.matches || []).length ? el('p', { class: 'muted small', text: `${a.matches.length} header rule${a.matches.length === 1 ? '' : 's'} kept as they are.` }) : null,
    err,
    el('div', { class: 'row' },
      el('button', { type: 'submit', class: 'btn primary small', dataset: { action: 'save' } }, 'Save'),
      el('button', { type: 'button', class: 'btn small', dataset: { action: 'cancel' }, onclick: closeEditor }, 'Cancel')));
  primary.addEventListener('change', update);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const save = form.querySelector('[data-action=save]');
    save.disabled = true;
    err.hidden = true;
    const weights = [...rows.children].map((row) => {
      const raw = row.querySelector('input.weight').value.trim();
      const x = Number(raw);
      // A number goes as a number; anything else goes as typed, so the
      // API's own type check is what refuses it.
      return { Version: row.querySelector('select').value, Weight: raw !== '' && Number.isFinite(x) ? x : raw };
    });
    try {
      await cloudAPI('UpdateAlias', {
        FunctionName: d.name, Name: a.name, FunctionVersion: primary.value,
        RoutingConfig: {
          AdditionalVersionWeights: weights,
          AddtionVersionMatchs: (a.matches || []).map((m) => ({ Version: m.version, Key: m.key, Method: m.method, Expression: m.expression })),
        },
      });
      closeEditor();
      flash(name, 'Saved.');
      refreshSoon();
    } catch (e) {
      showAPIError(err, e);
      save.disabled = false;
    }
  });
  card.append(form);
  update();
  (rows.querySelector('input.weight') || primary).focus();
}

export function closeEditor() {
  if (!state.editing) return;
  const card = $('aliases').querySelector(`.alias[data-alias="${CSS.escape(state.editing)}"]`);
  state.editing = null;
  if (card) {
    card.querySelector('form.editor')?.remove();
    const b = card.querySelector('[data-action=edit]');
    b?.setAttribute('aria-expanded', 'false');
    b?.focus();
  }
  state.lastDetailJSON = ''; // redraw the card from fresh data
}

function showAPIError(box, e) {
  box.replaceChildren(el('code', { class: 'code', text: e.code || 'Error' }), ': ', el('span', { class: 'message', text: e.message }));
  box.hidden = false;
}

async function rollback(a, btn) {
  if (state.editing === a.name) closeEditor();
  btn.disabled = true;
  const card = btn.closest('.alias');
  try {
    await cloudAPI('UpdateAlias', {
      FunctionName: state.detail.name, Name: a.name, FunctionVersion: a.functionVersion,
      RoutingConfig: { AdditionalVersionWeights: [], AddtionVersionMatchs: [] },
    });
    flash(a.name, `Rolled back: all traffic to ${vlabel(a.functionVersion)}.`);
    refreshSoon();
  } catch (e) {
    const box = el('div', { class: 'alert', role: 'alert' });
    showAPIError(box, e);
    card.querySelector('.status').replaceChildren(box);
    btn.disabled = false;
  }
}

// flash shows a short confirmation on an alias card, after the next redraw.
function flash(alias, text) {
  setTimeout(() => {
    const card = $('aliases').querySelector(`.alias[data-alias="${CSS.escape(alias)}"] .status`);
    if (card) card.replaceChildren(el('p', { class: 'notice', text }));
  }, 400);
}

function refreshSoon() {
  state.lastDetailJSON = '';
  hooks.refresh();
}
