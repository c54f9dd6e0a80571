// Short descriptions of the Zeek fields that DeviceNetworkEvents carries in AdditionalFields, per
// ActionType, for the page's record inspector and schema reference. Written for wirehunt from the
// meaning of each field in Zeek's log scripts (scripts/base/protocols/*/main.zeek); field names are
// Zeek's own, in log order.

export interface ZeekField { name: string; type: string; description: string }
export interface ZeekActionType { actionType: string; log: string; description: string; fields: ZeekField[] }

const DIRECTION: ZeekField = { name: 'direction', type: 'string', description: "Which way the conversation went for the device the row belongs to: 'Out' when it started it, 'In' when it answered." };
const UID: ZeekField = { name: 'uid', type: 'string', description: 'Zeek connection id; every log row of the same connection carries it.' };

const f = (name: string, type: string, description: string): ZeekField => ({ name, type, description });

const CONN: ZeekField[] = [
  UID,
  f('service', 'set[string]', 'Application protocols Zeek recognised on the connection.'),
  f('duration', 'interval', 'Seconds from the first to the last packet seen.'),
  f('orig_bytes', 'count', 'Payload bytes sent by the originator (from sequence numbers for TCP).'),
  f('resp_bytes', 'count', 'Payload bytes sent by the responder.'),
  f('conn_state', 'string', 'Connection state code such as S0, SF, REJ, RSTO or OTH.'),
  f('missed_bytes', 'count', 'Bytes lost to capture gaps.'),
  f('history', 'string', 'Letters for the packets seen, e.g. S (SYN), h (SYN-ACK), D (data), F (FIN); upper case from the originator.'),
  f('orig_pkts', 'count', 'Packets sent by the originator.'),
  f('orig_ip_bytes', 'count', 'IP-level bytes sent by the originator, from the IP total length fields.'),
  f('resp_pkts', 'count', 'Packets sent by the responder.'),
  f('resp_ip_bytes', 'count', 'IP-level bytes sent by the responder.'),
];

export const ZEEK_ACTION_TYPES: ZeekActionType[] = [
  {
    actionType: 'HttpConnectionInspected', log: 'http.log', description: 'One row per HTTP request/response pair.',
    fields: [DIRECTION, UID,
      f('trans_depth', 'count', 'Position of this request among the pipelined requests of the connection.'),
      f('method', 'string', 'Request method (GET, POST, …).'),
      f('host', 'string', 'Value of the Host header.'),
      f('uri', 'string', 'Requested URI.'),
      f('referrer', 'string', 'Value of the Referer header.'),
      f('version', 'string', 'HTTP version of the exchange.'),
      f('user_agent', 'string', 'Value of the User-Agent header.'),
      f('origin', 'string', 'Value of the Origin header.'),
      f('request_body_len', 'count', 'Uncompressed bytes of the request body.'),
      f('response_body_len', 'count', 'Uncompressed bytes of the response body.'),
      f('status_code', 'count', 'Response status code.'),
      f('status_msg', 'string', 'Response reason phrase.'),
      f('info_code', 'count', 'Last 1xx informational status code.'),
      f('info_msg', 'string', 'Last 1xx informational reason phrase.'),
      f('tags', 'set[string]', 'Indicators Zeek attached to the exchange.'),
      f('username', 'string', 'User name from basic authentication.'),
      f('password', 'string', 'Password from basic authentication (only when capture is enabled).'),
      f('proxied', 'set[string]', 'Headers that suggest the request went through a proxy.'),
      f('orig_fuids', 'vector[string]', 'File ids of the entities the client sent.'),
      f('orig_filenames', 'vector[string]', 'File names the client gave its entities.'),
      f('orig_mime_types', 'vector[string]', 'MIME types of the entities the client sent.'),
      f('resp_fuids', 'vector[string]', 'File ids of the entities the server sent.'),
      f('resp_filenames', 'vector[string]', 'File names the server gave its entities.'),
      f('resp_mime_types', 'vector[string]', 'MIME types of the entities the server sent.'),
    ],
  },
  {
    actionType: 'SshConnectionInspected', log: 'ssh.log', description: 'One row per SSH session (the clear-text start of it).',
    fields: [DIRECTION, UID,
      f('version', 'count', 'SSH major version (1 or 2), unset when the version strings do not agree.'),
      f('auth_success', 'bool', 'Whether authentication succeeded; unset when it could not be told.'),
      f('auth_attempts', 'count', 'Authentication attempts seen (at least one; not all are failures).'),
      f('client', 'string', "Client's version string."),
      f('server', 'string', "Server's version string."),
      f('cipher_alg', 'string', 'Encryption algorithm negotiated.'),
      f('mac_alg', 'string', 'MAC (signing) algorithm negotiated.'),
      f('compression_alg', 'string', 'Compression algorithm negotiated.'),
      f('kex_alg', 'string', 'Key exchange algorithm negotiated.'),
      f('host_key_alg', 'string', "Algorithm of the server's host key."),
      f('host_key', 'string', "Fingerprint of the server's host key."),
    ],
  },
  {
    actionType: 'SslConnectionInspected', log: 'ssl.log', description: 'One row per TLS/SSL session.',
    fields: [DIRECTION, UID,
      f('version', 'string', 'Protocol version the server chose (e.g. TLSv12, TLSv13).'),
      f('cipher', 'string', 'Cipher suite the server chose.'),
      f('curve', 'string', 'Elliptic curve the server chose for key exchange.'),
      f('server_name', 'string', 'Server Name Indication the client sent.'),
      f('resumed', 'bool', 'Whether the session was resumed from an earlier one.'),
      f('last_alert', 'string', 'Last alert seen in the session.'),
      f('next_protocol', 'string', 'Application protocol agreed through ALPN/NPN.'),
      f('established', 'bool', 'Whether the handshake completed.'),
      f('ssl_history', 'string', 'Letters for the handshake and alert messages seen, in order; upper case from the client.'),
      f('cert_chain_fps', 'vector[string]', "Fingerprints of the server's certificates, leaf first."),
      f('client_cert_chain_fps', 'vector[string]', "Fingerprints of the client's certificates."),
      f('subject', 'string', "Subject of the server's leaf certificate."),
      f('issuer', 'string', "Issuer of the server's leaf certificate."),
      f('client_subject', 'string', "Subject of the client's certificate."),
      f('client_issuer', 'string', "Issuer of the client's certificate."),
      f('sni_matches_cert', 'bool', 'Whether the requested server name matches the certificate.'),
      f('validation_status', 'string', 'Result of validating the certificate chain.'),
    ],
  },
  {
    actionType: 'DnsConnectionInspected', log: 'dns.log', description: 'One row per DNS query/response pair.',
    fields: [DIRECTION, UID,
      f('proto', 'string', 'Transport protocol of the message (udp or tcp).'),
      f('trans_id', 'count', 'DNS transaction id.'),
      f('rtt', 'interval', 'Time between the query and its response.'),
      f('query', 'string', 'Domain name asked about.'),
      f('qclass', 'count', 'Query class value.'),
      f('qclass_name', 'string', 'Query class name (C_INTERNET, …).'),
      f('qtype', 'count', 'Query type value.'),
      f('qtype_name', 'string', 'Query type name (A, AAAA, TXT, …).'),
      f('rcode', 'count', 'Response code value.'),
      f('rcode_name', 'string', 'Response code name (NOERROR, NXDOMAIN, …).'),
      f('AA', 'bool', 'Authoritative Answer bit of the response.'),
      f('TC', 'bool', 'Truncation bit.'),
      f('RD', 'bool', 'Recursion Desired bit of the query.'),
      f('RA', 'bool', 'Recursion Available bit of the response.'),
      f('Z', 'count', 'Reserved Z field (normally 0).'),
      f('answers', 'vector[string]', 'Resource record data of the answers.'),
      f('TTLs', 'vector[interval]', 'Time-to-live of each answer.'),
      f('rejected', 'bool', 'Whether the server rejected the query.'),
    ],
  },
  {
    actionType: 'FtpConnectionInspected', log: 'ftp.log', description: 'One row per FTP command and its reply.',
    fields: [DIRECTION, UID,
      f('user', 'string', 'User name of the session.'),
      f('password', 'string', 'Password of the session (anonymous sessions, or when capture is enabled).'),
      f('command', 'string', 'Command the client sent.'),
      f('arg', 'string', 'Argument of the command.'),
      f('mime_type', 'string', 'Sniffed MIME type of the transferred file.'),
      f('file_size', 'count', 'Size of the transferred file.'),
      f('reply_code', 'count', 'Reply code from the server.'),
      f('reply_msg', 'string', 'Reply message from the server.'),
      f('data_channel.passive', 'bool', 'Whether the data channel was passive.'),
      f('data_channel.orig_h', 'addr', 'Host that opens the data channel.'),
      f('data_channel.resp_h', 'addr', 'Host that accepts the data channel.'),
      f('data_channel.resp_p', 'port', 'Port of the data channel.'),
      f('fuid', 'string', 'File id of the transferred file.'),
    ],
  },
  {
    actionType: 'NtlmAuthenticationInspected', log: 'ntlm.log', description: 'One row per NTLM authentication.',
    fields: [DIRECTION, UID,
      f('username', 'string', 'User name the client gave.'),
      f('hostname', 'string', 'Host name the client gave.'),
      f('domainname', 'string', 'Domain name the client gave.'),
      f('server_nb_computer_name', 'string', "Server's NetBIOS computer name."),
      f('server_dns_computer_name', 'string', "Server's DNS computer name."),
      f('server_tree_name', 'string', "Server's tree (forest) name."),
      f('success', 'bool', 'Whether the authentication succeeded.'),
    ],
  },
  {
    actionType: 'IcmpConnectionInspected', log: 'conn.log', description: 'One row per ICMP conversation (conn.log fields).',
    fields: [DIRECTION, ...CONN.filter((x) => x.name !== 'service' && x.name !== 'history')],
  },
  {
    actionType: 'ConnectionSuccess', log: 'conn.log', description: 'A TCP/UDP connection that was answered (conn.log fields).',
    fields: [DIRECTION, ...CONN],
  },
  { actionType: 'InboundConnectionAccepted', log: 'conn.log', description: 'An answered connection, seen from the responding device (conn.log fields).', fields: [DIRECTION, ...CONN] },
  { actionType: 'ConnectionFailed', log: 'conn.log', description: 'A connection that was rejected or reset (conn.log fields).', fields: [DIRECTION, ...CONN] },
  { actionType: 'ConnectionAttempt', log: 'conn.log', description: 'A connection attempt that got no answer (conn.log fields).', fields: [DIRECTION, ...CONN] },
];

const BY_ACTION = new Map(ZEEK_ACTION_TYPES.map((a) => [a.actionType, a]));

/** The description of `field` for rows of `actionType`, else of any action type that has the field. */
export function describeZeekField(actionType: string, field: string): string | undefined {
  const own = BY_ACTION.get(actionType)?.fields.find((x) => x.name === field);
  if (own) return own.description;
  for (const a of ZEEK_ACTION_TYPES) {
    const x = a.fields.find((y) => y.name === field);
    if (x) return x.description;
  }
  return undefined;
}
