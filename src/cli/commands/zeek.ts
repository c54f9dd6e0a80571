// `wirehunt zeek <pcap|-> --out <dir> [--json] [--analyzers a,b] [-C] [-f "<filter>"]`: Zeek logs for a capture.

import { readFileSync, statSync } from 'node:fs';
import { UserError, type Command } from '../types.js';
import { analyzeCapture, selectAnalyzers, ZEEK_SCRIPT_NAMES } from '../../sensor/index.js';
import { compileFilter } from '../../filter/index.js';
import { optionsFromZeekScript } from '../../analyzers/ftp/index.js';

const USAGE = `usage: wirehunt zeek <pcap|-> --out <dir> [--json] [--analyzers a,b,...] [-C] [-f "<filter>"]

Writes the Zeek logs (conn, dns, http, ssl, x509, ssh, ftp, ntlm, tunnel, weird, ...) for a pcap or
pcapng capture ('-' reads standard input) into <dir>, as Zeek 9.1's ASCII writer does.

  --out <dir>          output folder (created if missing; existing logs are overwritten)
  --json               Zeek's JSON format (one object per line) instead of TSV
  --analyzers a,b,...  Zeek's bare mode: only these scripts run and only their logs are written
                       (names: ${ZEEK_SCRIPT_NAMES.join(', ')}); without it, everything runs as
                       with Zeek's default scripts. Names wirehunt has no analyzer for are accepted
                       with a warning.
  -C                   ignore checksums (Zeek's -C); otherwise packets with bad checksums are not analysed,
                       and a warning says so when more than 5% of the packets have them (as Zeek's does)
  -f "<filter>"        capture filter (BPF subset: host, net, port, portrange, tcp, udp, icmp, ip, ip6,
                       src, dst, and, or, not, parentheses)
  --redef "<stmt>"     a Zeek redef that changes what is logged (repeatable); understood:
                       redef HTTP::default_capture_password = T;  redef FTP::default_capture_password = T;
                       redef FTP::logged_commands += { "USER", "PASS" };  (or = { … } to replace the set)
  --script <file>      read such redefs from a Zeek script (e.g. a site's local.zeek); other lines are ignored
  --workers <n>        conn-level analysis (--analyzers conn[,tunnels]) on <n> threads (this one and n-1
                       workers), flows sharded by address pair; same rows and uids, rows in another order.
                       Off by default: it needs about 1.5x the CPU time of one thread, so it is faster
                       only with idle cores

A progress line is shown on standard error when it is a terminal and the capture is large.`;

interface Args {
  input?: string;
  out?: string;
  json: boolean;
  analyzers: string[] | null;
  ignoreChecksums: boolean;
  filter?: string;
  workers: number;
  redefs: string[];
}

function parse(argv: string[]): Args {
  const a: Args = { json: false, analyzers: null, ignoreChecksums: false, workers: 0, redefs: [] };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UserError(`${f} needs a value`);
      return v;
    };
    if (f === '--out' || f === '-o') {
      a.out = val();
      // '-' is standard input as the capture; logs are several files, so they need a folder
      if (a.out === '-') throw new UserError(`${f}: give a folder for the logs ('-' would be a folder named '-')`);
    }
    else if (f.startsWith('--out=')) a.out = f.slice(6);
    else if (f === '--json') a.json = true;
    else if (f === '--analyzers') a.analyzers = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (f.startsWith('--analyzers=')) a.analyzers = f.slice(12).split(',').map((s) => s.trim()).filter(Boolean);
    else if (f === '-C') a.ignoreChecksums = true;
    else if (f === '-f' || f === '--filter') a.filter = val();
    else if (f === '--redef') a.redefs.push(val());
    else if (f === '--script') {
      const file = val();
      try {
        a.redefs.push(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    else if (f === '--workers') {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) > 64) throw new UserError(`--workers: not a thread count 0..64: ${v}`);
      a.workers = Number(v);
    }
    else if (f === '-') { if (a.input !== undefined) throw new UserError(`more than one capture given: ${a.input} and -`); a.input = f; }
    else if (f.startsWith('-')) throw new UserError(`unknown option ${f}\n${USAGE}`);
    else if (a.input === undefined) a.input = f;
    else throw new UserError(`more than one capture given: ${a.input} and ${f}`);
  }
  if (a.input === undefined) throw new UserError(`no capture given\n${USAGE}`);
  if (!a.out) throw new UserError('--out <dir> is required');
  return a;
}

function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(0)} KiB`;
}

export const command: Command = {
  name: 'zeek',
  summary: 'write Zeek logs for a capture',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const a = parse(argv);
    const filter = a.filter !== undefined ? compileFilter(a.filter) : undefined;
    if (a.analyzers) {
      const sel = selectAnalyzers(a.analyzers);
      for (const n of sel.unknown) console.error(`wirehunt: warning: no analyzer for '${n}' in this build; ignored`);
    }
    let services: Record<string, () => unknown> | undefined;
    if (a.redefs.length) {
      const text = a.redefs.map((r) => (/;\s*$/.test(r) ? r : r + ';')).join('\n');
      const found = optionsFromZeekScript(text);
      if (!Object.keys(found).length) {
        throw new UserError('--redef/--script: no redef wirehunt understands (HTTP::default_capture_password, FTP::default_capture_password, FTP::logged_commands)');
      }
      services = Object.fromEntries(Object.entries(found).map(([k, v]) => [k, () => v]));
    }
    let size = 0;
    if (a.input !== '-') {
      try {
        size = statSync(a.input!).size;
      } catch {
        size = 0; // the reader reports a missing or unreadable file in one line
      }
    }
    const tty = process.stderr.isTTY === true;
    const showProgress = tty && (a.input === '-' || size >= 64 << 20);
    const started = Date.now();
    let shown = false;
    const stats = await analyzeCapture({
      input: a.input!,
      out: a.out,
      json: a.json,
      analyzers: a.analyzers,
      ignoreChecksums: a.ignoreChecksums,
      filter,
      workers: a.workers,
      services,
      onProgress: showProgress ? (p) => {
        const secs = (Date.now() - started) / 1000;
        const pct = size ? ` ${((100 * p.bytes) / size).toFixed(0)}%` : '';
        const rate = secs > 0 ? ` ${(p.bytes / (1 << 20) / secs).toFixed(0)} MiB/s` : '';
        process.stderr.write(`\r${fmtBytes(p.bytes)}${pct}, ${p.packets} packets, ${p.connections} connections${rate}   `);
        shown = true;
      } : undefined,
    });
    if (shown) process.stderr.write('\n');
    for (const w of stats.warnings) console.error(`wirehunt: warning: ${w}`);
    return 0;
  },
};
