// files.log as Zeek 9.1 writes it (base/frameworks/files main.zeek Files::Info, &log fields in order).
import type { LogSchema } from '../types.js';

export const filesSchema: LogSchema = {
  path: 'files',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'fuid', type: 'string' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'source', type: 'string' },
    { name: 'depth', type: 'count' },
    { name: 'analyzers', type: 'set[string]' },
    { name: 'mime_type', type: 'string' },
    { name: 'filename', type: 'string' },
    { name: 'duration', type: 'interval' },
    { name: 'local_orig', type: 'bool' },
    { name: 'is_orig', type: 'bool' },
    { name: 'seen_bytes', type: 'count' },
    { name: 'total_bytes', type: 'count' },
    { name: 'missing_bytes', type: 'count' },
    { name: 'overflow_bytes', type: 'count' },
    { name: 'timedout', type: 'bool' },
    { name: 'parent_fuid', type: 'string' },
  ],
};
