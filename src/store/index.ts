export * from './types.js';
export { openStore, Store, BatchWriter, defaultStorePath, resolveStorePath, createTableSql, createViewSql, columnReadSql, storageTable, shreddedKeys, shreddedColumn, withShreddedColumns, STORAGE_SCHEMA, type Cell, type OpenStoreOptions } from './store.js';
