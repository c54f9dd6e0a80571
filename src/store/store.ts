// The store: one DuckDB file holding every Defender table. Rows go in by batches through DuckDB's
// appender into a staging table, then one INSERT … SELECT moves the batch into its table, skipping
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

import { mkdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { DuckDBInstance, type DuckDBConnection, type DuckDBAppender } from '@duckdb/node-api';
import { UserError } from '../cli/types.js';
import { TABLES, STORE_ENV, getTable, quoteIdent, type TableDef, type ColumnDef } from './types.js';

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
          mkdirSync(dirname(path), { recursive: true });
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
      const msg = String((err as Error).message ?? err).split('\n')[0];
      throw new UserError(`cannot open the store ${path}: ${msg}`);
    }
    const store = new Store(path, readOnly, instance, connection);
    if (!readOnly) {
      await store.createTables();
      await connection.run(`ATTACH IF NOT EXISTS ':memory:' AS ${STAGE_DB}`);
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
    const cols = columns.map((c) => {
      const col = def.columns.find((x) => x.name === c);
      if (!col) throw new UserError(`table ${def.name} has no column '${c}'`);
      return col;
    });
    const stage = `__stage_${def.name}_${++this.stageSeq}`;
    const w = new BatchWriter(this, def, cols, stage, opts.batchSize ?? 100_000);
    await w.init();
    return w;
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
  const text = `json_extract_string(${COLD}, ${path})`;
  switch (c.kustoType) {
    case 'string': case 'guid': return text;
    case 'datetime': return `make_timestamp(TRY_CAST(${text} AS BIGINT))`;
    case 'dynamic': return `json_extract(${COLD}, ${path})`;
    default: return `TRY_CAST(${text} AS ${c.duckType})`;
  }
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** `store."<Table>"`: where a table's rows are physically kept (writers only; queries use the view). */
export function storageTable(t: TableDef | string): string {
  return `${STORAGE_SCHEMA}.${quoteIdent(typeof t === 'string' ? t : t.name)}`;
}

export function createTableSql(t: TableDef): string {
  const cols = t.columns.filter((c) => isHot(t, c)).map((c) => `${quoteIdent(c.sqlName)} ${c.duckType}`);
  if (hasCold(t)) cols.push(`${COLD} JSON`);
  return `CREATE TABLE IF NOT EXISTS ${storageTable(t)} (${cols.join(', ')})`;
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

type Appendfn = (ap: DuckDBAppender, v: Cell) => void;

const appendString: Appendfn = (ap, v) => {
  if (v == null || v === '') ap.appendNull();
  else ap.appendVarchar(typeof v === 'string' ? v : String(v));
};
const appendMicros: Appendfn = (ap, v) => {
  if (typeof v === 'number' && Number.isFinite(v)) ap.appendDouble(Math.round(v));
  else if (typeof v === 'bigint') ap.appendBigInt(v);
  else ap.appendNull();
};
const appendLong: Appendfn = (ap, v) => {
  if (typeof v === 'number' && Number.isFinite(v)) ap.appendDouble(Math.trunc(v));
  else if (typeof v === 'bigint') ap.appendBigInt(v);
  else if (typeof v === 'boolean') ap.appendDouble(v ? 1 : 0);
  else ap.appendNull();
};
const appendInt: Appendfn = (ap, v) => {
  if (typeof v === 'number' && Number.isFinite(v) && v >= -2147483648 && v <= 2147483647) ap.appendInteger(Math.trunc(v));
  else if (typeof v === 'bigint' && v >= -2147483648n && v <= 2147483647n) ap.appendInteger(Number(v));
  else ap.appendNull();
};
const appendReal: Appendfn = (ap, v) => {
  if (typeof v === 'number') ap.appendDouble(v);
  else if (typeof v === 'bigint') ap.appendDouble(Number(v));
  else ap.appendNull();
};
const appendBool: Appendfn = (ap, v) => {
  if (typeof v === 'boolean') ap.appendBoolean(v);
  else if (typeof v === 'number') ap.appendBoolean(v !== 0);
  else ap.appendNull();
};
const appendJson: Appendfn = (ap, v) => {
  if (v == null || v === '') ap.appendNull();
  else ap.appendVarchar(typeof v === 'string' ? v : JSON.stringify(typeof v === 'bigint' ? Number(v) : v));
};

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function appenderFor(c: ColumnDef): Appendfn {
  switch (c.kustoType) {
    case 'string': case 'guid': return appendString;
    case 'datetime': return appendMicros;
    case 'long': case 'timespan': return appendLong;
    case 'int': return appendInt;
    case 'real': case 'decimal': return appendReal;
    case 'bool': return appendBool;
    case 'dynamic': return appendJson;
  }
}

/** Staging column type: datetime is staged as BIGINT microseconds, dynamic as VARCHAR text. */
function stageType(c: ColumnDef): string {
  if (c.kustoType === 'datetime') return 'BIGINT';
  if (c.duckType === 'JSON') return 'VARCHAR';
  return c.duckType;
}

/** SQL turning the staged column into the table's type. */
function fromStage(c: ColumnDef, ref: string): string {
  if (c.kustoType === 'datetime') return `make_timestamp(${ref})`;
  if (c.duckType === 'JSON') return `CASE WHEN json_valid(${ref}) THEN CAST(${ref} AS JSON) END`;
  return ref;
}

/** In-memory catalog of the staging tables (instance-wide, so a second connection can read them). */
const STAGE_DB = 'wh_stage';

/**
 * Appends rows of one table. `appendRow` is synchronous (DuckDB's appender into an in-memory
 * staging table). `flush` hands the staged batch to a second connection that moves it into the
 * table in one statement (atomic, skipping rows already present) while appending continues into a
 * second staging table: parsing and inserting overlap. At most one batch is in flight; `flush`
 * waits for the previous one. `close` flushes and waits for everything.
 * Callers flush when `full` and close at the end.
 */
export class BatchWriter {
  private appender: DuckDBAppender | undefined;
  private fns: Appendfn[];
  /** Writer columns that are physical (staged one by one), and those packed into `__cold`. */
  private readonly hotIdx: number[] = [];
  private readonly coldIdx: number[] = [];
  private readonly hot: ColumnDef[] = [];
  private n = 0;
  private cur = 0;
  private inflight: Promise<void> | undefined;
  private inserter: DuckDBConnection | undefined;
  private sql: [string, string] = ['', ''];
  /** Rows added to the table by all completed batches (duplicates excluded). */
  inserted = 0;
  /** Rows staged by all batches handed over so far. */
  staged = 0;

  constructor(
    private readonly store: Store,
    readonly table: TableDef,
    readonly columns: readonly ColumnDef[],
    private readonly stage: string,
    readonly batchSize: number,
  ) {
    columns.forEach((c, i) => {
      if (isHot(table, c)) {
        this.hotIdx.push(i);
        this.hot.push(c);
      } else this.coldIdx.push(i);
    });
    this.fns = this.hot.map(appenderFor);
  }

  private stageName(k: number): string {
    return `${this.stage}_${k}`;
  }

  private stageRef(k: number): string {
    return `${STAGE_DB}.main.${quoteIdent(this.stageName(k))}`;
  }

  async init(): Promise<void> {
    const parts = this.hot.map((c) => `${quoteIdent(c.sqlName)} ${stageType(c)}`);
    if (this.coldIdx.length) parts.push(`${COLD} VARCHAR`);
    const cols = parts.join(', ');
    const conn = this.store.connection;
    for (const k of [0, 1]) {
      await conn.run(`CREATE OR REPLACE TABLE ${this.stageRef(k)} (${cols})`);
      this.sql[k] = this.insertSql(this.stageRef(k));
    }
    this.inserter = await this.store.connect();
    this.appender = await conn.createAppender(this.stageName(this.cur), 'main', STAGE_DB);
  }

  private insertSql(stageRef: string): string {
    const t = storageTable(this.table);
    const names = this.hot.map((c) => quoteIdent(c.sqlName));
    const conv = this.hot.map((c) => `${fromStage(c, `s.${quoteIdent(c.sqlName)}`)} AS ${quoteIdent(c.sqlName)}`);
    if (this.coldIdx.length) {
      names.push(COLD);
      conv.push(`CAST(s.${COLD} AS JSON) AS ${COLD}`);
    }
    const keys = this.table.keyColumns.map((k) => this.table.columns.find((c) => c.name === k)!);
    if (keys.length) {
      // Key columns the writer does not supply are NULL in the table too.
      const present = new Set(this.hot.map((c) => c.name));
      const missing = keys.filter((k) => !present.has(k.name)).map((k) => `NULL AS ${quoteIdent(k.sqlName)}`);
      const keyNames = keys.map((k) => quoteIdent(k.sqlName));
      const cond = keyNames.map((k) => `t.${k} IS NOT DISTINCT FROM b.${k}`).join(' AND ');
      const batch = `SELECT DISTINCT ON (${keyNames.join(', ')}) * FROM (SELECT ${[...conv, ...missing].join(', ')} FROM ${stageRef} s)`;
      return `INSERT INTO ${t} (${names.join(', ')}) SELECT ${names.map((n) => `b.${n}`).join(', ')} FROM (${batch}) b ANTI JOIN ${t} t ON ${cond}`;
    }
    return `INSERT INTO ${t} (${names.join(', ')}) SELECT DISTINCT ${conv.join(', ')} FROM ${stageRef} s EXCEPT SELECT ${names.join(', ')} FROM ${t}`;
  }

  get pending(): number {
    return this.n;
  }

  get full(): boolean {
    return this.n >= this.batchSize;
  }

  /** One row, cells in the writer's column order. */
  appendRow(cells: ArrayLike<Cell>): void {
    const ap = this.appender!;
    const fns = this.fns;
    const hi = this.hotIdx;
    for (let i = 0; i < fns.length; i++) fns[i]!(ap, cells[hi[i]!]);
    if (this.coldIdx.length) {
      let json = '';
      for (const i of this.coldIdx) {
        const v = cells[i];
        if (v === null || v === undefined || v === '') continue;
        const c = this.columns[i]!;
        let j: string;
        if (c.kustoType === 'dynamic') j = typeof v === 'string' ? (isJson(v) ? v : JSON.stringify(v)) : JSON.stringify(v);
        else if (typeof v === 'bigint') j = JSON.stringify(String(v));
        else if (c.kustoType === 'datetime' && typeof v === 'number') j = String(Math.round(v));
        else j = JSON.stringify(v);
        json += (json ? ',' : '{') + JSON.stringify(c.name) + ':' + j;
      }
      if (json) ap.appendVarchar(json + '}');
      else ap.appendNull();
    }
    ap.endRow();
    this.n++;
  }

  /**
   * Hands the staged rows over to be inserted (one statement: all or nothing) and returns once the
   * previous batch is in; this batch commits in the background (see `settled`, `close`).
   */
  async flush(): Promise<void> {
    if (!this.appender || this.n === 0) return;
    await this.settled();
    const k = this.cur;
    this.appender.flushSync();
    this.appender.closeSync();
    this.appender = undefined;
    const staged = this.n;
    this.n = 0;
    this.cur = 1 - k;
    const conn = this.inserter!;
    const sql = this.sql[k]!;
    const ref = this.stageRef(k);
    this.inflight = (async () => {
      const t0 = performance.now();
      try {
        const r = await conn.run(sql);
        if (process.env.WIREHUNT_STORE_DEBUG) process.stderr.write(`flush ${staged} rows: insert ${(performance.now() - t0).toFixed(0)} ms\n`);
        this.inserted += Number(r.rowsChanged);
        this.staged += staged;
      } finally {
        await conn.run(`DELETE FROM ${ref}`);
      }
    })();
    this.inflight.catch(() => {}); // surfaced by settled()
    this.appender = await this.store.connection.createAppender(this.stageName(this.cur), 'main', STAGE_DB);
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

  /** Flushes what is left, waits for it, and drops the staging tables. Returns rows added in all. */
  async close(): Promise<number> {
    try {
      await this.flush();
      await this.settled();
    } finally {
      if (this.appender) {
        this.appender.closeSync();
        this.appender = undefined;
      }
      for (const k of [0, 1]) await this.store.connection.run(`DROP TABLE IF EXISTS ${this.stageRef(k)}`);
      this.inserter?.closeSync();
      this.inserter = undefined;
    }
    return this.inserted;
  }
}
