import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventModel, DNE_COLUMNS, LEGACY_SIGNATURES, type RowTarget } from '../../src/events/model.js';
import { DeviceRegistry, parseInventory } from '../../src/events/devices.js';
import { deviceIdFor } from '../../src/events/hash.js';
import { ipType } from '../../src/events/ip.js';
import type { LogSchema, ZeekRecord } from '../../src/zeek/types.js';
import type { Cell } from '../../src/store/store.js';

type Row = Record<(typeof DNE_COLUMNS)[number], Cell>;

class Collect implements RowTarget {
  rows: Row[] = [];
  appendRow(cells: ArrayLike<Cell>): void {
    const r = {} as Row;
    DNE_COLUMNS.forEach((c, i) => ((r as Record<string, Cell>)[c] = cells[i]));
    this.rows.push(r);
  }
}

const schema = (path: string, names: string[]): LogSchema => ({ path, fields: names.map((name) => ({ name, type: 'string' as const })) });
const ID = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p'];

function run(recs: [LogSchema, ZeekRecord][], opts: { discover?: boolean; inventory?: string; legacy?: boolean } = {}) {
  const devs = opts.inventory ? parseInventory(opts.inventory, 'inv') : [];
  const reg = new DeviceRegistry(devs, opts.discover ?? !opts.inventory);
  const out = new Collect();
  const m = new EventModel(reg, out, { legacySignatures: opts.legacy });
  for (const [s, r] of recs) m.write(s, r);
  return { rows: out.rows, model: m, reg };
}

const base = (o: ZeekRecord): ZeekRecord => ({ ts: 1700000000.25, uid: 'CAbc1', 'id.orig_h': '10.0.0.5', 'id.orig_p': 50000, 'id.resp_h': '203.0.113.9', 'id.resp_p': 80, ...o });
const af = (r: Row) => JSON.parse(r.AdditionalFields as string) as Record<string, unknown>;

test('http record: one Out row for the onboarded client, Zeek fields with JSON types, host as RemoteUrl', () => {
  const http = schema('http', [...ID, 'trans_depth', 'method', 'host', 'uri', 'user_agent', 'request_body_len', 'status_code', 'tags', 'resp_mime_types']);
  const { rows } = run([[http, base({ 'id.resp_h': '93.184.216.34', trans_depth: 1, method: 'GET', host: 'example.com', uri: '/a.exe', user_agent: 'TrickXYZ', request_body_len: 0, status_code: 200, tags: [], resp_mime_types: ['application/x-dosexec'] })]]);
  assert.equal(rows.length, 1);
  const r = rows[0]!;
  assert.equal(r.ActionType, 'HttpConnectionInspected');
  assert.equal(r.DeviceId, deviceIdFor('10.0.0.5'));
  assert.equal(r.LocalIP, '10.0.0.5');
  assert.equal(r.LocalPort, 50000);
  assert.equal(r.RemoteIP, '93.184.216.34');
  assert.equal(r.RemotePort, 80);
  assert.equal(r.RemoteUrl, 'example.com');
  assert.equal(r.Protocol, 'Tcp');
  assert.equal(r.LocalIPType, 'Private');
  assert.equal(r.RemoteIPType, 'Public');
  assert.equal(r.Timestamp, 1700000000250000);
  assert.equal(typeof r.ReportId, 'number');
  assert.ok(Number.isSafeInteger(r.ReportId as number));
  assert.deepEqual(af(r), {
    direction: 'Out', uid: 'CAbc1', trans_depth: 1, method: 'GET', host: 'example.com', uri: '/a.exe', user_agent: 'TrickXYZ',
    request_body_len: 0, status_code: 200, tags: [], resp_mime_types: ['application/x-dosexec'],
  });
  // direction comes first, and neither ts nor the 4-tuple is repeated
  assert.match(r.AdditionalFields as string, /^\{"direction":"Out","uid":/);
  assert.doesNotMatch(r.AdditionalFields as string, /id\.orig_h|"ts"/);
});

test('traffic between two onboarded devices gives an Out and an In row with swapped endpoints', () => {
  const ssh = schema('ssh', [...ID, 'version', 'auth_success', 'auth_attempts', 'direction', 'client', 'server']);
  const { rows } = run([[ssh, base({ 'id.resp_h': '10.0.0.9', 'id.resp_p': 22, version: 2, auth_success: false, auth_attempts: 6, direction: 'INBOUND', client: 'SSH-2.0-x', server: 'SSH-2.0-y' })]]);
  assert.equal(rows.length, 2);
  const [o, i] = rows as [Row, Row];
  assert.equal(o.ActionType, 'SshConnectionInspected');
  assert.equal(i.ActionType, 'SshConnectionInspected');
  assert.equal(af(o).direction, 'Out');
  assert.equal(af(i).direction, 'In');
  assert.equal(o.LocalIP, '10.0.0.5');
  assert.equal(i.LocalIP, '10.0.0.9');
  assert.equal(i.LocalPort, 22);
  assert.equal(i.RemoteIP, '10.0.0.5');
  assert.equal(i.RemotePort, 50000);
  assert.notEqual(o.DeviceId, i.DeviceId);
  assert.notEqual(o.ReportId, i.ReportId);
  assert.equal(af(o).auth_success, false);
  assert.equal(af(o).auth_attempts, 6);
  assert.equal(i.RemoteUrl, '');
});

test('conn: ConnectionSuccess / InboundConnectionAccepted, ConnectionFailed, ConnectionAttempt by conn_state; ICMP rows', () => {
  const conn = schema('conn', [...ID, 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'history', 'orig_pkts', 'resp_pkts']);
  const mk = (state: string, extra: ZeekRecord = {}) => base({ 'id.resp_h': '10.0.0.9', proto: 'tcp', conn_state: state, history: 'ShADadFf', orig_pkts: 5, resp_pkts: 4, local_orig: true, ...extra });
  const { rows } = run([
    [conn, mk('SF', { duration: 1.5, orig_bytes: 100, resp_bytes: 2000 })],
    [conn, mk('REJ', { uid: 'C2' })],
    [conn, mk('S0', { uid: 'C3', resp_pkts: 0 })],
    [conn, mk('OTH', { uid: 'C4', orig_pkts: 0 })],
    [conn, base({ uid: 'C5', proto: 'icmp', 'id.orig_p': 8, 'id.resp_p': 0, 'id.resp_h': '10.0.0.9', conn_state: 'OTH', duration: 120.5, orig_bytes: 600000, resp_bytes: 600000, orig_pkts: 400, resp_pkts: 400, history: 'x' })],
    [conn, base({ uid: 'C6', proto: 'unknown_transport' })],
  ]);
  const acts = rows.map((r) => `${r.ActionType}/${af(r).direction}`);
  assert.deepEqual(acts, [
    'ConnectionSuccess/Out', 'InboundConnectionAccepted/In',
    'ConnectionFailed/Out', 'ConnectionFailed/In',
    'ConnectionAttempt/Out', 'ConnectionAttempt/In',
    'ConnectionAttempt/Out', 'ConnectionAttempt/In',
    'IcmpConnectionInspected/Out', 'IcmpConnectionInspected/In',
  ]);
  const ok = af(rows[0]!);
  assert.deepEqual(ok, { direction: 'Out', uid: 'CAbc1', duration: 1.5, orig_bytes: 100, resp_bytes: 2000, conn_state: 'SF', history: 'ShADadFf', orig_pkts: 5, resp_pkts: 4 });
  const icmp = af(rows[8]!);
  assert.deepEqual(Object.keys(icmp).sort(), ['conn_state', 'direction', 'duration', 'orig_bytes', 'orig_pkts', 'resp_bytes', 'resp_pkts', 'uid']);
  assert.equal(rows[8]!.Protocol, 'Icmp');
  assert.equal(icmp.orig_bytes, 600000);
});

test('ssl rows take subject and issuer from the x509 leaf certificate; dns, ftp and ntlm rows', () => {
  const x509 = schema('x509', ['ts', 'fingerprint', 'certificate.subject', 'certificate.issuer']);
  const ssl = schema('ssl', [...ID, 'version', 'server_name', 'established', 'cert_chain_fps']);
  const dns = schema('dns', [...ID, 'proto', 'trans_id', 'query', 'qtype_name', 'answers', 'TTLs', 'rejected']);
  const ftp = schema('ftp', [...ID, 'user', 'command', 'arg', 'reply_code']);
  const ntlm = schema('ntlm', [...ID, 'username', 'hostname', 'success']);
  const { rows } = run([
    [x509, { ts: 1, fingerprint: 'fp1', 'certificate.subject': 'CN=evil', 'certificate.issuer': 'CN=evil' }],
    [ssl, base({ 'id.resp_p': 443, version: 'TLSv12', server_name: 'evil.example', established: true, cert_chain_fps: ['fp1', 'fp2'] })],
    [dns, base({ uid: 'D1', proto: 'udp', 'id.resp_h': '198.51.100.53', 'id.resp_p': 53, trans_id: 7, query: 'x.example', qtype_name: 'TXT', answers: ['hello'], TTLs: [60], rejected: false })],
    [ftp, base({ uid: 'F1', 'id.resp_p': 21, user: 'anonymous', command: 'STOR', arg: 'a.zip', reply_code: 226 })],
    [ntlm, base({ uid: 'N1', 'id.orig_h': '198.51.100.7', 'id.resp_h': '10.0.0.9', 'id.resp_p': 445, username: 'bob', hostname: 'WS1', success: false })],
  ]);
  assert.deepEqual(rows.map((r) => r.ActionType), ['SslConnectionInspected', 'DnsConnectionInspected', 'FtpConnectionInspected', 'NtlmAuthenticationInspected']);
  const s = af(rows[0]!);
  assert.equal(s.subject, 'CN=evil');
  assert.equal(s.issuer, 'CN=evil');
  assert.deepEqual(s.cert_chain_fps, ['fp1', 'fp2']);
  assert.equal(rows[0]!.RemoteUrl, 'evil.example');
  assert.equal(rows[1]!.Protocol, 'Udp');
  assert.deepEqual(af(rows[1]!).answers, ['hello']);
  assert.deepEqual(af(rows[1]!).TTLs, [60]);
  assert.equal(af(rows[2]!).reply_code, 226);
  // NTLM from a public client: only the responder (onboarded) gets a row, direction In
  assert.equal(af(rows[3]!).direction, 'In');
  assert.equal(rows[3]!.LocalIP, '10.0.0.9');
  assert.equal(af(rows[3]!).success, false);
});

test('inventory: only listed devices get rows, with their names; discovery off', () => {
  const inv = JSON.stringify({ devices: [{ DeviceName: 'web01.contoso.local', IPAddresses: ['10.0.0.9'], IsInternetFacing: true }] });
  const http = schema('http', [...ID, 'method']);
  const { rows } = run([[http, base({ 'id.resp_h': '10.0.0.9', method: 'GET' })]], { inventory: inv });
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.DeviceName, 'web01.contoso.local');
  assert.equal(af(rows[0]!).direction, 'In');
});

test('ReportId is deterministic and differs between records', () => {
  const http = schema('http', [...ID, 'trans_depth', 'method']);
  const recs: [LogSchema, ZeekRecord][] = [[http, base({ trans_depth: 1, method: 'GET' })], [http, base({ trans_depth: 2, method: 'GET' })]];
  const a = run(recs).rows.map((r) => r.ReportId);
  const b = run(recs).rows.map((r) => r.ReportId);
  assert.deepEqual(a, b);
  assert.notEqual(a[0], a[1]);
});

test('legacy signatures: the eight names, only when asked for', () => {
  const http = schema('http', [...ID, 'method', 'uri', 'request_body_len', 'status_code']);
  const ssh = schema('ssh', [...ID, 'client']);
  const ssl = schema('ssl', [...ID, 'server_name']);
  const dns = schema('dns', [...ID, 'query']);
  const ftp = schema('ftp', [...ID, 'command', 'arg']);
  const inside = { 'id.resp_h': '10.0.0.9' };
  const recs: [LogSchema, ZeekRecord][] = [
    [http, base({ ...inside, method: 'POST', uri: '/login', request_body_len: 20, status_code: 200 })],
    [ssh, base({ ...inside, client: 'SSH-2.0-x' })],
    [ssl, base({ ...inside, server_name: 'a' })],
    [dns, base({ ...inside, query: 'q' })],
    [ftp, base({ ...inside, command: 'STOR', arg: 'f' })],
  ];
  assert.equal(run(recs).rows.filter((r) => r.ActionType === 'NetworkSignatureInspected').length, 0);
  const legacy = run(recs, { legacy: true }).rows.filter((r) => r.ActionType === 'NetworkSignatureInspected');
  const names = new Set(legacy.map((r) => af(r).SignatureName));
  assert.deepEqual([...names].sort(), [...LEGACY_SIGNATURES].sort());
  const server = legacy.find((r) => af(r).SignatureName === 'HTTP_Server')!;
  assert.equal(server.LocalIP, '10.0.0.9');
  assert.equal(af(server).direction, 'In');
});

test('discovery names devices from DHCP and DNS; public addresses are not devices', () => {
  const dhcp = schema('dhcp', ['ts', 'uids', 'client_addr', 'mac', 'host_name', 'domain', 'assigned_addr']);
  const dns = schema('dns', [...ID, 'query', 'qtype_name', 'answers']);
  const { reg } = run([
    [dhcp, { ts: 1, client_addr: '10.0.0.5', mac: 'aa:bb:cc:dd:ee:ff', host_name: 'WS-7', domain: 'contoso.local', assigned_addr: '10.0.0.5' }],
    [dns, base({ 'id.resp_h': '10.0.0.2', 'id.resp_p': 53, query: '9.0.0.10.in-addr.arpa', qtype_name: 'PTR', answers: ['srv9.contoso.local'] })],
    [dns, base({ uid: 'x', 'id.resp_h': '10.0.0.2', 'id.resp_p': 53, query: 'srv9-alias.contoso.local', qtype_name: 'A', answers: ['10.0.0.9'] })],
  ]);
  // 10.0.0.9 is not yet a device when its PTR answer arrives; it becomes one only when seen in traffic
  assert.equal(reg.get('10.0.0.5')!.DeviceName, 'ws-7.contoso.local');
  assert.equal(reg.get('10.0.0.5')!.MacAddress, 'aa:bb:cc:dd:ee:ff');
  assert.equal(reg.get('203.0.113.9'), undefined);
  assert.equal(reg.lookup('8.8.8.8'), undefined);
});

test('ipType classes', () => {
  assert.equal(ipType('10.1.2.3'), 'Private');
  assert.equal(ipType('172.31.255.255'), 'Private');
  assert.equal(ipType('172.32.0.1'), 'Public');
  assert.equal(ipType('127.0.0.1'), 'Loopback');
  assert.equal(ipType('169.254.1.1'), 'LinkLocal');
  assert.equal(ipType('224.0.0.251'), 'Multicast');
  assert.equal(ipType('255.255.255.255'), 'Broadcast');
  assert.equal(ipType('8.8.8.8'), 'Public');
  assert.equal(ipType('fe80::1'), 'LinkLocal');
  assert.equal(ipType('::1'), 'Loopback');
  assert.equal(ipType('fd00::5'), 'Private');
  assert.equal(ipType('2607:f8b0::1'), 'Public');
  assert.equal(ipType('ff02::fb'), 'Multicast');
  assert.equal(ipType('::ffff:10.0.0.1'), 'Private');
  assert.equal(ipType('nonsense'), '');
  assert.equal(ipType('1.2.3'), '');
});
