// `wirehunt detect [--db <file>] [--once] [--all] [--rule <id>]… [--now <iso>] [--interval <s>] [--json]`
import { UserError, type Command } from '../types.js';
import { openStore, resolveStorePath } from '../../store/index.js';
import { DetectState, runDue, Scheduler, deliverPending, holdHook, type Alert, type RuleRun } from '../../detect/index.js';

const USAGE = `usage: wirehunt detect [--db <file>] [--once] [--all] [--rule <id>]… [--now <iso>] [--interval <s>] [--json]

Runs the enabled detection rules that are due (scheduled rules by their frequency: 1h, 3h, 12h, 24h
with Defender's lookbacks 4h, 12h, 48h, 30d; continuous rules on every pass) and prints the alerts
they raised into AlertInfo/AlertEvidence. An event raises at most one alert per rule, ever.

  --db <file>      store file (default: $WIREHUNT_DB, else the per-user data folder)
  --once           one pass, then exit (default: keep running on the schedule until stopped)
  --all            run every enabled rule, due or not
  --rule <id>      run only this rule (enabled or not); repeatable
  --now <iso>      the time the rules run at (ago() and the lookback; default: the current time)
  --interval <s>   seconds between passes when running on the schedule (default 60)
  --json           one JSON alert per line

The first use of a store installs the built-in rule pack (see 'wirehunt rules list').`;

interface Args { db?: string; once: boolean; all: boolean; only: string[]; now?: Date; intervalS: number; json: boolean }

function parse(argv: string[]): Args {
  const a: Args = { once: false, all: false, only: [], intervalS: 60, json: false };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UserError(`detect: ${f} needs a value`);
      return v;
    };
    switch (f) {
      case '--db': a.db = val(); break;
      case '--once': a.once = true; break;
      case '--all': a.all = true; break;
      case '--rule': a.only.push(val()); break;
      case '--json': a.json = true; break;
      case '--now': {
        const v = val();
        const ms = Date.parse(v);
        if (!Number.isFinite(ms)) throw new UserError(`detect: --now: not a date and time: '${v}'`);
        a.now = new Date(ms);
        break;
      }
      case '--interval': {
        const v = val();
        const n = Number(v);
        if (!/^\d+(\.\d+)?$/.test(v) || n < 0.1 || n > 86_400) throw new UserError(`detect: --interval: expected seconds from 0.1 to 86400, got '${v}'`);
        a.intervalS = n;
        break;
      }
      default: throw new UserError(`detect: unknown option '${f}' (see 'wirehunt detect --help')`);
    }
  }
  return a;
}

export function printAlert(al: Alert, json: boolean): void {
  if (json) console.log(JSON.stringify(al));
  else console.log(`${al.Timestamp}  ${al.Severity.padEnd(13)} ${al.RuleId.padEnd(26)} ${(al.DeviceName || al.DeviceId).padEnd(28)} ${al.AlertId}  ${al.Title}`);
}

/** Prints the alerts and a summary line (with `quiet`, only for runs that raised or failed). */
export function printRuns(runs: RuleRun[], json: boolean, quiet = false): number {
  if (quiet && runs.every((r) => !r.alerts.length && !r.error)) return 0;
  let errors = 0;
  for (const r of runs) {
    for (const al of r.alerts) printAlert(al, json);
    if (r.error) {
      errors++;
      console.error(`wirehunt: detect: rule ${r.ruleId} failed: ${r.error}`);
    }
  }
  const n = runs.reduce((s, r) => s + r.alerts.length, 0);
  const dup = runs.reduce((s, r) => s + r.duplicates, 0);
  console.error(`detect: ${runs.length} rule${runs.length === 1 ? '' : 's'} run, ${n} alert${n === 1 ? '' : 's'} raised${dup ? `, ${dup} event${dup === 1 ? '' : 's'} already alerted` : ''}`);
  return errors;
}

export const command: Command = {
  name: 'detect',
  summary: 'run the detection rules that are due',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const a = parse(argv);
    const store = await openStore(resolveStorePath(a.db));
    const beforeCommit = holdHook();
    if (a.once) {
      let state: DetectState | undefined;
      try {
        state = await DetectState.open(store);
        const known = new Set((await state.rules()).map((r) => r.rule.id));
        const unknown = a.only.filter((id) => !known.has(id));
        if (unknown.length) throw new UserError(`detect: no rule '${unknown[0]}' (see 'wirehunt rules list')`);
        const runs = await runDue(state, { now: a.now ?? new Date(), all: a.all, only: a.only.length ? a.only : undefined, beforeCommit });
        const errors = printRuns(runs, a.json);
        const d = await deliverPending(state);
        if (d.delivered || d.failed) console.error(`detect: webhooks: ${d.delivered} delivered, ${d.failed} failed${d.errors.length ? ` (${d.errors[0]})` : ''}`);
        return errors ? 1 : 0;
      } finally {
        state?.close();
        store.close();
      }
    }
    const fixed = a.now;
    const sched = await Scheduler.start(store, {
      intervalMs: a.intervalS * 1000,
      now: fixed ? () => fixed : undefined,
      beforeCommit,
      onRun: (runs) => printRuns(runs, a.json, true),
      onError: (err) => console.error(`wirehunt: detect: ${(err as Error).message ?? err}`),
    });
    console.error(`detect: running the rules of ${store.path} every ${a.intervalS} s (Ctrl+C stops)`);
    await new Promise<void>((resolve) => {
      const stop = () => { void sched.stop().finally(() => { store.close(); resolve(); }); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const keep = setInterval(() => {}, 1 << 30);
      void keep;
    });
    process.exit(0);
  },
};
