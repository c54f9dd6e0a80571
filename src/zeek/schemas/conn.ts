// conn.log as Zeek 9.1 writes it (scripts/base/protocols/conn/main.zeek, Conn::Info, &log fields in order).
import type { LogSchema } from '../types.js';

export const connSchema: LogSchema = {
  path: 'conn',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'proto', type: 'enum' },
    { name: 'service', type: 'string' },
    { name: 'duration', type: 'interval' },
    { name: 'orig_bytes', type: 'count' },
    { name: 'resp_bytes', type: 'count' },
    { name: 'conn_state', type: 'string' },
    { name: 'local_orig', type: 'bool' },
    { name: 'local_resp', type: 'bool' },
    { name: 'missed_bytes', type: 'count' },
    { name: 'history', type: 'string' },
    { name: 'orig_pkts', type: 'count' },
    { name: 'orig_ip_bytes', type: 'count' },
    { name: 'resp_pkts', type: 'count' },
    { name: 'resp_ip_bytes', type: 'count' },
    { name: 'tunnel_parents', type: 'set[string]' },
    { name: 'ip_proto', type: 'count' },
  ],
};
