// The KQL engine's library API (used by the CLI, and later by the HTTP server and detections).
export { compileQuery, storeTableDefs, type Compiled, type CompileOptions, type Diagnostic, type Column } from './compile.js';
export { runQuery, runCompiled, KqlError, MAX_ROWS, API_TYPES, encodeValue, formatDatetime, formatTimespan, type QueryResult, type RunOptions, type SchemaField } from './exec/run.js';
export { formatDiagnostic } from './frontend/kusto.js';
export type { JsonRows } from './exec/json-rows.js';
