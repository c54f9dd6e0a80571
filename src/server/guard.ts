// Who may call the API, and how often: a bearer token when listening beyond loopback, and a per-client
// rate limit (Defender's API allows 45 calls a minute; ours is configurable).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { makeDirectory } from '../cli/dirs.js';
import { dirname } from 'node:path';
import type { IncomingMessage } from 'node:http';

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The token from WIREHUNT_TOKEN, else the one kept in `file` (made and saved on first use). */
export function loadOrCreateToken(file: string, env: NodeJS.ProcessEnv = process.env): { token: string; created: boolean } {
  if (env.WIREHUNT_TOKEN) return { token: env.WIREHUNT_TOKEN, created: false };
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (t) return { token: t, created: false };
  }
  const token = randomBytes(24).toString('base64url');
  makeDirectory(dirname(file));
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, created: true };
}

export const TOKEN_COOKIE = 'wirehunt_token';

export function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The bearer header (scripts), or the cookie a browser got by opening the page's `?token=` link once. */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (m) return sameToken(m[1].trim(), token);
  const c = new RegExp(`(?:^|;\\s*)${TOKEN_COOKIE}=([^;]+)`).exec(req.headers.cookie ?? '');
  return c ? sameToken(decodeURIComponent(c[1]), token) : false;
}

/** A token bucket per client address: `perMinute` calls, refilled continuously. */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(readonly perMinute: number, private readonly clock: () => number = Date.now) {}

  /** Returns 0 when allowed, else the seconds to wait. */
  take(client: string): number {
    if (this.perMinute <= 0) return 0;
    const now = this.clock();
    const b = this.buckets.get(client) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + ((now - b.at) / 60_000) * this.perMinute);
    b.at = now;
    this.buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 60) / this.perMinute);
  }
}
