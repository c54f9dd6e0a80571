// An empty in-memory store for function tests that `print` values: the first row (or all rows) of a query.
import { before, after } from 'node:test';
import { openStore, type Store } from '../../src/store/index.js';
import { runQuery } from '../../src/kql/index.js';

/** Opens the store before the file's tests and closes it after; `now` fixes now()/ago(). */
export function printStore(now?: Date): { row: (q: string) => Promise<Record<string, unknown>>; rows: (q: string) => Promise<Record<string, unknown>[]>; store: () => Store } {
  let store: Store;
  before(async () => { store = await openStore(':memory:'); });
  after(() => store.close());
  const rows = async (q: string) => (await runQuery(store, q, now ? { now } : {})).rows;
  return { row: async (q) => (await rows(q))[0]!, rows, store: () => store };
}
