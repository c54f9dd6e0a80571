// /proc/net/{tcp,tcp6,udp,udp6}: the kernel's socket tables of this network namespace. Each line
// gives a socket's local and remote address (hex, 32-bit words in host byte order), its state and
// its inode, which /proc/<pid>/fd links name as `socket:[inode]`.

import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { wordsToString } from '../flow/addr.js';

export type SockProto = 'tcp' | 'udp';

export interface SocketEntry {
  proto: SockProto;
  localIP: string;
  localPort: number;
  remoteIP: string;
  remotePort: number;
  /** Kernel state number (TCP: 1 ESTABLISHED, 2 SYN_SENT, 3 SYN_RECV, 6 TIME_WAIT, 10 LISTEN; UDP: 7 unconnected, 1 connected). */
  state: number;
  uid: number;
  /** 0 for sockets without an owner (TIME_WAIT, orphaned). */
  inode: number;
}

export const TCP_LISTEN = 10;
const LE = endianness() === 'LE';

function word(hex: string, at: number): number {
  const v = parseInt(hex.slice(at, at + 8), 16) >>> 0;
  if (!LE) return v;
  // The kernel prints each 32-bit word as it lies in memory; on little-endian hosts that reverses bytes.
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** `0100007F:0035` → ['127.0.0.1', 53]; IPv4-mapped IPv6 addresses come out as IPv4 (as Zeek logs them). */
export function parseProcAddress(s: string): [string, number] | undefined {
  const colon = s.indexOf(':');
  if (colon !== 8 && colon !== 32) return undefined;
  const hex = s.slice(0, colon);
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const port = parseInt(s.slice(colon + 1), 16);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  if (colon === 8) return [wordsToString(0, 0, 0xffff, word(hex, 0)), port];
  return [wordsToString(word(hex, 0), word(hex, 8), word(hex, 16), word(hex, 24)), port];
}

/** Parses one /proc/net/{tcp,tcp6,udp,udp6} table. Malformed lines are skipped. */
export function parseProcNet(text: string, proto: SockProto, out: SocketEntry[] = []): SocketEntry[] {
  let start = text.indexOf('\n') + 1; // header line
  while (start > 0 && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const f = text.slice(start, end).trim().split(/\s+/);
    start = end + 1;
    if (f.length < 10) continue;
    const l = parseProcAddress(f[1]!);
    const r = parseProcAddress(f[2]!);
    if (!l || !r) continue;
    const inode = Number(f[9]);
    out.push({
      proto, localIP: l[0], localPort: l[1], remoteIP: r[0], remotePort: r[1],
      state: parseInt(f[3]!, 16), uid: Number(f[7]), inode: Number.isFinite(inode) ? inode : 0,
    });
  }
  return out;
}

/** All TCP and UDP sockets of this network namespace (`root` is /proc unless tests say otherwise). */
export function readSockets(root = '/proc'): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const [file, proto] of [['tcp', 'tcp'], ['tcp6', 'tcp'], ['udp', 'udp'], ['udp6', 'udp']] as const) {
    let text: string;
    try {
      text = readFileSync(`${root}/net/${file}`, 'latin1');
    } catch {
      continue; // no IPv6, or no such table
    }
    parseProcNet(text, proto, out);
  }
  return out;
}

/** Whether an address is a wildcard (bound to every address). */
export function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}
