// Runs queries for the HTTP API: a small pool of DuckDB connections on the store's instance, so that
// several queries run at once and one slow query does not hold up the others.

import type { DuckDBConnection } from '@duckdb/node-api';
import type { Store } from '../store/index.js';
import { compileQuery, runCompiled, KqlError, MAX_ROWS, type QueryResult } from '../kql/index.js';
import type { ExternalDataOptions } from '../kql/external/options.js';
import { applyMemoryCap, parseMemorySize, queryMemoryCap } from '../kql/exec/limits.js';
import { UserError } from '../cli/types.js';

export interface QueryServiceOptions {
  /** Connections, i.e. queries running at the same time; more wait in line. */
  concurrency?: number;
  timeoutMs?: number;
  maxRows?: number;
  /** A fixed instant for now() and ago() (replaying old captures); default: the current time. */
  now?: Date;
  /** externaldata settings over the environment's WIREHUNT_EXTERNALDATA_* (src/kql/external/options.ts). */
  externalData?: Partial<ExternalDataOptions>;
  /** Memory cap of the store's DuckDB instance while serving (default: $WIREHUNT_QUERY_MEMORY, else 4GiB). */
  memoryLimit?: string;
}

export class QueryTimeoutError extends Error {
  override name = 'QueryTimeoutError';
}

export class QueryService {
  private idle: DuckDBConnection[] = [];
  private opened = 0;
  private waiting: ((c: DuckDBConnection) => void)[] = [];
  readonly timeoutMs: number;
  readonly maxRows: number;
  private readonly concurrency: number;
  private readonly fixedNow: Date | undefined;
  private readonly externalData: Partial<ExternalDataOptions> | undefined;
  private readonly memoryLimit: string;
  private capped: Promise<void> | null = null;

  constructor(readonly store: Store, opts: QueryServiceOptions = {}) {
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.maxRows = Math.min(opts.maxRows ?? MAX_ROWS, MAX_ROWS);
    this.fixedNow = opts.now;
    this.externalData = opts.externalData;
    this.memoryLimit = queryMemoryCap(opts.memoryLimit);
    if (parseMemorySize(this.memoryLimit) === null) throw new UserError(`query memory cap: expected a size such as 512MiB or 8GB, got '${this.memoryLimit}' ($WIREHUNT_QUERY_MEMORY)`);
  }

  private async acquire(): Promise<DuckDBConnection> {
    const c = this.idle.pop();
    if (c) return c;
    if (this.opened < this.concurrency) {
      this.opened++;
      const conn = await this.store.instance.connect();
      // the cap is the instance's: set once, before the first query runs
      await (this.capped ??= applyMemoryCap(conn, this.memoryLimit));
      return conn;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(c: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }

  /** Throws KqlError for a query that does not bind or compile, QueryTimeoutError past the timeout. */
  async run(text: string, opts: { now?: Date; signal?: AbortSignal } = {}): Promise<QueryResult> {
    const compiled = compileQuery(text);
    if (!compiled.sql) throw new KqlError(compiled.diagnostics);
    const conn = await this.acquire();
    try {
      return await runCompiled(conn, compiled, { now: opts.now ?? this.fixedNow, signal: opts.signal, timeoutMs: this.timeoutMs, maxRows: this.maxRows, externalData: this.externalData });
    } catch (err) {
      if (err instanceof KqlError && /^query timed out/.test(err.message)) throw new QueryTimeoutError(err.message);
      throw err;
    } finally {
      this.release(conn);
    }
  }

  close(): void {
    for (const c of this.idle) c.closeSync();
    this.idle = [];
  }
}
