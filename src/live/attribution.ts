// Process attribution on Linux: which process owns the local end of a connection. When the sensor
// sees a new connection it asks here; lookups are batched (one scan of /proc/net/* serves every
// connection that appeared since the last scan) and run right after the current read, while a
// short-lived client still holds its socket. Socket inode → pid comes from the /proc/<pid>/fd links,
// cached, with a fresh walk (newest pids first, stopping once every wanted inode is found) on a miss.

import { readdirSync, readlinkSync } from 'node:fs';
import { TCP_LISTEN, isWildcard, readSockets, type SockProto, type SocketEntry } from './procnet.js';
import { ProcessReader, type ProcessInfo } from './process.js';

/** The key poll() files a socket under: the 5-tuple, or for an unconnected UDP socket its binding. */
function tupleKey(s: SocketEntry): string {
  if (s.proto === 'udp' && s.remotePort === 0) return `udp|${isWildcard(s.localIP) ? '*' : s.localIP}|${s.localPort}`;
  return `${s.proto}|${s.localIP}|${s.localPort}|${s.remoteIP}|${s.remotePort}`;
}

/** One local endpoint of a connection waiting for its process. */
interface Pending {
  uid: string;
  proto: SockProto;
  localIP: string;
  localPort: number;
  remoteIP: string;
  remotePort: number;
  tries: number;
  /** When the connection's first packet was captured (ms since the epoch; 0 = unknown). */
  t0: number;
}

export interface Attribution {
  localIP: string;
  localPort: number;
  proc: ProcessInfo;
}

export interface AttributionStats {
  /** Local connection endpoints asked about. */
  requested: number;
  /** Of those, attributed to a process. */
  attributed: number;
  /** Scans of /proc/net and walks of /proc/<pid>/fd. */
  scans: number;
  walks: number;
  /** Capture → lookup delay of recent lookups (ms): median, 95th percentile, maximum. */
  lagP50: number;
  lagP95: number;
  lagMax: number;
}

const MAX_TRIES = 3;
const RETRY_MS = [0, 15, 60];
const MAX_RESULTS = 200_000;
const PROC_TTL_MS = 2000;

export interface AttributorOptions {
  root?: string;
  passwd?: string;
  /** Called when a new TCP listening socket is seen (ListeningConnectionCreated). */
  onListen?: (s: SocketEntry, proc: ProcessInfo | undefined) => void;
  /** Called for every finished lookup (the worker thread forwards them). */
  onResult?: (uid: string, localIP: string, localPort: number, proc: ProcessInfo | undefined) => void;
  /** Called when an executable's SHA-256 is known. */
  onHash?: (exeKey: string, sha256: string) => void;
}

/** What the live sink needs from an attributor (in this thread, or the worker's proxy). */
export interface AttributionSource {
  isPending(uid: string): boolean;
  lookup(uid: string, localIP: string, localPort: number): ProcessInfo | undefined;
  forget(uid: string): void;
  sha256(exeKey: string): string;
}

export class Attributor implements AttributionSource {
  readonly stats: AttributionStats = { requested: 0, attributed: 0, scans: 0, walks: 0, lagP50: 0, lagP95: 0, lagMax: 0 };
  private lags: number[] = [];
  readonly procs: ProcessReader;
  private pending: Pending[] = [];
  private retry: Pending[] = [];
  private readonly results = new Map<string, Attribution[]>();
  private readonly inodePid = new Map<number, number>();
  private readonly procCache = new Map<number, { info: ProcessInfo; at: number }>();
  private readonly listening = new Set<string>();
  private scheduled: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly root: string;
  /** Unresolved lookups per uid (rows of such connections wait for the answer). */
  private readonly open = new Map<string, number>();

  constructor(private localAddrs: ReadonlySet<string>, private readonly opts: AttributorOptions = {}) {
    this.root = opts.root ?? '/proc';
    this.procs = new ProcessReader(this.root, opts.passwd, 100, opts.onHash);
  }

  sha256(exeKey: string): string {
    return this.procs.sha256(exeKey);
  }

  setLocalAddresses(a: ReadonlySet<string>): void {
    this.localAddrs = a;
  }

  isLocal(ip: string): boolean {
    return this.localAddrs.has(ip);
  }

  /** A new TCP or UDP connection: each of its local ends will be attributed. */
  request(uid: string, proto: SockProto, aIP: string, aPort: number, bIP: string, bPort: number, t0 = 0): void {
    let n = 0;
    if (this.localAddrs.has(aIP)) {
      this.pending.push({ uid, proto, localIP: aIP, localPort: aPort, remoteIP: bIP, remotePort: bPort, tries: 0, t0 });
      n++;
    }
    if (this.localAddrs.has(bIP) && !(aIP === bIP && aPort === bPort)) {
      this.pending.push({ uid, proto, localIP: bIP, localPort: bPort, remoteIP: aIP, remotePort: aPort, tries: 0, t0 });
      n++;
    }
    if (!n) return;
    this.stats.requested += n;
    this.open.set(uid, (this.open.get(uid) ?? 0) + n);
    if (!this.scheduled) this.scheduled = setImmediate(() => { this.scheduled = undefined; this.resolve(); });
  }

  /** Whether lookups for `uid` are still outstanding. */
  isPending(uid: string): boolean {
    return this.open.has(uid);
  }

  /** The process owning the local end (ip, port) of connection `uid`, if known. */
  lookup(uid: string, localIP: string, localPort: number): ProcessInfo | undefined {
    const r = this.results.get(uid);
    if (!r) return undefined;
    for (const a of r) if (a.localIP === localIP && a.localPort === localPort) return a.proc;
    return r.length === 1 && localIP === '' ? r[0]!.proc : undefined;
  }

  /** Forget a connection (its last record has been written). */
  forget(uid: string): void {
    this.results.delete(uid);
  }

  /** Resolve everything asked so far, now (also gives up on retries). */
  resolveNow(final = false): void {
    if (this.scheduled) { clearImmediate(this.scheduled); this.scheduled = undefined; }
    this.resolve();
    if (final && this.retry.length) {
      if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = undefined; }
      const r = this.retry;
      this.retry = [];
      for (const p of r) this.done(p, undefined);
    }
  }

  /** Scans the listening sockets now (ListeningConnectionCreated for new ones). */
  scanListeners(): void {
    this.resolve(true);
  }

  /** Socket (tuple) → owner learned by poll(), kept after the socket is gone (short-lived clients). */
  private readonly seen = new Map<string, { inode: number; proc: ProcessInfo; at: number }>();
  /** Inodes a walk did not find an owner for (not walked for again). */
  private tried = new Set<number>();

  /**
   * Learns the owner of every socket that appeared since the last poll. Run every few ms (in the
   * attribution thread), this sees a connection while its process still holds it even when the
   * packets reach the sensor later than the client lives.
   */
  /** Returns whether new sockets appeared. */
  poll(): boolean {
    const sockets = readSockets(this.root);
    const fresh: SocketEntry[] = [];
    const want = new Set<number>();
    for (const s of sockets) {
      if (s.inode === 0 || (s.proto === 'tcp' && s.state === TCP_LISTEN)) continue;
      if (this.seen.get(tupleKey(s))?.inode === s.inode) continue;
      fresh.push(s);
      if (!this.inodePid.has(s.inode) && !this.tried.has(s.inode)) want.add(s.inode);
    }
    if (!fresh.length) return false;
    if (want.size) {
      const quick = Date.now() - this.lastFull < 1000;
      this.walk(want, true);
      // Only a full walk proves that nobody owns an inode (or that its owner is gone).
      if (!quick) {
        if (this.tried.size > 100_000) this.tried = new Set();
        for (const i of want) this.tried.add(i);
      }
    }
    const now = Date.now();
    for (const s of fresh) {
      const pid = this.inodePid.get(s.inode);
      const proc = pid !== undefined ? this.proc(pid, now) : undefined;
      if (!proc) continue;
      const k = tupleKey(s);
      this.seen.delete(k); // re-inserted last: the map stays in age order
      this.seen.set(k, { inode: s.inode, proc, at: now });
    }
    // Forget sockets learned more than ten minutes ago, and keep the map bounded.
    for (const [k, v] of this.seen) {
      if (this.seen.size <= 50_000 && v.at > now - 600_000) break;
      this.seen.delete(k);
    }
    return true;
  }

  private resolve(forceScan = false): void {
    const work = this.pending.length ? this.pending.concat(this.retry) : this.retry;
    if (!work.length && !forceScan) return;
    this.pending = [];
    this.retry = [];
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = undefined; }
    this.stats.scans++;
    const sockets = readSockets(this.root);
    const exact = new Map<string, SocketEntry>();
    const bound = new Map<string, SocketEntry>();
    const listeners: SocketEntry[] = [];
    for (const s of sockets) {
      if (s.proto === 'tcp' && s.state === TCP_LISTEN) {
        listeners.push(s);
        bound.set(`tcp|${isWildcard(s.localIP) ? '*' : s.localIP}|${s.localPort}`, s);
        continue;
      }
      if (s.inode === 0) continue;
      if (s.remotePort !== 0 || !isWildcard(s.remoteIP)) exact.set(`${s.proto}|${s.localIP}|${s.localPort}|${s.remoteIP}|${s.remotePort}`, s);
      if (s.proto === 'udp') {
        const k = `udp|${isWildcard(s.localIP) ? '*' : s.localIP}|${s.localPort}`;
        const prev = bound.get(k);
        if (!prev || prev.remotePort !== 0) bound.set(k, s);
      }
    }
    // Which socket each lookup is about.
    const found: [Pending, SocketEntry | undefined][] = [];
    const want = new Set<number>();
    const t = Date.now();
    for (const p of work) {
      // Learned by poll(), possibly from a socket already gone.
      const known = this.seen.get(`${p.proto}|${p.localIP}|${p.localPort}|${p.remoteIP}|${p.remotePort}`)
        ?? (p.proto === 'udp' ? this.seen.get(`udp|${p.localIP}|${p.localPort}`) ?? this.seen.get(`udp|*|${p.localPort}`) : undefined);
      if (known) {
        if (p.tries === 0 && p.t0 > 0) this.lag(t - p.t0);
        this.done(p, known.proc);
        continue;
      }
      const s = exact.get(`${p.proto}|${p.localIP}|${p.localPort}|${p.remoteIP}|${p.remotePort}`)
        ?? bound.get(`${p.proto}|${p.localIP}|${p.localPort}`)
        ?? bound.get(`${p.proto}|*|${p.localPort}`);
      found.push([p, s]);
      if (s && !this.inodePid.has(s.inode)) want.add(s.inode);
    }
    const newListeners: SocketEntry[] = [];
    for (const s of listeners) {
      const k = `${s.localIP}|${s.localPort}|${s.inode}`;
      if (this.listening.has(k)) continue;
      this.listening.add(k);
      newListeners.push(s);
      if (this.opts.onListen && !this.inodePid.has(s.inode)) want.add(s.inode);
    }
    if (want.size) this.walk(want);
    const now = Date.now();
    for (const [p] of found) if (p.tries === 0 && p.t0 > 0) this.lag(now - p.t0);
    for (const [p, s] of found) {
      const pid = s ? this.inodePid.get(s.inode) : undefined;
      const proc = pid !== undefined ? this.proc(pid, now) : undefined;
      if (proc || p.tries + 1 >= MAX_TRIES) this.done(p, proc);
      else {
        p.tries++;
        this.retry.push(p);
      }
    }
    for (const s of newListeners) {
      const pid = this.inodePid.get(s.inode);
      this.opts.onListen?.(s, pid !== undefined ? this.proc(pid, now) : undefined);
    }
    if (this.retry.length && !this.retryTimer) {
      const delay = RETRY_MS[Math.min(this.retry[0]!.tries, RETRY_MS.length - 1)]!;
      this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.resolve(); }, delay);
    }
  }

  private lag(ms: number): void {
    const l = this.lags;
    l.push(ms);
    if (l.length > 4096) l.splice(0, l.length - 4096);
    const sorted = l.slice().sort((a, b) => a - b);
    const st = this.stats;
    st.lagP50 = sorted[Math.floor(sorted.length * 0.5)]!;
    st.lagP95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
    st.lagMax = Math.max(st.lagMax, ms);
  }

  private done(p: Pending, proc: ProcessInfo | undefined): void {
    const left = (this.open.get(p.uid) ?? 1) - 1;
    if (left <= 0) this.open.delete(p.uid);
    else this.open.set(p.uid, left);
    this.opts.onResult?.(p.uid, p.localIP, p.localPort, proc);
    if (!proc) return;
    this.stats.attributed++;
    if (this.results.size >= MAX_RESULTS) {
      // Oldest first: connections whose records never came.
      const first = this.results.keys().next().value;
      if (first !== undefined) this.results.delete(first);
    }
    let r = this.results.get(p.uid);
    if (!r) this.results.set(p.uid, (r = []));
    r.push({ localIP: p.localIP, localPort: p.localPort, proc });
  }

  private proc(pid: number, now: number): ProcessInfo | undefined {
    const c = this.procCache.get(pid);
    if (c && now - c.at < PROC_TTL_MS) {
      if (!c.info.sha256 && c.info.exeKey) c.info.sha256 = this.procs.sha256(c.info.exeKey);
      return c.info;
    }
    const info = this.procs.read(pid);
    if (this.procCache.size > 10_000) this.procCache.clear();
    if (info) this.procCache.set(pid, { info, at: now });
    return info;
  }

  /** Pids that owned sockets lately, most recent last (a busy client opens many connections). */
  private hot: number[] = [];
  /** Pids seen by the previous walk: a pid not among them is a new process (curl, dig, ssh). */
  private lastPids = new Set<number>();
  private lastFull = 0;
  private readonly young = new Map<number, number>();

  private markHot(pid: number): void {
    const i = this.hot.indexOf(pid);
    if (i >= 0) this.hot.splice(i, 1);
    this.hot.push(pid);
    if (this.hot.length > 16) this.hot.shift();
  }

  /**
   * Fills inode → pid for socket links until every wanted inode is found: first the pids that owned
   * sockets lately, then processes new since the last walk (newest first), then the rest.
   */
  private walk(want: Set<number>, quick = false): void {
    this.stats.walks++;
    let all: number[];
    try {
      all = readdirSync(this.root).filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57).map(Number);
    } catch {
      return;
    }
    const known = this.lastPids;
    const now = Date.now();
    for (const p of all) if (!known.has(p) && !this.young.has(p)) this.young.set(p, now);
    for (const [p, t] of this.young) if (now - t > 3000) this.young.delete(p);
    // Processes that appeared in the last seconds (curl, dig, ssh), newest first.
    const fresh = [...this.young.keys()].sort((a, b) => b - a);
    // A quick walk (polling) looks at busy and new processes only; the others are looked at by a
    // full walk, at most once a second.
    const full = !quick || now - this.lastFull >= 1000;
    if (full) this.lastFull = now;
    this.lastPids = new Set(all);
    const rest = full ? all.filter((p) => !this.young.has(p)).sort((a, b) => b - a) : [];
    const order = [...this.hot.slice().reverse(), ...fresh, ...rest];
    if (this.inodePid.size > 500_000) this.inodePid.clear();
    const visited = new Set<number>();
    for (const pid of order) {
      if (visited.has(pid)) continue;
      visited.add(pid);
      if (this.scanFds(pid, want)) {
        this.markHot(pid);
        if (want.size === 0) return;
      }
    }
  }

  /** Records the socket links of one process; true when it owned a wanted inode. */
  private scanFds(pid: number, want: Set<number>): boolean {
    let fds: string[];
    try {
      fds = readdirSync(`${this.root}/${pid}/fd`);
    } catch {
      return false; // gone, or not ours to read
    }
    let hit = false;
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${this.root}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!link.startsWith('socket:[')) continue;
      const inode = Number(link.slice(8, -1));
      this.inodePid.set(inode, pid);
      if (want.delete(inode)) hit = true;
    }
    return hit;
  }
}
