import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { specs as sslSpecs, SslAnalyzer, tlsClientHelloPrefix, tlsServerHelloPrefix } from '../../../src/analyzers/ssl/index.js';
import { specs as xmppSpecs, xmppTokens } from '../../../src/analyzers/xmpp/index.js';
import { resetKnownCerts } from '../../../src/analyzers/x509/index.js';
import { sslLog } from '../../../src/zeek/schemas/ssl.js';
import { x509Log } from '../../../src/zeek/schemas/x509.js';
import { FakeCtx, fakeConn, runPcap, readBaseline, fmt, corpusDir } from './harness.js';

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 255, n & 255]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const ext = (type: number, body: Buffer) => Buffer.concat([u16(type), vec16(body)]);
const record = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 3, 3]), u16(body.length), body]);
const hs = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type]), u24(body.length), body]);

function clientHello(sni: string, alpn: string[]): Buffer {
  const exts = Buffer.concat([
    ext(0, vec16(Buffer.concat([Buffer.from([0]), vec16(Buffer.from(sni))]))),
    ext(16, vec16(Buffer.concat(alpn.map((a) => Buffer.concat([Buffer.from([a.length]), Buffer.from(a)]))))),
  ]);
  // 16 03 03 .. 01 ...  03 03 | random | sid(0) | ciphers | comp | extensions
  return record(22, hs(1, Buffer.concat([u16(0x0303), Buffer.alloc(32, 1), Buffer.from([0]), vec16(u16(0xc02f)), Buffer.from([1, 0]), vec16(exts)])));
}

function serverHello(alpn: string): Buffer {
  const exts = ext(16, vec16(Buffer.concat([Buffer.from([alpn.length]), Buffer.from(alpn)])));
  return record(22, hs(2, Buffer.concat([u16(0x0303), Buffer.alloc(32, 2), Buffer.from([0]), u16(0xc02f), Buffer.from([0]), vec16(exts)])));
}

test('TLS 1.2 handshake from byte literals: SNI, ALPN, curve, CCS, established, history', () => {
  const ctx = new FakeCtx(fakeConn());
  const a = new SslAnalyzer(ctx);
  const ch = clientHello('www.example.org', ['h2', 'http/1.1']);
  assert.ok(tlsClientHelloPrefix(ch));
  // deliver the ClientHello in two pieces to exercise record buffering
  a.deliverStream(true, ch, 0, 7);
  a.deliverStream(true, ch, 7, ch.length - 7);
  const sh = serverHello('h2');
  assert.ok(tlsServerHelloPrefix(sh));
  // ServerKeyExchange with named curve secp256r1 (23) for an ECDHE cipher, then ServerHelloDone
  const ske = hs(12, Buffer.concat([Buffer.from([3]), u16(23), Buffer.from([1, 4]), u16(0x0401), vec16(Buffer.alloc(8))]));
  const flight = Buffer.concat([sh, record(22, Buffer.concat([ske, hs(14, Buffer.alloc(0))]))]);
  a.deliverStream(false, flight, 0, flight.length);
  const cflight = Buffer.concat([record(22, hs(16, Buffer.alloc(66))), record(20, Buffer.from([1])), record(22, Buffer.alloc(40))]);
  a.deliverStream(true, cflight, 0, cflight.length);
  assert.equal(ctx.written.length, 0);
  const sflight = Buffer.concat([record(20, Buffer.from([1])), record(22, Buffer.alloc(40))]);
  a.deliverStream(false, sflight, 0, sflight.length);
  assert.equal(ctx.written.length, 1, 'logged when established');
  const r = ctx.written[0]!.rec;
  assert.equal(r.version, 'TLSv12');
  assert.equal(r.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  assert.equal(r.curve, 'secp256r1');
  assert.equal(r.server_name, 'www.example.org');
  assert.equal(r.next_protocol, 'h2');
  assert.equal(r.established, true);
  assert.equal(r.resumed, false);
  assert.equal(r.ssl_history, 'CsknGIi');
  assert.equal(r.cert_chain_fps, undefined);
  assert.deepEqual(ctx.confirmed, ['ssl']);
  a.done();
  assert.equal(ctx.written.length, 1);
});

test('alert before any hello and garbage end in one record, never a throw', () => {
  const ctx = new FakeCtx(fakeConn());
  const a = new SslAnalyzer(ctx);
  const ch = clientHello('x.test', []);
  a.deliverStream(true, ch, 0, ch.length);
  const al = record(21, Buffer.from([2, 40]));
  a.deliverStream(false, al, 0, al.length);
  a.deliverStream(false, Buffer.from('HTTP/1.1 400 Bad'), 0, 16);
  a.done();
  assert.equal(ctx.written.length, 1);
  assert.equal(ctx.written[0]!.rec.last_alert, 'handshake_failure');
  assert.equal(ctx.written[0]!.rec.ssl_history, 'Cl');
  assert.equal(ctx.violations.length, 1);
  for (let seed = 1; seed < 300; seed++) {
    const c2 = new FakeCtx(fakeConn());
    const b = new SslAnalyzer(c2);
    const m = Buffer.concat([ch, serverHello('h2')]);
    let x = seed;
    for (let i = 0; i < 4; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      m[x % m.length] = x >>> 24;
    }
    b.deliverStream(true, m, 0, ch.length);
    b.deliverStream(false, m, ch.length, m.length - ch.length);
    b.done();
    assert.ok(c2.written.length <= 1);
  }
});

test('XMPP tokens follow the binpac grammar', () => {
  const b = Buffer.from("<?xml version='1.0'?>\n<stream:stream to='x' xmlns='jabber:client'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  assert.deepEqual(xmppTokens(b, 0, b.length), ['?xml', 'stream:stream', 'starttls']);
  assert.equal(xmppTokens(Buffer.from('<a'), 0, 2), undefined);
});

test('ssl.log and x509.log match Zeek baselines on the corpus (driven by the test harness)', () => {
  let total = 0, exact = 0;
  for (const cs of readdirSync(corpusDir + 'ssl')) {
    const dir = corpusDir + 'ssl/' + cs + '/';
    const meta = JSON.parse(readFileSync(dir + 'case.json', 'utf8')) as { pcap: string };
    resetKnownCerts();
    const { written } = runPcap(dir + meta.pcap, { specs: [...sslSpecs, ...xmppSpecs] });
    for (const [log, schema] of [['ssl', sslLog], ['x509', x509Log]] as const) {
      if (!existsSync(dir + log + '.log')) continue;
      const ours = written.filter((w) => w.path === log).map((w) => w.rec);
      for (const row of readBaseline(dir + log + '.log').rows) {
        total++;
        const i = log === 'ssl' ? ours.findIndex((o) => String(o['id.orig_p']) === row['id.orig_p']) : ours.findIndex((o) => o.fingerprint === row.fingerprint);
        if (i < 0) continue;
        const o = ours.splice(i, 1)[0]!;
        if (schema.fields.every((f) => f.name === 'ts' || f.name === 'uid' || fmt(o[f.name], f.type) === row[f.name])) exact++;
      }
    }
  }
  assert.equal(total, 26);
  assert.equal(exact, total);
});

test('LDAP StartTLS (extended operation) hands the stream to SSL after a successful response', async () => {
  const { LdapAnalyzer } = await import('../../../src/analyzers/ldap/index.js');
  const ctx = new FakeCtx(fakeConn({ respP: 389 }));
  const a = new LdapAnalyzer(ctx);
  const oid = Buffer.from('1.3.6.1.4.1.1466.20037');
  // LDAPMessage { messageID 1, [APPLICATION 23] { [0] requestName } }
  const req = Buffer.concat([Buffer.from([0x30, 5 + 2 + oid.length, 0x02, 0x01, 0x01, 0x77, 2 + oid.length, 0x80, oid.length]), oid]);
  // LDAPMessage { messageID 1, [APPLICATION 24] { resultCode success, matchedDN "", diagnosticMessage "" } }
  const resp = Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
  a.deliverStream(true, req, 0, req.length);
  a.deliverStream(false, resp, 0, resp.length);
  const ch = clientHello('ldap.example.org', []);
  a.deliverStream(true, ch, 0, ch.length);
  const sh = serverHello('');
  a.deliverStream(false, sh, 0, sh.length);
  a.done();
  const ssl = ctx.written.filter((w) => w.path === 'ssl');
  assert.equal(ssl.length, 1);
  assert.equal(ssl[0]!.rec.server_name, 'ldap.example.org');
  assert.equal(ssl[0]!.rec.ssl_history, 'Cs');
  assert.equal(ssl[0]!.rec.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
});

test('DTLS detection finds a ClientHello after other datagrams (STUN first)', async () => {
  const { dtlsClientHelloPrefix } = await import('../../../src/analyzers/ssl/index.js');
  const stun = Buffer.concat([Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]), Buffer.alloc(12)]);
  // DTLS 1.0 record: type 22, version fe ff, epoch 0, seq 0 (6 bytes), length; ClientHello header
  const rec = Buffer.concat([Buffer.from([0x16, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40]), Buffer.from([1, 0, 0, 28, 0, 0, 0, 0, 0, 0, 0, 28]), Buffer.from([0xfe, 0xfd]), Buffer.alloc(26)]);
  assert.equal(dtlsClientHelloPrefix(rec), true);
  assert.equal(dtlsClientHelloPrefix(Buffer.concat([stun, rec])), true);
  assert.equal(dtlsClientHelloPrefix(stun), false);
  const bad = Buffer.from(rec);
  bad[13] = 2; // a ServerHello is not the client signature
  assert.equal(dtlsClientHelloPrefix(bad), false);
});
