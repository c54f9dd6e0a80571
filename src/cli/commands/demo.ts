// `wirehunt demo`: generate the demo office capture and its device inventory, ingest both into the store
// (through `wirehunt ingest`), then serve the store (through `wirehunt serve`).

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError, type Command } from '../types.js';
import { writeDemo } from '../../demo/index.js';
import { resolveStorePath } from '../../store/store.js';

const USAGE = `usage: wirehunt demo [--db <file>] [--pcap-out <file>] [--no-serve] [--end <iso>] [--seed <n>] [--port <n>]

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
  --port <n>         port for serve (default: serve's own)`;

interface Args {
  db?: string;
  pcapOut?: string;
  serve: boolean;
  endMs: number;
  seed: number;
  port?: string;
}

function parse(argv: string[]): Args {
  const a: Args = { serve: true, endMs: Math.floor(Date.now() / 60000) * 60000, seed: 1 };
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
      default: throw new UserError(`demo: unknown option '${f}'\n${USAGE}`);
    }
  }
  return a;
}

/** Runs `wirehunt <args>` as a child process; resolves with its exit code and captured stderr. */
function wirehunt(args: string[]): Promise<{ code: number; stderr: string }> {
  const main = new URL('../main.js', import.meta.url);
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [main.pathname, ...args], { stdio: ['inherit', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on('error', rej);
    child.on('close', (code, signal) => res({ code: code ?? (signal ? 128 : 1), stderr }));
  });
}

export const command: Command = {
  name: 'demo',
  summary: 'generate the demo capture, ingest it and serve it',
  usage: USAGE,
  async run(argv) {
    const a = parse(argv);
    const tty = process.stderr.isTTY;
    const store = resolveStorePath(a.db);
    const pcap = resolve(a.pcapOut ?? (store === ':memory:' ? 'wirehunt-demo.pcap' : join(dirname(store), 'wirehunt-demo.pcap')));
    mkdirSync(dirname(pcap), { recursive: true });
    const devices = pcap.replace(/\.pcap$/i, '') + '.devices.json';

    if (tty) process.stderr.write(`demo: generating ${pcap} …\n`);
    const t0 = Date.now();
    const r = writeDemo(pcap, { endMs: a.endMs, seed: a.seed });
    writeFileSync(devices, JSON.stringify(r.inventory, null, 2) + '\n');
    console.log(`demo: wrote ${pcap} (${r.packets} packets, ${(r.bytes / 1048576).toFixed(1)} MB, ${r.stats.sessions} sessions, ` +
      `${new Date(r.stats.startMs).toISOString()} .. ${new Date(r.stats.endMs).toISOString()}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`demo: wrote ${devices} (${r.inventory.devices.length} devices)`);

    const dbArgs = a.db ? ['--db', a.db] : [];
    if (tty) process.stderr.write('demo: ingesting …\n');
    let ing = await wirehunt(['ingest', pcap, '--devices', devices, ...dbArgs]);
    if (ing.code !== 0 && /needs the sensor/.test(ing.stderr)) {
      // Captures cannot be ingested directly in this build: take the same analyzers' path through Zeek logs.
      const logs = pcap.replace(/\.pcap$/i, '') + '.zeek';
      console.log(`demo: ingesting through Zeek logs instead (${logs})`);
      const z = await wirehunt(['zeek', pcap, '--out', logs]);
      if (z.code === 0) ing = await wirehunt(['ingest', logs, '--devices', devices, ...dbArgs]);
      else ing = z;
    }
    if (ing.code !== 0) {
      if (/not (?:available )?in this build/.test(ing.stderr)) {
        console.log(`demo: ingesting a capture is not available in this build yet; the capture is at ${pcap}`);
        console.log(`demo: try 'wirehunt zeek ${pcap} --out <dir>' to see its Zeek logs`);
        return 0;
      }
      throw new UserError(`demo: ingest failed (exit ${ing.code})`, 1);
    }
    const queryHint = `wirehunt query ${a.db ? `--db ${a.db} ` : ''}--now ${new Date(r.stats.endMs).toISOString()} 'DeviceNetworkEvents | summarize count() by ActionType'`;
    if (!a.serve) {
      console.log(`demo: ingested; query it with: ${queryHint}`);
      return 0;
    }
    const srv = await wirehunt(['serve', ...dbArgs, ...(a.port ? ['--port', a.port] : [])]);
    if (srv.code !== 0 && /not (?:available )?in this build/.test(srv.stderr)) {
      console.log(`demo: 'wirehunt serve' is not available in this build yet; query the store with: ${queryHint}`);
      return 0;
    }
    return srv.code;
  },
};
