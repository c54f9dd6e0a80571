// Zeek TSV logs mapped to DeviceNetworkEvents rows inside DuckDB: its parallel CSV reader splits the
// lines, SQL builds the rows (AdditionalFields text, actions, directions) and inserts them in one
// statement, so a large log never passes through JavaScript record by record. What needs state stays
// here: devices (each distinct address is looked up once through the registry, as the model does),
// names learned from DNS answers, and certificates from x509 logs.
//
// The rows are the event model's (model.ts), byte for byte. A line is mapped in SQL only when its
// text already has the form the model would write: plain printable ASCII strings, integers of at most
// 15 digits, non-negative decimals of at most 6 places and 10 integer digits (their JSON text is the
// log's text without trailing zeros), T/F booleans. Other valid lines (escapes, UTF-8, masked or odd
// numbers) go through the JavaScript model; a file with any malformed line, a header that changes,
// or non-default separators is read by JavaScript as a whole (it reports each malformed line with
// its number). gzip-compressed logs are decompressed by DuckDB. ReportId is DuckDB's hash of the line's fields with the row's
// device, action and side: deterministic, so re-ingesting the same log adds nothing
// (test/ingest/sql-map.test.ts pins its value, so a DuckDB release that changes hash() is caught).

import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import type { DuckDBConnection } from '@duckdb/node-api';
import { isGzip, logPathOf, planTsvChunks, toBytes, unescapeZeek, SCHEMA_KEYS, type ReadStats } from '../zeek/reader.js';
import { quoteIdent, getTable } from '../store/types.js';
import { insertNewRows } from '../store/store.js';
import { hash53 } from './hash.js';
import { ACTION_TYPES, CONN_FIELDS, DNE_COLUMNS, ICMP_FIELDS, ID_FIELDS, jsonString, type EventModel } from './model.js';

/** Logs whose rows SQL can build (learning logs other than dns, and unknown ones, stay in JavaScript). */
const SQL_PATHS = new Set(['conn', 'http', 'ssh', 'ssl', 'dns', 'ftp', 'ntlm']);

export interface SqlLogPlan {
  file: string;
  path: 'conn' | 'http' | 'ssh' | 'ssl' | 'dns' | 'ftp' | 'ntlm';
  names: string[];
  types: string[];
  /** Lines before the first record. */
  headerLines: number;
  preamble: string;
  /** gzip-compressed (DuckDB decompresses it; a header line after the first record is found while reading). */
  gzip: boolean;
}

/**
 * Whether a log can be mapped in SQL: a TSV log (plain or gzip) with Zeek's default separators, one
 * header (no schema line after the first record), unique plain field names including ts and the
 * addresses, of a path with DeviceNetworkEvents rows. Undefined otherwise. `head`: the file's first
 * bytes as text, decompressed.
 */
export function planSqlLog(file: string, head: () => string): SqlLogPlan | undefined {
  const gzip = isGzip(file);
  let preamble: string;
  let fromName: string;
  if (gzip) {
    // the header lines, then at least one record in the head (a later header line is found in step 1)
    const text = head();
    const m = /^(?:#[^\n]*\n)+(?=[^#])/.exec(text);
    if (!m) return undefined;
    preamble = m[0];
    fromName = logPathOf(file);
  } else {
    const chunks = planTsvChunks(file, 1, Infinity);
    if (!chunks) return undefined;
    preamble = chunks.preamble;
    fromName = chunks.path;
  }
  const headers = new Map<string, string>();
  const lines = preamble.split('\n');
  if (lines.pop() !== '') return undefined;
  for (const line of lines) {
    const sp = line.indexOf(line.startsWith('#separator') ? ' ' : '\t');
    if (sp > 0) headers.set(line.slice(0, sp), line.slice(sp + 1));
  }
  if (unescapeZeek(headers.get('#separator') ?? '') !== '\t' || headers.get('#set_separator') !== ',' || headers.get('#empty_field') !== '(empty)' || headers.get('#unset_field') !== '-') return undefined;
  const path = headers.get('#path') || fromName;
  const names = (headers.get('#fields') ?? '').split('\t');
  const types = (headers.get('#types') ?? '').split('\t');
  if (!SQL_PATHS.has(path) || names.length !== types.length || new Set(names).size !== names.length) return undefined;
  if (!names.every((n) => /^[A-Za-z0-9_.]+$/.test(n)) || !names.includes('ts') || !names.includes('id.orig_h') || !names.includes('id.resp_h')) return undefined;
  return { file, path: path as SqlLogPlan['path'], names, types, headerLines: lines.length, preamble, gzip };
}

// ---- How each column is checked and written ----

type Kind = 'int' | 'num' | 'bool' | 'str' | 'set-int' | 'set-num' | 'set-str' | 'set-other';

function kindOf(type: string): Kind {
  const m = /^(?:set|vector)\[(.*)\]$/.exec(type);
  if (m) {
    const k = kindOf(m[1]!);
    return k === 'int' ? 'set-int' : k === 'num' ? 'set-num' : k === 'str' ? 'set-str' : 'set-other';
  }
  switch (type) {
    case 'count': case 'int': case 'port': return 'int';
    case 'time': case 'interval': case 'double': return 'num';
    case 'bool': return 'bool';
    default: return 'str';
  }
}

// Values whose JSON text SQL writes exactly as the model does, and values the reader accepts at all
// (a line with any other value is malformed: the whole file goes to JavaScript, which reports it).
const INT = '(?:-?[1-9][0-9]{0,14}|0)';
const NUM = '(?:(?:0|[1-9][0-9]{0,8}|[1-3][0-9]{9})(?:\\.[0-9]{1,6})?)';
const LINT = '-?[0-9]+';
const LNUM = '(?:-?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?|nan|inf|-inf)';
const UNSET_OR_EMPTY = '-|\\(empty\\)';
/**
 * Printable ASCII without tab, `"` and `\`: the model writes such a string as is between quotes. Not
 * empty: DuckDB reads an empty field as NULL (such lines go to JavaScript).
 */
const PLAIN = '[ !#-\\[\\]-~]+';
const ANY = '[^\\t]*';
/** A dotted-quad part as parseIPv4 reads it without a leading zero (only such addresses are known public). */
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';

function strictValue(kind: Kind, ts: boolean): string {
  if (ts) return `${NUM}|${UNSET_OR_EMPTY}`;
  switch (kind) {
    case 'int': return `${INT}|${UNSET_OR_EMPTY}`;
    case 'num': return `${NUM}|${UNSET_OR_EMPTY}`;
    case 'bool': return `T|F|${UNSET_OR_EMPTY}`;
    case 'str': case 'set-str': return PLAIN;
    case 'set-int': return `${INT}(?:,${INT})*|${UNSET_OR_EMPTY}`;
    case 'set-num': return `${NUM}(?:,${NUM})*|${UNSET_OR_EMPTY}`;
    case 'set-other': return UNSET_OR_EMPTY;
  }
}

function looseValue(kind: Kind, ts: boolean): string {
  if (ts) return `${LNUM}|X{10}\\.X{6}|${UNSET_OR_EMPTY}`;
  switch (kind) {
    case 'int': return `${LINT}|${UNSET_OR_EMPTY}`;
    case 'num': return `${LNUM}|${UNSET_OR_EMPTY}`;
    case 'bool': return `T|F|${UNSET_OR_EMPTY}`;
    case 'str': case 'set-str': case 'set-other': return ANY;
    case 'set-int': return `${LINT}(?:,${LINT})*|${UNSET_OR_EMPTY}`;
    case 'set-num': return `${LNUM}(?:,${LNUM})*|${UNSET_OR_EMPTY}`;
  }
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** `,"key":<value>` of one column as the model writes it ('' when unset). */
function piece(name: string, kind: Kind, ref: string): string {
  const key = lit(`,${JSON.stringify(name)}:`);
  const emptyStr = lit(`,${JSON.stringify(name)}:""`);
  switch (kind) {
    case 'int':
      return `CASE ${ref} WHEN '-' THEN '' WHEN '(empty)' THEN ${emptyStr} ELSE ${key} || ${ref} END`;
    case 'num':
      return `CASE ${ref} WHEN '-' THEN '' WHEN '(empty)' THEN ${emptyStr} ELSE ${key} || CASE WHEN contains(${ref}, '.') THEN rtrim(rtrim(${ref}, '0'), '.') ELSE ${ref} END END`;
    case 'bool':
      return `CASE ${ref} WHEN 'T' THEN ${key} || 'true' WHEN 'F' THEN ${key} || 'false' WHEN '(empty)' THEN ${emptyStr} ELSE '' END`;
    case 'str':
      return `CASE ${ref} WHEN '-' THEN '' WHEN '(empty)' THEN ${emptyStr} ELSE ${key} || '"' || ${ref} || '"' END`;
    case 'set-str':
      return `CASE ${ref} WHEN '-' THEN '' WHEN '(empty)' THEN ${key} || '[]' ELSE ${key} || '["' || replace(${ref}, ',', '","') || '"]' END`;
    case 'set-int':
      return `CASE ${ref} WHEN '-' THEN '' WHEN '(empty)' THEN ${key} || '[]' ELSE ${key} || '[' || ${ref} || ']' END`;
    case 'set-num':
      return `CASE ${ref} WHEN '-' THEN '' WHEN '(empty)' THEN ${key} || '[]' ELSE ${key} || '[' || regexp_replace(regexp_replace(${ref}, '(\\.[0-9]*?)0+(,|$)', '\\1\\2', 'g'), '\\.(,|$)', '\\1', 'g') || ']' END`;
    case 'set-other':
      return `CASE ${ref} WHEN '(empty)' THEN ${key} || '[]' ELSE '' END`; // set values go to JavaScript (strictValue)
  }
}

/** The SQL of one plan over the log's lines: their class, fields and the row expressions. */
export class LogSql {
  /** The log's records: columns c0… (VARCHAR; an empty field is NULL), header and comment lines left out. */
  readonly records: string;
  /** The line's text again (its fields joined by tabs), for the line-wide checks. */
  readonly line: string;
  /** The log's lines after the header as one column `line` (cheaper than rebuilding them when only the text is needed), '#' lines included. */
  readonly lines: string;
  /** All columns, in order (for hash()). */
  readonly all: string;
  readonly kinds: Kind[];
  private readonly idx = new Map<string, number>();

  constructor(readonly plan: SqlLogPlan) {
    plan.names.forEach((n, i) => this.idx.set(n, i));
    this.kinds = plan.types.map(kindOf);
    const cols = plan.names.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
    const compression = plan.gzip ? 'gzip' : 'none';
    // A short line is padded with NULLs (cls() finds it); a long one is an error (the file goes to JavaScript).
    this.records = `(SELECT * FROM read_csv(${lit(plan.file)}, delim = '\t', quote = '', escape = '', header = false, auto_detect = false, compression = '${compression}',
      new_line = '\\n', skip = ${plan.headerLines}, null_padding = true, columns = {${cols}}) WHERE c0 IS NOT NULL AND NOT starts_with(c0, '#'))`;
    this.line = `concat_ws(chr(9), ${plan.names.map((_, i) => `coalesce(c${i}, '')`).join(', ')})`;
    // \x01 never occurs in a Zeek log (it escapes control bytes); if it does, DuckDB finds a second column and the file goes to JavaScript
    this.lines = `(SELECT line FROM read_csv(${lit(plan.file)}, delim = '\u0001', quote = '', escape = '', header = false, auto_detect = false, compression = '${compression}',
      new_line = '\\n', skip = ${plan.headerLines}, columns = {'line': 'VARCHAR'}) WHERE line IS NOT NULL)`;
    this.all = plan.names.map((_, i) => `c${i}`).join(', ');
  }

  private lineRegex(value: (k: Kind, ts: boolean) => string): string {
    return lit(this.plan.names.map((n, i) => `(?:${value(this.kinds[i]!, n === 'ts')})`).join('\\t'));
  }

  /** SQL over a record: 0 when SQL writes its rows exactly, 1 when only JavaScript does, 2 when malformed. */
  get cls(): string {
    const last = `c${this.plan.names.length - 1}`;
    return `CASE WHEN regexp_full_match(${this.line}, ${this.lineRegex(strictValue)}) THEN 0
      WHEN ${last} IS NOT NULL AND regexp_full_match(${this.line}, ${this.lineRegex(looseValue)}) THEN 1 ELSE 2 END`;
  }

  /**
   * cls over `line` of `lines` (a line whose field count differs matches neither regex: 2); a '#' line
   * is 3 when it changes the schema (the file goes to JavaScript), else 4 (a comment, skipped).
   */
  get lineCls(): string {
    const schema = SCHEMA_KEYS.map((k) => `starts_with(line, ${lit(k)})`).join(' OR ');
    return `CASE WHEN starts_with(line, '#') THEN CASE WHEN ${schema} THEN 3 ELSE 4 END
      WHEN regexp_full_match(line, ${this.lineRegex(strictValue)}) THEN 0 WHEN regexp_full_match(line, ${this.lineRegex(looseValue)}) THEN 1 ELSE 2 END`;
  }

  /** A field's column, or undefined when the log lacks it (never NULL in a record of class 0). */
  col(name: string): string | undefined {
    const i = this.idx.get(name);
    return i === undefined ? undefined : `c${i}`;
  }

  /** A field's value as the model sees a string: '' when unset, (empty) or absent. */
  text(name: string): string {
    const c = this.col(name);
    return c ? `CASE ${c} WHEN '-' THEN '' WHEN '(empty)' THEN '' ELSE ${c} END` : `''`;
  }

  /** A field is set (present and not '-'). */
  isSet(name: string): string {
    const c = this.col(name);
    return c ? `${c} <> '-'` : 'false';
  }

  /** SQL over a record: it gives rows (the model's checks: a time, both addresses, a conn protocol). */
  get emits(): string {
    const c = [`${this.col('ts')!} NOT IN ('-', '(empty)')`, this.isSet('id.orig_h'), this.isSet('id.resp_h')];
    if (this.plan.path === 'conn') c.push(`${this.text('proto')} IN ('tcp', 'udp', 'icmp')`);
    return c.join(' AND ');
  }

  /** Event time in microseconds, as the model rounds it (NULL when not a number). */
  get micros(): string {
    return `CAST(round(TRY_CAST(${this.col('ts')!} AS DOUBLE) * 1000000) AS BIGINT)`;
  }

  /** The AdditionalFields body (the `,"key":value` pairs after "direction"), certificates included for ssl. */
  body(): string {
    const pieces = (fields: readonly string[]) => {
      const ps = fields.filter((f) => this.idx.has(f)).map((f) => piece(f, this.kinds[this.idx.get(f)!]!, this.col(f)!));
      return ps.length ? `concat(${ps.join(', ')})` : `''`;
    };
    if (this.plan.path === 'conn') return `CASE WHEN ${this.text('proto')} = 'icmp' THEN ${pieces(ICMP_FIELDS)} ELSE ${pieces(CONN_FIELDS)} END`;
    const fields = this.plan.names.filter((n) => !ID_FIELDS.has(n) && !(this.plan.path === 'ssh' && n === 'direction'));
    let b = pieces(fields);
    if (this.plan.path === 'ssl') {
      // The leaf certificates' subject and issuer, where the record has no such field of its own.
      const extra = (key: string, ref: string) => {
        const own = this.idx.has(key) ? `${this.col(key)!} = '-' AND ` : '';
        return `CASE WHEN ${own}${ref} IS NOT NULL AND ${ref} <> '""' THEN ${lit(`,${JSON.stringify(key)}:`)} || ${ref} ELSE '' END`;
      };
      b = `concat(${b}, ${extra('subject', 'lc.subject')}, ${extra('issuer', 'lc.issuer')}, ${extra('client_subject', 'cc.subject')}, ${extra('client_issuer', 'cc.issuer')})`;
    }
    return b;
  }

  /** Joins of the ssl certificates (their first fingerprints) for body(); '' for other logs. */
  certJoins(): string {
    if (this.plan.path !== 'ssl') return '';
    const first = (f: string) => {
      const c = this.col(f);
      return c ? `CASE WHEN ${c} NOT IN ('-', '(empty)') THEN split_part(${c}, ',', 1) END` : 'NULL';
    };
    return ` LEFT JOIN temp.main.__wh_certs lc ON lc.fp = ${first('cert_chain_fps')} LEFT JOIN temp.main.__wh_certs cc ON cc.fp = ${first('client_cert_chain_fps')}`;
  }

  /** The Out row's action (conn: from the state and packets, as connActionOut). */
  outAction(): string {
    const p = this.plan.path;
    if (p !== 'conn') return lit(ACTION_TYPES[p]);
    const pkts = (f: string) => `coalesce(TRY_CAST(${this.text(f)} AS DOUBLE), 0) > 0`;
    return `CASE WHEN ${this.text('proto')} = 'icmp' THEN ${lit(ACTION_TYPES.icmp)} ELSE CASE ${this.text('conn_state')}
      WHEN 'REJ' THEN 'ConnectionFailed' WHEN 'S0' THEN 'ConnectionAttempt' WHEN 'SH' THEN 'ConnectionAttempt' WHEN 'RSTOS0' THEN 'ConnectionAttempt'
      WHEN 'SF' THEN 'ConnectionSuccess' WHEN 'S1' THEN 'ConnectionSuccess' WHEN 'S2' THEN 'ConnectionSuccess' WHEN 'S3' THEN 'ConnectionSuccess'
      WHEN 'RSTO' THEN 'ConnectionSuccess' WHEN 'RSTR' THEN 'ConnectionSuccess'
      ELSE CASE WHEN ${pkts('orig_pkts')} AND ${pkts('resp_pkts')} THEN 'ConnectionSuccess' ELSE 'ConnectionAttempt' END END END`;
  }

  /** Protocol as protocolName() names it. */
  protocol(): string {
    const p = this.plan.path;
    if (p !== 'conn' && p !== 'dns') return `'Tcp'`;
    const proto = this.text('proto');
    return `CASE ${proto} WHEN 'tcp' THEN 'Tcp' WHEN 'udp' THEN 'Udp' WHEN 'icmp' THEN CASE WHEN contains(${this.text('id.orig_h')}, ':') THEN 'Icmpv6' ELSE 'Icmp' END
      WHEN '' THEN 'Tcp' ELSE upper(${proto}[1]) || ${proto}[2:] END`;
  }

  /** The Out row's RemoteUrl: http's host, ssl's server_name. */
  url(): string {
    const f = this.plan.path === 'http' ? 'host' : this.plan.path === 'ssl' ? 'server_name' : undefined;
    return f ? `nullif(${this.text(f)}, '')` : 'NULL';
  }
}

// ---- Running it ----

export interface SqlMapContext {
  conn: DuckDBConnection;
  model: EventModel;
  maskedTime: 'skip' | 'zero';
  /** Reads a log of the lines SQL left to JavaScript (through the model, into the batch writer). */
  readWithModel: (file: string) => Promise<ReadStats>;
}

export interface SqlMapResult {
  stats: ReadStats;
  /** DeviceNetworkEvents rows SQL built, and how many of them were new to the store. */
  staged: number;
  inserted: number;
  /** Lines mapped in SQL, and lines left to JavaScript. */
  mapped: number;
  viaJs: number;
}

/** Thrown when the file is to be read by JavaScript after all (a malformed line, a reader error). */
export class NotForSql extends Error {}

/** Streams a query's rows (bounded memory however large the log); `fn` returning false stops early. */
async function eachRow(conn: DuckDBConnection, sql: string, fn: (row: unknown[]) => boolean): Promise<void> {
  const res = await conn.stream(sql);
  for await (const rows of res.yieldRows()) {
    for (const row of rows) if (!fn(row)) return;
  }
}

/** The log's latest finite ts in seconds (NaN when none), read by DuckDB: --rebase-time without a pass of JavaScript over the log. */
export async function latestTimeInSql(plan: SqlLogPlan, conn: DuckDBConnection, maskedTime: 'skip' | 'zero'): Promise<number> {
  const q = new LogSql(plan);
  const ts = q.col('ts')!;
  let r;
  try {
    r = (await conn.runAndReadAll(`SELECT max(t) FILTER (isfinite(t)), bool_or(m) FROM (SELECT TRY_CAST(${ts} AS DOUBLE) AS t, regexp_full_match(${ts}, 'X{10}\\.X{6}') AS m FROM ${q.records})`)).getRows()[0]!;
  } catch (err) {
    throw new NotForSql((err as Error).message.split('\n')[0]);
  }
  const t = r[0] === null ? NaN : Number(r[0]);
  return r[1] === true && maskedTime === 'zero' && !(t >= 0) ? 0 : t;
}

/** Maps one planned log into the store; the model's stats, devices and the store get its rows. */
export async function mapLogInSql(plan: SqlLogPlan, ctx: SqlMapContext): Promise<SqlMapResult> {
  const { conn } = ctx;
  const q = new LogSql(plan);
  const threads = Number((await conn.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0]![0]);
  // JavaScript waits while DuckDB maps a log: DuckDB gets every CPU ($WIREHUNT_INGEST_THREADS still caps it)
  const env = Number(process.env.WIREHUNT_INGEST_THREADS);
  const want = Number.isInteger(env) && env > 0 ? env : Math.max(threads, availableParallelism());
  if (want !== threads) await conn.run(`SET threads = ${want}`);
  try {
    return await run(q, ctx);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS temp.main.__wh_ips; DROP TABLE IF EXISTS temp.main.__wh_certs; DROP TABLE IF EXISTS temp.main.__wh_groups`).catch(() => {});
    if (want !== threads) await conn.run(`SET threads = ${threads}`);
  }
}

async function run(q: LogSql, ctx: SqlMapContext): Promise<SqlMapResult> {
  const { conn, model } = ctx;
  const debug = process.env.WIREHUNT_STORE_DEBUG ? (what: string) => {
    const u = process.cpuUsage(c0);
    process.stderr.write(`sql-map ${q.plan.path}: ${what} ${(performance.now() - t0).toFixed(0)} ms, ${((u.user + u.system) / 1000).toFixed(0)} CPU ms\n`);
    t0 = performance.now();
    c0 = process.cpuUsage();
  } : () => {};
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  const plan = q.plan;
  const oh = q.text('id.orig_h');
  const rh = q.text('id.resp_h');
  const out = q.outAction();
  const inAction = (a: string) => (a === 'ConnectionSuccess' ? 'InboundConnectionAccepted' : a);

  // 1. Classify the lines; look up each address once (dns: every line in file order, as the model
  //    learns names from answers between lookups); count the rows each action will get.
  const byClass = [0, 0, 0, 0, 0];
  let skipped = 0;
  let maxTs = NaN;
  let dup = false;
  const byAction = new Map<string, number>();
  let lo = Infinity;
  let hi = -Infinity;
  const devRows: [string, string, string | null, string | null][] = [];
  const looked = new Map<string, boolean>();
  /** Looks an address up (once); true when it is an onboarded device's. */
  const lookup = (ip: string): boolean => {
    let has = looked.get(ip);
    if (has === undefined) {
      const a = model.addressInfo(ip);
      has = !!a.dev;
      looked.set(ip, has);
      if (a.dev || a.type !== 'Public') devRows.push([ip, a.type, a.dev?.DeviceId ?? null, a.dev?.DeviceName || null]);
    }
    return has;
  };
  const count = (action: string, n: number, min: number, max: number) => {
    byAction.set(action, (byAction.get(action) ?? 0) + n);
    if (min < lo) lo = min;
    if (max > hi) hi = max;
  };
  /** A dns line left to the model: the names it teaches and the addresses it looks up, as the reader and model would. */
  const learnInOrder = (ts: string, emits: boolean, o: string, rr: string, qq: string, qt: string, answers: string) => {
    const masked = /^X{10}\.X{6}$/.test(ts);
    if (masked && ctx.maskedTime === 'skip') return; // the reader drops the record
    const bytes = (x: string) => unescapeZeek(toBytes(x)); // as the reader gives a TSV field
    if (answers !== '-' && answers !== '(empty)') model.learnFromDns({ query: bytes(qq), qtype_name: bytes(qt), answers: answers.split(',').map(bytes) });
    const t = masked ? 0 : ts === 'nan' || ts === 'inf' || ts === '-inf' ? NaN : Number(ts);
    if (emits && Number.isFinite(t)) {
      lookup(bytes(o));
      lookup(bytes(rr));
    }
  };
  try {
    if (plan.path === 'dns') {
      // Each line's text and class, streamed in file order; the model's reading of the fields is done here.
      const at = (name: string) => plan.names.indexOf(name);
      const [iTs, iO, iR, iQ, iQt, iAn] = [at('ts'), at('id.orig_h'), at('id.resp_h'), at('query'), at('qtype_name'), at('answers')];
      const text = (f: string[], i: number) => (i < 0 || f[i] === '-' || f[i] === '(empty)' ? '' : f[i]!);
      const hashes = new Set<number>();
      await eachRow(conn, `SELECT ${q.lineCls}, line FROM ${q.lines}`, (row) => {
        const k = Number(row[0]);
        byClass[k]!++;
        if (k === 2 || k === 3) return false; // malformed, or a new header: the whole file goes to the model
        if (k === 4) return true;
        const line = row[1] as string;
        const f = line.split('\t');
        const ts = f[iTs]!;
        const emits = ts !== '-' && ts !== '(empty)' && f[iO] !== '-' && f[iR] !== '-';
        const answers = iAn < 0 ? '-' : f[iAn]!;
        if (k === 1) {
          // Written by the model later; what it learns and discovers happens here, in file order.
          learnInOrder(ts, emits, text(f, iO), text(f, iR), text(f, iQ), text(f, iQt), answers);
          return true;
        }
        const us = ts === '-' || ts === '(empty)' ? NaN : Math.round(Number(ts) * 1e6);
        if (!(us / 1e6 <= maxTs)) maxTs = us / 1e6;
        if (answers !== '-' && answers !== '(empty)') model.learnFromDns({ query: text(f, iQ), qtype_name: text(f, iQt), answers: answers.split(',') });
        if (!emits) {
          skipped++;
          return true;
        }
        if (!dup) {
          // a repeated line repeats its rows; past a bound, assume it may (DISTINCT ON is only slower)
          const h = hash53(line);
          if (hashes.has(h) || hashes.size >= 4_000_000) dup = true;
          else hashes.add(h);
        }
        if (lookup(text(f, iO))) count(ACTION_TYPES.dns, 1, us, us);
        if (lookup(text(f, iR))) count(ACTION_TYPES.dns, 1, us, us);
        return true;
      });
      if (byClass[2] || byClass[3]) throw new NotForSql('a malformed line or a header after the first record');
    } else {
      // Classes from the lines' text; lines that give no rows and the latest time from the fields.
      for (const [k, n, hs] of (await conn.runAndReadAll(`SELECT cls, count(*), count(DISTINCT hash(line)) FROM (SELECT ${q.lineCls} AS cls, line FROM ${q.lines}) GROUP BY ALL`)).getRows()) {
        byClass[Number(k)]! += Number(n);
        if (Number(k) === 0 && Number(hs) < Number(n)) dup = true;
      }
      if (byClass[2] || byClass[3]) throw new NotForSql('a malformed line or a header after the first record');
      // Per (address, side, Out action, gives rows): the lines, their first and last time.
      await conn.run(`CREATE OR REPLACE TEMP TABLE __wh_groups AS
        SELECT ip, side, a, emits, count(*) AS n, min(us) AS lo, max(us) AS hi
          FROM (SELECT ${q.micros} AS us, ${out} AS a, ${q.emits} AS emits, unnest([${oh}, ${rh}]) AS ip, unnest([0, 1]) AS side
                  FROM ${q.records}${byClass[1] ? ` WHERE ${q.cls} = 0` : ''})
         GROUP BY ALL`);
      const [quiet, mx] = (await conn.runAndReadAll(`SELECT sum(n) FILTER (NOT emits), max(hi) FROM temp.main.__wh_groups WHERE side = 0`)).getRows()[0]!;
      skipped = Number(quiet ?? 0);
      maxTs = mx === null ? NaN : Number(mx) / 1e6;
      debug('grouped');
      // Public IPv4 addresses have no device and type Public unless a listed device owns one outside.
      const publicV4 = `regexp_full_match(ip, '${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}') AND TRY_CAST(split_part(ip, '.', 1) AS INTEGER) BETWEEN 1 AND 223
        AND TRY_CAST(split_part(ip, '.', 1) AS INTEGER) NOT IN (10, 100, 127, 169, 172, 192, 198, 203)`;
      const ips = (await conn.runAndReadAll(`SELECT DISTINCT ip FROM temp.main.__wh_groups WHERE emits${model.devices.ownsOutside ? '' : ` AND NOT (${publicV4})`}`)).getColumns()[0] ?? [];
      for (const ip of ips) lookup(ip as string);
    }
  } catch (err) {
    if (err instanceof NotForSql) throw err;
    throw new NotForSql((err as Error).message.split('\n')[0]);
  }
  debug(`classified ${byClass.join('/')}, ${devRows.length} addresses kept`);

  // 2. The addresses' devices and IP types (a missing address is a public one without a device).
  await conn.run(`CREATE OR REPLACE TEMP TABLE __wh_ips (ip VARCHAR, type VARCHAR, DeviceId VARCHAR, DeviceName VARCHAR)`);
  if (devRows.length) {
    const ap = await conn.createAppender('__wh_ips', 'main', 'temp');
    for (const [ip, type, id, name] of devRows) {
      ap.appendVarchar(ip);
      ap.appendVarchar(type);
      if (id === null) ap.appendNull();
      else ap.appendVarchar(id);
      if (name === null) ap.appendNull();
      else ap.appendVarchar(name);
      ap.endRow();
    }
    ap.flushSync();
    ap.closeSync();
  }
  if (plan.path !== 'dns') {
    const r = await conn.runAndReadAll(`SELECT g.side, g.a, sum(g.n), min(g.lo), max(g.hi) FROM temp.main.__wh_groups g JOIN temp.main.__wh_ips i ON i.ip = g.ip
      WHERE g.emits AND i.DeviceId IS NOT NULL GROUP BY ALL`);
    for (const [side, a, n, min, max] of r.getRows()) count(Number(side) === 0 ? String(a) : inAction(String(a)), Number(n), Number(min), Number(max));
  }
  if (plan.path === 'ssl') {
    await conn.run(`CREATE OR REPLACE TEMP TABLE __wh_certs (fp VARCHAR, subject VARCHAR, issuer VARCHAR)`);
    const certs = model.exportCerts();
    if (certs.length) {
      const ap = await conn.createAppender('__wh_certs', 'main', 'temp');
      for (const [fp, subject, issuer] of certs) {
        ap.appendVarchar(fp);
        ap.appendVarchar(jsonString(subject));
        ap.appendVarchar(jsonString(issuer));
        ap.endRow();
      }
      ap.flushSync();
      ap.closeSync();
    }
  }
  debug('devices');

  // 3. The rows, one per side whose address is an onboarded device, in one INSERT (atomic) that
  //    leaves out rows already stored (and repeats within the log).
  const stats = model.stats;
  stats.records += byClass[0]!;
  stats.skipped += skipped;
  let staged = 0;
  let inserted = 0;
  for (const n of byAction.values()) staged += n;
  if (staged > 0) {
    const shift = model.shift;
    for (const [a, n] of byAction) stats.byAction[a] = (stats.byAction[a] ?? 0) + n;
    stats.rows += staged;
    if (!((hi + shift) / 1e6 <= stats.maxTs)) stats.maxTs = (hi + shift) / 1e6;
    if (!((lo + shift) / 1e6 >= stats.minTs)) stats.minTs = (lo + shift) / 1e6;
    const side = (o: string, i: string) => `CASE WHEN s.side = 0 THEN ${o} ELSE ${i} END`;
    const rows = `
      SELECT make_timestamp(m.us + ${shift}) AS Timestamp, ${side('o.DeviceId', 'p.DeviceId')} AS DeviceId, ${side('o.DeviceName', 'p.DeviceName')} AS DeviceName,
        ${side('m.a', 'm.ain')} AS ActionType, ${side('m.rh', 'm.oh')} AS RemoteIP, ${side('m.rp', 'm.op')} AS RemotePort, ${side('m.url', 'NULL')} AS RemoteUrl,
        ${side('m.oh', 'm.rh')} AS LocalIP, ${side('m.op', 'm.rp')} AS LocalPort, m.proto AS Protocol,
        nullif(${side(`coalesce(o.type, 'Public')`, `coalesce(p.type, 'Public')`)}, '') AS LocalIPType,
        nullif(${side(`coalesce(p.type, 'Public')`, `coalesce(o.type, 'Public')`)}, '') AS RemoteIPType,
        CAST(hash(m.h, ${side('o.DeviceId', 'p.DeviceId')}, ${side('m.a', 'm.ain')}, s.side) & 9007199254740991 AS BIGINT) AS ReportId,
        ${side(`'{"direction":"Out"'`, `'{"direction":"In"'`)} || m.body || '}' AS AdditionalFields
      FROM (
        SELECT *, CASE WHEN a = 'ConnectionSuccess' THEN 'InboundConnectionAccepted' ELSE a END AS ain FROM (
          SELECT hash(${q.all}) AS h, ${q.micros} AS us, ${oh} AS oh, ${rh} AS rh, TRY_CAST(${q.text('id.orig_p')} AS INTEGER) AS op, TRY_CAST(${q.text('id.resp_p')} AS INTEGER) AS rp,
            ${out} AS a, ${q.protocol()} AS proto, ${q.url()} AS url, ${q.body()} AS body
          FROM ${q.records} l${q.certJoins()}
          WHERE ${q.emits}${byClass[1] ? ` AND ${q.cls} = 0` : ''})) m
      LEFT JOIN temp.main.__wh_ips o ON o.ip = m.oh
      LEFT JOIN temp.main.__wh_ips p ON p.ip = m.rh
      CROSS JOIN (VALUES (0), (1)) s(side)
      WHERE ${side('o.DeviceId', 'p.DeviceId')} IS NOT NULL`;
    const def = getTable('DeviceNetworkEvents')!;
    const names = DNE_COLUMNS.map((c) => quoteIdent(def.columns.find((x) => x.name === c)!.sqlName));
    // The rows' order in storage means nothing (KQL promises none): DuckDB may insert in parallel.
    await conn.run('SET SESSION preserve_insertion_order = false');
    try {
      inserted = await insertNewRows(conn, def, names, rows, { dup, range: { lo: lo + shift, hi: hi + shift } });
    } finally {
      await conn.run('RESET SESSION preserve_insertion_order');
    }
    debug(`insert ${staged} rows (dup ${dup})`);
  }

  // 4. The lines only JavaScript writes exactly: through the model, from a log of just those lines.
  const st: ReadStats = { file: plan.file, path: plan.path, format: 'tsv', records: byClass[0]!, malformed: 0, masked: 0, maxTs, bytes: 0, lines: plan.headerLines + byClass[0]! + byClass[1]! };
  if (byClass[1]) {
    const tmp = join(tmpdir(), `wirehunt-${process.pid}-sqlrest-${Date.now().toString(36)}.log`);
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, plan.preamble, null, 'latin1');
        let text = '';
        await eachRow(conn, `SELECT line FROM (SELECT ${q.lineCls} AS cls, line FROM ${q.lines}) WHERE cls = 1`, (row) => {
          text += String(row[0]) + '\n';
          if (text.length > 1 << 20) {
            writeSync(fd, text, null, 'utf8');
            text = '';
          }
          return true;
        });
        writeSync(fd, text, null, 'utf8');
      } finally {
        closeSync(fd);
      }
      // a dns log's names were learned in file order in step 1, with these lines in their places
      model.learnsFromDns = plan.path !== 'dns';
      let js: ReadStats;
      try {
        js = await ctx.readWithModel(tmp);
      } finally {
        model.learnsFromDns = true;
      }
      st.records += js.records;
      st.masked += js.masked;
      st.malformed += js.malformed;
      if (!(js.maxTs <= st.maxTs)) st.maxTs = js.maxTs;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  return { stats: st, staged, inserted, mapped: byClass[0]!, viaJs: byClass[1]! };
}
