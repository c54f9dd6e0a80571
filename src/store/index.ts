export * from './types.js';
export { openStore, Store, BatchWriter, defaultStorePath, resolveStorePath, createTableSql, type Cell, type OpenStoreOptions } from './store.js';
