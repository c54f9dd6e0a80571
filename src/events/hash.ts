// Deterministic identifiers: ReportId (a 53-bit hash, so it survives JSON clients as a number) and
// DeviceId (40 hex digits like Defender's, a SHA-1 of the device's address or MAC).

import { createHash } from 'node:crypto';

/**
 * 53-bit non-negative integer hash of a string (two independent 32-bit FNV-1a style lanes mixed
 * with murmur finalizers). Deterministic across runs and platforms.
 */
export function hash53(s: string): number {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return finish53(h1, h2);
}

function finish53(h1: number, h2: number): number {
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 ^= h2 >>> 16;
  h2 = Math.imul(h2, 0x85ebca6b);
  h2 ^= h2 >>> 13;
  h2 = Math.imul(h2, 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

/** A stable DeviceId (40 lower-case hex digits) for a device known by `key` (MAC or address). */
export function deviceIdFor(key: string): string {
  return createHash('sha1').update(`wirehunt-device:${key.toLowerCase()}`).digest('hex');
}

/** Mixes 53-bit hashes and small integers into one 53-bit hash (order-sensitive, deterministic). */
export function mix53(a: number, b: number, c: number): number {
  let h1 = (a >>> 0) ^ Math.imul(b >>> 0, 0x9e3779b1) ^ Math.imul(c | 0, 0x85ebca6b);
  let h2 = ((a / 4294967296) >>> 0) ^ Math.imul((b / 4294967296) >>> 0, 0xc2b2ae35) ^ Math.imul((c / 4294967296) | 0, 0x27d4eb2f);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 = Math.imul(h2 ^ (h2 >>> 15) ^ h1, 0x2c1b3c6d);
  h2 = Math.imul(h2 ^ (h2 >>> 12), 0x297a2d39);
  h2 ^= h2 >>> 15;
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

// Streaming form of hash53 for the 4-tuple, without building the string: the lanes are kept in
// module state while the parts are fed in order.
let s1 = 0;
let s2 = 0;

function feedChar(c: number): void {
  s1 = Math.imul(s1 ^ c, 0x01000193);
  s2 = Math.imul(s2 ^ c, 0x5bd1e995);
  s2 ^= s2 >>> 15;
}

function feedString(s: string): void {
  for (let i = 0; i < s.length; i++) feedChar(s.charCodeAt(i));
}

const digits = new Uint8Array(16);

/** Feeds `${n}` for a port-like value (a number or null). */
function feedPort(n: number | null): void {
  if (n === null) return feedString('null');
  if (!(n >= 0 && n < 1e15 && Number.isInteger(n))) return feedString(String(n));
  let k = 0;
  do {
    digits[k++] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  while (k > 0) feedChar(digits[--k]!);
}

/** hash53(`${a}|${ap}|${b}|${bp}`), computed without building the string. */
export function hash53Tuple(a: string, ap: number | null, b: string, bp: number | null): number {
  s1 = 0x811c9dc5 | 0;
  s2 = 0x01000193 ^ 0x5bd1e995;
  feedString(a);
  feedChar(124);
  feedPort(ap);
  feedChar(124);
  feedString(b);
  feedChar(124);
  feedPort(bp);
  return finish53(s1, s2);
}
