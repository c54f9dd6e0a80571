// Running rules: query → alerts in AlertInfo and AlertEvidence (Defender's schema, huntable), at most
// one alert per rule and event (ReportId, DeviceId, Timestamp), across restarts: the alerts, the
// dedup keys and the run record are written in one transaction, so a run killed at any point either
// left everything or nothing. Webhooks go through an outbox written in that same transaction and are
// delivered after it commits (at least once, with retries).
import { createHash } from 'node:crypto';
import { compileQuery, runCompiled, KqlError } from '../kql/index.js';
import type { Plan } from '../kql/ir/plan.js';
import { getTable, storageTable, quoteIdent } from '../store/index.js';
import { FREQUENCIES, TECHNIQUE_NAMES, validateRule, type Rule } from './rules.js';
import { DETECT_SCHEMA, lit, type DetectState } from './state.js';

export interface EvidenceEntity { EntityType: string; EvidenceRole: 'Impacted' | 'Related'; Column: string; Value: string }

/** An alert as printed by `wirehunt detect --json` and POSTed to webhooks. */
export interface Alert {
  AlertId: string;
  RuleId: string;
  Title: string;
  Description: string;
  Severity: string;
  Category: string;
  AttackTechniques: string[];
  /** The event's time (ISO 8601, 7 fraction digits). */
  Timestamp: string;
  ReportId: string | number;
  DeviceId: string;
  DeviceName: string;
  /** The table the event came from, and a query that opens it in the hunting page. */
  EventTable: string;
  EvidenceQuery: string;
  Entities: EvidenceEntity[];
  /** The rule query's result row. */
  Row: Record<string, unknown>;
}

export interface RuleRun {
  ruleId: string;
  alerts: Alert[];
  /** Result rows that already had an alert (dedup), and rows outside the lookback. */
  duplicates: number;
  outsideLookback: number;
  error?: string;
}

export const SERVICE_SOURCE = 'Microsoft Defender XDR';
export const DETECTION_SOURCE = 'Custom detection';

/** Datetime text as the engine encodes it → microseconds since the epoch. */
export function isoToMicros(iso: string): bigint | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return null;
  const ms = Date.parse(m[1] + 'Z');
  if (!Number.isFinite(ms)) return null;
  return BigInt(ms) * 1000n + BigInt((m[2] ?? '').slice(0, 6).padEnd(6, '0'));
}

function walkScans(p: Plan, out: string[]): void {
  if (p.op === 'scan') out.push(p.table);
  const q = p as unknown as Record<string, unknown>;
  for (const k of ['input', 'left', 'right', 'body']) if (q[k]) walkScans(q[k] as Plan, out);
  if (Array.isArray(q.inputs)) for (const x of q.inputs as Plan[]) walkScans(x, out);
  if (Array.isArray(q.ctes)) for (const c of q.ctes as { plan: Plan }[]) walkScans(c.plan, out);
}

/** The table whose events a rule's rows point at: the last table read that has ReportId (the main query follows its lets). */
export function eventTable(plan: Plan | null): string {
  const scans: string[] = [];
  if (plan) walkScans(plan, scans);
  const withReport = scans.filter((t) => getTable(t)?.columns.some((c) => c.name === 'ReportId'));
  return withReport[0] ?? scans[0] ?? 'DeviceNetworkEvents';
}

function kqlString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function evidenceQuery(table: string, reportId: string | number, deviceId: string, ts: string): string {
  const rid = typeof reportId === 'number' || /^\d+$/.test(String(reportId)) ? String(reportId) : kqlString(String(reportId));
  return `${table}\n| where Timestamp == datetime(${ts}) and DeviceId == ${kqlString(deviceId)} and ReportId == ${rid}`;
}

export function alertId(ruleId: string, eventKey: string): string {
  return 'wh' + createHash('sha256').update(ruleId).update('\0').update(eventKey).digest('hex').slice(0, 30);
}

function techniqueText(t: string): string {
  const n = TECHNIQUE_NAMES[t];
  return n ? `${n} (${t})` : t;
}

/** Default entity mapping when the rule gives none: the device, and the remote address if returned. */
function entityMap(rule: Rule, columns: Set<string>): Record<string, string> {
  if (Object.keys(rule.entities).length) return rule.entities;
  const m: Record<string, string> = {};
  if (columns.has('DeviceId')) m.Machine = 'DeviceId';
  else if (columns.has('DeviceName')) m.Machine = 'DeviceName';
  if (columns.has('RemoteIP')) m.Ip = 'RemoteIP';
  return m;
}

type Values = Record<string, string | number | bigint | null>;

/** INSERT into a store table's physical rows (empty strings kept as NULL, as the store does). */
function insertSql(table: string, rows: Values[]): string {
  const def = getTable(table)!;
  const cols = def.columns.filter((c) => rows.some((r) => c.name in r));
  const values = rows.map((r) => '(' + cols.map((c) => {
    const v = r[c.name];
    if (v === null || v === undefined || v === '') return 'NULL';
    if (c.kustoType === 'datetime') return `make_timestamp(CAST(${String(v)} AS BIGINT))`;
    if (c.duckType === 'VARCHAR' || c.duckType === 'JSON') return lit(String(v));
    return String(v);
  }).join(', ') + ')');
  return `INSERT INTO ${storageTable(def)} (${cols.map((c) => quoteIdent(c.sqlName)).join(', ')}) VALUES ${values.join(', ')}`;
}

export interface RunOptions {
  now: Date;
  /** Per-query timeout (default 120 s). */
  timeoutMs?: number;
  /** Test hook: called after the alerts are written and before the transaction commits. */
  beforeCommit?: (rule: Rule, alerts: Alert[]) => Promise<void>;
}

/** Runs one rule now: raises the alerts for events not alerted on before, atomically with the dedup state. */
export async function runRule(state: DetectState, rule: Rule, opts: RunOptions): Promise<RuleRun> {
  const out: RuleRun = { ruleId: rule.id, alerts: [], duplicates: 0, outsideLookback: 0 };
  const conn = state.conn;
  const now = opts.now;
  const recordRun = (alerts: number, error: string | null) =>
    `INSERT OR REPLACE INTO ${DETECT_SCHEMA}.runs VALUES (${lit(rule.id)}, make_timestamp(CAST(${now.getTime() * 1000} AS BIGINT)), ${alerts}, ${error === null ? 'NULL' : lit(error)})`;
  const v = validateRule(rule);
  if (!v.ok) {
    out.error = v.errors.join('; ');
    await conn.run(recordRun(0, out.error));
    return out;
  }
  const compiled = compileQuery(rule.query);
  let rows: Record<string, unknown>[];
  try {
    rows = (await runCompiled(conn, compiled, { now, timeoutMs: opts.timeoutMs ?? 120_000, maxRows: 100_000 })).rows;
  } catch (err) {
    out.error = err instanceof KqlError ? err.message : String((err as Error).message ?? err);
    await conn.run(recordRun(0, out.error));
    return out;
  }
  const lookbackMs = FREQUENCIES[rule.frequency].lookbackMs;
  const sinceMicros = lookbackMs ? BigInt(now.getTime() - lookbackMs) * 1000n : null;
  const table = eventTable(compiled.plan);
  const columns = new Set(compiled.columns.map((c) => c.name));
  const entities = entityMap(rule, columns);
  const seen = await state.seenKeys(rule.id);
  const techniques = rule.techniques.map(techniqueText);
  const infos: Values[] = [];
  const evidence: Values[] = [];
  const seenRows: string[] = [];
  const outbox: string[] = [];
  for (const row of rows) {
    const ts = String(row.Timestamp ?? '');
    const micros = isoToMicros(ts);
    if (micros === null) continue; // no event time: cannot point back at an event
    if (sinceMicros !== null && micros < sinceMicros) {
      out.outsideLookback++;
      continue;
    }
    const reportId = row.ReportId as string | number;
    const deviceId = String(row.DeviceId ?? '');
    const key = `${String(reportId)}|${deviceId}|${ts}`;
    if (seen.has(key)) {
      out.duplicates++;
      continue;
    }
    seen.add(key);
    const id = alertId(rule.id, key);
    const ents: EvidenceEntity[] = [];
    for (const [type, col] of Object.entries(entities)) {
      const val = row[col];
      if (val === null || val === undefined || val === '') continue;
      ents.push({ EntityType: type, EvidenceRole: type === 'Machine' ? 'Impacted' : 'Related', Column: col, Value: String(val) });
    }
    const alert: Alert = {
      AlertId: id, RuleId: rule.id, Title: rule.name, Description: rule.description, Severity: rule.severity, Category: rule.category,
      AttackTechniques: techniques, Timestamp: ts, ReportId: reportId, DeviceId: deviceId, DeviceName: String(row.DeviceName ?? ''),
      EventTable: table, EvidenceQuery: evidenceQuery(table, reportId, deviceId, ts), Entities: ents, Row: row,
    };
    out.alerts.push(alert);
    infos.push({
      Timestamp: micros, AlertId: id, Title: rule.name, Category: rule.category, Severity: rule.severity,
      ServiceSource: SERVICE_SOURCE, DetectionSource: DETECTION_SOURCE, AttackTechniques: JSON.stringify(techniques),
    });
    const pointer = JSON.stringify({ RuleId: rule.id, Table: table, ReportId: reportId, DeviceId: deviceId, Timestamp: ts });
    for (const e of ents.length ? ents : [{ EntityType: 'Machine', EvidenceRole: 'Impacted', Column: 'DeviceId', Value: deviceId } as EvidenceEntity]) {
      const ev: Values = {
        Timestamp: micros, AlertId: id, Title: rule.name, Categories: JSON.stringify([rule.category]), AttackTechniques: JSON.stringify(techniques),
        ServiceSource: SERVICE_SOURCE, DetectionSource: DETECTION_SOURCE, EntityType: e.EntityType, EvidenceRole: e.EvidenceRole,
        Severity: rule.severity, DeviceId: deviceId, DeviceName: String(row.DeviceName ?? ''), AdditionalFields: pointer,
      };
      if (e.EntityType === 'Machine' && e.Column !== 'DeviceId') ev.DeviceName = e.Value;
      if (e.EntityType === 'Ip') ev.RemoteIP = e.Value;
      if (e.EntityType === 'Url') ev.RemoteUrl = e.Value;
      if (e.EntityType === 'User') ev[e.Column === 'AccountName' ? 'AccountName' : e.Column.replace(/^InitiatingProcess/, '')] = e.Value;
      if (e.EntityType === 'Mailbox') ev.AccountUpn = e.Value;
      if (typeof row.LocalIP === 'string' && row.LocalIP) ev.LocalIP = row.LocalIP;
      if (typeof row.RemoteUrl === 'string' && row.RemoteUrl && !ev.RemoteUrl) ev.RemoteUrl = row.RemoteUrl;
      evidence.push(ev);
    }
    seenRows.push(`(${lit(rule.id)}, ${lit(key)}, ${lit(id)})`);
    if (rule.webhook) outbox.push(`(${lit(id)}, ${lit(rule.webhook)}, ${lit(JSON.stringify(alert))}, 0, false, NULL)`);
  }
  const stmts: string[] = [];
  const CHUNK = 500;
  for (let i = 0; i < infos.length; i += CHUNK) stmts.push(insertSql('AlertInfo', infos.slice(i, i + CHUNK)));
  for (let i = 0; i < evidence.length; i += CHUNK) stmts.push(insertSql('AlertEvidence', evidence.slice(i, i + CHUNK)));
  for (let i = 0; i < seenRows.length; i += CHUNK) stmts.push(`INSERT INTO ${DETECT_SCHEMA}.seen VALUES ${seenRows.slice(i, i + CHUNK).join(', ')}`);
  for (let i = 0; i < outbox.length; i += CHUNK) stmts.push(`INSERT OR IGNORE INTO ${DETECT_SCHEMA}.outbox VALUES ${outbox.slice(i, i + CHUNK).join(', ')}`);
  stmts.push(recordRun(out.alerts.length, null));
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const s of stmts) await conn.run(s);
    if (opts.beforeCommit) await opts.beforeCommit(rule, out.alerts);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    throw err;
  }
  return out;
}

/** Whether a scheduled rule is due at `now` (continuous rules always are). */
export function isDue(rule: Rule, lastRun: Date | null, now: Date): boolean {
  const every = FREQUENCIES[rule.frequency].everyMs;
  return every === 0 || lastRun === null || now.getTime() - lastRun.getTime() >= every;
}

export interface RunDueOptions extends RunOptions {
  /** Run every enabled rule, due or not. */
  all?: boolean;
  /** Only these rules (enabled or not). */
  only?: string[];
  /** Only continuous rules (on an ingested batch). */
  continuousOnly?: boolean;
  /** Called as each rule's run completes (committed). */
  onRule?: (run: RuleRun) => void;
}

/** Runs the enabled rules that are due, one after the other. */
export async function runDue(state: DetectState, opts: RunDueOptions): Promise<RuleRun[]> {
  const out: RuleRun[] = [];
  for (const r of await state.rules()) {
    if (opts.only) {
      if (!opts.only.includes(r.rule.id)) continue;
    } else {
      if (!r.enabled) continue;
      if (opts.continuousOnly && r.rule.frequency !== 'continuous') continue;
      if (!opts.all && !isDue(r.rule, r.lastRun, opts.now)) continue;
    }
    const run = await runRule(state, r.rule, opts);
    out.push(run);
    opts.onRule?.(run);
  }
  return out;
}
