// A virtualized results table: only the rows in view exist in the DOM (a fixed pool reused while
// scrolling), so 100,000 rows scroll as smoothly as 100. Sort and filter per column, a quick filter
// over every column, keyboard navigation, and a cell menu (filter in / filter out / copy).

import type { SchemaField } from './kql';

/** A result row: values in schema order (the web route sends rows as arrays). */
export type Row = unknown[];
export interface GridEvents {
  open(row: Row): void;
  cellMenu(col: SchemaField, value: unknown, x: number, y: number): void;
  changed(shown: number, total: number): void;
}

const ROW_H = 26;
const OVERSCAN = 4;
const NUMERIC = new Set(['Int64', 'Int32', 'Double', 'Decimal']);

export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export class Grid {
  private schema: SchemaField[] = [];
  private rows: Row[] = [];
  /** Indices into rows, after filtering and sorting. */
  private view: Int32Array = new Int32Array(0);
  private widths: number[] = [];
  private sortCol = -1;
  private sortDir = 0;
  private colFilters: string[] = [];
  private quick = '';
  private lowerCache = new Map<number, string[]>();
  private sel = -1;
  private selCol = 0;
  private hdr: HTMLDivElement;
  private body: HTMLDivElement;
  private pool: HTMLDivElement[] = [];
  private rendered = { from: -1, to: -1, c0: -1, c1: -1 };
  private raf = 0;

  constructor(private host: HTMLElement, private ev: GridEvents) {
    this.hdr = document.createElement('div');
    this.hdr.className = 'hdr';
    this.body = document.createElement('div');
    this.body.className = 'body';
    host.append(this.hdr, this.body);
    host.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => {
      if (this.schema.length && this.poolSize() > this.pool.length) this.buildPool();
      this.schedule();
    }).observe(host);
    this.body.addEventListener('click', (e) => {
      const r = this.rowOf(e.target);
      if (r < 0) return;
      this.select(r, this.colOf(e.target));
      this.ev.open(this.rows[this.view[r]!]!);
    });
    this.body.addEventListener('contextmenu', (e) => {
      const r = this.rowOf(e.target);
      const c = this.colOf(e.target);
      if (r < 0 || c < 0) return;
      e.preventDefault();
      this.select(r, c);
      const col = this.schema[c]!;
      this.ev.cellMenu(col, this.rows[this.view[r]!]![c], e.clientX, e.clientY);
    });
    host.addEventListener('keydown', (e) => this.key(e));
  }

  get shownRows(): Row[] {
    return Array.from(this.view, (i) => this.rows[i]!);
  }
  get columns(): SchemaField[] {
    return this.schema;
  }

  setData(schema: SchemaField[], rows: Row[]): void {
    this.schema = schema;
    this.rows = rows;
    this.sortCol = -1;
    this.sortDir = 0;
    this.colFilters = schema.map(() => '');
    this.lowerCache.clear();
    this.sel = -1;
    this.selCol = 0;
    this.widths = schema.map((c, i) => this.estimateWidth(c, i));
    this.buildHeader();
    this.buildPool();
    this.recompute();
    this.host.scrollTop = 0;
    this.host.scrollLeft = 0;
  }

  setQuickFilter(text: string): void {
    this.quick = text.toLowerCase();
    this.recompute();
  }

  private estimateWidth(c: SchemaField, i: number): number {
    let len = c.Name.length + 2;
    const n = Math.min(this.rows.length, 200);
    for (let r = 0; r < n; r++) {
      const l = formatCell(this.rows[r]![i]).length;
      if (l > len) len = l;
    }
    return Math.max(64, Math.min(380, len * 7.4 + 16));
  }

  private buildHeader(): void {
    this.hdr.replaceChildren();
    this.schema.forEach((c, i) => {
      const h = document.createElement('div');
      h.className = 'hcell';
      h.style.width = this.widths[i] + 'px';
      const name = document.createElement('div');
      name.className = 'hname';
      name.title = `${c.Name} (${c.Type}) — click to sort`;
      name.tabIndex = 0;
      name.dataset['col'] = String(i);
      name.innerHTML = '<span class="nm"></span><span class="arrow"></span>';
      (name.firstChild as HTMLElement).textContent = c.Name;
      name.addEventListener('click', () => this.toggleSort(i));
      name.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.toggleSort(i); } });
      const f = document.createElement('input');
      f.className = 'hfilter';
      f.type = 'search';
      f.placeholder = 'filter';
      f.setAttribute('aria-label', `Filter ${c.Name}`);
      f.addEventListener('input', () => { this.colFilters[i] = f.value.toLowerCase(); this.recompute(); });
      const rz = document.createElement('div');
      rz.className = 'resize';
      rz.addEventListener('pointerdown', (e) => this.startResize(e, i, h));
      h.append(name, f, rz);
      this.hdr.append(h);
    });
  }

  private startResize(e: PointerEvent, i: number, h: HTMLElement): void {
    e.preventDefault();
    const x0 = e.clientX;
    const w0 = this.widths[i]!;
    const move = (m: PointerEvent) => {
      this.widths[i] = Math.max(40, w0 + m.clientX - x0);
      h.style.width = this.widths[i] + 'px';
      for (const row of this.pool) (row.children[i] as HTMLElement).style.width = this.widths[i] + 'px';
    };
    const up = () => { window.removeEventListener('pointermove', move); window.removeEventListener('pointerup', up); };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  private poolSize(): number {
    return Math.ceil(Math.max(this.host.clientHeight, 200) / ROW_H) + OVERSCAN * 2 + 2;
  }

  private buildPool(): void {
    this.body.replaceChildren();
    this.pool = [];
    this.rendered.from = -1;
    const count = this.poolSize();
    for (let p = 0; p < count; p++) {
      const row = document.createElement('div');
      row.className = 'row';
      row.setAttribute('role', 'row');
      for (let i = 0; i < this.schema.length; i++) {
        const cell = document.createElement('div');
        cell.className = NUMERIC.has(this.schema[i]!.Type) ? 'cell num' : 'cell';
        cell.style.width = this.widths[i] + 'px';
        cell.dataset['col'] = String(i);
        row.append(cell);
      }
      row.style.display = 'none';
      this.body.append(row);
      this.pool.push(row);
    }
  }

  private toggleSort(i: number): void {
    if (this.sortCol !== i) { this.sortCol = i; this.sortDir = 1; }
    else if (this.sortDir === 1) this.sortDir = -1;
    else { this.sortCol = -1; this.sortDir = 0; }
    this.hdr.querySelectorAll('.arrow').forEach((a, k) => { a.textContent = k === this.sortCol ? (this.sortDir > 0 ? '▲' : '▼') : ''; });
    this.recompute();
  }

  private lower(i: number): string[] {
    let arr = this.lowerCache.get(i);
    if (!arr) {
      arr = this.rows.map((r) => formatCell(r[i]).toLowerCase());
      this.lowerCache.set(i, arr);
    }
    return arr;
  }

  private recompute(): void {
    const n = this.rows.length;
    let idx: number[] | null = null;
    const active = this.colFilters.map((f, i) => (f ? i : -1)).filter((i) => i >= 0);
    if (active.length || this.quick) {
      idx = [];
      const cols = active.map((i) => this.lower(i));
      const all = this.quick ? this.schema.map((_, i) => this.lower(i)) : [];
      outer: for (let r = 0; r < n; r++) {
        for (let k = 0; k < active.length; k++) if (!cols[k]![r]!.includes(this.colFilters[active[k]!]!)) continue outer;
        if (this.quick) {
          let hit = false;
          for (const col of all) if (col[r]!.includes(this.quick)) { hit = true; break; }
          if (!hit) continue;
        }
        idx.push(r);
      }
    }
    let view = idx ? Int32Array.from(idx) : Int32Array.from({ length: n }, (_, i) => i);
    if (this.sortCol >= 0) {
      const c = this.schema[this.sortCol]!;
      const si = this.sortCol;
      const dir = this.sortDir;
      const num = NUMERIC.has(c.Type);
      const keys: (string | number | null)[] = this.rows.map((r) => {
        const v = r[si];
        if (v === null || v === undefined) return null;
        return num ? Number(v) : formatCell(v);
      });
      const arr = Array.from(view);
      arr.sort((a, b) => {
        const x = keys[a]!, y = keys[b]!;
        if (x === y) return a - b;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * dir;
      });
      view = Int32Array.from(arr);
    }
    this.view = view;
    this.host.scrollTop = 0;
    this.body.style.height = view.length * ROW_H + 'px';
    this.sel = -1;
    this.rendered.from = -1;
    this.paint();
    this.ev.changed(view.length, n);
  }

  private schedule(): void {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => { this.raf = 0; this.paint(); });
  }

  /** Draws the rows in view into the pool (synchronously). */
  paint(): void {
    const top = Math.max(0, this.host.scrollTop - this.hdr.offsetHeight);
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(this.view.length, first + this.pool.length);
    // Only the columns in view get their text (wide results have dozens of columns).
    const left = this.host.scrollLeft - 200, right = this.host.scrollLeft + this.host.clientWidth + 200;
    let c0 = 0, x = 0;
    while (c0 < this.widths.length && x + this.widths[c0]! < left) x += this.widths[c0++]!;
    let c1 = c0;
    while (c1 < this.widths.length && x < right) x += this.widths[c1++]!;
    const R = this.rendered;
    if (first === R.from && last === R.to && c0 === R.c0 && c1 === R.c1) return;
    this.rendered = { from: first, to: last, c0, c1 };
    for (let p = 0; p < this.pool.length; p++) {
      const el = this.pool[p]!;
      const r = first + p;
      if (r >= last) { el.style.display = 'none'; continue; }
      el.style.display = '';
      el.style.transform = `translateY(${r * ROW_H}px)`;
      el.dataset['r'] = String(r);
      el.classList.toggle('sel', r === this.sel);
      const row = this.rows[this.view[r]!]!;
      for (let i = 0; i < this.schema.length; i++) {
        const cell = el.children[i] as HTMLElement;
        const text = i >= c0 && i < c1 ? formatCell(row[i]) : '';
        if (cell.textContent !== text) cell.textContent = text;
        const title = text.length > 40 ? text.slice(0, 2000) : '';
        if (cell.title !== title) cell.title = title;
      }
    }
  }

  private rowOf(t: EventTarget | null): number {
    const el = (t as HTMLElement | null)?.closest?.('.row') as HTMLElement | null;
    return el?.dataset['r'] ? Number(el.dataset['r']) : -1;
  }
  private colOf(t: EventTarget | null): number {
    const el = (t as HTMLElement | null)?.closest?.('.cell') as HTMLElement | null;
    return el?.dataset['col'] ? Number(el.dataset['col']) : -1;
  }

  select(r: number, c = this.selCol): void {
    if (r < 0 || r >= this.view.length) return;
    this.sel = r;
    if (c >= 0) this.selCol = c;
    const y = r * ROW_H;
    const hh = this.hdr.offsetHeight;
    if (y < this.host.scrollTop) this.host.scrollTop = y;
    else if (y + ROW_H > this.host.scrollTop + this.host.clientHeight - hh) this.host.scrollTop = y + ROW_H - this.host.clientHeight + hh;
    this.rendered.from = -1;
    this.paint();
  }

  private key(e: KeyboardEvent): void {
    if ((e.target as HTMLElement).tagName === 'INPUT' || !this.view.length) return;
    const page = Math.max(1, Math.floor(this.host.clientHeight / ROW_H) - 2);
    const move: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (e.key in move) {
      e.preventDefault();
      this.select(Math.max(0, Math.min(this.view.length - 1, (this.sel < 0 ? -1 : this.sel) + move[e.key]!)));
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      this.select(e.key === 'Home' ? 0 : this.view.length - 1);
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      this.selCol = Math.max(0, Math.min(this.schema.length - 1, this.selCol + (e.key === 'ArrowLeft' ? -1 : 1)));
      const left = this.widths.slice(0, this.selCol).reduce((a, b) => a + b, 0);
      if (left < this.host.scrollLeft || left + this.widths[this.selCol]! > this.host.scrollLeft + this.host.clientWidth) this.host.scrollLeft = left;
    } else if (e.key === 'Enter' && this.sel >= 0) {
      e.preventDefault();
      this.ev.open(this.rows[this.view[this.sel]!]!);
    } else if ((e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) && this.sel >= 0) {
      e.preventDefault();
      const el = this.pool.find((p) => p.dataset['r'] === String(this.sel));
      const cell = el?.children[this.selCol] as HTMLElement | undefined;
      const box = (cell ?? this.host).getBoundingClientRect();
      const col = this.schema[this.selCol]!;
      this.ev.cellMenu(col, this.rows[this.view[this.sel]!]![this.selCol], box.left + 8, box.bottom);
    }
  }
}
