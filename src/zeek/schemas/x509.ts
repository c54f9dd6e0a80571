// x509.log as Zeek 9.1 writes it (scripts/base/files/x509/main.zeek, X509::Info with its records flattened).
import type { LogSchema } from '../types.js';

export const x509Log: LogSchema = {
  path: 'x509',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'fingerprint', type: 'string' },
    { name: 'certificate.version', type: 'count' },
    { name: 'certificate.serial', type: 'string' },
    { name: 'certificate.subject', type: 'string' },
    { name: 'certificate.issuer', type: 'string' },
    { name: 'certificate.not_valid_before', type: 'time' },
    { name: 'certificate.not_valid_after', type: 'time' },
    { name: 'certificate.key_alg', type: 'string' },
    { name: 'certificate.sig_alg', type: 'string' },
    { name: 'certificate.key_type', type: 'string' },
    { name: 'certificate.key_length', type: 'count' },
    { name: 'certificate.exponent', type: 'string' },
    { name: 'certificate.curve', type: 'string' },
    { name: 'san.dns', type: 'vector[string]' },
    { name: 'san.uri', type: 'vector[string]' },
    { name: 'san.email', type: 'vector[string]' },
    { name: 'san.ip', type: 'vector[addr]' },
    { name: 'basic_constraints.ca', type: 'bool' },
    { name: 'basic_constraints.path_len', type: 'count' },
    { name: 'host_cert', type: 'bool' },
    { name: 'client_cert', type: 'bool' },
  ],
};
