// The benchmark's `apps` mix read back through the sensor with every analyzer on (as `wirehunt zeek`
// without --analyzers): each application log appears with the rows the generator meant to produce, and
// no weird storm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMixedCapture } from '../../src/synth/index.js';
import { analyzeCapture } from '../../src/sensor/index.js';
import { openCapture } from '../../src/capture/index.js';
import type { LogSchema, ZeekRecord } from '../../src/zeek/types.js';

test('the apps mix yields http, dns, ftp, ssl, x509, ssh and ntlm logs with sensible rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-apps-'));
  try {
    const path = join(dir, 'apps.pcap');
    const info = generateMixedCapture(path, { targetBytes: 10_000_000, seed: 3, apps: true });
    const again = generateMixedCapture(join(dir, 'again.pcap'), { targetBytes: 10_000_000, seed: 3, apps: true });
    assert.deepEqual(info, again);
    const h = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
    assert.equal(h(path), h(join(dir, 'again.pcap')), 'the apps mix is deterministic');
    const apps = info.apps!;
    for (const k of ['http', 'tls', 'dns', 'ftp', 'ftp-data', 'ssh', 'smb']) assert.ok((apps[k] ?? 0) > 0, `no ${k} sessions in ${JSON.stringify(apps)}`);

    const logs = new Map<string, ZeekRecord[]>();
    const sink = {
      write(sc: LogSchema, r: ZeekRecord) {
        let l = logs.get(sc.path);
        if (!l) logs.set(sc.path, (l = []));
        l.push(r);
      },
      async close() {},
    };
    await analyzeCapture({ input: path, sink });
    const rows = (p: string): ZeekRecord[] => logs.get(p) ?? [];
    const conn = rows('conn');
    const flows = info.flows.tcp + info.flows.udp + info.flows.icmp;
    assert.ok(conn.length >= flows * 0.95 && conn.length <= flows * 1.05, `conn.log ${conn.length} rows for ${flows} flows`);
    const service = (s: string): ZeekRecord[] => conn.filter((r) => String(r['service'] ?? '').split(',').includes(s));

    // HTTP and DNS: one row per request / query.
    assert.ok(rows('http').length >= apps['http']!, `http.log ${rows('http').length} < ${apps['http']} sessions`);
    assert.ok(rows('http').every((r) => r['method'] === 'GET' && r['status_code'] === 200 && /^host\d+\.example\.com$/.test(String(r['host']))));
    assert.ok(rows('dns').length >= apps['dns']! * 0.95, `dns.log ${rows('dns').length} for ${apps['dns']} exchanges`);
    assert.ok(rows('dns').some((r) => r['rcode_name'] === 'NOERROR' && Array.isArray(r['answers']) && (r['answers'] as unknown[]).length === 1));

    // TLS: every session is an established TLS 1.2 handshake with SNI and a two-certificate chain.
    const ssl = rows('ssl');
    assert.equal(ssl.length, apps['tls']);
    assert.equal(service('ssl').length, apps['tls']);
    for (const r of ssl) {
      assert.equal(r['version'], 'TLSv12');
      assert.equal(r['cipher'], 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
      assert.equal(r['established'], true);
      assert.match(String(r['server_name']), /^site\d+\.contoso\.net$/);
      assert.equal((r['cert_chain_fps'] as unknown[]).length, 2);
    }
    const x509 = rows('x509');
    assert.ok(x509.length >= 2, `x509.log ${x509.length} rows`);
    assert.ok(x509.some((r) => /^CN=site\d+\.contoso\.net,O=Contoso,C=US$/.test(String(r['certificate.subject']))));
    assert.ok(x509.some((r) => r['certificate.subject'] === 'CN=Wirehunt Synth CA 1,O=Wirehunt Synthetic Trust,C=US' && r['basic_constraints.ca'] === true));

    // FTP: a PASV row and a transfer row per session; the data connection is seen, after the command and
    // inside the control connection's lifetime.
    const ftp = rows('ftp');
    const transfers = ftp.filter((r) => r['command'] === 'RETR' || r['command'] === 'STOR');
    assert.equal(transfers.length, apps['ftp']);
    assert.ok(transfers.every((r) => r['reply_code'] === 226), JSON.stringify(transfers.map((r) => r['reply_code'])));
    const pasv = ftp.filter((r) => r['command'] === 'PASV');
    assert.equal(pasv.length, apps['ftp']);
    const data = service('ftp-data');
    assert.equal(data.length, apps['ftp-data']);
    for (const p of pasv) {
      const ctrl = conn.find((c) => c['uid'] === p['uid'])!;
      const d = data.find((c) => c['id.orig_h'] === p['id.orig_h'] && c['id.resp_p'] === p['data_channel.resp_p']);
      assert.ok(d, `no ftp-data connection for ${p['uid']} port ${p['data_channel.resp_p']}`);
      const tr = transfers.find((r) => r['uid'] === p['uid'])!;
      assert.ok((d['ts'] as number) > (tr['ts'] as number), 'data connection opens after the RETR/STOR');
      assert.ok((d['ts'] as number) + (d['duration'] as number) < (ctrl['ts'] as number) + (ctrl['duration'] as number), 'data connection ends before the control connection');
    }

    // On the wire: each data connection's first and last packets fall between the 150 and 226 replies of
    // its control connection; and the packet sizes are a mix of small and full-size frames.
    const ip4 = (d: Buffer, o: number): string => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
    const replies = new Map<string, { r150: number; r226: number }>();
    const dataSpan = new Map<string, { first: number; last: number }>();
    let frames = 0, small = 0, big = 0;
    await openCapture(path).run((pk) => {
      const d = pk.data.subarray(pk.offset, pk.offset + pk.capLen);
      frames++;
      if (d.length < 100) small++;
      if (d.length > 1400) big++;
      if (d.readUInt16BE(12) !== 0x0800 || d[23] !== 6) return;
      const ihl = (d[14]! & 15) * 4;
      const tcp = 14 + ihl;
      const sport = d.readUInt16BE(tcp), dport = d.readUInt16BE(tcp + 2);
      const payload = tcp + (d[tcp + 12]! >> 4) * 4;
      const src = ip4(d, 26), dst = ip4(d, 30);
      if (sport === 21) {
        const code = d.subarray(payload, payload + 4).toString('latin1');
        const k = `${dst}:${dport}`;
        const e = replies.get(k) ?? { r150: -1, r226: -1 };
        if (code === '150 ') e.r150 = pk.ts;
        if (code === '226 ') e.r226 = pk.ts;
        replies.set(k, e);
      }
      for (const k of [`${src}>${dst}:${dport}`, `${dst}>${src}:${sport}`]) {
        const e = dataSpan.get(k);
        if (e) e.last = pk.ts;
        else if (k === `${src}>${dst}:${dport}`) dataSpan.set(k, { first: pk.ts, last: pk.ts });
      }
    });
    for (const p of pasv) {
      const rp = replies.get(`${p['id.orig_h']}:${p['id.orig_p']}`);
      const sp = dataSpan.get(`${p['id.orig_h']}>${p['data_channel.resp_h']}:${p['data_channel.resp_p']}`);
      assert.ok(rp && rp.r150 > 0 && rp.r226 > 0 && sp, `FTP ${p['uid']}: replies ${JSON.stringify(rp)}, data ${JSON.stringify(sp)}`);
      assert.ok(rp.r150 < sp.first && sp.last < rp.r226, `FTP ${p['uid']}: data ${sp.first}–${sp.last} not inside 150 at ${rp.r150} … 226 at ${rp.r226}`);
    }
    assert.equal(frames, info.packets);
    assert.ok(small > frames / 5 && big > frames / 5, `size mix: ${small} small, ${big} full-size of ${frames}`);

    // SSH: one row per session, logins both succeeding and failing.
    const ssh = rows('ssh');
    assert.equal(ssh.length, apps['ssh']);
    assert.ok(ssh.every((r) => r['version'] === 2 && String(r['client']).startsWith('SSH-2.0-') && r['kex_alg'] === 'curve25519-sha256' && r['host_key_alg'] === 'ssh-ed25519'));
    assert.ok(ssh.some((r) => r['auth_success'] === true), 'a successful SSH login');
    assert.ok(ssh.some((r) => r['auth_success'] === false), 'a failed SSH login');

    // SMB/NTLM: one NTLM row per logon with the names the server announced.
    const ntlm = rows('ntlm');
    assert.equal(ntlm.length, apps['smb']);
    assert.ok(ntlm.every((r) => /^FS\d+$/.test(String(r['server_nb_computer_name'])) && r['server_tree_name'] === 'contoso.local'));
    assert.ok(ntlm.some((r) => r['success'] === true));
    assert.equal(service('ntlm').length, apps['smb']);

    // No weird storm: a handful at most.
    const weird = rows('weird');
    assert.ok(weird.length <= conn.length / 100, `weird.log: ${weird.length} rows (${[...new Set(weird.map((w) => w['name']))].join(', ')})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
