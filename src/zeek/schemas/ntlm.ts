// ntlm.log as Zeek 9.1 writes it (scripts/base/protocols/ntlm/main.zeek, NTLM::Info).
import type { LogSchema } from '../types.js';

export const ntlmLog: LogSchema = {
  path: 'ntlm',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'username', type: 'string' },
    { name: 'hostname', type: 'string' },
    { name: 'domainname', type: 'string' },
    { name: 'server_nb_computer_name', type: 'string' },
    { name: 'server_dns_computer_name', type: 'string' },
    { name: 'server_tree_name', type: 'string' },
    { name: 'success', type: 'bool' },
  ],
};
