// The advanced-hunting page: query tabs, the editor, the time range, running queries through
// POST /api/web/run, results (virtualized table or chart), the record inspector, the schema
// reference, examples, saved queries, history, exports and query links. Everything is local.

import './style.css';
import { createEditor, type Editor, type SchemaTable } from './editor';
import { Grid, formatCell, type Row } from './grid';
import { renderChart, type RenderInfo } from './chart';
import { EXAMPLES } from './examples';
import { appendClause, decodeQueryLink, encodeQueryLink, filterClause, pivotQueries, queryFiltersTime, queryTitle, type SchemaField } from './kql';

interface ZeekField { name: string; type: string; description: string }
interface ActionType { actionType: string; log: string; description: string; fields: ZeekField[] }
interface SchemaDoc { tables: SchemaTable[]; actionTypes: ActionType[] }
/** One run, from Shift+Enter: headers back, body read and parsed, table built (synchronous), first paint. */
interface RunTimings { totalMs: number; untilHeadersMs: number; bodyAndParseMs: number; buildMs: number; layoutMs: number; renderMs: number; serverMs: number; rows: number }
interface Result { schema: SchemaField[]; rows: Row[]; render: RenderInfo | null; truncated: boolean; elapsedMs: number; timeRangeApplied: boolean }
interface Tab { id: string; query: string; title: string; view: 'table' | 'chart'; result?: Result; error?: string }
interface HistoryItem { query: string; at: string; rows: number | null; ms: number; error?: boolean }
interface Saved { name: string; query: string }

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const LS = { tabs: 'wirehunt.tabs', active: 'wirehunt.activeTab', history: 'wirehunt.history', saved: 'wirehunt.saved', range: 'wirehunt.timeRange' };

function load<T>(key: string, def: T): T {
  try {
    const v = localStorage.getItem(key);
    return v ? (JSON.parse(v) as T) : def;
  } catch {
    return def;
  }
}
function store(key: string, v: unknown): void {
  try { localStorage.setItem(key, JSON.stringify(v)); } catch { /* full or disabled: keep going */ }
}

function toast(msg: string): void {
  const t = $('toast');
  t.textContent = msg;
  t.hidden = false;
  clearTimeout((toast as unknown as { h: number }).h);
  (toast as unknown as { h: number }).h = window.setTimeout(() => { t.hidden = true; }, 2500);
}

function authHeaders(): Record<string, string> {
  const tok = sessionStorage.getItem('wirehunt.token');
  return tok ? { authorization: `Bearer ${tok}` } : {};
}

// ---------- state ----------
let tabs: Tab[] = load<Tab[]>(LS.tabs, []).filter((t) => typeof t.query === 'string').map((t) => ({ id: t.id, query: t.query, title: t.title, view: 'table' as const }));
if (!tabs.length) tabs = [{ id: crypto.randomUUID(), query: EXAMPLES[1]?.query ?? 'DeviceNetworkEvents\n| take 100', title: 'Query 1', view: 'table' }];
let active = tabs.find((t) => t.id === load<string>(LS.active, ''))?.id ?? tabs[0]!.id;
let hist = load<HistoryItem[]>(LS.history, []);
let saved = load<Saved[]>(LS.saved, []);
let schemaDoc: SchemaDoc = { tables: [], actionTypes: [] };
let running: AbortController | null = null;
const timings: RunTimings[] = [];
(window as unknown as { __wirehunt: unknown }).__wirehunt = { timings };

const cur = () => tabs.find((t) => t.id === active)!;
const persistTabs = () => { store(LS.tabs, tabs.map(({ id, query, title }) => ({ id, query, title }))); store(LS.active, active); };

const timeRange = $<HTMLSelectElement>('timeRange');
const savedRange = localStorage.getItem(LS.range);
if (savedRange !== null && [...timeRange.options].some((o) => o.value === savedRange)) timeRange.value = savedRange;

// ---------- schema ----------
const schemaReady: Promise<SchemaDoc> = fetch('api/schema', { headers: authHeaders() })
  .then((r) => (r.ok ? (r.json() as Promise<SchemaDoc>) : Promise.reject(new Error(`schema: HTTP ${r.status}`))))
  .then((d) => { schemaDoc = d; renderSide(); return d; })
  .catch((e: unknown) => { console.error(e); return schemaDoc; });

// ---------- editor ----------
const { editor, ready } = createEditor($('editor'), { run: () => void run(), save: () => saveQuery() }, cur().query, schemaReady.then((d) => d.tables));
let ed: Editor = editor;
void ready.then((e) => { ed = e; });
ed.onChange(() => {
  const t = cur();
  t.query = ed.getValue();
  t.title = queryTitle(t.query);
  updateTimeNote();
  renderTabs();
  persistTabs();
});

function updateTimeNote(): void {
  const own = queryFiltersTime(ed.getValue());
  $('trNote').textContent = own ? 'Set in query' : '';
  timeRange.title = own ? 'The query filters Timestamp itself, so the time range does not apply to it' : '';
}

// ---------- tabs ----------
function renderTabs(): void {
  const nav = $('tabs');
  nav.replaceChildren();
  for (const t of tabs) {
    const b = document.createElement('button');
    b.className = 'tab' + (t.id === active ? ' on' : '');
    b.setAttribute('role', 'tab');
    b.setAttribute('aria-selected', String(t.id === active));
    b.title = t.query.slice(0, 300);
    const s = document.createElement('span');
    s.className = 't';
    s.textContent = t.title || 'New query';
    b.append(s);
    if (tabs.length > 1) {
      const x = document.createElement('span');
      x.className = 'x';
      x.textContent = '×';
      x.title = 'Close tab';
      x.addEventListener('click', (e) => { e.stopPropagation(); closeTab(t.id); });
      b.append(x);
    }
    b.addEventListener('click', () => switchTab(t.id));
    b.addEventListener('auxclick', (e) => { if (e.button === 1) closeTab(t.id); });
    nav.append(b);
  }
}

function switchTab(id: string): void {
  if (id === active) return;
  active = id;
  ed.setValue(cur().query);
  renderTabs();
  showResult();
  updateTimeNote();
  persistTabs();
}

function newTab(query = '', run = false): void {
  const t: Tab = { id: crypto.randomUUID(), query, title: queryTitle(query), view: 'table' };
  tabs.push(t);
  active = t.id;
  ed.setValue(query);
  renderTabs();
  showResult();
  updateTimeNote();
  persistTabs();
  ed.focus();
  if (run) void runText(query);
}

function closeTab(id: string): void {
  const i = tabs.findIndex((t) => t.id === id);
  if (i < 0 || tabs.length === 1) return;
  tabs.splice(i, 1);
  if (active === id) { active = tabs[Math.max(0, i - 1)]!.id; ed.setValue(cur().query); showResult(); updateTimeNote(); }
  renderTabs();
  persistTabs();
}

// ---------- running ----------
async function run(): Promise<void> {
  await runText(ed.getRunText());
}

async function runText(text: string): Promise<void> {
  if (!text.trim()) return;
  const t0 = performance.now();
  running?.abort();
  const ctl = new AbortController();
  running = ctl;
  const tab = cur();
  $('status').textContent = 'Running query…';
  $<HTMLButtonElement>('runBtn').disabled = true;
  const range = queryFiltersTime(text) ? '' : timeRange.value;
  try {
    const res = await fetch('api/web/run', {
      method: 'POST', signal: ctl.signal,
      headers: { 'content-type': 'application/json', ...authHeaders() },
      body: JSON.stringify(range ? { Query: text, TimeRange: range } : { Query: text }),
    });
    const t1 = performance.now();
    const body = (await res.json()) as Record<string, unknown>;
    const t2 = performance.now();
    if (running !== ctl) return;
    if (!res.ok) {
      const err = (body['error'] as { message?: string } | undefined)?.message ?? `HTTP ${res.status}`;
      tab.result = undefined;
      tab.error = err;
      addHistory({ query: text, at: new Date().toISOString(), rows: null, ms: Math.round(t2 - t0), error: true });
      showResult();
      return;
    }
    const stats = body['Stats'] as { serverMs?: number } | undefined;
    tab.error = undefined;
    tab.result = {
      schema: body['Schema'] as SchemaField[],
      rows: body['Rows'] as Row[],
      render: (body['Render'] as RenderInfo | null) ?? null,
      truncated: body['Truncated'] === true,
      elapsedMs: t2 - t0,
      timeRangeApplied: body['TimeRangeApplied'] === true,
    };
    tab.view = tab.result.render ? 'chart' : 'table';
    showResult();
    const t3 = performance.now();
    void $('results').getBoundingClientRect().height; // forces style and layout now, to time them
    const t3l = performance.now();
    const rows = tab.result.rows.length;
    addHistory({ query: text, at: new Date().toISOString(), rows, ms: Math.round(t2 - t0) });
    requestAnimationFrame(() => setTimeout(() => {
      const t4 = performance.now();
      timings.push({ totalMs: t4 - t0, untilHeadersMs: t1 - t0, bodyAndParseMs: t2 - t1, buildMs: t3 - t2, layoutMs: t3l - t3, renderMs: t4 - t2, serverMs: stats?.serverMs ?? NaN, rows });
      document.body.dataset['runs'] = String(timings.length);
    }, 0));
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    tab.result = undefined;
    tab.error = `The request failed: ${(e as Error).message}`;
    showResult();
  } finally {
    if (running === ctl) { running = null; $<HTMLButtonElement>('runBtn').disabled = false; }
  }
}

// ---------- results ----------
const grid = new Grid($('grid'), {
  open: (row) => openInspector(asObject(row)),
  cellMenu: (col, value, x, y) => cellMenu(col, value, x, y),
  changed: (shown, total) => updateStatus(shown, total),
});

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function updateStatus(shown?: number, total?: number): void {
  const r = cur().result;
  const st = $('status');
  if (!r) return;
  const n = total ?? r.rows.length;
  const parts = [`<b>${n.toLocaleString('en-US')}</b> items`];
  if (shown !== undefined && shown !== n) parts.push(`${shown.toLocaleString('en-US')} shown`);
  parts.push(fmtMs(r.elapsedMs));
  if (r.truncated) parts.push('row limit reached');
  if (r.timeRangeApplied) parts.push(timeRange.selectedOptions[0]?.textContent ?? '');
  st.innerHTML = parts.join(' · ');
}

function setView(v: 'table' | 'chart'): void {
  cur().view = v;
  showResult();
}

function showResult(): void {
  const t = cur();
  const err = $('error');
  const r = t.result;
  err.hidden = !t.error;
  err.textContent = t.error ?? '';
  $<HTMLButtonElement>('csvBtn').disabled = !r;
  $<HTMLButtonElement>('jsonBtn').disabled = !r;
  document.querySelectorAll<HTMLButtonElement>('.views button').forEach((b) => b.classList.toggle('on', b.dataset['view'] === t.view));
  const gridEl = $('grid');
  const chartEl = $('chart');
  if (!r) {
    grid.setData([], []);
    $('status').textContent = t.error ? 'The query failed.' : 'Run a query to see results. Shift+Enter runs.';
    gridEl.hidden = false;
    chartEl.hidden = true;
    return;
  }
  (($('quickFilter') as HTMLInputElement).value = '');
  grid.setQuickFilter('');
  grid.setData(r.schema, r.rows);
  if (!r.rows.length) {
    const e = document.createElement('div');
    e.className = 'empty';
    e.textContent = 'No results. Try a wider time range or change the query.';
    gridEl.querySelector('.body')?.append(e);
  }
  const chart = t.view === 'chart';
  gridEl.hidden = chart;
  chartEl.hidden = !chart;
  if (chart) {
    try {
      const info = r.render ?? guessChart(r.schema);
      const desc = renderChart(chartEl, info, r.schema, r.rows);
      chartEl.dataset['chart'] = info.chart;
      chartEl.setAttribute('aria-description', desc);
    } catch (e) {
      chartEl.replaceChildren(Object.assign(document.createElement('div'), { className: 'empty', textContent: (e as Error).message }));
    }
  }
  updateStatus();
}

function guessChart(schema: SchemaField[]): RenderInfo {
  return { chart: schema.some((c) => c.Type === 'DateTime') ? 'timechart' : 'columnchart' };
}

// ---------- cell menu ----------
function cellMenu(col: SchemaField, value: unknown, x: number, y: number): void {
  const menu = $('menu');
  menu.replaceChildren();
  const shown = formatCell(value);
  const short = shown.length > 30 ? shown.slice(0, 29) + '…' : shown;
  const item = (label: string, fn: () => void) => {
    const b = document.createElement('button');
    b.setAttribute('role', 'menuitem');
    b.textContent = label;
    b.addEventListener('click', () => { hideMenu(); fn(); });
    menu.append(b);
  };
  const filter = (op: '==' | '!=') => {
    const q = appendClause(ed.getValue(), filterClause(col, value, op));
    ed.setValue(q);
    cur().query = q;
    persistTabs();
    void runText(q);
  };
  item(`Filter in: ${col.Name} == ${short || '""'}`, () => filter('=='));
  item(`Filter out: ${col.Name} != ${short || '""'}`, () => filter('!='));
  item('Copy value', () => void navigator.clipboard?.writeText(shown).then(() => toast('Copied')));
  menu.hidden = false;
  menu.style.left = Math.min(x, innerWidth - 260) + 'px';
  menu.style.top = Math.min(y, innerHeight - 110) + 'px';
  (menu.firstElementChild as HTMLElement).focus();
}
function hideMenu(): void { $('menu').hidden = true; }
$('menu').addEventListener('keydown', (e) => {
  const items = [...$('menu').querySelectorAll('button')];
  const i = items.indexOf(document.activeElement as HTMLButtonElement);
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') { e.preventDefault(); items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus(); }
  if (e.key === 'Escape') { hideMenu(); $('grid').focus(); }
});
document.addEventListener('pointerdown', (e) => { if (!(e.target as HTMLElement).closest('#menu')) hideMenu(); });

// ---------- inspector ----------
function describe(action: string, field: string): string {
  const own = schemaDoc.actionTypes.find((a) => a.actionType === action)?.fields.find((f) => f.name === field);
  if (own) return own.description;
  for (const a of schemaDoc.actionTypes) { const f = a.fields.find((x) => x.name === field); if (f) return f.description; }
  return '';
}

function kvTable(pairs: [string, string, string][]): HTMLTableElement {
  const table = document.createElement('table');
  for (const [k, v, d] of pairs) {
    const tr = table.insertRow();
    const kc = tr.insertCell();
    kc.className = 'k';
    kc.textContent = k;
    if (d) { const s = document.createElement('span'); s.className = 'fd'; s.textContent = d; kc.append(s); }
    const vc = tr.insertCell();
    vc.className = 'v';
    vc.textContent = v;
  }
  return table;
}

function asObject(row: Row): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  (cur().result?.schema ?? []).forEach((c, i) => { o[c.Name] = row[i]; });
  return o;
}

function openInspector(row: Record<string, unknown>): void {
  const body = $('inspBody');
  body.replaceChildren();
  const r = cur().result;
  const action = typeof row['ActionType'] === 'string' ? (row['ActionType'] as string) : '';
  let af: Record<string, unknown> | null = null;
  const raw = row['AdditionalFields'];
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) af = raw as Record<string, unknown>;
  else if (typeof raw === 'string' && raw.trim().startsWith('{')) { try { af = JSON.parse(raw) as Record<string, unknown>; } catch { af = null; } }
  const head = document.createElement('div');
  head.innerHTML = `<h4>${action ? 'Event' : 'Record'}</h4>`;
  const title = document.createElement('div');
  title.textContent = [action, row['DeviceName'] ?? row['DeviceId'], row['Timestamp']].filter(Boolean).map(String).join(' · ');
  head.append(title);
  body.append(head);
  const pivots = pivotQueries(row, af);
  if (pivots.length) {
    const h = document.createElement('h4');
    h.textContent = 'Pivot';
    const box = document.createElement('div');
    box.className = 'pivots';
    for (const p of pivots) {
      const b = document.createElement('button');
      b.textContent = p.label;
      b.title = p.query;
      b.addEventListener('click', () => newTab(p.query, true));
      box.append(b);
    }
    body.append(h, box);
  }
  if (af) {
    const h = document.createElement('h4');
    h.textContent = 'AdditionalFields';
    const t = kvTable(Object.entries(af).map(([k, v]) => [k, formatCell(v), describe(action, k)]));
    t.id = 'afTable';
    body.append(h, t);
  }
  const h = document.createElement('h4');
  h.textContent = 'All columns';
  const cols = (r?.schema ?? Object.keys(row).map((k) => ({ Name: k, Type: '' }))).map((c) => [c.Name, formatCell(row[c.Name]), ''] as [string, string, string]);
  body.append(h, kvTable(cols));
  $('inspector').hidden = false;
  $('inspClose').focus({ preventScroll: true });
}
function closeInspector(): void { $('inspector').hidden = true; $('grid').focus(); }
$('inspClose').addEventListener('click', closeInspector);

// ---------- export ----------
function download(name: string, type: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
function csvCell(s: string): string { return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }
$('csvBtn').addEventListener('click', () => {
  const cols = grid.columns;
  const lines = [cols.map((c) => csvCell(c.Name)).join(',')];
  for (const r of grid.shownRows) lines.push(r.map((v) => csvCell(formatCell(v))).join(','));
  download('wirehunt-results.csv', 'text/csv', lines.join('\r\n') + '\r\n');
});
$('jsonBtn').addEventListener('click', () => download('wirehunt-results.json', 'application/json', JSON.stringify(grid.shownRows.map(asObject), null, 1)));

// ---------- sidebar: schema, examples, saved, history ----------
let side: 'schema' | 'queries' = 'schema';
const PRIMARY = ['DeviceNetworkEvents', 'DeviceInfo', 'DeviceNetworkInfo'];

function renderSide(): void {
  const body = $('sideBody');
  const f = ($('sideFilter') as HTMLInputElement).value.toLowerCase();
  body.replaceChildren();
  const h4 = (t: string) => { const h = document.createElement('h4'); h.textContent = t; body.append(h); };
  if (side === 'schema') {
    const tableNode = (t: SchemaTable, open: boolean) => {
      const cols = t.columns.filter((c) => !f || t.name.toLowerCase().includes(f) || c.name.toLowerCase().includes(f));
      if (f && !cols.length) return;
      const d = document.createElement('details');
      d.open = open || (!!f && cols.length < 15);
      const s = document.createElement('summary');
      s.innerHTML = `<span></span> <span class="n">${t.columns.length}</span>`;
      (s.firstChild as HTMLElement).textContent = t.name;
      s.title = t.description || t.name;
      s.addEventListener('dblclick', (e) => { e.preventDefault(); ed.insert(t.name); });
      d.append(s);
      if (t.description) { const p = document.createElement('div'); p.className = 'desc'; p.textContent = t.description; d.append(p); }
      for (const c of cols) {
        const row = document.createElement('div');
        row.className = 'col';
        row.tabIndex = 0;
        row.title = `${c.description || c.name} — click to insert`;
        row.innerHTML = '<span></span><span class="ty"></span>';
        (row.firstChild as HTMLElement).textContent = c.name;
        (row.lastChild as HTMLElement).textContent = c.type;
        const ins = () => ed.insert(c.name);
        row.addEventListener('click', ins);
        row.addEventListener('keydown', (e) => { if (e.key === 'Enter') ins(); });
        d.append(row);
      }
      body.append(d);
    };
    h4('Network tables');
    for (const n of PRIMARY) { const t = schemaDoc.tables.find((x) => x.name === n); if (t) tableNode(t, n === 'DeviceNetworkEvents' && !f); }
    h4('Zeek ActionTypes (AdditionalFields)');
    for (const a of schemaDoc.actionTypes) {
      const fields = a.fields.filter((x) => !f || a.actionType.toLowerCase().includes(f) || x.name.toLowerCase().includes(f) || x.description.toLowerCase().includes(f));
      if (f && !fields.length) continue;
      const d = document.createElement('details');
      d.open = !!f && fields.length < 15;
      const s = document.createElement('summary');
      s.textContent = a.actionType;
      s.title = `${a.description} (Zeek ${a.log})`;
      d.append(s);
      const p = document.createElement('div'); p.className = 'desc'; p.textContent = `${a.description} From Zeek's ${a.log}.`; d.append(p);
      for (const x of fields) {
        const row = document.createElement('div');
        row.className = 'col';
        row.tabIndex = 0;
        row.title = x.description;
        row.innerHTML = '<span></span><span class="ty"></span>';
        (row.firstChild as HTMLElement).textContent = x.name;
        (row.lastChild as HTMLElement).textContent = x.type;
        const desc = document.createElement('div'); desc.className = 'desc'; desc.textContent = x.description;
        const ins = () => ed.insert(`tostring(todynamic(AdditionalFields).${x.name.includes('.') ? `['${x.name}']` : x.name})`);
        row.addEventListener('click', ins);
        row.addEventListener('keydown', (e) => { if (e.key === 'Enter') ins(); });
        d.append(row, desc);
      }
      body.append(d);
    }
    h4('Other Defender tables');
    for (const t of schemaDoc.tables) if (!PRIMARY.includes(t.name)) tableNode(t, false);
  } else {
    const qItem = (title: string, query: string, onDel?: () => void) => {
      if (f && !title.toLowerCase().includes(f) && !query.toLowerCase().includes(f)) return;
      const d = document.createElement('div');
      d.className = 'q';
      d.tabIndex = 0;
      d.title = 'Open in a new tab (click), Enter: open and run';
      const t = document.createElement('div'); t.className = 'qt'; t.textContent = title;
      const pre = document.createElement('pre'); pre.textContent = query;
      if (onDel) {
        const x = document.createElement('button'); x.className = 'del'; x.textContent = '×'; x.title = 'Delete';
        x.addEventListener('click', (e) => { e.stopPropagation(); onDel(); });
        d.append(x);
      }
      d.append(t, pre);
      d.addEventListener('click', () => newTab(query));
      d.addEventListener('keydown', (e) => { if (e.key === 'Enter') newTab(query, true); });
      body.append(d);
    };
    h4('Saved queries');
    if (!saved.length) { const p = document.createElement('div'); p.className = 'desc'; p.textContent = 'None yet: Ctrl+S saves the current query.'; body.append(p); }
    saved.forEach((s, i) => qItem(s.name, s.query, () => { saved.splice(i, 1); store(LS.saved, saved); renderSide(); }));
    h4('Examples: hunting with Zeek');
    for (const e of EXAMPLES) qItem(`${e.id}: ${e.title}`, e.query);
    h4('History');
    for (const hi of hist) qItem(`${hi.at.slice(0, 19).replace('T', ' ')} · ${hi.error ? 'failed' : `${hi.rows} rows`} · ${fmtMs(hi.ms)}`, hi.query);
  }
}

function addHistory(h: HistoryItem): void {
  hist = [h, ...hist.filter((x) => x.query !== h.query)].slice(0, 50);
  store(LS.history, hist);
  if (side === 'queries') renderSide();
}

function saveQuery(): void {
  const q = ed.getValue();
  if (!q.trim()) return;
  const name = window.prompt('Save query as', queryTitle(q));
  if (!name) return;
  saved = [{ name, query: q }, ...saved.filter((s) => s.name !== name)];
  store(LS.saved, saved);
  toast(`Saved "${name}"`);
  renderSide();
}

document.querySelectorAll<HTMLButtonElement>('.side-tabs button').forEach((b) => b.addEventListener('click', () => {
  side = b.dataset['side'] as typeof side;
  document.querySelectorAll('.side-tabs button').forEach((x) => x.classList.toggle('on', x === b));
  renderSide();
}));
$('sideFilter').addEventListener('input', () => renderSide());

// ---------- links ----------
function openFromHash(): boolean {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const tok = params.get('token');
  if (tok) sessionStorage.setItem('wirehunt.token', tok);
  const link = decodeQueryLink(location.hash);
  if (!link) return false;
  if (link.timeRange !== null && [...timeRange.options].some((o) => o.value === link.timeRange)) timeRange.value = link.timeRange;
  const existing = tabs.find((t) => t.query === link.query);
  if (existing) switchTab(existing.id);
  else newTab(link.query);
  window.history.replaceState(null, '', location.pathname);
  return true;
}
$('linkBtn').addEventListener('click', () => {
  const url = location.origin + location.pathname + encodeQueryLink(ed.getValue(), timeRange.value);
  $('linkBtn').dataset['link'] = url;
  void navigator.clipboard?.writeText(url).then(() => toast('Link copied'), () => toast(url));
});
window.addEventListener('hashchange', () => { openFromHash(); });

// ---------- wiring ----------
$('runBtn').addEventListener('click', () => void run());
$('newTab').addEventListener('click', () => newTab());
$('saveBtn').addEventListener('click', () => saveQuery());
timeRange.addEventListener('change', () => localStorage.setItem(LS.range, timeRange.value));
document.querySelectorAll<HTMLButtonElement>('.views button').forEach((b) => b.addEventListener('click', () => setView(b.dataset['view'] as 'table' | 'chart')));
$('quickFilter').addEventListener('input', (e) => grid.setQuickFilter((e.target as HTMLInputElement).value));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') { if (!$('menu').hidden) hideMenu(); else if (!$('inspector').hidden) closeInspector(); }
  else if (e.altKey && e.key.toLowerCase() === 't') { e.preventDefault(); newTab(); }
  else if (e.altKey && e.key.toLowerCase() === 'w') { e.preventDefault(); closeTab(active); }
  else if (e.key === 'Enter' && e.shiftKey && !(e.target as HTMLElement).closest('#editor, input, textarea')) { e.preventDefault(); void run(); }
});
const splitter = $('splitter');
const wrap = $('editorWrap');
splitter.addEventListener('pointerdown', (e) => {
  e.preventDefault();
  const y0 = e.clientY, h0 = wrap.offsetHeight;
  const move = (m: PointerEvent) => { wrap.style.height = Math.max(80, Math.min(innerHeight - 200, h0 + m.clientY - y0)) + 'px'; };
  const up = () => { removeEventListener('pointermove', move); removeEventListener('pointerup', up); };
  addEventListener('pointermove', move);
  addEventListener('pointerup', up);
});
splitter.addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
  e.preventDefault();
  wrap.style.height = Math.max(80, wrap.offsetHeight + (e.key === 'ArrowDown' ? 24 : -24)) + 'px';
});

renderTabs();
renderSide();
if (!openFromHash()) showResult();
updateTimeNote();
ed.focus();
