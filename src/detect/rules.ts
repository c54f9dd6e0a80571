// Detection rules as Defender's custom detections define them: a KQL query, a name, severity,
// category, MITRE ATT&CK techniques, impacted-entity mapping and a frequency with its lookback.
// validateRule checks what Defender checks on save and names what is missing.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { createRequire } from 'node:module';
import { compileQuery } from '../kql/index.js';
import type { Plan } from '../kql/ir/plan.js';
import { lint, type LintFinding } from '../lint/index.js';

export type Frequency = 'continuous' | '1h' | '3h' | '12h' | '24h';
export type Severity = 'Informational' | 'Low' | 'Medium' | 'High';

const HOUR = 3_600_000;
/** Defender's frequencies: how often a rule runs and how far back each run looks. */
export const FREQUENCIES: Readonly<Record<Frequency, { everyMs: number; lookbackMs: number; lookback: string }>> = {
  continuous: { everyMs: 0, lookbackMs: 0, lookback: '' },
  '1h': { everyMs: HOUR, lookbackMs: 4 * HOUR, lookback: '4h' },
  '3h': { everyMs: 3 * HOUR, lookbackMs: 12 * HOUR, lookback: '12h' },
  '12h': { everyMs: 12 * HOUR, lookbackMs: 48 * HOUR, lookback: '48h' },
  '24h': { everyMs: 24 * HOUR, lookbackMs: 30 * 24 * HOUR, lookback: '30d' },
};

export const SEVERITIES: readonly Severity[] = ['Informational', 'Low', 'Medium', 'High'];

/** Defender's alert categories. */
export const CATEGORIES = [
  'InitialAccess', 'Execution', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion', 'CredentialAccess', 'Discovery',
  'LateralMovement', 'Collection', 'CommandAndControl', 'Exfiltration', 'Impact', 'Malware', 'SuspiciousActivity',
  'UnwantedSoftware', 'Ransomware', 'Exploit',
] as const;

/** Result columns Defender accepts as the impacted entity of a custom detection (plus RemoteIP/LocalIP for network rules). */
export const ENTITY_COLUMNS = [
  'DeviceId', 'DeviceName', 'RemoteDeviceName', 'RemoteIP', 'LocalIP', 'RecipientEmailAddress', 'SenderFromAddress',
  'SenderMailFromAddress', 'RecipientObjectId', 'AccountObjectId', 'AccountSid', 'AccountUpn', 'AccountName',
  'InitiatingProcessAccountSid', 'InitiatingProcessAccountUpn', 'InitiatingProcessAccountObjectId',
] as const;

/** Evidence entity types and the columns that may fill them. */
export const ENTITY_TYPES: Readonly<Record<string, readonly string[]>> = {
  Machine: ['DeviceId', 'DeviceName', 'RemoteDeviceName'],
  Ip: ['RemoteIP', 'LocalIP', 'SourceIP'],
  User: ['AccountName', 'AccountUpn', 'AccountSid', 'AccountObjectId', 'InitiatingProcessAccountSid', 'InitiatingProcessAccountUpn', 'InitiatingProcessAccountObjectId'],
  Mailbox: ['RecipientEmailAddress', 'SenderFromAddress', 'SenderMailFromAddress'],
  Url: ['RemoteUrl'],
};

/** Names of the ATT&CK techniques the built-in pack uses (AttackTechniques reads "Name (Txxxx)"). */
export const TECHNIQUE_NAMES: Readonly<Record<string, string>> = {
  T1018: 'Remote System Discovery',
  'T1021.004': 'Remote Services: SSH',
  T1041: 'Exfiltration Over C2 Channel',
  T1046: 'Network Service Discovery',
  T1048: 'Exfiltration Over Alternative Protocol',
  'T1071.001': 'Application Layer Protocol: Web Protocols',
  'T1071.004': 'Application Layer Protocol: DNS',
  T1105: 'Ingress Tool Transfer',
  T1110: 'Brute Force',
  'T1110.003': 'Brute Force: Password Spraying',
  T1573: 'Encrypted Channel',
  T1595: 'Active Scanning',
};

export interface Rule {
  /** Lower-case letters, digits and dashes. */
  id: string;
  name: string;
  description: string;
  query: string;
  severity: Severity;
  category: string;
  techniques: string[];
  /** Evidence entity type → result column (e.g. {"Machine": "DeviceId", "Ip": "RemoteIP"}). */
  entities: Record<string, string>;
  frequency: Frequency;
  enabled: boolean;
  /** Optional: POST each alert's JSON here (retried). */
  webhook?: string;
}

export class RuleError extends Error {
  override name = 'RuleError';
}

/** Reads one rule file, JSON or YAML (by extension; YAML also for anything that is not JSON). */
export function readRuleFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RuleError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.json') return JSON.parse(text);
    const require = createRequire(import.meta.url);
    const yaml = require('yaml') as { parse(s: string): unknown };
    return yaml.parse(text);
  } catch (err) {
    throw new RuleError(`${path}: not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${String((err as Error).message).split('\n')[0]}`);
  }
}

/** Normalizes a parsed rule object, naming the first field that is wrong. */
export function parseRule(raw: unknown, where = 'rule'): Rule {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new RuleError(`${where}: expected an object with id, name, query, severity, category, frequency`);
  const o = raw as Record<string, unknown>;
  const str = (k: string, required = true): string => {
    const v = o[k];
    if (v === undefined || v === null || v === '') {
      if (required) throw new RuleError(`${where}: missing '${k}'`);
      return '';
    }
    if (typeof v !== 'string') throw new RuleError(`${where}: '${k}' must be a string`);
    return v;
  };
  const id = str('id');
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(id)) throw new RuleError(`${where}: id '${id}' must be lower-case letters, digits and dashes (at most 64)`);
  const name = str('name');
  const query = str('query');
  const severity = str('severity') as Severity;
  if (!SEVERITIES.includes(severity)) throw new RuleError(`${where}: severity '${severity}' is not one of ${SEVERITIES.join(', ')}`);
  const category = str('category');
  if (!(CATEGORIES as readonly string[]).includes(category)) throw new RuleError(`${where}: category '${category}' is not one of ${CATEGORIES.join(', ')}`);
  const freqRaw = o.frequency === undefined ? '1h' : String(o.frequency);
  const frequency = (freqRaw === '0' || freqRaw === 'nrt' ? 'continuous' : freqRaw) as Frequency;
  if (!(frequency in FREQUENCIES)) throw new RuleError(`${where}: frequency '${freqRaw}' is not one of continuous, 1h, 3h, 12h, 24h`);
  const techniques = o.techniques === undefined ? [] : o.techniques;
  if (!Array.isArray(techniques) || techniques.some((t) => typeof t !== 'string' || !/^T\d{4}(\.\d{3})?$/.test(t))) {
    throw new RuleError(`${where}: techniques must be a list of ATT&CK ids such as T1110 or T1021.004`);
  }
  const entities = o.entities === undefined ? {} : o.entities;
  if (!entities || typeof entities !== 'object' || Array.isArray(entities) || Object.values(entities).some((v) => typeof v !== 'string')) {
    throw new RuleError(`${where}: entities must map an entity type (${Object.keys(ENTITY_TYPES).join(', ')}) to a result column`);
  }
  for (const [t, c] of Object.entries(entities as Record<string, string>)) {
    const allowed = ENTITY_TYPES[t];
    if (!allowed) throw new RuleError(`${where}: unknown entity type '${t}' (one of ${Object.keys(ENTITY_TYPES).join(', ')})`);
    if (!allowed.includes(c)) throw new RuleError(`${where}: entity ${t} cannot come from column '${c}' (one of ${allowed.join(', ')})`);
  }
  const webhook = str('webhook', false);
  if (webhook && !/^https?:\/\/[^\s]+$/.test(webhook)) throw new RuleError(`${where}: webhook must be an http(s) URL`);
  const enabled = o.enabled === undefined ? true : o.enabled;
  if (typeof enabled !== 'boolean') throw new RuleError(`${where}: enabled must be true or false`);
  return {
    id, name, description: str('description', false), query, severity, category, techniques: techniques as string[],
    entities: entities as Record<string, string>, frequency, enabled, ...(webhook ? { webhook } : {}),
  };
}

export interface Validation {
  ok: boolean;
  /** Why the rule is refused (empty when ok). */
  errors: string[];
  /** Lint findings (warnings; they do not refuse the rule). */
  warnings: LintFinding[];
  /** The query's result columns. */
  columns: { name: string; type: string }[];
}

function walkPlan(p: Plan, f: (p: Plan) => void): void {
  f(p);
  const q = p as unknown as Record<string, unknown>;
  for (const k of ['input', 'left', 'right', 'body']) if (q[k]) walkPlan(q[k] as Plan, f);
  if (Array.isArray(q.inputs)) for (const x of q.inputs as Plan[]) walkPlan(x, f);
  if (Array.isArray(q.ctes)) for (const c of q.ctes as { plan: Plan }[]) walkPlan(c.plan, f);
  // Sub-plans inside expressions (in (tabular), toscalar).
  const visitExpr = (e: unknown): void => {
    if (!e || typeof e !== 'object') return;
    const x = e as Record<string, unknown>;
    if ((x.e === 'scalar' || x.e === 'inset') && x.plan) walkPlan(x.plan as Plan, f);
    for (const v of Object.values(x)) if (Array.isArray(v)) v.forEach(visitExpr); else if (v && typeof v === 'object' && !('op' in (v as object))) visitExpr(v);
  };
  for (const k of ['cond', 'exprs', 'keys', 'aggs', 'on', 'expand']) if (q[k]) visitExpr(q[k]);
}

/** What Defender checks when a custom detection is saved, plus the lint. */
export function validateRule(rule: Rule): Validation {
  const errors: string[] = [];
  const c = compileQuery(rule.query);
  const columns = c.columns.map((x) => ({ name: x.name, type: x.type as string }));
  const v: Validation = { ok: false, errors, warnings: [], columns };
  const lintRes = lint(rule.query, rule.frequency === 'continuous' ? {} : { scheduled: true, lookback: FREQUENCIES[rule.frequency].lookback });
  v.warnings = lintRes.findings;
  if (/\bexternaldata\b/i.test(rule.query) && rule.frequency === 'continuous') errors.push('continuous (NRT) rules cannot use externaldata');
  const bad = c.diagnostics.filter((d) => d.severity === 'error');
  if (bad.length || !c.plan) {
    for (const d of bad) errors.push(`query: ${d.code} (${d.line}:${d.column}): ${d.message}`);
    if (!bad.length) errors.push('query: does not compile');
    return v;
  }
  const names = new Map(c.columns.map((x) => [x.name, x.type]));
  const missing: string[] = [];
  if (!names.has('Timestamp')) missing.push('Timestamp');
  else if (names.get('Timestamp') !== 'datetime') errors.push(`the result column Timestamp is ${names.get('Timestamp')}, not datetime`);
  if (!names.has('ReportId')) missing.push('ReportId');
  const entityCols = ENTITY_COLUMNS.filter((e) => names.has(e));
  if (!entityCols.length) missing.push(`an entity column (one of ${ENTITY_COLUMNS.slice(0, 6).join(', ')}, …)`);
  if (missing.length) {
    const list = missing.length > 1 ? `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}` : missing[0];
    errors.push(`the query result lacks ${list}: a custom detection must return Timestamp, ReportId and an entity column such as DeviceId`);
  }
  for (const [t, col] of Object.entries(rule.entities)) {
    if (!names.has(col)) errors.push(`entity ${t} maps to '${col}', which the query does not return`);
  }
  if (rule.frequency === 'continuous') {
    const tables = new Set<string>();
    let join = false, union = false;
    walkPlan(c.plan, (p) => {
      if (p.op === 'scan') tables.add(p.table);
      if (p.op === 'join') join = true;
      if (p.op === 'union') union = true;
    });
    if (tables.size > 1) errors.push(`continuous (NRT) rules read a single table; this query reads ${[...tables].sort().join(', ')}`);
    if (join) errors.push('continuous (NRT) rules cannot use join');
    if (union) errors.push('continuous (NRT) rules cannot use union');
  }
  v.ok = errors.length === 0;
  return v;
}

/** One line naming what is missing, for a refused rule. */
export function refusal(rule: Rule, v: Validation): string {
  return `rule '${rule.id}' refused: ${v.errors.join('; ')}`;
}
