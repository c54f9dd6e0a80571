import type { LogSchema, LogSink, ZeekRecord } from '../../src/zeek/types.js';

/** A LogSink that checks each record against its schema's columns and counts it, writing nothing. */
export class NullSink implements LogSink {
  records = 0;
  write(schema: LogSchema, rec: ZeekRecord): void {
    for (const k of Object.keys(rec)) {
      if (rec[k] !== undefined && !schema.fields.some((f) => f.name === k)) throw new Error(`${schema.path}: record has unknown column ${k}`);
    }
    this.records++;
  }
  async close(): Promise<void> {}
}
