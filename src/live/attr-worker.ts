// The attribution thread: scanning /proc (socket tables, every process's fd links) is a burst of
// synchronous system calls that would stall the packet reader (tcpdump then drops), so it runs
// here. Messages in: req (batches of connection ends), addrs, sync. Messages out: res (lookups
// done), hash (an executable's SHA-256), listen (new listening sockets), synced.

import { parentPort, workerData } from 'node:worker_threads';
import { Attributor } from './attribution.js';
import type { ProcessInfo } from './process.js';
import type { SocketEntry } from './procnet.js';
import type { SockProto } from './procnet.js';

export type WorkerIn =
  | { t: 'req'; items: [string, SockProto, string, number, string, number][] }
  | { t: 'addrs'; addrs: string[] }
  | { t: 'sync'; id: number; final: boolean; listeners: boolean };

export type WorkerOut =
  | { t: 'res'; items: [string, string, number, ProcessInfo | null][] }
  | { t: 'hash'; key: string; sha256: string }
  | { t: 'listen'; sock: SocketEntry; proc: ProcessInfo | null }
  | { t: 'synced'; id: number; final: boolean; requested: number; attributed: number; scans: number; walks: number };

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

port.on('message', (m: WorkerIn) => {
  switch (m.t) {
    case 'req':
      for (const [uid, proto, a, ap, b, bp] of m.items) attr.request(uid, proto, a, ap, b, bp);
      break;
    case 'addrs':
      attr.setLocalAddresses(new Set(m.addrs));
      break;
    case 'sync': {
      attr.resolveNow(m.final);
      if (m.listeners) attr.scanListeners();
      flushResults();
      const s = attr.stats;
      post({ t: 'synced', id: m.id, final: m.final, requested: s.requested, attributed: s.attributed, scans: s.scans, walks: s.walks });
      break;
    }
  }
});
