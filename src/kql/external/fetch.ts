// Fetches one externaldata document: allow-list checked on every hop (redirects are followed by
// hand), a timeout, a size cap enforced while streaming, and an on-disk cache with a TTL.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { makeDirectory } from '../../cli/dirs.js';
import { join } from 'node:path';
import { isAllowed, type ExternalDataOptions } from './options.js';

/** A user-facing externaldata failure: its message is one line. */
export class ExternalDataError extends Error {
  override name = 'ExternalDataError';
}

const MAX_REDIRECTS = 5;

function mib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB` : `${n} bytes`;
}

function notAllowed(url: string, o: ExternalDataOptions): ExternalDataError {
  const list = o.allow.length ? o.allow.join(', ') : 'empty';
  return new ExternalDataError(`externaldata: ${url} is not allowed (allow-list: ${list}; widen it with --externaldata-allow or WIREHUNT_EXTERNALDATA_ALLOW)`);
}

function cachePath(dir: string, url: string): string {
  return join(dir, createHash('sha256').update(url).digest('hex').slice(0, 32) + '.body');
}

/** The document's bytes, from the cache when fresh. `url` is the query's URL (before any rewrite). */
export async function fetchDocument(url: string, o: ExternalDataOptions, cancel?: AbortSignal, now = Date.now()): Promise<Buffer> {
  const target = o.rewrite ? o.rewrite(url) : url;
  if (!isAllowed(target, o.allow)) throw notAllowed(url, o);
  const cached = o.cacheDir && o.cacheTtlMs > 0 ? cachePath(o.cacheDir, target) : null;
  if (cached) {
    try {
      const st = statSync(cached);
      if (now - st.mtimeMs < o.cacheTtlMs) return readFileSync(cached);
    } catch { /* not cached */ }
  }
  const body = await download(url, target, o, cancel);
  if (cached) {
    try {
      makeDirectory(o.cacheDir!);
      const tmp = `${cached}.${process.pid}.${Date.now()}.tmp`;
      writeFileSync(tmp, body);
      renameSync(tmp, cached);
    } catch { /* an unwritable cache only costs a refetch */ }
  }
  return body;
}

/** A user-cancelled fetch (the query's signal). */
export class ExternalDataCancelled extends ExternalDataError {}

async function download(url: string, target: string, o: ExternalDataOptions, cancel?: AbortSignal): Promise<Buffer> {
  const timeout = AbortSignal.timeout(Math.max(1, o.timeoutMs));
  const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
  let current = target;
  try {
    for (let hop = 0; ; hop++) {
      const res = await fetch(current, { redirect: 'manual', signal, headers: { 'user-agent': 'wirehunt-externaldata' } });
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new ExternalDataError(`externaldata: ${url} redirects more than ${MAX_REDIRECTS} times`);
        current = new URL(res.headers.get('location')!, current).href;
        if (!isAllowed(current, o.allow)) throw new ExternalDataError(`externaldata: ${url} redirects to ${current}, which is not allowed (allow-list: ${o.allow.join(', ') || 'empty'})`);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new ExternalDataError(`externaldata: ${url} returned HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`);
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        await res.body?.cancel();
        throw tooBig(url, o);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      if (res.body) {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength;
          if (size > o.maxBytes) throw tooBig(url, o);
          chunks.push(Buffer.from(chunk));
        }
      }
      return Buffer.concat(chunks);
    }
  } catch (err) {
    if (err instanceof ExternalDataError) throw err;
    if (cancel?.aborted) throw new ExternalDataCancelled(`externaldata: ${url}: cancelled`);
    if (signal.aborted) throw new ExternalDataError(`externaldata: ${url} timed out after ${o.timeoutMs} ms`);
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new ExternalDataError(`externaldata: ${url} is unreachable (${String(why).split('\n')[0]})`);
  }
}

function tooBig(url: string, o: ExternalDataOptions): ExternalDataError {
  return new ExternalDataError(`externaldata: ${url} is larger than the ${mib(o.maxBytes)} cap (raise it with --externaldata-max-bytes or WIREHUNT_EXTERNALDATA_MAX_BYTES)`);
}
