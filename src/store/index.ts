export * from './types.js';
export { openStore, Store, StoreBusy, BatchWriter, defaultStorePath, resolveStorePath, createTableSql, createViewSql, columnReadSql, storageTable, shreddedKeys, shreddedColumn, withShreddedColumns, STORAGE_SCHEMA, type Cell, type OpenStoreOptions } from './store.js';
export { announceHolder, withdrawHolder, findHolder, type StoreHolder } from './holder.js';
