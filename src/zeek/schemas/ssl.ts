// ssl.log as Zeek 9.1 writes it (scripts/base/protocols/ssl/main.zeek + files.zeek; subject/issuer
// columns are excluded by Zeek's default filter and so are not columns here).
import type { LogSchema } from '../types.js';

export const sslLog: LogSchema = {
  path: 'ssl',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'version', type: 'string' },
    { name: 'cipher', type: 'string' },
    { name: 'curve', type: 'string' },
    { name: 'server_name', type: 'string' },
    { name: 'resumed', type: 'bool' },
    { name: 'last_alert', type: 'string' },
    { name: 'next_protocol', type: 'string' },
    { name: 'established', type: 'bool' },
    { name: 'ssl_history', type: 'string' },
    { name: 'cert_chain_fps', type: 'vector[string]' },
    { name: 'client_cert_chain_fps', type: 'vector[string]' },
    { name: 'sni_matches_cert', type: 'bool' },
  ],
};
