// dns.log as Zeek 9.1 writes it (scripts/base/protocols/dns/main.zeek, DNS::Info, &log fields in order).
import type { LogSchema } from '../types.js';

export const dnsSchema: LogSchema = {
  path: 'dns',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'proto', type: 'enum' },
    { name: 'trans_id', type: 'count' },
    { name: 'rtt', type: 'interval' },
    { name: 'query', type: 'string' },
    { name: 'qclass', type: 'count' },
    { name: 'qclass_name', type: 'string' },
    { name: 'qtype', type: 'count' },
    { name: 'qtype_name', type: 'string' },
    { name: 'rcode', type: 'count' },
    { name: 'rcode_name', type: 'string' },
    { name: 'AA', type: 'bool' },
    { name: 'TC', type: 'bool' },
    { name: 'RD', type: 'bool' },
    { name: 'RA', type: 'bool' },
    { name: 'Z', type: 'count' },
    { name: 'answers', type: 'vector[string]' },
    { name: 'TTLs', type: 'vector[interval]' },
    { name: 'rejected', type: 'bool' },
    { name: 'opcode', type: 'count' },
    { name: 'opcode_name', type: 'string' },
  ],
};
