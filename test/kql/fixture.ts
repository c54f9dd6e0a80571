// A small hand-built store for the seed queries (shared/seed/queries.kql). Every row is here on
// purpose; seed.test.ts lists the rows each query must return, worked out by hand from these.
import { openStore, type Store } from '../../src/store/index.js';

export const NOW = new Date('2024-05-01T12:00:00Z');
const us = (iso: string) => Date.parse(iso) * 1000;
const t = (hhmmss: string) => us(`2024-05-01T${hhmmss}Z`);

type Row = Record<string, string | number | boolean | null>;

function net(ts: number, deviceId: string, action: string, af: Record<string, unknown> | string, extra: Row = {}): Row {
  return {
    Timestamp: ts, DeviceId: deviceId, DeviceName: deviceId.toLowerCase() + '.corp.local', ActionType: action,
    AdditionalFields: typeof af === 'string' ? af : JSON.stringify(af), ReportId: 0, ...extra,
  };
}

export function networkRows(): Row[] {
  const rows: Row[] = [];
  // Q1: legacy signatures
  rows.push(net(t('09:00:00'), 'D1', 'NetworkSignatureInspected', { SignatureName: 'SSH', SignatureMatchedContent: 'SSH-2.0' }, { LocalIP: '10.0.0.5', RemoteIP: '203.0.113.9' }));
  rows.push(net(t('09:00:01'), 'D1', 'NetworkSignatureInspected', { SignatureName: 'HTTP_Client' }, { LocalIP: '10.0.0.5', RemoteIP: '203.0.113.9' }));
  // Q2/Q7/Q8: SSH. Pair A (10.0.0.5 → 203.0.113.9): 5 failures with 5 attempts, 1 success, 1 failure with 2 attempts.
  for (let i = 0; i < 5; i++) rows.push(net(t(`09:1${i}:00`), 'D1', 'SshConnectionInspected', { direction: 'Out', auth_success: false, auth_attempts: 5, server: 'SSH-2.0-OpenSSH_8.9', client: 'SSH-2.0-libssh_0.9.6', uid: `Cssh${i}` }, { LocalIP: '10.0.0.5', RemoteIP: '203.0.113.9', LocalPort: 40000 + i, RemotePort: 22 }));
  rows.push(net(t('09:20:00'), 'D1', 'SshConnectionInspected', { direction: 'Out', auth_success: true, auth_attempts: 5, server: 'SSH-2.0-OpenSSH_8.9', client: 'SSH-2.0-libssh_0.9.6' }, { LocalIP: '10.0.0.5', RemoteIP: '203.0.113.9', RemotePort: 22 }));
  rows.push(net(t('09:21:00'), 'D1', 'SshConnectionInspected', { direction: 'Out', auth_success: false, auth_attempts: 2, server: 'SSH-2.0-OpenSSH_8.9', client: 'SSH-2.0-libssh_0.9.6' }, { LocalIP: '10.0.0.5', RemoteIP: '203.0.113.9', RemotePort: 22 }));
  // Pair B (10.0.0.6 → 203.0.113.10): 4 failures only (count 4, not > 4); one has no client.
  for (let i = 0; i < 4; i++) rows.push(net(t(`09:3${i}:00`), 'D2', 'SshConnectionInspected', i === 3 ? { direction: 'Out', auth_success: false, auth_attempts: 9, server: 'SSH-2.0-OpenSSH_7.4' } : { direction: 'Out', auth_success: false, auth_attempts: 9, server: 'SSH-2.0-OpenSSH_7.4', client: 'SSH-2.0-paramiko_2.11' }, { LocalIP: '10.0.0.6', RemoteIP: '203.0.113.10', RemotePort: 22 }));
  // Q4/Q5/Q6: HTTP. user agents: TrickXYZ (D1), curl (D1, D2, D1), Mozilla (D1, D2, D3), InOnly (In).
  rows.push(net(t('11:50:00'), 'D1', 'HttpConnectionInspected', { direction: 'Out', user_agent: 'TrickXYZ', uri: '/payload.exe', host: 'evil.example' }, { LocalIP: '10.0.0.5', LocalPort: 50000, RemoteIP: '198.51.100.7', RemotePort: 80 }));
  rows.push(net(t('08:00:00'), 'D1', 'HttpConnectionInspected', { direction: 'Out', user_agent: 'curl/8.0', uri: '/index.html' }, { LocalIP: '10.0.0.5', RemoteIP: '198.51.100.8', RemotePort: 80 }));
  rows.push(net(t('08:01:00'), 'D2', 'HttpConnectionInspected', { direction: 'Out', user_agent: 'curl/8.0', uri: '/a.ps1' }, { LocalIP: '10.0.0.6', RemoteIP: '198.51.100.8', RemotePort: 80 }));
  rows.push(net(t('08:02:00'), 'D1', 'HttpConnectionInspected', { direction: 'Out', user_agent: 'curl/8.0', uri: '/x.EXE' }, { LocalIP: '10.0.0.5', RemoteIP: '198.51.100.8', RemotePort: 80 }));
  rows.push(net(t('08:03:00'), 'D1', 'HttpConnectionInspected', { direction: 'Out', user_agent: 'Mozilla/5.0', uri: '/' }, { LocalIP: '10.0.0.5', RemoteIP: '198.51.100.9', RemotePort: 443 }));
  rows.push(net(t('08:04:00'), 'D2', 'HttpConnectionInspected', { direction: 'Out', user_agent: 'Mozilla/5.0', uri: '/dl/tool.zip?x=1' }, { LocalIP: '10.0.0.6', RemoteIP: '198.51.100.9', RemotePort: 443 }));
  rows.push(net(t('08:05:00'), 'D3', 'HttpConnectionInspected', { direction: 'Out', user_agent: 'Mozilla/5.0', uri: '/style.css' }, { LocalIP: '10.0.0.7', RemoteIP: '198.51.100.9', RemotePort: 443 }));
  rows.push(net(t('08:06:00'), 'D3', 'HttpConnectionInspected', { direction: 'In', user_agent: 'InOnly', uri: '/in.exe' }, { LocalIP: '10.0.0.7', RemoteIP: '198.51.100.10', RemotePort: 8080 }));
  // Q5: connections to join with (same LocalIP, RemoteIP, LocalPort and 5-minute bin as the TrickXYZ row)
  rows.push(net(t('11:52:30'), 'D1', 'ConnectionSuccess', { uid: 'C1' }, { LocalIP: '10.0.0.5', LocalPort: 50000, RemoteIP: '198.51.100.7', RemotePort: 80, InitiatingProcessId: 4242, InitiatingProcessFileName: 'powershell.exe' }));
  rows.push(net(t('11:54:59'), 'D1', 'ConnectionSuccess', { uid: 'C2' }, { LocalIP: '10.0.0.5', LocalPort: 50000, RemoteIP: '198.51.100.7', RemotePort: 80, InitiatingProcessId: 4343, InitiatingProcessFileName: 'rundll32.exe' }));
  rows.push(net(t('11:45:00'), 'D1', 'ConnectionSuccess', { uid: 'C3' }, { LocalIP: '10.0.0.5', LocalPort: 50000, RemoteIP: '198.51.100.7', RemotePort: 80, InitiatingProcessId: 1, InitiatingProcessFileName: 'other-bin.exe' }));
  rows.push(net(t('11:51:00'), 'D1', 'ConnectionSuccess', { uid: 'C4' }, { LocalIP: '10.0.0.5', LocalPort: 50001, RemoteIP: '198.51.100.7', RemotePort: 80, InitiatingProcessId: 2, InitiatingProcessFileName: 'other-port.exe' }));
  // Q9: ICMP upload. Only the first qualifies (Out, duration > 100, upload > 500000).
  rows.push(net(t('07:00:00'), 'D1', 'IcmpConnectionInspected', { direction: 'Out', duration: 200.5, orig_bytes: 3145728, resp_bytes: 1536, conn_state: 'OTH' }, { LocalIP: '10.0.0.5', RemoteIP: '8.8.8.8' }));
  rows.push(net(t('07:01:00'), 'D1', 'IcmpConnectionInspected', { direction: 'Out', duration: 50, orig_bytes: 3145728, resp_bytes: 0 }, { LocalIP: '10.0.0.5', RemoteIP: '8.8.4.4' }));
  rows.push(net(t('07:02:00'), 'D1', 'IcmpConnectionInspected', { direction: 'Out', duration: 300, orig_bytes: 400000, resp_bytes: 0 }, { LocalIP: '10.0.0.5', RemoteIP: '8.8.4.4' }));
  rows.push(net(t('07:03:00'), 'D2', 'IcmpConnectionInspected', { direction: 'In', duration: 300, orig_bytes: 900000, resp_bytes: 0 }, { LocalIP: '10.0.0.6', RemoteIP: '1.2.3.4' }));
  // Q10: ping sweep: D1 pings 6 private addresses within 10:00–10:05 (one twice); D2 pings 3.
  for (let i = 0; i < 6; i++) rows.push(net(t(`10:0${i}:00`), 'D1', 'IcmpConnectionInspected', { direction: 'Out', duration: 0.1, orig_bytes: 64, resp_bytes: 64 }, { LocalIP: '10.0.0.5', RemoteIP: `10.0.0.${20 + i}` }));
  rows.push(net(t('10:06:00'), 'D1', 'IcmpConnectionInspected', { direction: 'Out', duration: 0.1 }, { LocalIP: '10.0.0.5', RemoteIP: '10.0.0.20' }));
  for (let i = 0; i < 3; i++) rows.push(net(t(`10:0${i}:30`), 'D2', 'IcmpConnectionInspected', { direction: 'Out', duration: 0.1 }, { LocalIP: '10.0.0.6', RemoteIP: `192.168.1.${i + 1}` }));
  // Q12: TLS
  rows.push(net(t('06:00:00'), 'D1', 'SslConnectionInspected', { direction: 'Out', issuer: 'CN=selfsigned.local', subject: 'CN=selfsigned.local', server_name: 'selfsigned.local' }, { LocalIP: '10.0.0.5', RemoteIP: '93.184.216.34', RemotePort: 443 }));
  rows.push(net(t('06:01:00'), 'D1', 'SslConnectionInspected', { direction: 'Out', issuer: "CN=R3,O=Let's Encrypt,C=US", server_name: 'example.org' }, { LocalIP: '10.0.0.5', RemoteIP: '93.184.216.35', RemotePort: 443 }));
  rows.push(net(t('06:02:00'), 'D1', 'SslConnectionInspected', { direction: 'Out', issuer: 'CN=intranet', server_name: 'intranet' }, { LocalIP: '10.0.0.5', RemoteIP: '10.0.0.9', RemotePort: 443 }));
  // Q13: DNS TXT
  rows.push(net(t('05:00:00'), 'D1', 'DnsConnectionInspected', { direction: 'Out', qtype_name: 'TXT', query: 'corp.local', answers: ['v=spf1 -all'] }, { LocalIP: '10.0.0.5', RemoteIP: '10.0.0.1', RemotePort: 53 }));
  rows.push(net(t('05:01:00'), 'D1', 'DnsConnectionInspected', { direction: 'Out', qtype_name: 'TXT', query: 'tunnel.evil.example', answers: ['aGVsbG8='] }, { LocalIP: '10.0.0.5', RemoteIP: '8.8.8.8', RemotePort: 53 }));
  rows.push(net(t('05:02:00'), 'D1', 'DnsConnectionInspected', { direction: 'Out', qtype_name: 'TXT', query: 'noanswer.example' }, { LocalIP: '10.0.0.5', RemoteIP: '1.1.1.1', RemotePort: 53 }));
  rows.push(net(t('05:03:00'), 'D1', 'DnsConnectionInspected', { direction: 'Out', qtype_name: 'A', query: 'example.org', answers: ['93.184.216.34'] }, { LocalIP: '10.0.0.5', RemoteIP: '8.8.8.8', RemotePort: 53 }));
  rows.push(net(t('05:04:00'), 'D1', 'DnsConnectionInspected', { direction: 'Out', qtype_name: 'TXT', query: 'v6.example', answers: ['x'] }, { LocalIP: '10.0.0.5', RemoteIP: '10.0.0.2', RemotePort: 53 }));
  // Q14: NTLM against D5 (internet-facing) and D6 (not any more)
  const ntlm = (ts: string, dev: string, user: string, success: boolean | null) =>
    net(t(ts), dev, 'NtlmAuthenticationInspected', success === null ? { direction: 'In', username: user, domainname: 'CORP' } : { direction: 'In', username: user, domainname: 'CORP', success }, { LocalIP: dev === 'D5' ? '10.0.0.50' : '10.0.0.60', RemoteIP: '203.0.113.66', LocalPort: 445 });
  rows.push(ntlm('04:00:00', 'D5', 'alice', false), ntlm('04:01:00', 'D5', 'bob', false), ntlm('04:02:00', 'D5', 'carol', false), ntlm('04:03:00', 'D5', 'dave', null), ntlm('04:04:00', 'D5', 'erin', true), ntlm('04:05:00', 'D5', 'alice', false));
  rows.push(ntlm('04:00:00', 'D6', 'alice', false), ntlm('04:01:00', 'D6', 'bob', false), ntlm('04:02:00', 'D6', 'carol', false), ntlm('04:03:00', 'D6', 'dave', false));
  rows.forEach((r, i) => { r['ReportId'] = i + 1; });
  return rows;
}

export async function seedStore(): Promise<Store> {
  const store = await openStore(':memory:');
  const add = async (table: string, rows: Row[]) => {
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const w = await store.writer(table, cols);
    for (const r of rows) w.appendRow(cols.map((c) => r[c] as never));
    await w.close();
  };
  await add('DeviceNetworkEvents', networkRows());
  await add('DeviceNetworkInfo', [
    { Timestamp: t('00:00:00'), DeviceId: 'D1', DnsAddresses: '["10.0.0.1","::"]', ReportId: 1 },
    { Timestamp: t('00:00:00'), DeviceId: 'D2', DnsAddresses: '["10.0.0.2"]', ReportId: 2 },
    { Timestamp: t('00:00:00'), DeviceId: 'D3', DnsAddresses: '', ReportId: 3 },
    { Timestamp: t('00:00:00'), DeviceId: 'D4', DnsAddresses: '["127.0.0.1","0.0.0.0"]', ReportId: 4 },
  ]);
  await add('DeviceImageLoadEvents', [
    { Timestamp: t('03:00:00'), DeviceId: 'D1', FileName: 'ICMP.DLL', InitiatingProcessFileName: 'ping.exe', ReportId: 1 },
    { Timestamp: t('03:00:01'), DeviceId: 'D1', FileName: 'iphlpapi.dll', InitiatingProcessFileName: 'svchost.exe', ReportId: 2 },
    { Timestamp: t('03:00:02'), DeviceId: 'D1', FileName: 'kernel32.dll', InitiatingProcessFileName: 'ping.exe', ReportId: 3 },
    { Timestamp: t('03:00:03'), DeviceId: 'D2', FileName: 'icmp.dll.bak', InitiatingProcessFileName: 'x.exe', ReportId: 4 },
  ]);
  await add('DeviceInfo', [
    { Timestamp: t('01:00:00'), DeviceId: 'D5', IsInternetFacing: false, ReportId: 1 },
    { Timestamp: t('02:00:00'), DeviceId: 'D5', IsInternetFacing: true, ReportId: 2 },
    { Timestamp: t('01:00:00'), DeviceId: 'D6', IsInternetFacing: true, ReportId: 3 },
    { Timestamp: t('02:00:00'), DeviceId: 'D6', IsInternetFacing: false, ReportId: 4 },
  ]);
  return store;
}
