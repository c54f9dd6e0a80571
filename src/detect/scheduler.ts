// The scheduler inside `wirehunt serve` and `wirehunt detect`: every tick, the enabled rules that are
// due run one after the other (scheduled rules by their frequency; continuous rules on every tick and
// whenever an ingested batch is announced), then pending webhooks are delivered. Runs never overlap.
import type { Store } from '../store/index.js';
import { runDue, type RuleRun, type RunOptions } from './engine.js';
import { DetectState } from './state.js';
import { deliverPending, type DeliveryOptions } from './webhook.js';

export interface SchedulerOptions {
  /** Milliseconds between ticks (default 60 s). */
  intervalMs?: number;
  /** The clock (default: the real time). */
  now?: () => Date;
  /** Called as each rule's run completes. */
  onRun?: (runs: RuleRun[]) => void;
  onError?: (err: unknown) => void;
  beforeCommit?: RunOptions['beforeCommit'];
  delivery?: DeliveryOptions;
}

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(readonly state: DetectState, private readonly o: SchedulerOptions) {}

  static async start(store: Store, o: SchedulerOptions = {}): Promise<Scheduler> {
    const s = new Scheduler(await DetectState.open(store), o);
    s.schedule(0);
    return s;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule(this.o.intervalMs ?? 60_000));
    }, ms);
    this.timer.unref?.();
  }

  /** One pass: due rules (or only continuous ones), then webhooks. Serialized with other passes. */
  tick(continuousOnly = false): Promise<void> {
    const next = this.running.then(async () => {
      if (this.stopped) return;
      try {
        await runDue(this.state, { now: this.o.now?.() ?? new Date(), continuousOnly, beforeCommit: this.o.beforeCommit, onRule: (r) => this.o.onRun?.([r]) });
        await deliverPending(this.state, this.o.delivery);
      } catch (err) {
        this.o.onError?.(err);
      }
    });
    this.running = next;
    return next;
  }

  /** Call after a batch of events was ingested: continuous (NRT) rules run on it. */
  ingested(): Promise<void> {
    return this.tick(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.state.close();
  }
}

/**
 * Test hook for crash tests: with $WIREHUNT_DETECT_HOLD_MS, a run that raises alerts (of the rule
 * $WIREHUNT_DETECT_HOLD_RULE, or any) says so on stderr and waits that long before it commits.
 */
export function holdHook(env: NodeJS.ProcessEnv = process.env): SchedulerOptions['beforeCommit'] {
  const ms = Number(env.WIREHUNT_DETECT_HOLD_MS ?? 0);
  if (!(ms > 0)) return undefined;
  const only = env.WIREHUNT_DETECT_HOLD_RULE;
  return async (rule, alerts) => {
    if (!alerts.length || (only && rule.id !== only)) return;
    process.stderr.write(`detect: committing ${rule.id} (${alerts.length} alerts)\n`);
    await new Promise((r) => setTimeout(r, ms));
  };
}

/**
 * For ingest paths outside the server (`wirehunt ingest`, the sensor): after a batch committed, run the
 * enabled continuous (NRT) rules once and deliver their webhooks. Inside `wirehunt serve`, call
 * `Scheduler.ingested()` instead.
 */
export async function runContinuousRules(store: Store, now: Date = new Date()): Promise<RuleRun[]> {
  const state = await DetectState.open(store);
  try {
    const runs = await runDue(state, { now, continuousOnly: true });
    await deliverPending(state);
    return runs;
  } finally {
    state.close();
  }
}
