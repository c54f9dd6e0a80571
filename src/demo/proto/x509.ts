// Minimal DER encoder and an X.509 v3 certificate builder signed with node:crypto (sha256WithRSAEncryption).
// Used for the demo's TLS servers: ordinary sites get a leaf signed by a demo CA, the attacker's server a
// self-signed certificate (issuer == subject, a single CN).

import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { DEMO_RSA_KEY_PEM } from './key.js';

/** Tag + definite length + content. */
export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else if (n < 0x100) len = Buffer.from([0x81, n]);
  else if (n < 0x10000) len = Buffer.from([0x82, n >> 8, n & 0xff]);
  else len = Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
export const ctx = (n: number, content: Buffer, constructed = true): Buffer => tlv((constructed ? 0xa0 : 0x80) | n, content);
export const octets = (b: Buffer): Buffer => tlv(0x04, b);
export const nul = (): Buffer => Buffer.from([0x05, 0x00]);

/** INTEGER from a non-negative number or big-endian magnitude bytes (a leading 0 added when the top bit is set). */
export function int(v: number | Buffer): Buffer {
  let b: Buffer;
  if (typeof v === 'number') {
    const bytes: number[] = [];
    let x = v;
    do {
      bytes.unshift(x & 0xff);
      x = Math.floor(x / 256);
    } while (x > 0);
    b = Buffer.from(bytes);
  } else {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    b = v.subarray(i);
  }
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

/** OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    let x = Math.floor(p / 128);
    while (x > 0) {
      stack.unshift((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printable = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));
export const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

/** UTCTime (years 1950-2049) as YYMMDDHHMMSSZ. */
export function utcTime(ms: number): Buffer {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, 'latin1'));
}

const NAME_OIDS: Record<string, string> = { C: '2.5.4.6', ST: '2.5.4.8', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' };

/**
 * A Name from attributes in DER order (most significant first, e.g. [['C','US'],['O','X'],['CN','y']]);
 * OpenSSL's RFC 2253 rendering (what Zeek logs) lists them in reverse: "CN=y,O=X,C=US".
 */
export function name(attrs: readonly (readonly [string, string])[]): Buffer {
  return seq(...attrs.map(([k, v]) => {
    const o = NAME_OIDS[k];
    if (!o) throw new Error(`unknown name attribute ${k}`);
    return set(seq(oid(o), k === 'C' ? printable(v) : utf8(v)));
  }));
}

export interface CertOptions {
  serial: Buffer;
  issuer: readonly (readonly [string, string])[];
  subject: readonly (readonly [string, string])[];
  notBefore: number;
  notAfter: number;
  /** DNS names for subjectAltName (leaf certificates). */
  dnsNames?: readonly string[];
  /** Marks the certificate as a CA (basicConstraints cA=TRUE). */
  ca?: boolean;
}

let demoKey: KeyObject | undefined;
let demoSpki: Buffer | undefined;

/** The demo's signing key and its SubjectPublicKeyInfo (DER). */
export function demoKeyPair(): { key: KeyObject; spki: Buffer } {
  if (!demoKey) {
    demoKey = createPrivateKey(DEMO_RSA_KEY_PEM);
    demoSpki = createPublicKey(demoKey).export({ type: 'spki', format: 'der' });
  }
  return { key: demoKey, spki: demoSpki! };
}

const SHA256_RSA = seq(oid('1.2.840.113549.1.1.11'), nul());

/** A DER X.509 v3 certificate whose subject key is the demo key, signed by the demo key. */
export function buildCertificate(o: CertOptions): Buffer {
  const { key, spki } = demoKeyPair();
  const exts: Buffer[] = [];
  if (o.ca) exts.push(seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), octets(seq(tlv(0x01, Buffer.from([0xff]))))));
  else exts.push(seq(oid('2.5.29.19'), octets(seq())));
  if (o.dnsNames?.length) {
    exts.push(seq(oid('2.5.29.17'), octets(seq(...o.dnsNames.map((n) => tlv(0x82, Buffer.from(n, 'latin1')))))));
  }
  const tbs = seq(
    ctx(0, int(2)),
    int(o.serial),
    SHA256_RSA,
    name(o.issuer),
    seq(utcTime(o.notBefore), utcTime(o.notAfter)),
    name(o.subject),
    spki,
    ctx(3, seq(...exts)),
  );
  const sig = sign('sha256', tbs, key);
  return seq(tbs, SHA256_RSA, bitString(sig));
}
