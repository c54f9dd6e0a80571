// `wirehunt demo`: generate the demo office capture and its device inventory, ingest both into the store
// (the ingest library, as `wirehunt ingest` does), then serve the store (`wirehunt serve`, when built).

import { existsSync, writeFileSync } from 'node:fs';
import { makeDirectory } from '../dirs.js';
import { dirname, join, resolve } from 'node:path';
import { UserError, type Command } from '../types.js';
import { writeDemo } from '../../demo/index.js';
import { removeDemoRows } from '../../demo/replace.js';
import { openStore, resolveStorePath } from '../../store/store.js';
import { ingestPaths, type IngestOptions, type IngestProgress } from '../../events/ingest.js';
import { runContinuousRules } from '../../detect/index.js';

const USAGE = `usage: wirehunt demo [--db <file>] [--pcap-out <file>] [--no-serve] [--end <iso>] [--seed <n>] [--port <n>]
                     [--legacy-signatures] [--no-detect]

Generates a deterministic capture of a small office network (twelve devices, three hours of web, DNS,
TLS, SSH, SMB and ICMP traffic, plus the attacks the seed hunting queries look for), writes its device
inventory beside it, ingests both into the store and serves it.

  --db <file>        store file (default: as for ingest: $WIREHUNT_DB, else the per-user data folder)
  --pcap-out <file>  where to write the capture (default: wirehunt-demo.pcap in the store's folder);
                     the inventory goes to <file without .pcap>.devices.json
  --no-serve         stop after ingesting
  --end <iso>        time of the capture's last packet (default: now, to the minute), so that
                     ago(1h) finds the attacks
  --seed <n>         PRNG seed (default 1): same seed and end time, same bytes
  --port <n>         port for serve (default: serve's own)
  --legacy-signatures  also write the deprecated NetworkSignatureInspected rows (for old queries)
  --no-detect        do not run the continuous (NRT) detection rules on the new rows (as ingest --no-detect)`;

interface Args {
  db?: string;
  pcapOut?: string;
  serve: boolean;
  endMs: number;
  seed: number;
  port?: string;
  legacy: boolean;
  detect: boolean;
}

function parse(argv: string[]): Args {
  const a: Args = { serve: true, legacy: false, detect: true, endMs: Math.floor(Date.now() / 60000) * 60000, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UserError(`${f} needs a value`);
      return v;
    };
    switch (f) {
      case '--db': a.db = val(); break;
      case '--pcap-out': a.pcapOut = val(); break;
      case '--no-serve': a.serve = false; break;
      case '--no-detect': a.detect = false; break;
      case '--end': {
        const v = val();
        const ms = Date.parse(v);
        if (!Number.isFinite(ms)) throw new UserError(`--end: not a date/time: ${v}`);
        a.endMs = ms;
        break;
      }
      case '--seed': {
        const v = val();
        if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new UserError(`--seed: not an integer 0..4294967295: ${v}`);
        a.seed = Number(v);
        break;
      }
      case '--port': a.port = val(); break;
      case '--legacy-signatures': a.legacy = true; break;
      default: throw new UserError(`demo: unknown option '${f}' (see 'wirehunt demo --help')`);
    }
  }
  return a;
}


export const command: Command = {
  name: 'demo',
  summary: 'generate the demo capture, ingest it and serve it',
  usage: USAGE,
  async run(argv) {
    const a = parse(argv);
    const tty = process.stderr.isTTY;
    const storePath = resolveStorePath(a.db);
    if (storePath === ':memory:' && a.serve) throw new UserError('demo: an in-memory store cannot be served; give --db <file> or --no-serve');
    const pcap = resolve(a.pcapOut ?? (storePath === ':memory:' ? 'wirehunt-demo.pcap' : join(dirname(storePath), 'wirehunt-demo.pcap')));
    const devices = pcap.replace(/\.pcap$/i, '') + '.devices.json';

    if (tty) process.stderr.write(`demo: generating ${pcap} …\n`);
    const t0 = Date.now();
    let r: ReturnType<typeof writeDemo>;
    try {
      if (!existsSync(dirname(pcap))) {
        try {
          makeDirectory(dirname(pcap));
        } catch (err) {
          throw new UserError(`demo: cannot write ${pcap}: ${(err as Error).message}`, 1);
        }
      }
      r = writeDemo(pcap, { endMs: a.endMs, seed: a.seed });
      writeFileSync(devices, JSON.stringify(r.inventory, null, 2) + '\n');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code && e.syscall) throw new UserError(`demo: cannot write ${e.path ?? pcap}: ${e.code}`, 1);
      throw err;
    }
    console.log(`demo: wrote ${pcap} (${r.packets} packets, ${(r.bytes / 1048576).toFixed(1)} MB, ${r.stats.sessions} sessions, ` +
      `${new Date(r.stats.startMs).toISOString()} .. ${new Date(r.stats.endMs).toISOString()}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`demo: wrote ${devices} (${r.inventory.devices.length} devices)`);

    const t1 = performance.now();
    let lastDraw = 0;
    const opts: IngestOptions = { devicesFile: devices, legacySignatures: a.legacy };
    if (tty) {
      opts.onProgress = (p: IngestProgress) => {
        const now = performance.now();
        if (now - lastDraw < 100) return;
        lastDraw = now;
        const pct = p.bytesTotal ? Math.min(100, Math.floor((p.bytesDone / p.bytesTotal) * 100)) : 0;
        process.stderr.write(`\r\x1b[Kdemo: ingesting ${pct}%  ${p.rows.toLocaleString('en-US')} rows`);
      };
    }
    const store = await openStore(storePath);
    try {
      const old = await removeDemoRows(store);
      if (old) console.log(`demo: removed ${old} rows of an earlier demo from ${storePath}`);
      const res = await ingestPaths(store, [pcap], opts);
      if (tty) process.stderr.write('\r\x1b[K');
      const acts = Object.entries(res.events.byAction).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(`demo: ingested into ${storePath} in ${((performance.now() - t1) / 1000).toFixed(1)} s: ` +
        `${res.networkRows} DeviceNetworkEvents rows (${res.networkInserted} new)${acts ? ` — ${acts}` : ''}; ${res.devices} devices`);
      // as `wirehunt ingest` does: the continuous (NRT) rules run on the new rows
      if (a.detect && res.networkInserted > 0) {
        const runs = await runContinuousRules(store);
        console.log(`demo: continuous detection rules: ${runs.length} run, ${runs.reduce((n, x) => n + x.alerts.length, 0)} alert(s) raised`);
        for (const f of runs.filter((x) => x.error)) console.error(`wirehunt: rule ${f.ruleId} failed: ${f.error}`);
      }
    } finally {
      store.close();
    }

    const dbArgs = a.db ? ['--db', a.db] : [];
    const queryHint = `wirehunt query ${a.db ? `--db ${a.db} ` : ''}--now ${new Date(r.stats.endMs).toISOString()} 'DeviceNetworkEvents | summarize count() by ActionType'`;
    if (!a.serve) {
      console.log(`demo: done; query it with: ${queryHint}`);
      return 0;
    }
    const serve = new URL('./serve.js', import.meta.url);
    if (!existsSync(serve)) {
      console.log(`demo: 'wirehunt serve' is not available in this build yet; query the store with: ${queryHint}`);
      return 0;
    }
    const mod = (await import(serve.href)) as { command: Command };
    return mod.command.run([...dbArgs, ...(a.port ? ['--port', a.port] : [])]);
  },
};
