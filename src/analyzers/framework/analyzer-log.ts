// analyzer.log as Zeek 9.1 writes it (scripts/base/frameworks/analyzer/logging.zeek, Analyzer::Logging::Info).
// The analyzer framework is loaded in bare mode too, so this log exists in every mode.
import type { LogSchema, ZeekRecord } from '../../zeek/types.js';
import type { Conn } from '../../flow/conn.js';

export const analyzerSchema: LogSchema = {
  path: 'analyzer',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'analyzer_kind', type: 'string' },
    { name: 'analyzer_name', type: 'string' },
    { name: 'uid', type: 'string' },
    { name: 'fuid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'proto', type: 'enum' },
    { name: 'failure_reason', type: 'string' },
    { name: 'failure_data', type: 'string' },
  ],
};

/** Analyzer::Logging::failure_data_max_size. */
export const FAILURE_DATA_MAX = 40;

export function analyzerFailure(ts: number, kind: 'protocol' | 'packet', name: string, c: Conn, reason: string, data?: string): ZeekRecord {
  const rec: ZeekRecord = {
    ts, analyzer_kind: kind, analyzer_name: name, uid: c.uid,
    'id.orig_h': c.origH, 'id.orig_p': c.oPort, 'id.resp_h': c.respH, 'id.resp_p': c.rPort, proto: c.proto,
    failure_reason: reason,
  };
  if (data !== undefined) rec.failure_data = data.slice(0, FAILURE_DATA_MAX);
  return rec;
}
