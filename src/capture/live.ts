// Live capture from a network interface: runs `tcpdump -i <if> -w - -U [-s N] [filter]` and reads its pcap
// output with the ordinary capture reader. tcpdump does the privileged part (and compiles the BPF filter
// into the kernel); its stderr is translated into one-line CaptureErrors, and its drop counts are surfaced.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { openCapture } from './index.js';
import { CaptureError, type CaptureStats, type PacketSource, type RawPacket } from './types.js';

export interface LiveCaptureOptions {
  /** Interface name (`eth0`, `lo`, `any`). */
  iface: string;
  /** A BPF filter expression, compiled by tcpdump/libpcap (the full pcap-filter(7) language). */
  filter?: string;
  /** Bytes captured per packet (tcpdump -s); default tcpdump's (262144). */
  snaplen?: number;
  /** Run tcpdump inside this network namespace (`ip netns exec <ns> tcpdump …`). */
  netns?: string;
  /** The tcpdump executable (default `tcpdump` from PATH). */
  tcpdump?: string;
  /** Stop after this many packets (tcpdump -c). */
  count?: number;
  /** The kernel capture buffer in KiB (tcpdump -B); default libpcap's (2 MiB), which drops under load. */
  bufferKiB?: number;
}

/** tcpdump's closing statistics. Undefined members were not reported. */
export interface TcpdumpStats {
  captured?: number;
  receivedByFilter?: number;
  droppedByKernel?: number;
  droppedByInterface?: number;
}

export interface LiveCapture extends PacketSource {
  /** tcpdump's statistics, filled in once the capture has ended. */
  readonly tcpdumpStats: TcpdumpStats;
  /** The link type tcpdump announced ("EN10MB", "LINUX_SLL2", …), once it has started. */
  readonly linkTypeName: string | undefined;
  /** Resolves when tcpdump is capturing (its "listening on" line), rejects if it fails to start. */
  readonly ready: Promise<void>;
  /**
   * tcpdump's pcap output, for consumers that take a stream (analyzeCapture's `input`). Use either this
   * or run(), not both. `await ready` first so that a failure to start is a clear error, not "empty file".
   */
  readonly stdout: Readable;
  /** Resolves with tcpdump's statistics once it has exited; rejects (CaptureError) if it failed. */
  readonly exited: Promise<TcpdumpStats>;
  /**
   * Asks a running tcpdump for its statistics (SIGUSR1); `tcpdumpStats` is updated when it answers.
   * Optional: live sensors use it to surface kernel drops while capturing.
   */
  requestStats?(): void;
}

/** Parses the statistics tcpdump prints on exit. */
export function parseTcpdumpStats(stderr: string): TcpdumpStats {
  const s: TcpdumpStats = {};
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : undefined;
  };
  s.captured = num(/^(\d+) packets? captured/m);
  s.receivedByFilter = num(/^(\d+) packets? received by filter/m);
  s.droppedByKernel = num(/^(\d+) packets? dropped by kernel/m);
  s.droppedByInterface = num(/^(\d+) packets? dropped by interface/m);
  return s;
}

/**
 * The last statistics block in tcpdump's stderr: on exit one line per counter, on SIGUSR1 one line
 * ("tcpdump: N packets captured, N packets received by filter, N packets dropped by kernel").
 */
export function lastTcpdumpStats(stderr: string): TcpdumpStats {
  const at = stderr.lastIndexOf(' captured');
  const start = at < 0 ? 0 : stderr.lastIndexOf('\n', at) + 1;
  const text = stderr.slice(start);
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  return {
    captured: num(/(\d+) packets? captured/),
    receivedByFilter: num(/(\d+) packets? received by filter/),
    droppedByKernel: num(/(\d+) packets? dropped by kernel/),
    droppedByInterface: num(/(\d+) packets? dropped by interface/),
  };
}

/** Turns tcpdump's stderr after a failure into one clear line, or undefined when it says nothing we know. */
export function explainTcpdumpError(stderr: string, iface: string): string | undefined {
  const text = stderr.replace(/\s+/g, ' ');
  if (/No such device exists|No such device|no suitable device found|doesn't exist|SIOCGIFHWADDR|not found for capture/i.test(text)) {
    return `no such network interface '${iface}' (see 'ip link' for the interfaces of this host)`;
  }
  if (/permission|Operation not permitted|not permitted|Permission denied/i.test(text)) {
    return `tcpdump lacks the privilege to capture on '${iface}': run as root, or grant it capture rights `
      + `(setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump))`;
  }
  if (/can't parse filter expression|syntax error|illegal|unknown host|unknown port|unknown protocol/i.test(text)) {
    const m = /tcpdump: (can't parse filter expression[^\n]*|[^\n]*syntax error[^\n]*|[^\n]*unknown[^\n]*|[^\n]*illegal[^\n]*)/.exec(stderr);
    return `tcpdump rejected the capture filter: ${(m?.[1] ?? text).trim()}`;
  }
  if (/Cannot open network namespace|setting the network namespace/i.test(text)) {
    return `cannot enter network namespace: ${text.trim()}`;
  }
  if (/is not up|Network is down/i.test(text)) return `network interface '${iface}' is down`;
  return undefined;
}

class TcpdumpCapture implements LiveCapture {
  tcpdumpStats: TcpdumpStats = {};
  linkTypeName: string | undefined;
  readonly ready: Promise<void>;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private stderr = '';
  /** The latest few KB of stderr, for the statistics tcpdump prints on SIGUSR1. */
  private tail = '';
  private spawnError: Error | undefined;
  private stopping = false;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly exitCode: Promise<number | null>;
  readonly exited: Promise<TcpdumpStats>;
  private readyResolve!: () => void;
  private readyReject!: (e: Error) => void;

  constructor(private readonly o: LiveCaptureOptions) {
    if (!o.iface || /\s/.test(o.iface)) throw new CaptureError(`bad interface name '${o.iface}'`);
    if (o.snaplen !== undefined && (!Number.isInteger(o.snaplen) || o.snaplen < 0 || o.snaplen > 262144)) {
      throw new CaptureError(`bad snaplen ${o.snaplen} (0–262144)`);
    }
    this.ready = new Promise<void>((res, rej) => { this.readyResolve = res; this.readyReject = rej; });
    this.ready.catch(() => undefined); // observed through run() as well
    const tcpdump = o.tcpdump ?? 'tcpdump';
    const args = ['-i', o.iface, '-w', '-', '-U', '--immediate-mode'];
    if (o.snaplen !== undefined) args.push('-s', String(o.snaplen));
    if (o.count !== undefined) args.push('-c', String(o.count));
    if (o.bufferKiB !== undefined) {
      if (!Number.isInteger(o.bufferKiB) || o.bufferKiB < 1 || o.bufferKiB > 4 * 1024 * 1024) throw new CaptureError(`bad capture buffer size ${o.bufferKiB} KiB`);
      args.push('-B', String(o.bufferKiB));
    }
    if (o.filter && o.filter.trim()) args.push('--', o.filter);
    const [cmd, argv] = o.netns ? ['ip', ['netns', 'exec', o.netns, tcpdump, ...args]] : [tcpdump, args];
    this.child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exitCode = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.spawnError = err;
        this.readyReject(this.startError());
        resolve(null);
      });
      this.child.on('close', (code) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        this.tcpdumpStats = lastTcpdumpStats(this.tail);
        if (code !== 0 && !this.stopping) this.readyReject(this.startError(code));
        else this.readyResolve();
        resolve(code);
      });
    });
    this.exited = this.exitCode.then((code) => {
      if (this.spawnError || (code !== 0 && !this.stopping)) throw this.startError(code);
      return this.tcpdumpStats;
    });
    this.exited.catch(() => undefined); // observed through run() / ready as well
    this.child.stderr.on('data', (b: Buffer) => {
      const text = b.toString('utf8');
      if (this.stderr.length < 65536) this.stderr += text;
      this.tail = (this.tail + text).slice(-4096);
      if (/dropped by (kernel|interface)/.test(this.tail)) {
        const s = lastTcpdumpStats(this.tail);
        if (s.captured !== undefined) this.tcpdumpStats = s;
      }
      const m = /listening on \S+, link-type (\S+)/.exec(this.stderr);
      if (m && !this.linkTypeName) {
        this.linkTypeName = m[1];
        this.readyResolve();
      }
    });
  }

  get stdout(): Readable {
    return this.child.stdout;
  }

  private startError(code?: number | null): CaptureError {
    const e = this.spawnError as NodeJS.ErrnoException | undefined;
    const tcpdump = this.o.tcpdump ?? 'tcpdump';
    if (e) {
      if (e.code === 'ENOENT') {
        return new CaptureError(this.o.netns ? `'ip' not found: apt-get install iproute2` : `${tcpdump} not found: apt-get install tcpdump`);
      }
      if (e.code === 'EACCES') return new CaptureError(`${tcpdump} is not executable (${e.message})`);
      return new CaptureError(`cannot run ${tcpdump}: ${e.message}`);
    }
    if (this.o.netns && /exec of "[^"]*" failed: No such file/.test(this.stderr)) {
      return new CaptureError(`${tcpdump} not found: apt-get install tcpdump`);
    }
    const known = explainTcpdumpError(this.stderr, this.o.iface);
    if (known) return new CaptureError(known);
    const last = this.stderr.trim().split('\n').filter((l) => !/^\d+ packets? /.test(l)).pop();
    return new CaptureError(`tcpdump failed${code !== undefined && code !== null ? ` (exit ${code})` : ''}${last ? `: ${last.replace(/^tcpdump: /, '')}` : ''}`);
  }

  async run(onPacket: (pkt: RawPacket) => void): Promise<CaptureStats> {
    const reader = openCapture(this.child.stdout, `tcpdump -i ${this.o.iface}`);
    let stats: CaptureStats | undefined;
    let readErr: unknown;
    try {
      stats = await reader.run(onPacket);
    } catch (err) {
      readErr = err;
    }
    const code = await this.exitCode;
    if (this.spawnError || (code !== 0 && !this.stopping)) throw this.startError(code);
    if (readErr) {
      // tcpdump was stopped before it wrote its header (nothing captured): an empty capture, not an error.
      if (this.stopping && readErr instanceof CaptureError && /empty file/.test(readErr.message)) {
        stats = { packets: 0, bytes: 0, truncated: false, warnings: [] };
      } else throw readErr;
    }
    const s = stats!;
    const t = this.tcpdumpStats;
    if (t.droppedByKernel) s.warnings.push(`tcpdump: ${t.droppedByKernel} packets dropped by kernel`);
    if (t.droppedByInterface) s.warnings.push(`tcpdump: ${t.droppedByInterface} packets dropped by interface`);
    // A stop mid-record leaves a partial last record; that is the capture ending, not a damaged file.
    if (this.stopping) s.truncated = false;
    return s;
  }

  requestStats(): void {
    if (this.stopping || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      this.child.kill('SIGUSR1');
    } catch {
      // gone already
    }
  }

  /** Stops tcpdump (SIGINT: it flushes and prints its statistics); the reader drains what was written. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    this.killTimer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    this.killTimer.unref();
  }
}

/**
 * Starts capturing on an interface. Failures to start (tcpdump missing, no privilege, no such interface,
 * bad filter) reject `run()` (and `ready`) with a one-line CaptureError.
 */
export function openLiveCapture(opts: LiveCaptureOptions): LiveCapture {
  return new TcpdumpCapture(opts);
}
