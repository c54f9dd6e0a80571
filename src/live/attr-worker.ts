// The attribution thread: scanning /proc (socket tables, every process's fd links) is a burst of
// synchronous system calls that would stall the packet reader (tcpdump then drops), so it runs
// here. Messages in: req (batches of connection ends), addrs, sync. Messages out: res (lookups
// done), hash (an executable's SHA-256), listen (new listening sockets), synced.

import { parentPort, workerData } from 'node:worker_threads';
import { Attributor, type AttributionStats } from './attribution.js';
import type { ProcessInfo } from './process.js';
import type { SocketEntry } from './procnet.js';
import type { SockProto } from './procnet.js';

export type WorkerIn =
  | { t: 'req'; items: [string, SockProto, string, number, string, number, number][] }
  | { t: 'addrs'; addrs: string[] }
  | { t: 'sync'; id: number; final: boolean; listeners: boolean };

export type WorkerOut =
  | { t: 'res'; items: [string, string, number, ProcessInfo | null][] }
  | { t: 'hash'; key: string; sha256: string }
  | { t: 'listen'; sock: SocketEntry; proc: ProcessInfo | null }
  | { t: 'synced'; id: number; final: boolean; stats: AttributionStats };

const port = parentPort!;
const init = workerData as { addrs: string[]; root?: string };
let results: [string, string, number, ProcessInfo | null][] = [];
let scheduled = false;
const post = (m: WorkerOut): void => port.postMessage(m);
const flushResults = (): void => {
  scheduled = false;
  if (!results.length) return;
  post({ t: 'res', items: results });
  results = [];
};

const attr = new Attributor(new Set(init.addrs), {
  root: init.root,
  onResult: (uid, ip, p, proc) => {
    results.push([uid, ip, p, proc ?? null]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushResults);
    }
  },
  onHash: (key, sha256) => post({ t: 'hash', key, sha256 }),
  onListen: (sock, proc) => post({ t: 'listen', sock, proc: proc ?? null }),
});

// Poll for new sockets: right again while sockets keep appearing (a burst of connections), slower
// when nothing changes; never more than half of this thread's time when a poll is expensive (reading
// /proc/net/tcp walks the kernel's whole connection hash table: ~1 ms idle, 10+ ms on a loaded host).
const pollLoop = (): void => {
  const t = performance.now();
  let busy = false;
  try {
    busy = attr.poll();
  } catch {
    // /proc unreadable: lookups still run per connection
  }
  const ms = performance.now() - t;
  setTimeout(pollLoop, busy ? Math.max(5, ms) : Math.max(25, ms * 3)).unref();
};
pollLoop();

port.on('message', (m: WorkerIn) => {
  switch (m.t) {
    case 'req':
      for (const [uid, proto, a, ap, b, bp, t0] of m.items) attr.request(uid, proto, a, ap, b, bp, t0);
      break;
    case 'addrs':
      attr.setLocalAddresses(new Set(m.addrs));
      break;
    case 'sync': {
      attr.resolveNow(m.final);
      if (m.listeners) attr.scanListeners();
      flushResults();
      post({ t: 'synced', id: m.id, final: m.final, stats: attr.stats });
      break;
    }
  }
});
