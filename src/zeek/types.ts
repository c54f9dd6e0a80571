// Log schemas are declared once (here, as data) and drive the ASCII and JSON writers and readers.

export type ZeekType =
  | 'time' | 'interval' | 'string' | 'addr' | 'subnet' | 'port' | 'enum' | 'count' | 'int' | 'double' | 'bool'
  | 'set[string]' | 'set[enum]' | 'set[addr]' | 'set[count]'
  | 'vector[string]' | 'vector[count]' | 'vector[interval]' | 'vector[addr]';

export interface LogField {
  /** Column name as Zeek writes it, e.g. `id.orig_h`. */
  name: string;
  type: ZeekType;
}

export interface LogSchema {
  /** The log's path: `conn`, `http`, … (file `<path>.log`). */
  path: string;
  fields: readonly LogField[];
}

/**
 * One log record, keyed by column name. Value types by Zeek type:
 *  time, interval, double → number (seconds); count, int, port → number; bool → boolean;
 *  string, enum, addr, subnet → string; set[...] and vector[...] → arrays.
 *  An unset (`&optional` without value) column is absent or undefined.
 * Strings are byte strings: each char code is one byte of the wire data (latin1), so that
 * the writers can escape exactly the bytes Zeek escapes.
 */
export type ZeekValue = number | string | boolean | readonly (string | number)[] | undefined;
export type ZeekRecord = Record<string, ZeekValue>;

/** Where log records go. The sensor emits; writers (ASCII, JSON, the event model) consume. */
export interface LogSink {
  write(schema: LogSchema, rec: ZeekRecord): void;
  /** Flush and close every file; `ts` is the time Zeek would print in `#close`. */
  close(): Promise<void>;
}
