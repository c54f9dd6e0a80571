// weird.log as Zeek 9.1 writes it (scripts/base/frameworks/notice/weird.zeek, Weird::Info).
import type { LogSchema } from '../types.js';

export const weirdSchema: LogSchema = {
  path: 'weird',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'name', type: 'string' },
    { name: 'addl', type: 'string' },
    { name: 'notice', type: 'bool' },
    { name: 'peer', type: 'string' },
    { name: 'source', type: 'string' },
  ],
};
