// Plugins whose result columns depend on the data (evaluate bag_unpack, evaluate pivot without an
// output schema). Lowering stops at the first one with NeedsProbe: a small query whose rows give the
// columns. At run time the probe's answer is written back into the query text as the plugin's
// output schema (`evaluate bag_unpack(d) : (*, a:long)`), and the query is compiled again, so the
// binder types every later step (src/kql/exec/probe.ts).
import type { Column, KType, Plan } from './plan.js';

export type BagConflict = 'error' | 'replace_source' | 'keep_source';

export type ProbeSpec =
  /** plan: one dynamic column `bag` (the bag of each input row) */
  | { kind: 'bag_unpack'; plan: Plan; insertAt: number; prefix: string; conflict: BagConflict; ignored: string[]; inputColumns: string[] }
  /** plan: one string column `v` (the pivot column of each input row) */
  | { kind: 'pivot'; plan: Plan; insertAt: number; keys: Column[]; valueType: KType };

export class NeedsProbe extends Error {
  constructor(readonly spec: ProbeSpec) {
    super(`the result columns of evaluate ${spec.kind} depend on the data`);
  }
}
