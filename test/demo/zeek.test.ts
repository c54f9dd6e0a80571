// `wirehunt zeek` on the demo capture: the sensor's analyzers see each attack as the hunts expect.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDemo } from '../../src/demo/index.js';
import { ACTORS, device } from '../../src/demo/network.js';
import { EXE_URIS, EXFIL, SPRAY_USERS, SSH_BRUTE_CONNECTIONS, SSH_BRUTE_PASSWORDS_PER_CONNECTION, TRICK_UA, TXT_LOOKUPS } from '../../src/demo/generate.js';

type Row = Record<string, unknown>;
const END = Date.UTC(2026, 10, 26, 6, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'wirehunt-demo-zeek-'));
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const logs: Record<string, Row[]> = {};
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function read(name: string): Row[] {
  const f = join(dir, 'logs', `${name}.log`);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
}

before(() => {
  writeDemo(join(dir, 'demo.pcap'), { endMs: END, seed: 1 });
  const r = spawnSync(process.execPath, [main, 'zeek', join(dir, 'demo.pcap'), '--out', join(dir, 'logs'), '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const n of ['conn', 'ssh', 'http', 'ssl', 'x509', 'dns', 'ntlm', 'ftp', 'weird', 'analyzer']) logs[n] = read(n);
});

const web01 = device('web01');
const trick = device(ACTORS.trick);
const icmpHost = device(ACTORS.icmp);

test('ssh.log: the brute force fails with > 3 attempts per connection; the admin logs in', () => {
  const brute = logs.ssh!.filter((r) => r['id.orig_h'] === ACTORS.sshAttacker);
  assert.equal(brute.length, SSH_BRUTE_CONNECTIONS);
  for (const r of brute) {
    assert.equal(r.auth_success, false);
    assert.equal(r.auth_attempts, SSH_BRUTE_PASSWORDS_PER_CONNECTION);
    assert.equal(r['id.resp_h'], web01.ip);
    assert.equal(r.client, 'SSH-2.0-libssh2_1.10.0');
  }
  const admin = logs.ssh!.filter((r) => r['id.orig_h'] === device('it-admin01').ip);
  assert.ok(admin.length > 0);
  assert.ok(admin.every((r) => r.auth_success === true && r.auth_attempts === 1));
});

test('http.log: TrickXYZ from one host, executable downloads', () => {
  const trickRows = logs.http!.filter((r) => r.user_agent === TRICK_UA);
  assert.ok(trickRows.length >= 8);
  assert.deepEqual([...new Set(trickRows.map((r) => r['id.orig_h']))], [trick.ip]);
  const exe = logs.http!.filter((r) => /\.(?:dll|exe|zip|7z|ps1|ps|bat|sh)$/.test(String(r.uri)));
  assert.deepEqual(exe.map((r) => r.uri).sort(), [...EXE_URIS].sort());
  assert.ok(exe.every((r) => r.status_code === 200 && Number(r.response_body_len) > 0));
  const agents = new Map<string, Set<unknown>>();
  for (const r of logs.http!) {
    const ua = String(r.user_agent ?? '');
    if (!agents.has(ua)) agents.set(ua, new Set());
    agents.get(ua)!.add(r['id.orig_h']);
  }
  assert.ok([...agents].some(([ua, s]) => ua !== TRICK_UA && s.size > 2));
});

test('ssl.log + x509.log: the public TLS server presents a self-signed certificate', () => {
  const rows = logs.ssl!.filter((r) => r['id.resp_h'] === ACTORS.c2Tls);
  assert.ok(rows.length >= 1);
  const byFp = new Map(logs.x509!.map((r) => [r.fingerprint, r]));
  for (const r of rows) {
    assert.equal(r.server_name, ACTORS.c2TlsName);
    assert.equal(r.established, true);
    const leaf = byFp.get((r.cert_chain_fps as string[])[0]);
    assert.ok(leaf, 'leaf certificate in x509.log');
    assert.equal(leaf['certificate.issuer'], `CN=${ACTORS.c2TlsName}`);
    assert.equal(leaf['certificate.subject'], leaf['certificate.issuer']);
  }
  // every other leaf is issued by the demo CA
  const others = logs.ssl!.filter((r) => r['id.resp_h'] !== ACTORS.c2Tls && Array.isArray(r.cert_chain_fps) && (r.cert_chain_fps as string[]).length);
  assert.ok(others.length > 10);
  for (const r of others) {
    const leaf = byFp.get((r.cert_chain_fps as string[])[0])!;
    assert.equal(leaf['certificate.issuer'], 'CN=Demo Web CA 1,O=Demo Trust Services,C=US');
  }
});

test('dns.log: TXT lookups with answers from the rogue resolver', () => {
  const rogue = logs.dns!.filter((r) => r['id.resp_h'] === ACTORS.rogueResolver);
  assert.equal(rogue.length, TXT_LOOKUPS);
  for (const r of rogue) {
    assert.equal(r.qtype_name, 'TXT');
    assert.equal(r['id.orig_h'], trick.ip);
    assert.ok(String(r.query).endsWith(ACTORS.txtDomain));
    assert.ok(Array.isArray(r.answers) && (r.answers as unknown[]).length > 0);
  }
});

test('ntlm.log: sprayed usernames against web01, none successful', () => {
  const rows = logs.ntlm!.filter((r) => r['id.orig_h'] === ACTORS.sprayer);
  assert.deepEqual(rows.map((r) => r.username), [...SPRAY_USERS]);
  assert.ok(rows.every((r) => r['id.resp_h'] === web01.ip && r.success !== true));
  assert.ok(rows.every((r) => r.server_nb_computer_name === 'WEB01'));
  const ok = logs.ntlm!.filter((r) => r['id.resp_h'] === device('fs01').ip);
  assert.ok(ok.length > 0 && ok.every((r) => r.success === true));
});

test('conn.log: ICMP exfiltration bytes and duration, and the ping sweep', () => {
  const icmp = logs.conn!.filter((r) => r.proto === 'icmp');
  const exfil = icmp.filter((r) => r['id.orig_h'] === icmpHost.ip && r['id.resp_h'] === ACTORS.icmpSink);
  assert.equal(exfil.length, 1);
  assert.equal(exfil[0]!.orig_bytes, EXFIL.count * EXFIL.payload);
  assert.ok(Number(exfil[0]!.orig_bytes) > 500_000);
  assert.ok(Number(exfil[0]!.duration) > 100);
  const sweep = icmp.filter((r) => r['id.orig_h'] === icmpHost.ip && String(r['id.resp_h']).startsWith('10.'));
  const t0 = Math.min(...sweep.map((r) => Number(r.ts)));
  assert.ok(new Set(sweep.filter((r) => Number(r.ts) - t0 < 600).map((r) => r['id.resp_h'])).size > 5);
});

test('ftp.log: passive transfers complete (226) with their data channels', () => {
  const xfer = logs.ftp!.filter((r) => r.command === 'RETR' || r.command === 'STOR');
  assert.ok(xfer.length >= 2);
  assert.ok(xfer.every((r) => r.reply_code === 226));
  assert.ok(xfer.some((r) => r.command === 'STOR' && r['id.resp_h'] === web01.ip && r.user === 'backup'));
  const pasv = logs.ftp!.filter((r) => r.command === 'PASV');
  assert.equal(pasv.length, xfer.length);
  assert.ok(pasv.every((r) => r['data_channel.passive'] === true && r['data_channel.resp_h'] === r['id.resp_h']));
});

test('well-formed protocol bytes: no weird.log or analyzer.log rows', () => {
  assert.deepEqual(logs.weird, []);
  assert.deepEqual(logs.analyzer, []);
});
