// Detection state in the store (schema `detect`, beside the Defender tables): the rules, when each
// last ran, which events already raised an alert per rule (dedup across restarts; written in the
// same transaction as the alerts), and the webhook outbox.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Store } from '../store/index.js';
import { parseRule, readRuleFile, type Rule } from './rules.js';

export const DETECT_SCHEMA = 'detect';

const DDL = [
  `CREATE SCHEMA IF NOT EXISTS ${DETECT_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${DETECT_SCHEMA}.meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS ${DETECT_SCHEMA}.rules (id VARCHAR PRIMARY KEY, definition VARCHAR NOT NULL, enabled BOOLEAN NOT NULL, builtin BOOLEAN NOT NULL, updated TIMESTAMP NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${DETECT_SCHEMA}.runs (rule_id VARCHAR PRIMARY KEY, last_run TIMESTAMP, last_alerts INTEGER, last_error VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS ${DETECT_SCHEMA}.seen (rule_id VARCHAR NOT NULL, event_key VARCHAR NOT NULL, alert_id VARCHAR NOT NULL, PRIMARY KEY (rule_id, event_key))`,
  `CREATE TABLE IF NOT EXISTS ${DETECT_SCHEMA}.outbox (alert_id VARCHAR NOT NULL, url VARCHAR NOT NULL, body VARCHAR NOT NULL, attempts INTEGER NOT NULL, delivered BOOLEAN NOT NULL, last_error VARCHAR, PRIMARY KEY (alert_id, url))`,
];

/** SQL string literal. */
export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export interface RuleRow { rule: Rule; enabled: boolean; builtin: boolean; lastRun: Date | null; lastAlerts: number | null; lastError: string | null }

/** The built-in rule pack (rules/*.json|yaml at the top of the repository). */
export function builtinRulesDir(): string {
  return fileURLToPath(new URL('../../../rules/', import.meta.url));
}

export function loadRulesDir(dir: string): Rule[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.(json|ya?ml)$/i.test(n)).sort();
  } catch {
    return [];
  }
  return names.map((n) => parseRule(readRuleFile(join(dir, n)), n));
}

/**
 * Detection state of one store. Uses its own connection so its transactions never interleave
 * with the server's queries.
 */
export class DetectState {
  private constructor(readonly store: Store, readonly conn: DuckDBConnection) {}

  /** Creates the detect tables when missing; the first time, installs the built-in pack (enabled). */
  static async open(store: Store, opts: { builtins?: boolean } = {}): Promise<DetectState> {
    const conn = await store.connect();
    const s = new DetectState(store, conn);
    await conn.run(`BEGIN TRANSACTION; ${DDL.join(';\n')}; COMMIT`);
    if (opts.builtins !== false) {
      const r = await conn.runAndReadAll(`SELECT value FROM ${DETECT_SCHEMA}.meta WHERE key = 'builtins'`);
      if (!r.getRows().length) {
        const pack = loadRulesDir(builtinRulesDir());
        const stmts = pack.map((rule) => s.upsertSql(rule, true));
        stmts.push(`INSERT INTO ${DETECT_SCHEMA}.meta VALUES ('builtins', ${lit(String(pack.length))})`);
        await conn.run(`BEGIN TRANSACTION; ${stmts.join(';\n')}; COMMIT`);
      }
    }
    return s;
  }

  close(): void {
    this.conn.closeSync();
  }

  private upsertSql(rule: Rule, builtin: boolean): string {
    return `INSERT OR REPLACE INTO ${DETECT_SCHEMA}.rules VALUES (${lit(rule.id)}, ${lit(JSON.stringify(rule))}, ${rule.enabled}, ${builtin}, now()::TIMESTAMP)`;
  }

  async saveRule(rule: Rule, builtin = false): Promise<void> {
    await this.conn.run(this.upsertSql(rule, builtin));
  }

  async rules(): Promise<RuleRow[]> {
    const r = await this.conn.runAndReadAll(
      `SELECT r.definition, r.enabled, r.builtin, epoch_ms(u.last_run), u.last_alerts, u.last_error
       FROM ${DETECT_SCHEMA}.rules r LEFT JOIN ${DETECT_SCHEMA}.runs u ON u.rule_id = r.id ORDER BY r.id`);
    return r.getRows().map((x) => {
      const rule = JSON.parse(String(x[0])) as Rule;
      rule.enabled = Boolean(x[1]);
      return {
        rule, enabled: Boolean(x[1]), builtin: Boolean(x[2]),
        lastRun: x[3] === null ? null : new Date(Number(x[3])), lastAlerts: x[4] === null ? null : Number(x[4]), lastError: x[5] === null ? null : String(x[5]),
      };
    });
  }

  async rule(id: string): Promise<RuleRow | undefined> {
    return (await this.rules()).find((r) => r.rule.id === id);
  }

  /** Returns false when there is no such rule. */
  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    const row = await this.rule(id);
    if (!row) return false;
    row.rule.enabled = enabled;
    await this.conn.run(`UPDATE ${DETECT_SCHEMA}.rules SET enabled = ${enabled}, definition = ${lit(JSON.stringify(row.rule))}, updated = now()::TIMESTAMP WHERE id = ${lit(id)}`);
    return true;
  }

  /** Removes the rule and its run record; its alerts stay (they are history), as does its dedup state. */
  async remove(id: string): Promise<boolean> {
    const r = await this.conn.run(`DELETE FROM ${DETECT_SCHEMA}.rules WHERE id = ${lit(id)}`);
    await this.conn.run(`DELETE FROM ${DETECT_SCHEMA}.runs WHERE rule_id = ${lit(id)}`);
    return Number(r.rowsChanged) > 0;
  }

  async seenKeys(ruleId: string): Promise<Set<string>> {
    const r = await this.conn.runAndReadAll(`SELECT event_key FROM ${DETECT_SCHEMA}.seen WHERE rule_id = ${lit(ruleId)}`);
    return new Set(r.getRows().map((x) => String(x[0])));
  }
}
