// Byte-level checks of the demo's protocol payload builders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Rng } from '../../src/synth/rng.js';
import { dnsQuery, dnsResponse, encodeName, QTYPE } from '../../src/demo/proto/dns.js';
import { httpRequest, httpResponse } from '../../src/demo/proto/http.js';
import { AUTH_SIZES, encryptedSize, kexInit, CLIENT_KEX, sshPacket, ed25519FromSeed, ecdhReplyAndNewKeys } from '../../src/demo/proto/ssh.js';
import { ntlmAuthenticate, ntlmNegotiate, ntlmChallenge, nbss, errorResponse, spnegoResp, spnegoInit, STATUS_LOGON_FAILURE } from '../../src/demo/proto/smb.js';
import { clientHello, record, serverFlight } from '../../src/demo/proto/tls.js';
import { buildCertificate, int, oid, tlv } from '../../src/demo/proto/x509.js';

test('DNS query and TXT response in wire format', () => {
  assert.deepEqual(encodeName('a.bc'), Buffer.from([1, 0x61, 2, 0x62, 0x63, 0]));
  const q = dnsQuery(0x1234, 'ex.com', QTYPE.TXT);
  assert.equal(q.toString('hex'), '12340100000100000000000002657803636f6d0000100001');
  const r = dnsResponse(0x1234, 'ex.com', QTYPE.TXT, [{ type: 'TXT', texts: ['hi'], ttl: 60 }]);
  assert.equal(r.toString('hex'),
    '12348180000100010000000002657803636f6d0000100001' + 'c00c' + '0010' + '0001' + '0000003c' + '0003' + '026869');
  const a = dnsResponse(7, 'x.y', QTYPE.A, [{ type: 'A', addr: '10.1.2.3', ttl: 1 }]);
  assert.equal(a.subarray(a.length - 4).toString('hex'), '0a010203');
});

test('HTTP request and response text', () => {
  const req = httpRequest({ uri: '/a.exe', host: 'h', userAgent: 'TrickXYZ' }).toString('latin1');
  assert.equal(req, 'GET /a.exe HTTP/1.1\r\nHost: h\r\nUser-Agent: TrickXYZ\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n');
  const res = httpResponse({ body: Buffer.from('MZ'), contentType: 'application/octet-stream' }).toString('latin1');
  assert.match(res, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(res, /\r\nContent-Length: 2\r\n\r\nMZ$/);
});

test('SSH packet framing and the encrypted sizes Zeek infers authentication from', () => {
  const rng = new Rng(3);
  const p = sshPacket(Buffer.from([21]), rng);
  assert.equal(p.length % 8, 0);
  assert.equal(p.readUInt32BE(0), p.length - 4);
  assert.ok(p[4]! >= 4);
  assert.equal(p[5], 21);
  // chacha20-poly1305: SERVICE_ACCEPT 44 bytes, USERAUTH_SUCCESS 16 less, FAILURE('publickey,password') 52.
  assert.equal(encryptedSize(AUTH_SIZES.serviceAccept), 44);
  assert.equal(encryptedSize(AUTH_SIZES.success), 28);
  assert.equal(encryptedSize(AUTH_SIZES.failure('publickey,password')), 52);
  const k = kexInit(rng, CLIENT_KEX);
  assert.equal(k[5], 20);
  const kexLen = k.readUInt32BE(22);
  assert.equal(k.subarray(26, 26 + kexLen).toString('latin1').split(',')[0], 'curve25519-sha256');
  // Ed25519 host keys are derived from the seed: same seed, same key.
  const a = ed25519FromSeed(Buffer.alloc(32, 1));
  const b = ed25519FromSeed(Buffer.alloc(32, 1));
  assert.deepEqual(a.pub, b.pub);
  assert.equal(a.pub.length, 32);
  const reply = ecdhReplyAndNewKeys(new Rng(1), a);
  assert.equal(reply[5], 31);
  const firstLen = reply.readUInt32BE(0) + 4;
  assert.equal(reply[firstLen + 5], 21, 'NEWKEYS follows the ECDH reply');
});

test('NTLMSSP messages and SPNEGO wrapping', () => {
  const n = ntlmNegotiate();
  assert.equal(n.toString('hex'), '4e544c4d5353500001000000978208e2' + '0000000000000000' + '0000000000000000' + '0a00614a0000000f');
  const auth = ntlmAuthenticate(new Rng(1), 'CONTOSO', 'jsmith', 'KALI');
  assert.equal(auth.readUInt32LE(8), 3);
  const ulen = auth.readUInt16LE(36), uoff = auth.readUInt32LE(40);
  assert.equal(auth.subarray(uoff, uoff + ulen).toString('utf16le'), 'jsmith');
  const dlen = auth.readUInt16LE(28), doff = auth.readUInt32LE(32);
  assert.equal(auth.subarray(doff, doff + dlen).toString('utf16le'), 'CONTOSO');
  const ch = ntlmChallenge(new Rng(1), { nbDomain: 'D', nbComputer: 'WEB01', dnsDomain: 'd.com', dnsComputer: 'web01.d.com', dnsTree: 'd.com' }, 0);
  assert.equal(ch.readUInt32LE(8), 2);
  assert.ok(ch.includes(Buffer.from('WEB01', 'utf16le')));
  // negTokenResp { negState reject }
  assert.equal(spnegoResp(2).toString('hex'), 'a1073005a0030a0102');
  const init = spnegoInit(n);
  assert.equal(init[0], 0x60);
  assert.ok(init.includes(Buffer.from('2b0601050502', 'hex')), 'SPNEGO OID');
  assert.ok(init.includes(n));
  const resp = errorResponse(1, 2, 5n, STATUS_LOGON_FAILURE);
  assert.equal(resp.readUInt32BE(0), resp.length - 4);
  assert.equal(resp.length, 4 + 64 + 9);
  assert.equal(resp.subarray(4 + 64).toString('hex'), '090000000000000000', 'StructureSize 9, ByteCount 0');
  assert.equal(resp.subarray(4, 8).toString('latin1'), '\xfeSMB');
  assert.equal(resp.readUInt32LE(4 + 8), 0xc000006d);
  assert.equal(resp.readUInt16LE(4 + 12), 1);
  assert.deepEqual(nbss(Buffer.from([1, 2])), Buffer.from([0, 0, 0, 2, 1, 2]));
});

test('DER primitives', () => {
  assert.equal(int(0).toString('hex'), '020100');
  assert.equal(int(128).toString('hex'), '02020080');
  assert.equal(oid('1.2.840.113549.1.1.11').toString('hex'), '06092a864886f70d01010b');
  assert.equal(tlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex'), '0481c8');
});

test('certificates: self-signed issuer == subject and verifies with its own key; leaves verify with the CA', () => {
  const self = buildCertificate({ serial: Buffer.from([1, 2]), issuer: [['CN', 'evil.example']], subject: [['CN', 'evil.example']], notBefore: Date.UTC(2026, 0, 1), notAfter: Date.UTC(2027, 0, 1), dnsNames: ['evil.example'] });
  const c = new X509Certificate(self);
  assert.equal(c.issuer, 'CN=evil.example');
  assert.equal(c.subject, 'CN=evil.example');
  assert.ok(c.verify(c.publicKey));
  assert.equal(c.subjectAltName, 'DNS:evil.example');
  assert.equal(c.validFrom, 'Jan  1 00:00:00 2026 GMT');
  const caName: [string, string][] = [['C', 'US'], ['O', 'Demo Trust Services'], ['CN', 'Demo Web CA 1']];
  const ca = new X509Certificate(buildCertificate({ serial: Buffer.from([9]), issuer: caName, subject: caName, notBefore: 0, notAfter: Date.UTC(2040, 0, 1), ca: true }));
  const leaf = new X509Certificate(buildCertificate({ serial: Buffer.from([3]), issuer: caName, subject: [['CN', 'www.example.com']], notBefore: 0, notAfter: Date.UTC(2040, 0, 1) }));
  assert.ok(ca.ca);
  assert.ok(leaf.checkIssued(ca));
  assert.ok(leaf.verify(ca.publicKey));
  assert.equal(leaf.issuer, 'C=US\nO=Demo Trust Services\nCN=Demo Web CA 1');
});

test('TLS records: ClientHello carries the SNI, the server flight the certificate chain', () => {
  const rng = new Rng(5);
  const ch = clientHello(rng, 'cdn-update-check.net');
  assert.equal(ch[0], 22);
  assert.equal(ch.readUInt16BE(1), 0x0301);
  assert.equal(ch.readUInt16BE(3), ch.length - 5);
  assert.equal(ch[5], 1);
  assert.ok(ch.includes(Buffer.from('cdn-update-check.net')));
  const cert = Buffer.from('3003020101', 'hex');
  const sf = serverFlight(rng, [cert]);
  assert.equal(sf[5], 2, 'ServerHello first');
  const shLen = sf.readUInt16BE(3) + 5;
  assert.equal(sf[shLen], 22);
  assert.equal(sf[shLen + 5], 11, 'then Certificate');
  assert.equal(sf.subarray(shLen + 9, shLen + 12).readUIntBE(0, 3), cert.length + 3);
  assert.deepEqual(record(23, Buffer.from([1, 2])), Buffer.from([23, 3, 3, 0, 2, 1, 2]));
});
