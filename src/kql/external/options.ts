// Settings of externaldata: which URLs may be fetched, how long a fetch may take, how big a
// document may be, and where fetched documents are cached. Read from the environment (the
// defaults below) and overridden per call by the CLI (`wirehunt query --externaldata-*`) or the
// server's query service.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ExternalDataOptions {
  /**
   * Allowed sources. An entry with "://" is a URL prefix (`https://example.com/feeds/`); otherwise a
   * host name, exact or `*.example.com`, over http or https. `*` allows every URL; an empty list none.
   */
  allow: string[];
  /** Per document, connect to last byte. */
  timeoutMs: number;
  /** Per document, in bytes (the body is streamed and the fetch stopped past the cap). */
  maxBytes: number;
  /** Fetched documents are kept here and reused for `cacheTtlMs`; null: no cache on disk. */
  cacheDir: string | null;
  cacheTtlMs: number;
  /** Maps a URL of the query to the URL fetched (tests serve the corpus's URLs locally). */
  rewrite?: (url: string) => string;
}

/**
 * Default allow-list: GitHub's raw-content hosts only, over https. They serve most of the public
 * threat feeds that hunting queries read (raw.githubusercontent.com alone is the source of most
 * externaldata URLs of shared/corpus/kql), hold only public content, and cannot reach the
 * sensor's own network: the query API is not turned into a proxy to internal addresses (SSRF),
 * and nothing else leaves the machine unless the operator widens the list.
 */
export const DEFAULT_ALLOW = ['https://raw.githubusercontent.com/', 'https://gist.githubusercontent.com/'];
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CACHE_TTL_MS = 60 * 60 * 1000;

function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'wirehunt', 'externaldata');
}

/** A comma- or whitespace-separated list; "none" (or "") = nothing allowed. */
export function parseAllowList(text: string): string[] {
  const items = text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  return items.length === 1 && items[0]!.toLowerCase() === 'none' ? [] : items;
}

function positive(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${v}'`);
  return n;
}

/**
 * Options from the environment: WIREHUNT_EXTERNALDATA_ALLOW, WIREHUNT_EXTERNALDATA_TIMEOUT_MS,
 * WIREHUNT_EXTERNALDATA_MAX_BYTES, WIREHUNT_EXTERNALDATA_CACHE_DIR ("none" = no cache),
 * WIREHUNT_EXTERNALDATA_CACHE_TTL_S; then `over` on top.
 */
export function externalDataOptions(over: Partial<ExternalDataOptions> = {}, env: NodeJS.ProcessEnv = process.env): ExternalDataOptions {
  const allowEnv = env.WIREHUNT_EXTERNALDATA_ALLOW;
  const cacheEnv = env.WIREHUNT_EXTERNALDATA_CACHE_DIR;
  const ttlS = positive(env.WIREHUNT_EXTERNALDATA_CACHE_TTL_S, 'WIREHUNT_EXTERNALDATA_CACHE_TTL_S');
  const base: ExternalDataOptions = {
    allow: allowEnv !== undefined ? parseAllowList(allowEnv) : DEFAULT_ALLOW,
    timeoutMs: positive(env.WIREHUNT_EXTERNALDATA_TIMEOUT_MS, 'WIREHUNT_EXTERNALDATA_TIMEOUT_MS') ?? DEFAULT_TIMEOUT_MS,
    maxBytes: positive(env.WIREHUNT_EXTERNALDATA_MAX_BYTES, 'WIREHUNT_EXTERNALDATA_MAX_BYTES') ?? DEFAULT_MAX_BYTES,
    cacheDir: cacheEnv === undefined || cacheEnv === '' ? defaultCacheDir() : cacheEnv.toLowerCase() === 'none' ? null : cacheEnv,
    cacheTtlMs: ttlS !== undefined ? ttlS * 1000 : DEFAULT_CACHE_TTL_MS,
  };
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Whether `url` may be fetched under `allow`. Only http and https URLs ever are. */
export function isAllowed(url: string, allow: string[]): boolean {
  let u: URL;
  try { u = new URL(url); } catch { return false; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  if (u.username || u.password) return false;
  const href = u.href;
  const host = u.hostname.toLowerCase();
  for (const a of allow) {
    if (a === '*') return true;
    if (a.includes('://')) {
      let prefix: string;
      try { prefix = new URL(a).href; } catch { continue; }
      // a prefix naming only an origin ("https://h") covers its paths; otherwise compare as text
      if (href.startsWith(prefix)) return true;
      continue;
    }
    const h = a.toLowerCase();
    if (h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h) return true;
  }
  return false;
}
