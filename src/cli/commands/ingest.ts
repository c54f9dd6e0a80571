import { UserError, type Command } from '../types.js';
import { openStore, resolveStorePath } from '../../store/store.js';
import { STORE_ENV } from '../../store/types.js';
import { ingestPaths, type IngestOptions, type IngestProgress } from '../../events/ingest.js';
import { runContinuousRules } from '../../detect/index.js';

const usage = `usage: wirehunt ingest <path…> [--db <file>] [--devices <inventory.json>] [--table <Name>]
                      [-C] [--rebase-time] [--legacy-signatures] [--masked-time skip|zero] [--batch-size <n>]
                      [--workers <n>] [--quiet] [--no-detect]

Loads into the store:
  - captures (pcap, pcapng; known by their first bytes or their name: .pcap, .pcapng, .cap) through the
    sensor; one that cannot be read (empty, not a capture, cut before its first packet, a link type
    wirehunt cannot decode) is left out with one line on standard error, and the exit status is 1
  - Zeek logs: files or folders, TSV or JSON, gzip-compressed and rotated (conn.<stamp>.log.gz)
  - Defender rows: JSON Lines, a JSON array, the API's {"Schema","Results"} or the portal's CSV
    (the table comes from --table, the file name, or the columns)
  A folder is read for its Zeek logs, or, when it has none, for its captures.
Ingesting the same input twice leaves the store unchanged; each batch is committed atomically.
Zeek TSV logs (plain or gzip) of 4 MiB and more are mapped to rows inside DuckDB, one log per batch, on
every CPU; other inputs, and lines DuckDB cannot map exactly, go through the event model in JavaScript
($WIREHUNT_INGEST_SQL=never: always; =always: whatever the size).

options:
  --db <file>             the store (default: $${STORE_ENV}, else $XDG_DATA_HOME/wirehunt/wirehunt.duckdb,
                          else ~/.local/share/wirehunt/wirehunt.duckdb)
  --devices <file>        device inventory (docs/devices.md); without it, devices recorded by earlier
                          ingests are used and private/loopback/link-local addresses are discovered
  --table <Name>          the Defender table of the rows in the given files
  -C                      captures: ignore checksums (Zeek's -C). Without it, packets with bad checksums are
                          skipped, as Zeek does; captures taken on the capturing host often have them (NIC
                          checksum offloading), and a warning says so when many packets do
  --rebase-time           shift times so the input's last event lands at now (for ago() queries)
  --legacy-signatures     also write the deprecated NetworkSignatureInspected rows
  --masked-time <m>       Zeek test baselines mask ts as XXXXXXXXXX.XXXXXX: skip such records (default)
                          or read them as time 0
  --batch-size <n>        rows per committed batch (default 100000)
  --workers <n>           threads of the JavaScript event model for Zeek logs not mapped in DuckDB
                          (default: one per CPU beyond two, for 32 MiB of such logs or more;
                          $WIREHUNT_INGEST_WORKERS); 0: all in one thread
  --quiet                 no progress or summary
  --no-detect             do not run the continuous (NRT) detection rules on the new rows afterwards`;

function parse(argv: string[]): { paths: string[]; db?: string; quiet: boolean; detect: boolean; opts: IngestOptions } {
  const paths: string[] = [];
  const opts: IngestOptions = {};
  let db: string | undefined;
  let quiet = false;
  let detect = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v === '') throw new UserError(`${a} needs a value`);
      return v;
    };
    const name = a.startsWith('--') && a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    switch (name) {
      case '--db': db = value(); break;
      case '--devices': opts.devicesFile = value(); break;
      case '--table': opts.table = value(); break;
      case '-C': opts.ignoreChecksums = true; break;
      case '--rebase-time': opts.rebaseTime = true; break;
      case '--legacy-signatures': opts.legacySignatures = true; break;
      case '--masked-time': {
        const v = value();
        if (v !== 'skip' && v !== 'zero') throw new UserError(`--masked-time takes skip or zero, not '${v}'`);
        opts.maskedTime = v;
        break;
      }
      case '--batch-size': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 10_000_000) throw new UserError('--batch-size takes a whole number from 1 to 10000000');
        opts.batchSize = v;
        break;
      }
      case '--workers': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 0 || v > 64) throw new UserError('--workers takes a whole number from 0 to 64');
        opts.workers = v;
        break;
      }
      case '--quiet': case '-q': quiet = true; break;
      case '--no-detect': detect = false; break;
      default:
        if (a.startsWith('-') && a !== '-') throw new UserError(`unknown option '${a}' (see 'wirehunt ingest --help')`);
        paths.push(a);
    }
  }
  if (!paths.length && !opts.devicesFile) throw new UserError(`nothing to ingest: give captures, Zeek logs or Defender exports (see 'wirehunt ingest --help')`);
  return { paths, db, quiet, detect, opts };
}

function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} kB`;
  return `${n} B`;
}

/** A Timestamp as the store shows it (UTC, seconds). */
function fmtTime(secs: number): string {
  return new Date(Math.round(secs) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The time span of the network rows, and a hint when all of it is older than `ago(30d)` reaches. */
export function timeSpanLines(minTs: number, maxTs: number, nowMs: number): string[] {
  if (!Number.isFinite(minTs) || !Number.isFinite(maxTs)) return [];
  const lines = [`  Timestamps: ${fmtTime(minTs)} to ${fmtTime(maxTs)}`];
  const days = (nowMs / 1000 - maxTs) / 86400;
  if (days > 30) {
    lines.push(`  note: the newest row is ${Math.floor(days)} days old, so queries with 'where Timestamp > ago(7d)' find none of it: ` +
      `widen the filter (e.g. ago(${Math.ceil(days) + 1}d)) or ingest into a new --db with --rebase-time, which moves the last event to now`);
  }
  return lines;
}

export const command: Command = {
  name: 'ingest',
  summary: 'load captures, Zeek logs or Defender exports into the store',
  usage,
  async run(argv) {
    const { paths, db, quiet, detect, opts } = parse(argv);
    const path = resolveStorePath(db);
    const tty = !quiet && process.stderr.isTTY;
    const t0 = performance.now();
    let lastDraw = 0;
    if (tty) {
      opts.onProgress = (p: IngestProgress) => {
        const now = performance.now();
        if (now - lastDraw < 100) return;
        lastDraw = now;
        const secs = (now - t0) / 1000;
        const pct = p.bytesTotal ? Math.min(100, Math.floor((p.bytesDone / p.bytesTotal) * 100)) : 0;
        const rate = secs > 0 ? Math.round(p.rows / secs) : 0;
        const file = p.file.length > 40 ? '…' + p.file.slice(-39) : p.file;
        process.stderr.write(`\r\x1b[K${pct}% ${fmtBytes(p.bytesDone)}/${fmtBytes(p.bytesTotal)}  ${p.rows.toLocaleString('en-US')} rows  ${rate.toLocaleString('en-US')} rows/s  ${file}`);
      };
    }
    const store = await openStore(path);
    try {
      const r = await ingestPaths(store, paths, opts);
      if (tty) process.stderr.write('\r\x1b[K');
      for (const f of r.failed) console.error(`wirehunt: ${f.error}`);
      if (!quiet) {
        const secs = (performance.now() - t0) / 1000;
        const acts = Object.entries(r.events.byAction).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
        const lines = [
          `ingested ${r.inputs.length} input(s) into ${path} in ${secs.toFixed(1)} s${r.failed.length ? `; ${r.failed.length} left out (see above)` : ''}`,
        ];
        if (r.events.records || r.events.rows) {
          lines.push(`  DeviceNetworkEvents: ${r.networkRows} rows (${r.networkInserted} new) from ${r.events.records} Zeek records${r.sqlMapped ? ` (${r.sqlMapped} mapped in DuckDB)` : ''}${acts ? `: ${acts}` : ''}`);
          if (r.events.rows) lines.push(...timeSpanLines(r.events.minTs, r.events.maxTs, Date.now()));
        }
        if (r.devices) lines.push(`  devices: ${r.devices} (${r.deviceRows} new DeviceInfo/DeviceNetworkInfo rows)`);
        for (const im of r.imports) lines.push(im.table ? `  ${im.table}: ${im.rows} rows (${im.inserted} new) from ${im.file}` : `  ${im.file}: no rows`);
        if (r.shiftSeconds) lines.push(`  times shifted by ${r.shiftSeconds.toFixed(0)} s (--rebase-time)`);
        if (r.malformed) lines.push(`  ${r.malformed} malformed line(s) skipped`);
        if (r.masked && opts.maskedTime !== 'zero') lines.push(`  ${r.masked} record(s) with masked timestamps skipped`);
        console.log(lines.join('\n'));
      }
      // Continuous (NRT) custom detections run on what each ingest committed, as Defender runs them on
      // incoming events; scheduled rules are left to `wirehunt detect` / `wirehunt serve`.
      const added = r.networkInserted + r.imports.reduce((n, im) => n + im.inserted, 0);
      if (detect && added > 0) {
        const runs = await runContinuousRules(store);
        const raised = runs.reduce((n, x) => n + x.alerts.length, 0);
        const failed = runs.filter((x) => x.error);
        if (!quiet && runs.length) console.log(`  continuous detection rules: ${runs.length} run, ${raised} alert(s) raised`);
        for (const f of failed) console.error(`wirehunt: rule ${f.ruleId} failed: ${f.error}`);
      }
      return r.failed.length ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
