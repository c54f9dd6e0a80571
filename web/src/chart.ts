// Charts for KQL `render`: timechart, linechart, areachart, columnchart, barchart, piechart and
// scatterchart, drawn as plain SVG (no chart library; nothing loaded from elsewhere).
// Column roles follow Kusto's defaults: x = the first column (or the `xcolumn` parameter), series
// split by string columns, y = the numeric columns (or `ycolumns`).

import type { SchemaField } from './kql';
import { formatCell, type Row } from './grid';

export interface RenderInfo { chart: string; params?: Record<string, unknown> }

const NUM = new Set(['Int64', 'Int32', 'Double', 'Decimal']);
const COLORS = ['#0f6cbd', '#e3008c', '#107c10', '#ff8c00', '#8764b8', '#00b7c3', '#a4262c', '#498205', '#ca5010', '#4f6bed', '#986f0b', '#c239b3'];
const SVG = 'http://www.w3.org/2000/svg';
const MAX_SERIES = 12;

interface Series { name: string; pts: { x: number; y: number; label?: string }[] }

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.append(e);
  return e;
}

function xValue(v: unknown, type: string): number {
  if (type === 'DateTime') return Date.parse(String(v));
  return Number(v);
}

function niceTicks(min: number, max: number, n: number): number[] {
  if (!(max > min)) return [min];
  const step0 = (max - min) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function fmtNum(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1).replace(/\.0$/, '') + 'G';
  if (a >= 1e6) return (v / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(1).replace(/\.0$/, '') + 'k';
  return String(Math.round(v * 100) / 100);
}

function fmtTime(ms: number, span: number): string {
  const iso = new Date(ms).toISOString();
  return span > 3 * 86400_000 ? iso.slice(5, 10) : span > 86400_000 ? iso.slice(5, 16).replace('T', ' ') : iso.slice(11, 16);
}

/** Draws the chart into host; returns a one-line description, or throws with why it cannot. */
export function renderChart(host: HTMLElement, info: RenderInfo, schema: SchemaField[], rows: Row[]): string {
  host.replaceChildren();
  const kind = info.chart.toLowerCase();
  const p = info.params ?? {};
  const byName = (n: unknown) => schema.find((c) => c.Name === n);
  const ix = (c: SchemaField) => schema.indexOf(c);
  const xcol = byName(p['xcolumn']) ?? (kind === 'timechart' ? schema.find((c) => c.Type === 'DateTime') : undefined) ?? schema[0];
  if (!xcol) throw new Error('nothing to chart: the result has no columns');
  const ynames = Array.isArray(p['ycolumns']) ? (p['ycolumns'] as string[]) : null;
  const ycols = schema.filter((c) => c !== xcol && NUM.has(c.Type) && (!ynames || ynames.includes(c.Name)));
  const seriesCols = schema.filter((c) => c !== xcol && !NUM.has(c.Type) && c.Type !== 'DateTime');
  if (!ycols.length) throw new Error(`cannot draw a ${kind}: the result has no numeric column to plot`);
  const w = Math.max(520, host.clientWidth - 24);
  const h = Math.max(240, host.clientHeight - 56);
  const svg = el('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': `${kind} of ${ycols.map((c) => c.Name).join(', ')} by ${xcol.Name}` });
  host.append(svg);
  const legend = document.createElement('div');
  legend.className = 'legend';
  const addLegend = (names: string[]) => names.forEach((n, i) => { const s = document.createElement('span'); s.innerHTML = `<i style="background:${COLORS[i % COLORS.length]}"></i>`; s.append(n); legend.append(s); });

  if (kind === 'piechart') {
    const labelCol = xcol;
    const valCol = ycols[0]!;
    const slices = rows.map((r) => ({ label: formatCell(r[ix(labelCol)]) || '(empty)', v: Math.max(0, Number(r[ix(valCol)]) || 0) }))
      .sort((a, b) => b.v - a.v);
    const top = slices.slice(0, MAX_SERIES - 1);
    const rest = slices.slice(MAX_SERIES - 1).reduce((a, s) => a + s.v, 0);
    if (rest > 0) top.push({ label: 'Other', v: rest });
    const total = top.reduce((a, s) => a + s.v, 0) || 1;
    const cx = w / 2, cy = h / 2, rad = Math.min(w, h) / 2 - 20;
    let a0 = -Math.PI / 2;
    top.forEach((s, i) => {
      const a1 = a0 + (s.v / total) * Math.PI * 2;
      const large = a1 - a0 > Math.PI ? 1 : 0;
      const d = top.length === 1
        ? `M ${cx - rad} ${cy} a ${rad} ${rad} 0 1 0 ${rad * 2} 0 a ${rad} ${rad} 0 1 0 ${-rad * 2} 0`
        : `M ${cx} ${cy} L ${cx + rad * Math.cos(a0)} ${cy + rad * Math.sin(a0)} A ${rad} ${rad} 0 ${large} 1 ${cx + rad * Math.cos(a1)} ${cy + rad * Math.sin(a1)} Z`;
      const path = el('path', { d, fill: COLORS[i % COLORS.length]!, stroke: '#fff', 'stroke-width': 1, class: 'slice' }, svg);
      el('title', {}, path).textContent = `${s.label}: ${s.v} (${((s.v / total) * 100).toFixed(1)}%)`;
      a0 = a1;
    });
    addLegend(top.map((s) => `${s.label} (${((s.v / total) * 100).toFixed(1)}%)`));
    host.append(legend);
    return `piechart: ${top.length} slices`;
  }

  const horizontal = kind === 'barchart';
  const pad = { l: 56, r: 12, t: 10, b: 42 };
  if (horizontal) {
    const longest = rows.reduce((m, r) => Math.max(m, formatCell(r[ix(xcol)]).length), 0);
    pad.l = Math.min(220, Math.max(56, longest * 6.5 + 12));
  }
  const categorical = kind === 'columnchart' || kind === 'barchart';
  const series = new Map<string, Series>();
  const cats: string[] = [];
  const catIndex = new Map<string, number>();
  const xType = xcol.Type;
  for (const r of rows) {
    const split = seriesCols.filter((c) => !categorical || c !== xcol).map((c) => formatCell(r[ix(c)])).join(' · ');
    let x: number;
    let label: string | undefined;
    if (categorical) {
      label = formatCell(r[ix(xcol)]);
      let ci = catIndex.get(label);
      if (ci === undefined) { ci = cats.length; cats.push(label); catIndex.set(label, ci); }
      x = ci;
    } else {
      x = xValue(r[ix(xcol)], xType);
      if (!Number.isFinite(x)) continue;
    }
    for (const yc of ycols) {
      const name = [ycols.length > 1 || !split ? yc.Name : '', split].filter(Boolean).join(' · ');
      let s = series.get(name);
      if (!s) {
        if (series.size >= MAX_SERIES) continue;
        s = { name, pts: [] };
        series.set(name, s);
      }
      const y = Number(r[ix(yc)]);
      if (Number.isFinite(y)) s.pts.push({ x, y, label });
    }
  }
  const all = [...series.values()];
  for (const s of all) s.pts.sort((a, b) => a.x - b.x);
  if (!all.some((s) => s.pts.length)) throw new Error(`cannot draw a ${kind}: no plottable values`);
  const ys = all.flatMap((s) => s.pts.map((q) => q.y));
  const xs = all.flatMap((s) => s.pts.map((q) => q.x));
  let ymin = Math.min(0, ...ys), ymax = Math.max(...ys);
  if (ymax === ymin) ymax = ymin + 1;
  let xmin = categorical ? -0.5 : Math.min(...xs), xmax = categorical ? cats.length - 0.5 : Math.max(...xs);
  if (xmax === xmin) { xmin -= 1; xmax += 1; }
  const iw = w - pad.l - pad.r, ih = h - pad.t - pad.b;
  const valueAxis = (v: number) => (horizontal ? pad.l + ((v - ymin) / (ymax - ymin)) * iw : pad.t + ih - ((v - ymin) / (ymax - ymin)) * ih);
  const sx = (v: number) => pad.l + ((v - xmin) / (xmax - xmin)) * iw;
  const sy = (v: number) => pad.t + ((v - xmin) / (xmax - xmin)) * ih;
  const axes = el('g', { class: 'axes' }, svg);
  for (const t of niceTicks(ymin, ymax, 5)) {
    const pos = valueAxis(t);
    if (horizontal) {
      el('line', { x1: pos, x2: pos, y1: pad.t, y2: pad.t + ih, stroke: '#edebe9' }, axes);
      el('text', { x: pos, y: h - pad.b + 16, 'text-anchor': 'middle' }, axes).textContent = fmtNum(t);
    } else {
      el('line', { x1: pad.l, x2: pad.l + iw, y1: pos, y2: pos, stroke: '#edebe9' }, axes);
      el('text', { x: pad.l - 6, y: pos + 4, 'text-anchor': 'end' }, axes).textContent = fmtNum(t);
    }
  }
  if (categorical) {
    const stepLbl = Math.max(1, Math.ceil(cats.length / (horizontal ? ih / 14 : iw / 60)));
    cats.forEach((c, i) => {
      if (i % stepLbl) return;
      const t = el('text', horizontal ? { x: pad.l - 6, y: sy(i) + 4, 'text-anchor': 'end' } : { x: sx(i), y: h - pad.b + 16, 'text-anchor': 'middle' }, axes);
      const max = horizontal ? Math.floor((pad.l - 10) / 6.5) : 16;
      t.textContent = c.length > max ? c.slice(0, max - 1) + '…' : c;
      el('title', {}, t).textContent = c;
    });
    const band = (horizontal ? ih : iw) / cats.length;
    const bw = Math.max(1, (band * 0.8) / all.length);
    all.forEach((s, si) => {
      for (const q of s.pts) {
        const base = valueAxis(0), v = valueAxis(q.y);
        const off = q.x * band + band * 0.1 + si * bw;
        const rect = horizontal
          ? el('rect', { x: Math.min(base, v), y: pad.t + off, width: Math.abs(v - base), height: bw, fill: COLORS[si % COLORS.length]!, class: 'bar' }, svg)
          : el('rect', { x: pad.l + off, y: Math.min(base, v), width: bw, height: Math.abs(v - base), fill: COLORS[si % COLORS.length]!, class: 'bar' }, svg);
        el('title', {}, rect).textContent = `${q.label} · ${s.name}: ${q.y}`;
      }
    });
  } else {
    const isTime = xType === 'DateTime';
    const span = xmax - xmin;
    const ticks = isTime ? niceTicks(xmin, xmax, Math.max(2, Math.floor(iw / 110))) : niceTicks(xmin, xmax, Math.max(2, Math.floor(iw / 80)));
    for (const t of ticks) el('text', { x: sx(t), y: h - pad.b + 16, 'text-anchor': 'middle' }, axes).textContent = isTime ? fmtTime(t, span) : fmtNum(t);
    all.forEach((s, si) => {
      const color = COLORS[si % COLORS.length]!;
      if (kind === 'scatterchart') {
        for (const q of s.pts.slice(0, 20000)) el('circle', { cx: sx(q.x), cy: valueAxis(q.y), r: 3, fill: color, 'fill-opacity': 0.7, class: 'dot' }, svg);
        return;
      }
      const d = s.pts.map((q, i) => `${i ? 'L' : 'M'}${sx(q.x).toFixed(1)},${valueAxis(q.y).toFixed(1)}`).join('');
      if (kind === 'areachart' && s.pts.length) {
        const base = valueAxis(Math.max(0, ymin));
        el('path', { d: `${d}L${sx(s.pts[s.pts.length - 1]!.x).toFixed(1)},${base}L${sx(s.pts[0]!.x).toFixed(1)},${base}Z`, fill: color, 'fill-opacity': 0.25, stroke: 'none' }, svg);
      }
      el('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.8, class: 'line' }, svg);
      if (s.pts.length <= 60) for (const q of s.pts) el('circle', { cx: sx(q.x), cy: valueAxis(q.y), r: 2.5, fill: color }, svg);
    });
  }
  el('line', { x1: pad.l, x2: pad.l, y1: pad.t, y2: pad.t + ih, stroke: '#8a8886' }, axes);
  el('line', { x1: pad.l, x2: pad.l + iw, y1: pad.t + ih, y2: pad.t + ih, stroke: '#8a8886' }, axes);
  el('text', { x: pad.l + iw / 2, y: h - 6, 'text-anchor': 'middle' }, axes).textContent = horizontal ? ycols.map((c) => c.Name).join(', ') : xcol.Name;
  addLegend(all.map((s) => s.name));
  host.append(legend);
  return `${kind}: ${all.length} series, ${xs.length} points`;
}
