import type { LogSchema, LogSink, ZeekRecord } from '../../src/zeek/types.js';
import { renderAsciiRow, renderJsonRow } from '../../src/zeek/format.js';

/**
 * A LogSink that writes nothing but does everything else: checks each record against its schema's
 * columns, renders it with the ASCII and the JSON writers (whatever bytes fuzzed traffic put in it),
 * and checks the ASCII row has exactly one column per field and no raw newline.
 */
export class NullSink implements LogSink {
  records = 0;
  write(schema: LogSchema, rec: ZeekRecord): void {
    for (const k of Object.keys(rec)) {
      if (rec[k] !== undefined && !schema.fields.some((f) => f.name === k)) throw new Error(`${schema.path}: record has unknown column ${k}`);
    }
    const row = renderAsciiRow(schema, rec).replace(/\n$/, '');
    if (/[\n\r]/.test(row)) throw new Error(`${schema.path}: ASCII row contains a raw line break: ${JSON.stringify(row.slice(0, 200))}`);
    const cols = row.split('\t').length;
    if (cols !== schema.fields.length) throw new Error(`${schema.path}: ASCII row has ${cols} columns, schema ${schema.fields.length}`);
    const json = renderJsonRow(schema, rec);
    JSON.parse(json);
    this.records++;
  }
  async close(): Promise<void> {}
}
