// The store: one DuckDB file holding every Defender table. Rows go in by batches: each batch is
// written as a tab-separated staging file, then one INSERT … SELECT FROM read_csv(…) moves it into
// its table, skipping
// rows whose key (ReportId, DeviceId, Timestamp) is already there: each batch is atomic (a single
// statement, one transaction) and re-ingesting the same rows changes nothing.
//
// Layout: each table's rows live in `store."<Table>"`, where an empty string is kept as NULL (a wide
// Defender table is mostly empty strings, and NULLs cost DuckDB a fraction of what '' does: measured
// 2-3x faster inserts); `main."<Table>"` is a view with the Kusto name that turns those NULLs back
// into '' so queries never see a NULL string. Queries use the views; only writers touch `store`.
// DeviceNetworkEvents keeps only the columns wirehunt fills as physical columns; its other 32
// (InitiatingProcess*, …: filled only by imported Defender rows) live together in one JSON column
// `__cold` that the view unpacks. DuckDB's insert cost grows with the column count even for NULLs
// (measured: 13 vs 46 columns, 3-4x), and these rows are the bulk of every store.

import { existsSync, readdirSync, openSync, writeSync, closeSync, rmSync, statSync, accessSync, constants as fsConstants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { homedir, tmpdir, availableParallelism } from 'node:os';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../cli/types.js';
import { makeDirectory } from '../cli/dirs.js';
import { TABLES, STORE_ENV, getTable, quoteIdent, type TableDef, type ColumnDef } from './types.js';
import { findHolder, type StoreHolder } from './holder.js';

/** The store is held by a running `wirehunt serve`; `holder` says which process and where it listens. */
export class StoreBusy extends UserError {
  constructor(readonly path: string, readonly holder: StoreHolder) {
    super(`the store ${path} is in use by wirehunt serve (PID ${holder.pid}, ${holder.url}/): stop it (Ctrl+C there) to use this command, or work through it (the web page, or POST ${holder.url}/api/advancedqueries/run)`);
  }
}

export interface OpenStoreOptions {
  /** Open without write access (several readers may share a file; no tables are created). */
  readOnly?: boolean;
}

/**
 * The store file used when no `--db` is given: `$WIREHUNT_DB`, else
 * `$XDG_DATA_HOME/wirehunt/wirehunt.duckdb`, else `~/.local/share/wirehunt/wirehunt.duckdb`.
 * `:memory:` is accepted anywhere a path is and gives a private in-memory store.
 */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[STORE_ENV];
  if (fromEnv) return fromEnv;
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'wirehunt', 'wirehunt.duckdb');
}

/** `--db` value if given, else the default store path. */
export function resolveStorePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag === ':memory:' ? flag : resolve(flag);
  const p = defaultStorePath(env);
  return p === ':memory:' ? p : resolve(p);
}

/** A cell for BatchWriter.appendRow, by the column's Kusto type:
 *  string/guid → string (null/undefined → ''); datetime → number of microseconds since the Unix
 *  epoch (UTC); long/timespan → number or bigint; int → number; real → number; bool → boolean;
 *  dynamic → JSON text (invalid JSON becomes null). null/undefined → NULL for non-string columns. */
export type Cell = string | number | bigint | boolean | null | undefined;

export class Store {
  private stageSeq = 0;
  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
    readonly instance: DuckDBInstance,
    /** The store's main connection; the KQL engine may run its SQL here. */
    readonly connection: DuckDBConnection,
  ) {}

  static async open(path: string, opts: OpenStoreOptions = {}): Promise<Store> {
    const readOnly = !!opts.readOnly;
    if (path !== ':memory:') {
      if (readOnly && !existsSync(path)) {
        throw new UserError(`no store at ${path} (run 'wirehunt ingest' first, or pass --db)`);
      }
      if (!readOnly) {
        try {
          makeDirectory(dirname(path));
        } catch (err) {
          throw new UserError(`cannot create the store folder ${dirname(path)}: ${(err as Error).message}`);
        }
      }
    }
    let instance: DuckDBInstance;
    let connection: DuckDBConnection;
    try {
      instance = await DuckDBInstance.create(path, readOnly && path !== ':memory:' ? { access_mode: 'READ_ONLY' } : {});
      connection = await instance.connect();
    } catch (err) {
      const msg = String((err as Error).message ?? err).split('\n')[0]!;
      if (/Could not set lock/i.test(msg)) {
        const holder = findHolder(path);
        if (holder) throw new StoreBusy(path, holder);
        throw new UserError(`cannot open the store ${path}: another process has it open (${/PID \d+/.exec(msg)?.[0] ?? 'see lsof'}); DuckDB lets only one process open a store while it is written`);
      }
      throw new UserError(`cannot open the store ${path}: ${msg}`);
    }
    const store = new Store(path, readOnly, instance, connection);
    if (!readOnly) await store.createTables();
    else if (path !== ':memory:' && (await store.outdatedTables().catch(() => [])).length) {
      // queries read columns an older wirehunt did not keep: upgrade the file once, then open it as asked
      store.close();
      process.stderr.write(`wirehunt: upgrading the store ${path} to this version's layout (once) …\n`);
      try {
        (await Store.open(path)).close();
      } catch (err) {
        const msg = err instanceof UserError ? err.message : String((err as Error).message ?? err).split('\n')[0];
        throw new UserError(`the store ${path} was made by an older wirehunt and must be upgraded once, which needs write access: ${msg}`);
      }
      return Store.open(path, opts);
    }
    return store;
  }

  /** Creates every Defender table that does not exist yet. */
  async createTables(): Promise<void> {
    const q = (sql: string) => this.connection.runAndReadAll(sql).then((r) => new Set(r.getRows().map((x) => String(x[0]))));
    const tables = await q(`SELECT table_name FROM duckdb_tables() WHERE schema_name = '${STORAGE_SCHEMA}' AND database_name = current_database()`);
    const views = await q(`SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND database_name = current_database() AND NOT internal`);
    const old = await q(`SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database()`);
    const clash = TABLES.find((t) => old.has(t.name));
    if (clash) throw new UserError(`the store ${this.path} was made by an older wirehunt (table ${clash.name} is not in its current layout); ingest into a new store`);
    const ddl: string[] = [`CREATE SCHEMA IF NOT EXISTS ${STORAGE_SCHEMA}`];
    for (const t of TABLES) {
      if (!tables.has(t.name)) ddl.push(createTableSql(t));
      if (!views.has(t.name)) ddl.push(createViewSql(t));
    }
    if (ddl.length > 1) await this.connection.run(`BEGIN TRANSACTION; ${ddl.join(';\n')}; COMMIT`);
    await this.upgradeLayout();
  }

  /** Tables of this store that lack physical columns this version keeps (a store made by an older wirehunt). */
  async outdatedTables(): Promise<TableDef[]> {
    return [...(await this.missingColumns()).keys()];
  }

  /** Per table, the shredded columns its storage table lacks (none for a store of this version). */
  private async missingColumns(): Promise<Map<TableDef, string[]>> {
    const r = await this.connection.runAndReadAll(
      `SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = '${STORAGE_SCHEMA}' AND database_name = current_database()`,
    );
    const have = new Set(r.getRows().map((x) => `${String(x[0])}\u0000${String(x[1])}`));
    const missing = new Map<TableDef, string[]>();
    for (const t of TABLES) {
      const cols = shreddedColumns(t).filter((c) => !have.has(`${t.name}\u0000${c}`));
      if (cols.length) missing.set(t, cols);
    }
    return missing;
  }

  /**
   * Adds the shredded columns a store made by an older wirehunt lacks and fills them from its rows, in one
   * transaction, once per store (measured: the 10M-row bench store, 13.6 s on 2 threads).
   */
  private async upgradeLayout(): Promise<void> {
    const missing = await this.missingColumns();
    if (!missing.size) return;
    const stmts: string[] = [];
    for (const [t, cols] of missing) {
      for (const c of cols) stmts.push(`ALTER TABLE ${storageTable(t)} ADD COLUMN ${quoteIdent(c)} VARCHAR`);
      const fill = fillShreddedSql(t);
      if (fill) stmts.push(fill);
    }
    await this.connection.run('BEGIN TRANSACTION');
    try {
      for (const sql of stmts) await this.connection.run(sql);
      await this.connection.run('COMMIT');
    } catch (err) {
      await this.connection.run('ROLLBACK').catch(() => {});
      throw new UserError(`cannot upgrade the store ${this.path} to this version's layout: ${String((err as Error).message ?? err).split('\n')[0]}`);
    }
  }

  /** Opens another connection to the same database (each runs its own transactions). */
  async connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** A batch writer into `table` for the given Kusto column names (a subset, in any order). */
  async writer(table: string, columns: readonly string[], opts: { batchSize?: number } = {}): Promise<BatchWriter> {
    if (this.readOnly) throw new UserError(`the store ${this.path} is open read-only`);
    const def = getTable(table);
    if (!def) throw new UserError(`unknown table '${table}'`);
    const cols = columnsOf(def, columns);
    const stage = `__stage_${def.name}_${++this.stageSeq}`;
    const w = new BatchWriter(this, def, cols, stage, opts.batchSize ?? 100_000);
    await w.init();
    return w;
  }

  /**
   * While ingesting, DuckDB gets one thread fewer than the machine has (at least one, at most what
   * it is set to; $WIREHUNT_INGEST_THREADS overrides): the JS thread parsing and formatting the next
   * batch is the other one. Measured on a loaded 2-CPU machine: the batch INSERT took half the CPU
   * time with one DuckDB thread as with two (waiting threads cost CPU), and less wall time too.
   * A file store's memory limit is set to 512 MiB too ($WIREHUNT_INGEST_MEMORY overrides, e.g. 2GB): by
   * default DuckDB keeps the blocks it writes cached up to 80% of RAM, so an ingest's memory grew
   * with its input (measured: 583 → 1,248 MB RSS over 1.4 → 5.7M rows; with 512 MiB it stayed
   * between 650 and 780 MB).
   * Returns a function restoring the previous settings (queries after an ingest get every thread).
   */
  async limitThreadsForIngest(): Promise<() => Promise<void>> {
    if (this.readOnly) return async () => {};
    const r = await this.connection.runAndReadAll(`SELECT current_setting('threads'), current_setting('memory_limit')`);
    const before = Number(r.getRows()[0]![0]);
    const memBefore = String(r.getRows()[0]![1]);
    const env = Number(process.env.WIREHUNT_INGEST_THREADS);
    const want = Number.isInteger(env) && env > 0 ? env : Math.max(1, Math.min(before, availableParallelism() - 1));
    const undo: string[] = [];
    if (want > 0 && want !== before) {
      await this.connection.run(`SET threads = ${want}`);
      undo.push(`SET threads = ${before}`);
    }
    const mem = process.env.WIREHUNT_INGEST_MEMORY || '512MiB';
    if (this.path !== ':memory:') {
      // (an in-memory store keeps its tables within the limit: it is left alone)
      try {
        await this.connection.run(`SET memory_limit = ${sqlString(mem)}`);
        const now = await this.connection.runAndReadAll(`SELECT current_setting('memory_limit')`);
        if (String(now.getRows()[0]![0]) !== memBefore) undo.push('RESET memory_limit'); // its printed value is rounded; nothing else sets it
      } catch {
        throw new UserError(`WIREHUNT_INGEST_MEMORY: '${mem}' is not a memory size DuckDB reads (e.g. 512MiB, 2GB)`);
      }
    }
    if (!undo.length) return async () => {};
    return async () => {
      for (const sql of undo) await this.connection.run(sql);
    };
  }

  /** Row count of a table (0 when it does not exist). */
  async count(table: string): Promise<number> {
    const def = getTable(table);
    if (!def) return 0;
    const r = await this.connection.runAndReadAll(`SELECT count(*) FROM ${quoteIdent(def.name)}`);
    return Number(r.getRows()[0]![0]);
  }

  close(): void {
    try {
      this.connection.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }
}

/** Opens (creating when writable and absent) the store at `path`. */
export function openStore(path: string, opts: OpenStoreOptions = {}): Promise<Store> {
  return Store.open(path, opts);
}

/** Schema of the physical tables (see the layout note at the top). */
export const STORAGE_SCHEMA = 'store';

/** Tables whose columns outside this list are kept in the JSON column `__cold`. */
const HOT_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  DeviceNetworkEvents: [
    'Timestamp', 'DeviceId', 'DeviceName', 'ActionType', 'RemoteIP', 'RemotePort', 'RemoteUrl', 'LocalIP', 'LocalPort',
    'Protocol', 'LocalIPType', 'RemoteIPType', 'ReportId', 'AdditionalFields',
  ],
};
const COLD = '__cold';

/**
 * Keys of a JSON text column that are also kept as columns of their own, as Kusto indexes the properties of a
 * dynamic column: a filter or a projection of `tostring(todynamic(AdditionalFields).direction)` reads the
 * column instead of parsing every row's JSON. Each holds exactly what
 * `try(json_extract_string(NULLIF(text, ''), '$."key"'))` gives for the row (NULL where the key is missing or
 * the text is not JSON), computed from the text when the row is inserted (insertNewRows, one parse per row).
 *
 * The keys: "direction", which every Zeek-derived ActionType carries and hunting queries read most, and the
 * keys of the hunts that return the most rows (HTTP uri and user_agent, DNS query, qtype_name and answers, TLS
 * issuer). Measured on the 10M-row bench store, each query's SQL with and without, interleaved in one process
 * (CPU ms): Q13 1503 → 1328 (and 1292 → 1174 more with answers), Q6 1102 → 913, Q4 723 → 220.
 * Each key is paid for at ingest, mostly as one more column to insert (DuckDB's insert cost grows with the
 * column count): bench:ingest, Zeek logs mapped in DuckDB, 1.44M rows, wall s: none 7.5-7.8, 6 keys 9.0-9.5,
 * 12 keys 10.3, 22 keys 13.1; in alternating runs, none 8.5-8.6 and these 7 keys 9.4-10.1. The seed's three
 * slowest queries (Q6, Q12, Q13) read only these seven.
 */
const SHREDDED: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  DeviceNetworkEvents: { AdditionalFields: ['direction', 'uri', 'user_agent', 'query', 'qtype_name', 'answers', 'issuer'] },
};

/** The keys of `column` of `table` kept as columns of their own (none for most). */
export function shreddedKeys(table: string, column: string): readonly string[] {
  return SHREDDED[table]?.[column] ?? [];
}

/** The physical column holding `key` of the JSON text column `column`. */
export function shreddedColumn(column: string, key: string): string {
  return `__${column}.${key}`;
}

function shreddedColumns(t: TableDef): string[] {
  return Object.entries(SHREDDED[t.name] ?? {}).flatMap(([c, keys]) => keys.map((k) => shreddedColumn(c, k)));
}

/** The JSON path of a key, as the KQL engine writes it for `json.key` (the keys above are plain names: nothing to escape). */
function keyPath(key: string): string {
  return sqlString(`$."${key}"`);
}

/**
 * `rows` (SQL whose columns are named as `names`, the physical columns of `t`) with the shredded columns of
 * every JSON text column among them appended, each document parsed once. Every insert (insertNewRows) goes through it.
 */
export function withShreddedColumns(t: TableDef, names: readonly string[], rows: string): { names: string[]; rows: string } {
  const out = [...names];
  const pieces: string[] = [];
  const lists: string[] = [];
  for (const [column, keys] of Object.entries(SHREDDED[t.name] ?? {})) {
    const col = t.columns.find((c) => c.name === column)!;
    if (!names.includes(quoteIdent(col.sqlName))) continue;
    const x = `__keys${lists.length}`;
    lists.push(`try(json_extract_string(NULLIF(CAST(r.${quoteIdent(col.sqlName)} AS VARCHAR), ''), [${keys.map(keyPath).join(', ')}])) AS ${x}`);
    keys.forEach((k, i) => {
      out.push(quoteIdent(shreddedColumn(column, k)));
      pieces.push(`${x}[${i + 1}] AS ${quoteIdent(shreddedColumn(column, k))}`);
    });
  }
  if (!lists.length) return { names: out, rows };
  const parsed = lists.map((_, i) => `__keys${i}`).join(', ');
  return { names: out, rows: `SELECT * EXCLUDE (${parsed}), ${pieces.join(', ')} FROM (SELECT r.*, ${lists.join(', ')} FROM (${rows}) r)` };
}

/** SQL filling the shredded columns of rows stored before they existed (see Store.upgradeLayout). */
function fillShreddedSql(t: TableDef): string | null {
  const sets = Object.entries(SHREDDED[t.name] ?? {}).flatMap(([column, keys]) => {
    const col = quoteIdent(t.columns.find((c) => c.name === column)!.sqlName);
    return keys.map((k) => `${quoteIdent(shreddedColumn(column, k))} = try(json_extract_string(NULLIF(${col}, ''), ${keyPath(k)}))`);
  });
  return sets.length ? `UPDATE ${storageTable(t)} SET ${sets.join(', ')}` : null;
}

function isHot(t: TableDef, c: ColumnDef): boolean {
  const hot = HOT_COLUMNS[t.name];
  return !hot || hot.includes(c.name);
}

function hasCold(t: TableDef): boolean {
  return t.columns.some((c) => !isHot(t, c));
}

/** SQL reading a cold column out of `__cold` with its table type. */
function coldExpr(c: ColumnDef): string {
  const path = `'$.' || ${sqlString(JSON.stringify(c.name))}`;
  return typedCold(c, `json_extract_string(${COLD}, ${path})`, `json_extract(${COLD}, ${path})`);
}

/** A cold value with its column's type, from its text (`text`) or JSON (`json`, dynamic columns). */
function typedCold(c: ColumnDef, text: string, json: string): string {
  switch (c.kustoType) {
    case 'string': case 'guid': return text;
    case 'datetime': return `make_timestamp(TRY_CAST(${text} AS BIGINT))`;
    case 'dynamic': return json;
    default: return `TRY_CAST(${text} AS ${c.duckType})`;
  }
}

/**
 * Every cold column of `t` out of `cold` as one struct: each use of it names the same expression, which DuckDB
 * computes once per row (one JSON parse instead of one per column: measured 14x less CPU for 32 columns). Its
 * values are json_extract_string's but for doubles DuckDB writes with an exponent, which the store never writes.
 */
function coldStruct(t: TableDef, cold: string): string {
  return `json_transform(${cold}, ${coldShape(t)})`;
}

// Every read of a cold column names the shape, so a query over a wide table would build it per column.
const coldShapes = new WeakMap<TableDef, string>();
function coldShape(t: TableDef): string {
  let text = coldShapes.get(t);
  if (text === undefined) {
    const shape: Record<string, string> = {};
    for (const c of t.columns) if (!isHot(t, c)) shape[c.name] = c.kustoType === 'dynamic' ? 'JSON' : 'VARCHAR';
    text = sqlString(JSON.stringify(shape));
    coldShapes.set(t, text);
  }
  return text;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** `store."<Table>"`: where a table's rows are physically kept (writers only; queries use the view). */
export function storageTable(t: TableDef | string): string {
  return `${STORAGE_SCHEMA}.${quoteIdent(typeof t === 'string' ? t : t.name)}`;
}

/**
 * JSON text columns are stored uncompressed. Nearly every hunting query reads AdditionalFields, and
 * decompressing DuckDB's choice for such text (FSST) was a large part of a scan: over 4M bench rows,
 * reading the DNS rows' AdditionalFields took 393 CPU ms with FSST and 96 uncompressed (measured); on
 * the 10M-row bench store the seed queries took 2-37% less CPU. The price is disk: 2.46 GB against 0.97.
 */
const UNCOMPRESSED = ' USING COMPRESSION uncompressed';

function holdsJsonText(c: ColumnDef): boolean {
  return c.kustoType === 'dynamic' || c.name === 'AdditionalFields';
}

export function createTableSql(t: TableDef): string {
  const cols = t.columns.filter((c) => isHot(t, c)).map((c) => `${quoteIdent(c.sqlName)} ${c.duckType}${holdsJsonText(c) ? UNCOMPRESSED : ''}`);
  if (hasCold(t)) cols.push(`${COLD} JSON${UNCOMPRESSED}`);
  for (const c of shreddedColumns(t)) cols.push(`${quoteIdent(c)} VARCHAR`);
  return `CREATE TABLE IF NOT EXISTS ${storageTable(t)} (${cols.join(', ')})`;
}

/**
 * SQL reading column `c` of `t` as its view shows it (string columns never NULL, cold columns unpacked) from the
 * storage table aliased `alias`. The KQL engine reads storage tables with these expressions so
 * that a cold column is unpacked only for the rows that pass the query's filters (through the view, DuckDB
 * unpacks all 32 before any filter on AdditionalFields: measured 5 of 8.4 CPU seconds of a seed query).
 */
export function columnReadSql(t: TableDef, c: ColumnDef, alias: string): string {
  let v: string;
  if (isHot(t, c)) v = `${alias}.${quoteIdent(c.sqlName)}`;
  else {
    const field = `${coldStruct(t, `${alias}.${COLD}`)}.${quoteIdent(c.name)}`;
    v = typedCold(c, field, field);
  }
  return c.duckType === 'VARCHAR' ? `coalesce(${v}, '')` : v;
}

/** The Kusto-named view: string columns never NULL; cold columns unpacked. */
export function createViewSql(t: TableDef): string {
  const cols = t.columns.map((c) => {
    const q = quoteIdent(c.sqlName);
    const v = isHot(t, c) ? q : coldExpr(c);
    return c.duckType === 'VARCHAR' ? `coalesce(${v}, '') AS ${q}` : `${v} AS ${q}`;
  });
  return `CREATE OR REPLACE VIEW main.${quoteIdent(t.name)} AS SELECT ${cols.join(', ')} FROM ${storageTable(t)}`;
}

// ---- Batches: staged as a tab-separated text file that DuckDB bulk-loads with read_csv ----
//
// Measured (300k DeviceNetworkEvents rows, CPU time): DuckDB's appender called once per value cost
// more than everything else in the ingest path (a native call per cell); writing the batch as text
// and letting DuckDB's CSV reader parse it inside the INSERT … SELECT costs a fraction of that on
// the JS side, and DuckDB parses it natively (~2M rows per CPU second). The file is complete before
// the one INSERT statement reads it, so a batch is still all or nothing.
//
// Field encoding (no quoting; every field ends with a tab, a newline ends the row): an empty field is NULL;
// numbers are decimal text; a string holding a tab, newline, CR or NUL (or starting with \x01) is
// written as \x01 followed by its JSON string literal, and the INSERT decodes those.

/** Text of one cell in the staging file ('' = NULL). */
type Fmt = (v: Cell) => string;

const ESC_RE = /[\x00\t\n\r]/;

function escText(s: string): string {
  return s.charCodeAt(0) === 1 || ESC_RE.test(s) ? '\x01' + JSON.stringify(s) : s;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function int64Text(v: number): string {
  if (v >= 1e8 && v <= 9007199254740991 && Number.isInteger(v)) {
    // Two small-integer conversions are about twice as fast as one of a 16-digit number.
    const hi = Math.floor(v / 1e8);
    const lo = String(v - hi * 1e8);
    return String(hi) + '00000000'.slice(lo.length) + lo;
  }
  if (Number.isSafeInteger(v)) return String(v);
  if (!Number.isFinite(v) || v >= 9223372036854775807 || v < -9223372036854775808) return '';
  return BigInt(v).toString();
}

function bigText(v: bigint): string {
  return v >= INT64_MIN && v <= INT64_MAX ? v.toString() : '';
}

const fmtString: Fmt = (v) => {
  if (v == null || v === '') return '';
  return escText(typeof v === 'string' ? v : String(v));
};
const fmtMicros: Fmt = (v) => {
  if (typeof v === 'number') return int64Text(Math.round(v));
  if (typeof v === 'bigint') return bigText(v);
  return '';
};
const fmtLong: Fmt = (v) => {
  if (typeof v === 'number') return int64Text(Math.trunc(v));
  if (typeof v === 'bigint') return bigText(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  return '';
};
const fmtInt: Fmt = (v) => {
  if (typeof v === 'number') return Number.isFinite(v) && v >= -2147483648 && v <= 2147483647 ? String(Math.trunc(v)) : '';
  if (typeof v === 'bigint') return v >= -2147483648n && v <= 2147483647n ? v.toString() : '';
  return '';
};
function realText(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return v !== v ? 'nan' : v > 0 ? 'inf' : '-inf';
}
const fmtReal: Fmt = (v) => {
  if (typeof v === 'number') return realText(v);
  if (typeof v === 'bigint') return realText(Number(v));
  return '';
};
const fmtBool: Fmt = (v) => {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return v !== 0 ? 'true' : 'false';
  return '';
};
const fmtJson: Fmt = (v) => {
  if (v == null || v === '') return '';
  return escText(typeof v === 'string' ? v : JSON.stringify(typeof v === 'bigint' ? Number(v) : v));
};

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Inserts `rows` (SQL yielding the physical columns `names` of `table`, key columns included) in one
 * statement, all or nothing, leaving out rows whose key (ReportId, DeviceId, Timestamp) is already
 * stored and, when `dup`, repeats within `rows`. `range`: the rows' Timestamps in µs, when known: only
 * stored rows in it can share a key, so the ANTI JOIN reads those (the time column's zone maps skip the
 * rest) and is left out when there are none; a batch then costs the same however large the store has
 * grown. Returns the rows added.
 */
export async function insertNewRows(
  conn: DuckDBConnection, table: TableDef, names: readonly string[], rows: string, opts: { dup: boolean; range?: { lo: number; hi: number } },
): Promise<number> {
  ({ names, rows } = withShreddedColumns(table, names, rows));
  const t = storageTable(table);
  const into = `INSERT INTO ${t} (${names.join(', ')})`;
  const sqlName = (k: string) => quoteIdent(table.columns.find((c) => c.name === k)!.sqlName);
  const keys = table.keyColumns.map(sqlName);
  if (!keys.length) return Number((await conn.run(`${into} SELECT DISTINCT * FROM (${rows}) EXCEPT SELECT ${names.join(', ')} FROM ${t}`)).rowsChanged);
  const batch = opts.dup ? `SELECT DISTINCT ON (${keys.join(', ')}) * FROM (${rows})` : rows;
  const select = `SELECT ${names.map((n) => `b.${n}`).join(', ')} FROM (${batch}) b`;
  const cond = keys.map((k) => `x.${k} IS NOT DISTINCT FROM b.${k}`).join(' AND ');
  if (!opts.range || !table.keyColumns.includes('Timestamp')) return Number((await conn.run(`${into} ${select} ANTI JOIN ${t} x ON ${cond}`)).rowsChanged);
  const within = `${sqlName('Timestamp')} BETWEEN make_timestamp(${opts.range.lo}) AND make_timestamp(${opts.range.hi})`;
  // One transaction: no stored row in the range means no key can be shared.
  await conn.run('BEGIN TRANSACTION');
  try {
    const near = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${t} WHERE ${within}`)).getRows()[0]![0]);
    const anti = near > 0 ? ` ANTI JOIN (SELECT ${keys.join(', ')} FROM ${t} WHERE ${within}) x ON ${cond}` : '';
    const n = Number((await conn.run(`${into} ${select}${anti}`)).rowsChanged);
    await conn.run('COMMIT');
    return n;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Formats a row's physical columns as one staging line (every field followed by a tab, no newline). */
type LineFn = (cells: ArrayLike<Cell>) => string;

/**
 * Generates the line formatter of one writer: a straight run of code with one call site per column
 * (measured against a loop calling `fmts[i]`, a call site that goes megamorphic across the column
 * types). A string column remembers its last value that needed no escaping: repeated values (device,
 * action, protocol, address types) skip the escape scan. Same output as `fmts[i]` per column.
 */
function compileLine(hot: readonly ColumnDef[], hotIdx: readonly number[]): LineFn {
  const fmts = hot.map(formatterFor);
  const memo: string[] = hot.map(() => '');
  let body = "let s = '', v;\n";
  hot.forEach((c, i) => {
    const at = hotIdx[i]!;
    if (fmts[i] === fmtString) {
      body += `v = c[${at}]; if (typeof v === 'string') { if (v !== m[${i}]) { if (v.charCodeAt(0) === 1 || re.test(v)) v = esc(v); else m[${i}] = v; } s += v + '\t'; } else s += f[${i}](v) + '\t';\n`;
    } else body += `s += f[${i}](c[${at}]) + '\t';\n`;
  });
  return new Function('f', 'm', 're', 'esc', `return function line(c) {\n${body}return s;\n};`)(fmts, memo, ESC_RE, escText) as LineFn;
}

function formatterFor(c: ColumnDef): Fmt {
  switch (c.kustoType) {
    case 'string': case 'guid': return fmtString;
    case 'datetime': return fmtMicros;
    case 'long': case 'timespan': return fmtLong;
    case 'int': return fmtInt;
    case 'real': case 'decimal': return fmtReal;
    case 'bool': return fmtBool;
    case 'dynamic': return fmtJson;
  }
}

/** Type read_csv parses a staged column as: datetime as BIGINT microseconds, text columns as VARCHAR. */
function stageType(c: ColumnDef): string {
  if (c.kustoType === 'datetime') return 'BIGINT';
  if (c.duckType === 'JSON') return 'VARCHAR';
  return c.duckType;
}

/** SQL undoing the \x01 escape of a staged text column. */
function unescText(ref: string): string {
  return `CASE WHEN starts_with(${ref}, chr(1)) THEN json_extract_string(substr(${ref}, 2), '$') ELSE ${ref} END`;
}

/** SQL turning the staged column into the table's type. */
function fromStage(c: ColumnDef, ref: string): string {
  if (c.kustoType === 'datetime') return `make_timestamp(${ref})`;
  if (c.duckType === 'JSON') {
    return `TRY_CAST(${unescText(ref)} AS JSON)`; // invalid JSON → NULL
  }
  if (c.duckType === 'VARCHAR') return unescText(ref);
  return ref;
}

/** Folder for staging files: $WIREHUNT_STAGE_DIR, else /dev/shm when present (memory), else the temp folder. */
function stageDir(): string {
  const env = process.env.WIREHUNT_STAGE_DIR;
  if (env) return env;
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', fsConstants.W_OK);
      return '/dev/shm';
    }
  } catch {
    /* not there */
  }
  return tmpdir();
}

const swept = new Set<string>();

/**
 * Removes staging files left by wirehunt processes that no longer run (a killed ingest leaves its
 * batch files behind; in /dev/shm they hold memory). Once per folder and process.
 */
function sweepStaleStaging(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^wirehunt-(\d+)-[^/]*\.tsv$/.exec(name);
    const pid = Number(m?.[1]);
    if (!m || !(pid > 0) || pid === process.pid) continue;
    try {
      process.kill(pid, 0); // signal 0: only asks whether the process exists
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dir, name), { force: true });
    }
  }
}

/**
 * Staged text is written out whenever this many characters have accumulated (bounds memory). Small
 * enough that the rows' strings die young (measured: 64 Ki chars formatted 300k rows in ~25% less
 * CPU than 1 Mi chars, where more of them survived a scavenge).
 */
const WRITE_CHARS = 1 << 16;

/**
 * A batch staged to a file, ready for BatchWriter.insertStaged (plain data: it may come from a
 * worker thread). What it is known to satisfy lets its INSERT skip work: no repeated ReportId
 * (`dup` false: no key repeats, no DISTINCT ON), and the range of its Timestamps (when no stored
 * row falls in it, no stored row can share a key and the ANTI JOIN is skipped).
 */
export interface StagedBatch {
  file: string;
  rows: number;
  dup: boolean;
  /** Timestamps in µs; tsMin > tsMax when unknown (a row without a usable Timestamp). */
  tsMin: number;
  tsMax: number;
}

/** The physical layout of a writer's columns: which are staged one by one, which go into `__cold`. */
class StageLayout {
  readonly hotIdx: number[] = [];
  readonly coldIdx: number[] = [];
  readonly hot: ColumnDef[] = [];
  readonly ridIdx: number;
  readonly tsIdx: number;

  constructor(readonly table: TableDef, readonly columns: readonly ColumnDef[]) {
    columns.forEach((c, i) => {
      if (isHot(table, c)) {
        this.hotIdx.push(i);
        this.hot.push(c);
      } else this.coldIdx.push(i);
    });
    const keyed = (name: string) => (table.keyColumns.includes(name) ? columns.findIndex((c) => c.name === name && isHot(table, c)) : -1);
    this.ridIdx = keyed('ReportId');
    this.tsIdx = columns[keyed('Timestamp')]?.kustoType === 'datetime' ? keyed('Timestamp') : -1;
  }
}

/** The table's columns named by `columns` (Kusto names), or a UserError. */
function columnsOf(def: TableDef, columns: readonly string[]): ColumnDef[] {
  return columns.map((c) => {
    const col = def.columns.find((x) => x.name === c);
    if (!col) throw new UserError(`table ${def.name} has no column '${c}'`);
    return col;
  });
}

let stagerSeq = 0;

/**
 * Formats rows of one table into staging files, one file per batch. Needs no database: a worker
 * thread can stage batches that the thread holding the store inserts (BatchWriter.insertStaged).
 */
export class BatchStager {
  private readonly layout: StageLayout;
  private readonly line: LineFn;
  private n = 0;
  private text = '';
  private fd: number | undefined;
  private file = '';
  private seq = 0;
  private readonly base: string;
  private readonly ids = new Set<number>();
  private dup = false;
  private tsMin = Infinity;
  private tsMax = -Infinity;
  private tsOk = true;

  constructor(table: TableDef | string, columns: readonly (ColumnDef | string)[], stage = 'rows') {
    const def = typeof table === 'string' ? getTable(table) : table;
    if (!def) throw new UserError(`unknown table '${String(table)}'`);
    const cols = columns.map((c) => (typeof c === 'string' ? columnsOf(def, [c])[0]! : c));
    this.layout = new StageLayout(def, cols);
    this.line = compileLine(this.layout.hot, this.layout.hotIdx);
    const dir = stageDir();
    sweepStaleStaging(dir);
    this.base = join(dir, `wirehunt-${process.pid}-${Date.now().toString(36)}-${stage}_${++stagerSeq}`);
  }

  get pending(): number {
    return this.n;
  }

  /** One row, cells in the writer's column order. */
  appendRow(cells: ArrayLike<Cell>): void {
    const L = this.layout;
    // Every field ends with a tab (the last, unused column is empty): no line is ever blank.
    let line = this.line(cells);
    if (L.coldIdx.length) line += this.coldJson(cells) + '\t';
    this.text += line + '\n';
    this.n++;
    if (!this.dup) {
      const r = L.ridIdx >= 0 ? cells[L.ridIdx] : undefined;
      if (typeof r !== 'number' || this.ids.has(r)) this.dup = true;
      else this.ids.add(r);
    }
    if (this.tsOk) {
      const v = L.tsIdx >= 0 ? cells[L.tsIdx] : undefined;
      const us = typeof v === 'number' ? Math.round(v) : NaN;
      if (!Number.isSafeInteger(us)) this.tsOk = false;
      else {
        if (us < this.tsMin) this.tsMin = us;
        if (us > this.tsMax) this.tsMax = us;
      }
    }
    if (this.text.length >= WRITE_CHARS) this.writeOut();
  }

  private coldJson(cells: ArrayLike<Cell>): string {
    let json = '';
    for (const i of this.layout.coldIdx) {
      const v = cells[i];
      if (v === null || v === undefined || v === '') continue;
      const c = this.layout.columns[i]!;
      let j: string;
      if (c.kustoType === 'dynamic') j = typeof v === 'string' ? (isJson(v) ? v : JSON.stringify(v)) : JSON.stringify(v);
      else if (typeof v === 'bigint') j = JSON.stringify(String(v));
      else if (c.kustoType === 'datetime' && typeof v === 'number') j = String(Math.round(v));
      else j = JSON.stringify(v);
      json += (json ? ',' : '{') + JSON.stringify(c.name) + ':' + j;
    }
    return json ? escText(json + '}') : '';
  }

  /** Writes the accumulated text to the current batch's staging file. */
  private writeOut(): void {
    try {
      if (this.fd === undefined) {
        this.file = `${this.base}_${this.seq++}.tsv`;
        this.fd = openSync(this.file, 'w');
      }
      if (this.text.length) writeSync(this.fd, this.text);
    } catch (err) {
      throw new UserError(`cannot write the batch staging file ${this.file}: ${(err as Error).message.split('\n')[0]} (WIREHUNT_STAGE_DIR chooses its folder)`);
    }
    this.text = '';
  }

  /** Completes the batch staged so far (undefined when empty); the next row starts a new one. */
  take(): StagedBatch | undefined {
    if (this.n === 0) return undefined;
    this.writeOut();
    closeSync(this.fd!);
    this.fd = undefined;
    const b: StagedBatch = { file: this.file, rows: this.n, dup: this.dup, tsMin: this.tsOk ? this.tsMin : 1, tsMax: this.tsOk ? this.tsMax : 0 };
    this.resetBatch();
    return b;
  }

  /** Drops the batch being staged and its file. */
  discard(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.file) rmSync(this.file, { force: true });
    this.text = '';
    this.resetBatch();
  }

  private resetBatch(): void {
    this.n = 0;
    this.ids.clear();
    this.dup = false;
    this.tsOk = true;
    this.tsMin = Infinity;
    this.tsMax = -Infinity;
  }
}

/**
 * Appends rows of one table. `appendRow` is synchronous (the row is formatted into the batch's
 * staging file). `flush` hands the staged batch to a second connection that moves it into the
 * table in one statement (atomic, skipping rows already present) while appending continues into
 * the next staging file: formatting and inserting overlap. At most one batch is in flight; `flush`
 * waits for the previous one. `close` flushes and waits for everything.
 * Callers flush when `full` and close at the end. `insertStaged` inserts batches staged elsewhere
 * (a worker thread's BatchStager) through the same queue.
 */
export class BatchWriter {
  private readonly layout: StageLayout;
  private readonly stager: BatchStager;
  private inflight: Promise<void> | undefined;
  private inserter: DuckDBConnection | undefined;
  /** Rows added to the table by all completed batches (duplicates excluded). */
  inserted = 0;
  /** Rows staged by all batches handed over so far. */
  staged = 0;

  constructor(
    private readonly store: Store,
    readonly table: TableDef,
    readonly columns: readonly ColumnDef[],
    stage: string,
    readonly batchSize: number,
  ) {
    this.layout = new StageLayout(table, columns);
    this.stager = new BatchStager(table, columns, stage);
  }

  async init(): Promise<void> {
    this.inserter = await this.store.connect();
  }

  private readCsv(file: string): string {
    const hot = this.layout.hot;
    const cols = hot.map((c, i) => `'c${i}': '${stageType(c)}'`);
    if (this.layout.coldIdx.length) cols.push(`'c${hot.length}': 'VARCHAR'`);
    cols.push(`'end': 'VARCHAR'`);
    return `read_csv(${sqlString(file)}, delim = '\t', quote = '', escape = '', header = false, auto_detect = false, new_line = '\\n', columns = {${cols.join(', ')}})`;
  }

  /** The staged batch's rows as the table's physical columns (and NULL for key columns the writer does not supply). */
  private rowsSql(source: string): { names: string[]; rows: string } {
    const hot = this.layout.hot;
    const names = hot.map((c) => quoteIdent(c.sqlName));
    const conv = hot.map((c, i) => `${fromStage(c, `s.c${i}`)} AS ${quoteIdent(c.sqlName)}`);
    if (this.layout.coldIdx.length) {
      names.push(COLD);
      conv.push(`CAST(${unescText(`s.c${hot.length}`)} AS JSON) AS ${COLD}`);
    }
    const present = new Set(hot.map((c) => c.name));
    const missing = this.table.keyColumns.filter((k) => !present.has(k)).map((k) => `NULL AS ${quoteIdent(this.table.columns.find((c) => c.name === k)!.sqlName)}`);
    return { names, rows: `SELECT ${[...conv, ...missing].join(', ')} FROM ${source} s` };
  }

  get pending(): number {
    return this.stager.pending;
  }

  get full(): boolean {
    return this.stager.pending >= this.batchSize;
  }

  /** One row, cells in the writer's column order. */
  appendRow(cells: ArrayLike<Cell>): void {
    this.stager.appendRow(cells);
  }

  /**
   * Hands the staged rows over to be inserted (one statement: all or nothing) and returns once the
   * previous batch is in; this batch commits in the background (see `settled`, `close`).
   */
  async flush(): Promise<void> {
    if (this.stager.pending === 0) return;
    while (this.inflight) await this.settled();
    this.start(this.stager.take()!);
  }

  /** Starts inserting a batch; the caller has checked that none is in flight (no await since). */
  private start(b: StagedBatch): void {
    this.inflight = this.insert(b);
    this.inflight.catch(() => {}); // surfaced by settled()
  }

  /**
   * Inserts a batch staged by a BatchStager of the same table and columns (e.g. in a worker thread),
   * after the batch in flight; returns once it is committed. The staging file is removed.
   */
  async insertStaged(b: StagedBatch): Promise<void> {
    // Several callers may wait here: each re-checks after waking, so one insert runs at a time.
    while (this.inflight) await this.settled();
    this.start(b);
    await this.settled();
  }

  private async insert(b: StagedBatch): Promise<void> {
    const t0 = performance.now();
    try {
      const { names, rows } = this.rowsSql(this.readCsv(b.file));
      const range = this.layout.tsIdx >= 0 && b.tsMin <= b.tsMax ? { lo: b.tsMin, hi: b.tsMax } : undefined;
      const n = await insertNewRows(this.inserter!, this.table, names, rows, { dup: b.dup, range });
      if (process.env.WIREHUNT_STORE_DEBUG) process.stderr.write(`flush ${b.rows} rows: insert ${(performance.now() - t0).toFixed(0)} ms\n`);
      this.inserted += n;
      this.staged += b.rows;
    } finally {
      rmSync(b.file, { force: true });
    }
  }

  /** Waits until every handed-over batch is committed (rethrows a failed insert). */
  async settled(): Promise<void> {
    const p = this.inflight;
    if (!p) return;
    try {
      await p;
    } finally {
      if (this.inflight === p) this.inflight = undefined;
    }
  }

  /** Flushes what is left, waits for it, and removes the staging files. Returns rows added in all. */
  async close(): Promise<number> {
    try {
      await this.flush();
      await this.settled();
    } finally {
      this.stager.discard();
      this.inserter?.closeSync();
      this.inserter = undefined;
    }
    return this.inserted;
  }
}
