// Sensor benchmark (never run as a test): `npm run bench:sensor [-- options]`.
//
// Generates once (cached in bench/.data/, git-ignored) a deterministic mixed capture of 1 GiB, then in the
// same run times `wirehunt zeek <file> --out <tmp> --analyzers conn` (or with every analyzer: `--analyzers
// all`) and, as the named peer,
// `tshark -r <file> -T fields -e frame.number -e ip.src -e tcp.stream`. Prints MB/s, packets/s, CPU time,
// the busiest thread's CPU time (the critical path once work is spread over threads) and peak RSS of
// each, the speed ratio to tshark and, for --workers, the ratios to one thread.
//
// Options:
//   --size <n>[KB|MB|GB|KiB|MiB|GiB]  capture size (default 1GiB = 1,073,741,824 bytes)
//   --mix opaque|apps                 opaque payloads (default) or real application sessions: HTTP, TLS 1.2
//                                     with certificates, DNS, FTP with passive data channels, SSH, SMB2/NTLM
//   --seed <n>                        generator seed (default 1)
//   --analyzers <list>|all            passed to wirehunt (default conn); 'all' runs every analyzer, as
//                                     Zeek's default scripts do (wirehunt zeek without --analyzers)
//   --runs <n>                        time each tool n times, report the best (default 1)
//   --workers <n>                     also time `wirehunt zeek --workers <n>` (sharded over threads; default 2
//                                     on a machine with ≥ 2 cores, 0 = skip; conn-level analyzers only, so
//                                     skipped with other analyzers)
//   --no-tshark                       skip the peer
//   --regen                           regenerate the capture even if cached
//   -- <args>                         extra arguments for `wirehunt zeek`

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMixedCapture, type MixResult } from '../src/synth/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = join(root, 'bench', '.data');
const wirehuntBin = join(root, 'bin', 'wirehunt.js');
/** Bumped whenever the apps mix's output changes (2: TLS, FTP, SSH, SMB/NTLM added; the opaque mix is unchanged). */
const MIX_VERSION = 2;

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?$/i.exec(s.trim());
  if (!m) throw new Error(`bad --size '${s}' (e.g. 200MB, 1GB, 1.5GiB)`);
  const mult: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  return Math.round(Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()]!);
}

interface Args { size: number; mix: 'opaque' | 'apps'; seed: number; analyzers: string; runs: number; workers: number; tshark: boolean; regen: boolean; extra: string[] }
function parseArgs(argv: string[]): Args {
  const a: Args = { size: 1024 ** 3, mix: 'opaque', seed: 1, analyzers: 'conn', runs: 1, workers: availableParallelism() >= 2 ? 2 : 0, tshark: true, regen: false, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--') { a.extra = argv.slice(i + 1); break; }
    else if (k === '--size') a.size = parseSize(v());
    else if (k === '--mix') {
      const m = v();
      if (m !== 'opaque' && m !== 'apps') throw new Error("--mix is 'opaque' or 'apps'");
      a.mix = m;
    } else if (k === '--seed') a.seed = Number(v());
    else if (k === '--analyzers') a.analyzers = v();
    else if (k === '--runs') a.runs = Math.max(1, Number(v()));
    else if (k === '--workers') a.workers = Math.max(0, Number(v()));
    else if (k === '--no-tshark') a.tshark = false;
    else if (k === '--regen') a.regen = true;
    else if (k === '--help' || k === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  return a;
}

/** The cached capture for these settings, generating it if needed. */
function capture(a: Args): { path: string; info: MixResult } {
  mkdirSync(dataDir, { recursive: true });
  // The generator's version is part of the name: a cached capture from an older mix is not reused.
  const name = `mix-${a.mix}${a.mix === 'apps' ? `-v${MIX_VERSION}` : ''}-seed${a.seed}-${a.size}`;
  const base = join(dataDir, name);
  const path = `${base}.pcap`;
  const meta = `${base}.json`;
  if (!a.regen && existsSync(path) && existsSync(meta)) {
    const info = JSON.parse(readFileSync(meta, 'utf8')) as MixResult;
    if (statSync(path).size === info.bytes) {
      console.log(`capture: ${path} (cached)`);
      return { path, info };
    }
  }
  // Other sizes and seeds of the same mix are dropped so the cache does not grow without bound.
  for (const f of readdirSync(dataDir)) if (f.startsWith(`mix-${a.mix}-`) && !f.startsWith(`${name}.`)) rmSync(join(dataDir, f), { force: true });
  process.stdout.write(`capture: generating ${(a.size / 1e6).toFixed(0)} MB (${a.mix}, seed ${a.seed}) … `);
  const t0 = performance.now();
  const tmp = `${path}.partial`;
  const info = generateMixedCapture(tmp, { targetBytes: a.size, seed: a.seed, apps: a.mix === 'apps' });
  renameSync(tmp, path);
  writeFileSync(meta, JSON.stringify(info));
  const s = (performance.now() - t0) / 1000;
  console.log(`done in ${s.toFixed(1)} s (${(info.bytes / 1e6 / s).toFixed(0)} MB/s)`);
  return { path, info };
}

interface RunResult {
  seconds: number; cpuSeconds: number | undefined; peakRssMB: number; status: number | null; stdoutLines: number; stderrTail: string;
  /** CPU seconds of the busiest thread (polled from /proc; the last ≤ 20 ms before it exits are missed). */
  busiestThreadCpu: number | undefined;
}

const TICKS = 100; // USER_HZ: /proc/<pid>/task/<tid>/stat counts CPU time in 1/100 s

/** The process and its descendants (GNU time runs the tool as its child). */
function descendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (kids) for (const k of kids.split(' ')) out.push(Number(k));
      }
    } catch { /* gone */ }
  }
  return out;
}

/** Adds the CPU time so far of every thread of `pid` and its descendants to `seen` (tid → seconds). */
function pollThreads(pid: number, seen: Map<string, number>): void {
  for (const p of descendants(pid)) {
    let tids: string[];
    try { tids = readdirSync(`/proc/${p}/task`); } catch { continue; }
    for (const tid of tids) {
      try {
        const st = readFileSync(`/proc/${p}/task/${tid}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        seen.set(`${p}/${tid}`, (Number(f[11]) + Number(f[12])) / TICKS);
      } catch { /* exited */ }
    }
  }
}

/** Runs a command, measuring wall time and peak RSS (GNU time when present, else /proc polling). */
function measure(cmd: string, args: string[]): Promise<RunResult> {
  const gnuTime = existsSync('/usr/bin/time');
  const argv = gnuTime ? ['/usr/bin/time', '-v', cmd, ...args] : [cmd, ...args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let err = '';
    let polledKB = 0;
    const threads = new Map<string, number>();
    const threadPoll = existsSync('/proc/self/task') ? setInterval(() => pollThreads(child.pid!, threads), 20) : undefined;
    child.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString('latin1');
      if (err.length > 1 << 20) err = err.slice(-65536);
    });
    const poll = gnuTime ? undefined : setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) polledKB = Math.max(polledKB, Number(m[1]));
      } catch { /* exited */ }
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      if (threadPoll) clearInterval(threadPoll);
      const busiest = threads.size ? Math.max(...threads.values()) : undefined;
      const seconds = (performance.now() - t0) / 1000;
      let kb = polledKB;
      let status = code;
      let cpu: number | undefined;
      if (gnuTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
        if (m) kb = Number(m[1]);
        const u = /User time \(seconds\): ([\d.]+)/.exec(err);
        const sy = /System time \(seconds\): ([\d.]+)/.exec(err);
        if (u && sy) cpu = Number(u[1]) + Number(sy[1]);
        const x = /Exit status: (\d+)/.exec(err);
        if (x) status = Number(x[1]);
        err = err.replace(/\n\tCommand being timed:[\s\S]*$/, '');
      }
      resolve({ seconds, cpuSeconds: cpu, busiestThreadCpu: busiest, peakRssMB: kb / 1024, status, stdoutLines: lines, stderrTail: err.trim().split('\n').filter((l) => !/^\s+at /.test(l) && l.trim()).slice(-5).join('\n') });
    });
  });
}

function which(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'latin1').split('\n').filter((l) => l && !l.startsWith('#')).length;
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  const { path, info } = capture(a);
  const mb = info.bytes / 1e6;
  console.log(`capture: ${mb.toFixed(1)} MB, ${info.packets.toLocaleString('en-US')} packets (mean ${(info.bytes / info.packets).toFixed(0)} B), `
    + `flows tcp ${info.flows.tcp} udp ${info.flows.udp} icmp ${info.flows.icmp}`
    + (info.apps ? `; sessions ${Object.entries(info.apps).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''));
  const analyzerArgs = a.analyzers.trim().toLowerCase() === 'all' ? [] : ['--analyzers', a.analyzers];
  const connLevel = analyzerArgs.length > 0 && a.analyzers.split(',').every((x) => ['conn', 'tunnels'].includes(x.trim().toLowerCase()));
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`analyzers: ${analyzerArgs.length ? a.analyzers : 'all (default scripts)'}; load average before: ${loadBefore}`);

  const rows: { tool: string; r: RunResult; note: string }[] = [];
  const best = async (label: string, cmd: string, args: string[], after?: (r: RunResult) => string): Promise<RunResult | undefined> => {
    let winner: RunResult | undefined;
    let note = '';
    const cpus: number[] = [], busiest: number[] = [];
    for (let i = 0; i < a.runs; i++) {
      process.stdout.write(`run: ${label} (${i + 1}/${a.runs}) … `);
      const r = await measure(cmd, args);
      if (r.cpuSeconds !== undefined) cpus.push(r.cpuSeconds);
      if (r.busiestThreadCpu !== undefined) busiest.push(r.busiestThreadCpu);
      console.log(`${r.seconds.toFixed(2)} s`
        + (r.cpuSeconds !== undefined ? `, CPU ${r.cpuSeconds.toFixed(2)} s` : '')
        + (r.busiestThreadCpu !== undefined ? `, busiest thread ${r.busiestThreadCpu.toFixed(2)} s` : ''));
      if (r.status !== 0) {
        console.log(`  ${label} exited ${r.status}:\n  ${r.stderrTail.replace(/\n/g, '\n  ')}`);
        return undefined;
      }
      if (after) note = after(r);
      if (!winner || r.seconds < winner.seconds) winner = r;
    }
    // Wall clock and RSS from the fastest run; CPU times are the least of all runs (the least disturbed by
    // other work on the machine, which inflates CPU time through contention).
    winner = { ...winner!, cpuSeconds: cpus.length ? Math.min(...cpus) : undefined, busiestThreadCpu: busiest.length ? Math.min(...busiest) : undefined };
    rows.push({ tool: label, r: winner, note });
    return winner;
  };

  const out = mkdtempSync(join(tmpdir(), 'wh-bench-'));
  try {
    const wh = await best('wirehunt zeek', process.execPath, [wirehuntBin, 'zeek', path, '--out', out, ...analyzerArgs, ...a.extra],
      () => `conn.log rows: ${countLines(join(out, 'conn.log'))} (flows generated: ${info.flows.tcp + info.flows.udp + info.flows.icmp})`
        + readdirSync(out).filter((f) => f.endsWith('.log') && f !== 'conn.log').sort().map((f) => `, ${f} ${countLines(join(out, f))}`).join(''));
    if (!wh) console.log('wirehunt did not complete; see its error above');
    if (wh && a.workers > 1 && !connLevel) console.log(`--workers ${a.workers}: skipped (sharding covers conn-level analyzers only)`);
    if (wh && a.workers > 1 && connLevel) {
      const conn1 = countLines(join(out, 'conn.log'));
      rmSync(out, { recursive: true, force: true });
      await best(`wirehunt zeek --workers ${a.workers}`, process.execPath,
        [wirehuntBin, 'zeek', path, '--out', out, '--analyzers', a.analyzers, '--workers', String(a.workers), ...a.extra],
        () => `conn.log rows: ${countLines(join(out, 'conn.log'))} (single thread: ${conn1})`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }

  if (!a.tshark) console.log('tshark: skipped (--no-tshark)');
  else if (!which('tshark')) console.log('tshark: not installed (Debian package tshark: apt-get install tshark); the peer is skipped');
  else {
    await best('tshark -T fields', 'tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'tcp.stream'],
      (r) => `lines: ${r.stdoutLines}`);
  }

  console.log('');
  // CPU time (user + system) is reported beside wall time: on a busy machine it is the steadier figure.
  // The busiest thread's CPU time is the critical path: wall time on an otherwise idle machine with a
  // core per busy thread.
  console.log(`(wall, MB/s, packets/s and RSS: the fastest of ${a.runs} run(s); CPU times: the least of them)`);
  console.log('| tool | wall s | MB/s | packets/s | CPU s | MB per CPU-s | busiest thread CPU s | peak RSS MB | notes |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const { tool, r, note } of rows) {
    const cpu = r.cpuSeconds === undefined ? '-' : r.cpuSeconds.toFixed(2);
    const perCpu = r.cpuSeconds ? (mb / r.cpuSeconds).toFixed(1) : '-';
    const busiest = r.busiestThreadCpu === undefined ? '-' : r.busiestThreadCpu.toFixed(2);
    console.log(`| ${tool} | ${r.seconds.toFixed(2)} | ${(mb / r.seconds).toFixed(1)} | ${Math.round(info.packets / r.seconds).toLocaleString('en-US')} | ${cpu} | ${perCpu} | ${busiest} | ${r.peakRssMB.toFixed(0)} | ${note} |`);
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`(load average at the end: ${load}; wall-clock figures suffer when other work shares the cores)`);
  const one = rows.find((x) => x.tool === 'wirehunt zeek')?.r;
  const sharded = rows.find((x) => x.tool.startsWith('wirehunt zeek --workers'));
  if (one && sharded) {
    const b1 = one.busiestThreadCpu, bn = sharded.r.busiestThreadCpu;
    console.log(`${sharded.tool} vs one thread: speed ${(one.seconds / sharded.r.seconds).toFixed(2)}× (wall clock)`
      + (b1 && bn ? `; busiest thread CPU ${bn.toFixed(2)} s vs ${b1.toFixed(2)} s = ${(bn / b1).toFixed(2)}× (the critical path)` : '')
      + (one.cpuSeconds && sharded.r.cpuSeconds ? `; all threads ${sharded.r.cpuSeconds.toFixed(2)} vs ${one.cpuSeconds.toFixed(2)} CPU-s` : ''));
  }
  const w = rows.filter((x) => x.tool.startsWith('wirehunt')).sort((x, y) => x.r.seconds - y.r.seconds)[0];
  const t = rows.find((x) => x.tool.startsWith('tshark'));
  if (w && t) {
    console.log(`\n${w.tool} / tshark speed ratio: ${(t.r.seconds / w.r.seconds).toFixed(2)}× (wall clock)`
      + (w.r.cpuSeconds && t.r.cpuSeconds ? `, ${(t.r.cpuSeconds / w.r.cpuSeconds).toFixed(2)}× (CPU time)` : ''));
  }
  console.log('reference (Zeek 9.1, machine of this kind, 315 MB mixed capture): conn-only 160–182 MB/s, 186–212 k packets/s, 107 MB RSS; default scripts 27–29 MB/s');
  return w ? 0 : 1;
}

main().then((c) => { process.exitCode = c; }, (e: unknown) => { console.error(`bench: ${(e as Error).message}`); process.exitCode = 2; });
