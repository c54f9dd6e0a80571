// The packet thread's side of the attribution thread (attr-worker.ts): requests are batched into one
// message per read, answers are kept by connection uid, and a connection's rows wait (isPending)
// until every lookup sent for it has come back.

import { Worker } from 'node:worker_threads';
import type { AttributionSource, AttributionStats } from './attribution.js';
import type { ProcessInfo } from './process.js';
import type { SocketEntry, SockProto } from './procnet.js';
import type { WorkerIn, WorkerOut } from './attr-worker.js';

const MAX_RESULTS = 200_000;

export class RemoteAttributor implements AttributionSource {
  stats: AttributionStats = { requested: 0, attributed: 0, scans: 0, walks: 0, lagP50: 0, lagP95: 0, lagMax: 0 };
  private readonly worker: Worker;
  private batch: [string, SockProto, string, number, string, number, number][] = [];
  private scheduled = false;
  private readonly open = new Map<string, number>();
  private readonly results = new Map<string, { ip: string; port: number; proc: ProcessInfo }[]>();
  private readonly hashes = new Map<string, string>();
  private localAddrs: ReadonlySet<string>;
  private syncId = 0;
  private readonly waiting = new Map<number, () => void>();
  private closed = false;

  constructor(addrs: ReadonlySet<string>, private readonly onListen: (s: SocketEntry, p: ProcessInfo | undefined) => void) {
    this.localAddrs = addrs;
    this.worker = new Worker(new URL('./attr-worker.js', import.meta.url), { workerData: { addrs: [...addrs] } });
    this.worker.unref();
    this.worker.on('message', (m: WorkerOut) => this.onMessage(m));
    this.worker.on('error', () => {
      // Attribution is best effort: without the thread, rows go out without a process.
      this.closed = true;
      this.open.clear();
      for (const r of this.waiting.values()) r();
      this.waiting.clear();
    });
  }

  private onMessage(m: WorkerOut): void {
    switch (m.t) {
      case 'res':
        for (const [uid, ip, port, proc] of m.items) {
          const left = (this.open.get(uid) ?? 1) - 1;
          if (left <= 0) this.open.delete(uid);
          else this.open.set(uid, left);
          if (!proc) continue;
          if (this.results.size >= MAX_RESULTS) {
            const first = this.results.keys().next().value;
            if (first !== undefined) this.results.delete(first);
          }
          let r = this.results.get(uid);
          if (!r) this.results.set(uid, (r = []));
          r.push({ ip, port, proc });
        }
        break;
      case 'hash':
        if (this.hashes.size < 100_000) this.hashes.set(m.key, m.sha256);
        break;
      case 'listen':
        this.onListen(m.sock, m.proc ?? undefined);
        break;
      case 'synced': {
        this.stats = m.stats;
        if (m.final) this.open.clear(); // nothing more will come back
        const r = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        r?.();
        break;
      }
    }
  }

  setLocalAddresses(a: ReadonlySet<string>): void {
    this.localAddrs = a;
    if (!this.closed) this.worker.postMessage({ t: 'addrs', addrs: [...a] } satisfies WorkerIn);
  }

  /** A new connection: its local ends go to the worker with the next batch. */
  /** `t0`: the connection's first packet time (ms since the epoch), for the lag statistics. */
  request(uid: string, proto: SockProto, aIP: string, aPort: number, bIP: string, bPort: number, t0 = 0): void {
    if (this.closed) return;
    let n = 0;
    if (this.localAddrs.has(aIP)) n++;
    if (this.localAddrs.has(bIP) && !(aIP === bIP && aPort === bPort)) n++;
    if (!n) return;
    this.open.set(uid, (this.open.get(uid) ?? 0) + n);
    this.batch.push([uid, proto, aIP, aPort, bIP, bPort, t0]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.send());
    }
  }

  private send(): void {
    this.scheduled = false;
    if (!this.batch.length || this.closed) return;
    this.worker.postMessage({ t: 'req', items: this.batch } satisfies WorkerIn);
    this.batch = [];
  }

  /** Resolves once the worker has answered everything sent so far (`final`: no more retries). */
  sync(final = false, listeners = true): Promise<void> {
    this.send();
    if (this.closed) return Promise.resolve();
    const id = ++this.syncId;
    return new Promise<void>((resolve) => {
      this.waiting.set(id, resolve);
      this.worker.postMessage({ t: 'sync', id, final, listeners } satisfies WorkerIn);
    });
  }

  isPending(uid: string): boolean {
    return this.open.has(uid);
  }

  lookup(uid: string, localIP: string, localPort: number): ProcessInfo | undefined {
    const r = this.results.get(uid);
    if (!r) return undefined;
    for (const a of r) if (a.ip === localIP && a.port === localPort) return a.proc;
    return undefined;
  }

  forget(uid: string): void {
    this.results.delete(uid);
  }

  sha256(exeKey: string): string {
    return this.hashes.get(exeKey) ?? '';
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }
}
