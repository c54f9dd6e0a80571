// ssh.log as Zeek 9.1 writes it (scripts/base/protocols/ssh/main.zeek, SSH::Info).
import type { LogSchema } from '../types.js';

export const sshLog: LogSchema = {
  path: 'ssh',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'version', type: 'count' },
    { name: 'auth_success', type: 'bool' },
    { name: 'auth_attempts', type: 'count' },
    { name: 'direction', type: 'enum' },
    { name: 'client', type: 'string' },
    { name: 'server', type: 'string' },
    { name: 'cipher_alg', type: 'string' },
    { name: 'mac_alg', type: 'string' },
    { name: 'compression_alg', type: 'string' },
    { name: 'kex_alg', type: 'string' },
    { name: 'host_key_alg', type: 'string' },
    { name: 'host_key_fingerprint', type: 'string' },
  ],
};
