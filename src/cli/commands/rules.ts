// `wirehunt rules list|show|validate|add|enable|disable|remove …`: detection rules kept in the store.
import { statSync } from 'node:fs';
import { UserError, type Command } from '../types.js';
import { openStore, resolveStorePath } from '../../store/index.js';
import { formatFinding } from '../../lint/index.js';
import { DetectState, loadRulesDir, parseRule, readRuleFile, refusal, validateRule, RuleError, FREQUENCIES, type Rule } from '../../detect/index.js';

const USAGE = `usage: wirehunt rules [--db <file>] <action> …

  list [--json]                  the rules, enabled or not, with their last run
  show <id>                      a rule as JSON
  validate <file|dir>…           check rule files as Defender checks a custom detection on save
  add [--disabled] <file|dir>…   add (or replace, by id) rules from YAML or JSON files
  enable <id>…  disable <id>…  remove <id>…

A rule file (YAML or JSON):
  id: ssh-brute-force            lower-case letters, digits, dashes
  name: SSH brute force
  severity: High                 Informational | Low | Medium | High
  category: CredentialAccess     Defender's alert categories (CommandAndControl, Exfiltration, …)
  techniques: [T1110, T1021.004]
  frequency: 1h                  continuous | 1h | 3h | 12h | 24h (lookbacks 4h, 12h, 48h, 30d)
  entities: {Machine: DeviceId, Ip: RemoteIP}
  webhook: http://127.0.0.1:9000/alerts   (optional: POST each alert's JSON)
  query: |
    DeviceNetworkEvents | where Timestamp > ago(4h) | …

The query must return Timestamp, ReportId and an entity column (DeviceId, DeviceName, RemoteIP, …);
continuous rules read a single table without join, union or externaldata.`;

function ruleFiles(paths: string[]): { rule: Rule; file: string }[] {
  const out: { rule: Rule; file: string }[] = [];
  for (const p of paths) {
    let dir = false;
    try {
      dir = statSync(p).isDirectory();
    } catch {
      throw new UserError(`rules: no such file: ${p}`);
    }
    try {
      if (dir) for (const rule of loadRulesDir(p)) out.push({ rule, file: p });
      else {
        const raw = readRuleFile(p);
        for (const r of Array.isArray(raw) ? raw : [raw]) out.push({ rule: parseRule(r, p), file: p });
      }
    } catch (err) {
      if (err instanceof RuleError) throw new UserError(`rules: ${err.message}`);
      throw err;
    }
  }
  if (!out.length) throw new UserError('rules: no rule files given');
  return out;
}

function checkAll(rules: { rule: Rule; file: string }[]): string[] {
  const refused: string[] = [];
  for (const { rule, file } of rules) {
    const v = validateRule(rule);
    for (const w of v.warnings) console.error(formatFinding(w, `${file} (${rule.id}) query`));
    if (!v.ok) refused.push(refusal(rule, v));
  }
  return refused;
}

export const command: Command = {
  name: 'rules',
  summary: 'manage detection rules',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    let db: string | undefined;
    const rest: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--db') {
        db = argv[++i];
        if (db === undefined) throw new UserError('rules: --db needs a file');
      } else rest.push(argv[i]!);
    }
    const [action, ...args] = rest;
    if (!action) throw new UserError(`rules: which action?\n${USAGE}`);
    if (action === 'validate') {
      const files = ruleFiles(args);
      const refused = checkAll(files);
      for (const r of refused) console.error(`wirehunt: ${r}`);
      if (!refused.length) console.log(`${files.length} rule${files.length === 1 ? '' : 's'} valid`);
      return refused.length ? 1 : 0;
    }
    if (!['list', 'show', 'add', 'enable', 'disable', 'remove'].includes(action)) throw new UserError(`rules: unknown action '${action}'\n${USAGE}`);
    const store = await openStore(resolveStorePath(db));
    let state: DetectState | undefined;
    try {
      state = await DetectState.open(store);
      switch (action) {
        case 'list': {
          const rows = await state.rules();
          if (args.includes('--json')) {
            console.log(JSON.stringify(rows.map((r) => ({ ...r.rule, builtin: r.builtin, lastRun: r.lastRun?.toISOString() ?? null, lastAlerts: r.lastAlerts, lastError: r.lastError })), null, 2));
            return 0;
          }
          console.log(`${'ID'.padEnd(28)} ${'ON'.padEnd(3)} ${'FREQ'.padEnd(10)} ${'LOOKBACK'.padEnd(8)} ${'SEVERITY'.padEnd(13)} ${'LAST RUN'.padEnd(24)} ALERTS  NAME`);
          for (const r of rows) {
            const f = r.rule.frequency;
            console.log(`${r.rule.id.padEnd(28)} ${(r.enabled ? 'yes' : 'no').padEnd(3)} ${f.padEnd(10)} ${(FREQUENCIES[f].lookback || '-').padEnd(8)} ${r.rule.severity.padEnd(13)} ${(r.lastRun?.toISOString() ?? '-').padEnd(24)} ${String(r.lastAlerts ?? '-').padStart(6)}  ${r.rule.name}${r.lastError ? `  [error: ${r.lastError}]` : ''}`);
          }
          return 0;
        }
        case 'show': {
          const r = await state.rule(args[0] ?? '');
          if (!r) throw new UserError(`rules: no rule '${args[0] ?? ''}'`);
          console.log(JSON.stringify(r.rule, null, 2));
          return 0;
        }
        case 'add': {
          const disabled = args.includes('--disabled');
          const files = ruleFiles(args.filter((x) => x !== '--disabled'));
          const refused = checkAll(files);
          if (refused.length) throw new UserError(refused.join('\n'), 1);
          for (const { rule } of files) {
            if (disabled) rule.enabled = false;
            await state.saveRule(rule);
            console.log(`rules: saved ${rule.id} (${rule.enabled ? 'enabled' : 'disabled'}, ${rule.frequency})`);
          }
          return 0;
        }
        default: {
          if (!args.length) throw new UserError(`rules: ${action} which rule?`);
          for (const id of args) {
            const ok = action === 'remove' ? await state.remove(id) : await state.setEnabled(id, action === 'enable');
            if (!ok) throw new UserError(`rules: no rule '${id}' (see 'wirehunt rules list')`);
            console.log(`rules: ${action === 'remove' ? 'removed' : action + 'd'} ${id}`);
          }
          return 0;
        }
      }
    } finally {
      state?.close();
      store.close();
    }
  },
};
