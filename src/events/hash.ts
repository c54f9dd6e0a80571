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
