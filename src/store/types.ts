// The one place where Kusto types meet DuckDB types. The KQL engine builds its schema from TABLES
// (Kusto names and types) and its SQL from the same entries (sqlName, duckType).
//
// Mapping (Kusto → DuckDB), chosen once:
//   string   → VARCHAR    never NULL: '' for missing (DEFAULT '' on every string column)
//   datetime → TIMESTAMP  UTC, microsecond precision (Kusto has 100 ns; µs is what DuckDB keeps)
//   long     → BIGINT
//   int      → INTEGER
//   bool     → BOOLEAN
//   real     → DOUBLE
//   dynamic  → JSON       (DuckDB's JSON type, a VARCHAR holding JSON text)
//   guid     → VARCHAR    canonical lower-case 8-4-4-4-12 text, '' for missing
//   timespan → BIGINT     100 ns ticks, as Kusto counts them
//   decimal  → DOUBLE
// Note: AdditionalFields of the Device* tables is documented as `string` (JSON text), so it is a
// VARCHAR here, exactly as Defender types it; `todynamic(AdditionalFields)` parses it.

import { DEFENDER_TABLES, DEFENDER_TABLE_ALIASES } from './defender-schema.js';

export type KustoType = 'string' | 'datetime' | 'long' | 'int' | 'bool' | 'real' | 'dynamic' | 'guid' | 'timespan' | 'decimal';
export type DuckType = 'VARCHAR' | 'TIMESTAMP' | 'BIGINT' | 'INTEGER' | 'BOOLEAN' | 'DOUBLE' | 'JSON';

export const KUSTO_TO_DUCKDB: Readonly<Record<KustoType, DuckType>> = {
  string: 'VARCHAR',
  datetime: 'TIMESTAMP',
  long: 'BIGINT',
  int: 'INTEGER',
  bool: 'BOOLEAN',
  real: 'DOUBLE',
  dynamic: 'JSON',
  guid: 'VARCHAR',
  timespan: 'BIGINT',
  decimal: 'DOUBLE',
};

/** Defender API schema type names (the `Type` of `{"Schema":[{"Name","Type"}]}`), per Kusto type. */
export const KUSTO_TO_API_TYPE: Readonly<Record<KustoType, string>> = {
  string: 'String',
  datetime: 'DateTime',
  long: 'Int64',
  int: 'Int32',
  bool: 'Boolean',
  real: 'Double',
  dynamic: 'Object',
  guid: 'Guid',
  timespan: 'TimeSpan',
  decimal: 'Decimal',
};

export interface ColumnDef {
  /** Kusto column name, exactly as documented (case-sensitive). */
  readonly name: string;
  readonly kustoType: KustoType;
  readonly duckType: DuckType;
  /**
   * Column name in DuckDB. Equal to `name` except where two documented names differ only in case
   * (DuckDB identifiers are case-insensitive): DeviceProcessEvents has both `LogonId` and `LogonID`;
   * the later one is stored as `LogonID_2`. Always quote it: `"${sqlName}"`.
   */
  readonly sqlName: string;
}

export interface TableDef {
  /** Kusto table name (= DuckDB table name). */
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  /**
   * Columns that identify a row for idempotent ingest: ReportId with DeviceId and Timestamp where
   * the table has them (Defender documents ReportId as unique only together with the device and
   * time); empty for tables without ReportId, which dedupe on the whole row.
   */
  readonly keyColumns: readonly string[];
}

function buildTable(name: string, cols: readonly (readonly [string, KustoType])[]): TableDef {
  const seen = new Map<string, number>();
  const columns: ColumnDef[] = cols.map(([col, kt]) => {
    const low = col.toLowerCase();
    const n = (seen.get(low) ?? 0) + 1;
    seen.set(low, n);
    const duckType = KUSTO_TO_DUCKDB[kt];
    if (!duckType) throw new Error(`schema: ${name}.${col} has unknown Kusto type ${kt}`);
    return { name: col, kustoType: kt, duckType, sqlName: n === 1 ? col : `${col}_${n}` };
  });
  const has = (c: string) => columns.some((x) => x.name === c);
  const keyColumns = has('ReportId') ? ['ReportId', ...(has('DeviceId') ? ['DeviceId'] : []), ...(has('Timestamp') ? ['Timestamp'] : [])] : [];
  return { name, columns, keyColumns };
}

/** Every table of shared/schema/defender-tables.json, in its order. */
export const TABLES: readonly TableDef[] = Object.entries(DEFENDER_TABLES).map(([n, c]) => buildTable(n, c));

const BY_NAME = new Map(TABLES.map((t) => [t.name, t]));
const BY_LOWER = new Map(TABLES.map((t) => [t.name.toLowerCase(), t]));

/** Old table name → current one (e.g. GraphApiAuditEvents → GraphAPIAuditEvents). */
export const TABLE_ALIASES: Readonly<Record<string, string>> = DEFENDER_TABLE_ALIASES;

/** The table called `name` (exact Kusto name or an alias); undefined when there is none. */
export function getTable(name: string): TableDef | undefined {
  return BY_NAME.get(name) ?? BY_NAME.get(TABLE_ALIASES[name] ?? '');
}

/** Case-insensitive lookup, for command-line flags such as `--table devicenetworkevents`. */
export function findTable(name: string): TableDef | undefined {
  return getTable(name) ?? BY_LOWER.get(name.toLowerCase()) ?? BY_LOWER.get((TABLE_ALIASES[name] ?? '').toLowerCase());
}

/** `"name"` quoted for DuckDB. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Environment variable that names the store file when `--db` is not given. */
export const STORE_ENV = 'WIREHUNT_DB';
