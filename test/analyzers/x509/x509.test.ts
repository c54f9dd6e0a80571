import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatName, parseCertificate, certMatchesHostname } from '../../../src/analyzers/x509/index.js';
import { readTlv } from '../../../src/analyzers/x509/der.js';

function tlv(tag: number, body: Buffer): Buffer {
  const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const oid = (bytes: number[]) => tlv(0x06, Buffer.from(bytes));
const CN = [0x55, 4, 3], O = [0x55, 4, 10], C = [0x55, 4, 6], OU = [0x55, 4, 11];
const atv = (o: number[], tag: number, v: Buffer | string) => tlv(0x30, Buffer.concat([oid(o), tlv(tag, Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1'))]));
const rdn = (...atvs: Buffer[]) => tlv(0x31, Buffer.concat(atvs));

test('names print as OpenSSL RFC 2253: reversed, escaped, multi-valued, UTF-8 escaped, unknown dumped', () => {
  const name = tlv(
    0x30,
    Buffer.concat([
      rdn(atv(C, 0x13, 'US')),
      rdn(atv(O, 0x0c, 'Acme, Inc.')),
      rdn(atv(OU, 0x13, 'A'), atv(OU, 0x13, 'B')),
      rdn(atv(CN, 0x0c, Buffer.from(' caf\u00e9#', 'utf8'))),
      rdn(atv([0x2b, 6, 1, 4, 1, 0x82, 0x37, 1], 0x0c, 'x')),
    ]),
  );
  const t = readTlv(name, 0, name.length);
  const out = formatName(name, t);
  // DER of the unknown attribute's value: 0C 01 78
  assert.equal(out.text, '1.3.6.1.4.1.311.1=#0C0178,CN=\\ caf\\C3\\A9#,OU=B+OU=A,O=Acme\\, Inc.,C=US');
  assert.equal(out.lastCn, ' caf..#');
  // T61String byte 0xE9 is converted to UTF-8 before escaping
  const n2 = tlv(0x30, rdn(atv(CN, 0x14, Buffer.from([0x41, 0xe9]))));
  assert.equal(formatName(n2, readTlv(n2, 0, n2.length)).text, 'CN=A\\C3\\A9');
});

test('certificate parsing never throws on damaged input', () => {
  const junk = [Buffer.alloc(0), Buffer.from([0x30]), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0x30, 0x03, 0x30, 0x01, 0x00])];
  for (const j of junk) assert.equal(parseCertificate(j), undefined);
  let x = 7;
  const base = tlv(0x30, Buffer.concat([tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([1])), tlv(0x30, oid([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]))])), tlv(0x30, oid([1]))]));
  for (let i = 0; i < 500; i++) {
    const m = Buffer.from(base);
    x = (x * 1103515245 + 12345) >>> 0;
    m[x % m.length] = x >>> 24;
    parseCertificate(m);
  }
});

test('hostname checks follow Zeek (SAN first, wildcard only in the leftmost label of 3+ labels)', () => {
  const cert = { hasSanExt: true, san: { dns: ['*.example.com', 'example.org'], otherFields: false } } as unknown as Parameters<typeof certMatchesHostname>[0];
  assert.equal(certMatchesHostname(cert, 'www.example.com'), true);
  assert.equal(certMatchesHostname(cert, 'a.b.example.com'), false);
  assert.equal(certMatchesHostname(cert, 'example.org'), true);
  assert.equal(certMatchesHostname(cert, 'example.com'), false);
  const cnOnly = { hasSanExt: false, cn: 'host.test' } as unknown as Parameters<typeof certMatchesHostname>[0];
  assert.equal(certMatchesHostname(cnOnly, 'host.test'), true);
});
