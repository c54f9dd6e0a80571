// X.509 certificates as Zeek's X509 file analyzer reports them: a DER reader of our own for the
// structure and the OpenSSL-compatible text (RFC 2253 names, serial, algorithm names), Node's
// crypto (OpenSSL) for the public key details, and the x509.log record with Zeek's deduplication.

import { createHash, createPublicKey } from 'node:crypto';
import type { AnalyzerContext } from '../types.js';
import type { ZeekRecord } from '../../zeek/types.js';
import { x509Log } from '../../zeek/schemas/x509.js';
import { DerError, children, expectTag, oidText, readTlv, type Tlv } from './der.js';
import { formatName } from './names.js';
import { OID_NAMES } from './oids.js';

export { x509Log };
export { formatName } from './names.js';

export interface X509Cert {
  der: Buffer;
  fingerprint: string;
  version: number;
  serial: string;
  subject: string;
  issuer: string;
  /** Last CN of the subject (Zeek's certificate.cn), as ASN1_STRING_print gives it. */
  cn?: string;
  notValidBefore: number;
  notValidAfter: number;
  keyAlg: string;
  sigAlg: string;
  keyType?: string;
  keyLength?: number;
  exponent?: string;
  curve?: string;
  san?: { dns?: string[]; uri?: string[]; email?: string[]; ip?: string[]; otherFields: boolean };
  basicConstraints?: { ca: boolean; pathLen?: number };
  /** True when the certificate has a SAN extension (for hostname checks). */
  hasSanExt: boolean;
  weirds: string[];
}

const LONG_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.3': 'md4WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.113549.1.1.15': 'sha512-224WithRSAEncryption',
  '1.2.840.113549.1.1.16': 'sha512-256WithRSAEncryption',
  '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.1': 'dsaEncryption',
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.1': 'dsa_with_SHA224',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
  '1.3.14.3.2.29': 'sha1WithRSA',
  '1.3.14.3.2.13': 'dsaWithSHA',
  '1.3.14.3.2.27': 'dsaWithSHA1-old',
  '1.3.14.3.2.12': 'dsaEncryption-old',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
  '1.2.840.113549.1.3.1': 'dhKeyAgreement',
  '1.2.840.10046.2.1': 'X9.42 DH',
  '1.2.643.2.2.19': 'GOST R 34.10-2001',
  // ML-DSA (FIPS 204), known to Zeek's OpenSSL 3.5 but not to OpenSSL 3.0's object table
  '2.16.840.1.101.3.4.3.17': 'ML-DSA-44',
  '2.16.840.1.101.3.4.3.18': 'ML-DSA-65',
  '2.16.840.1.101.3.4.3.19': 'ML-DSA-87',
  '1.2.643.2.2.3': 'GOST R 34.11-94 with GOST R 34.10-2001',
};

const EC_BITS: Record<string, number> = {
  prime192v1: 192, secp224r1: 224, prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256,
  brainpoolP256r1: 256, brainpoolP384r1: 384, brainpoolP512r1: 512, secp192k1: 192, secp224k1: 225,
};

function longName(oid: string): string {
  return OID_NAMES.get(oid)?.[1] ?? LONG_NAMES[oid] ?? oid;
}

/** The signature algorithm's long name; '' when OpenSSL does not know the OID (NID_undef). */
function sigAlgName(oid: string): string {
  return OID_NAMES.get(oid)?.[1] ?? LONG_NAMES[oid] ?? '';
}

/** i2a_ASN1_INTEGER: upper-case hex of the magnitude, at least two digits, '-' for negatives. */
function serialHex(b: Buffer, t: Tlv): string {
  let p = t.off;
  const end = t.end;
  if (p >= end) return '00';
  const neg = (b[p]! & 0x80) !== 0;
  let bytes: Buffer = b.subarray(p, end);
  if (neg) {
    // two's complement magnitude
    const mag = Buffer.from(bytes);
    let carry = 1;
    for (let i = mag.length - 1; i >= 0; i--) {
      const v = (~mag[i]! & 0xff) + carry;
      mag[i] = v & 0xff;
      carry = v >> 8;
    }
    bytes = mag;
  }
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const hex = bytes.subarray(i).toString('hex').toUpperCase();
  return (neg ? '-' : '') + (hex.length ? hex : '00');
}

function parseTime(b: Buffer, t: Tlv): number {
  const s = b.toString('latin1', t.off, t.end);
  let m: RegExpMatchArray | null;
  let year: number, rest: string;
  if (t.tag === 0x17) {
    m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})?$/);
    if (!m) throw new DerError('bad UTCTime');
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = s.slice(2);
  } else if (t.tag === 0x18) {
    m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,]\d+)?(Z|[+-]\d{4})?$/);
    if (!m) throw new DerError('bad GeneralizedTime');
    year = Number(m[1]);
    rest = s.slice(4);
  } else throw new DerError('bad time type');
  const mm = rest.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?/)!;
  let secs = Date.UTC(year, Number(mm[1]) - 1, Number(mm[2]), Number(mm[3]), Number(mm[4]), Number(mm[5] ?? 0)) / 1000;
  const tz = s.match(/([+-])(\d{2})(\d{2})$/);
  if (tz) secs -= (tz[1] === '-' ? -1 : 1) * (Number(tz[2]) * 3600 + Number(tz[3]) * 60);
  return secs;
}

function ipText(b: Buffer): string | undefined {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) parts.push(b.readUInt16BE(i * 2).toString(16));
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) return parts.join(':');
  return parts.slice(0, best).join(':') + '::' + parts.slice(best + bestLen).join(':');
}

/** Parses a DER certificate as OpenSSL + Zeek's X509 analyzer would; undefined when it does not parse. */
export function parseCertificate(der: Buffer, fingerprint?: string): X509Cert | undefined {
  try {
    return parseStrict(der, fingerprint);
  } catch (e) {
    if (e instanceof DerError || e instanceof RangeError) return undefined;
    throw e;
  }
}

function parseStrict(der: Buffer, fingerprint?: string): X509Cert {
  const top = expectTag(readTlv(der, 0, der.length), 0x30, 'Certificate');
  const [tbsT, sigAlgT] = children(der, top);
  const tbs = children(der, expectTag(tbsT, 0x30, 'TBSCertificate'));
  let i = 0;
  let version = 1;
  if (tbs[0]?.tag === 0xa0) {
    const v = expectTag(children(der, tbs[0])[0], 0x02, 'version');
    let n = 0;
    for (let p = v.off; p < v.end && p < v.off + 4; p++) n = n * 256 + der[p]!;
    version = n + 1;
    i = 1;
  }
  const serialT = expectTag(tbs[i++], 0x02, 'serial');
  expectTag(tbs[i++], 0x30, 'signature');
  const issuerT = expectTag(tbs[i++], 0x30, 'issuer');
  const validity = children(der, expectTag(tbs[i++], 0x30, 'validity'));
  const subjectT = expectTag(tbs[i++], 0x30, 'subject');
  const spkiT = expectTag(tbs[i++], 0x30, 'subjectPublicKeyInfo');
  const sigAlgOidT = expectTag(children(der, expectTag(sigAlgT, 0x30, 'signatureAlgorithm'))[0], 0x06, 'oid');
  const spki = children(der, spkiT);
  const keyAlgOidT = expectTag(children(der, expectTag(spki[0], 0x30, 'algorithm'))[0], 0x06, 'oid');
  const keyAlgOid = oidText(der, keyAlgOidT);

  const subject = formatName(der, subjectT);
  const cert: X509Cert = {
    der,
    fingerprint: fingerprint ?? createHash('sha256').update(der).digest('hex'),
    version,
    serial: serialHex(der, serialT),
    subject: subject.text,
    issuer: formatName(der, issuerT).text,
    notValidBefore: parseTime(der, validity[0]!),
    notValidAfter: parseTime(der, validity[1]!),
    keyAlg: longName(keyAlgOid),
    sigAlg: sigAlgName(oidText(der, sigAlgOidT)),
    hasSanExt: false,
    weirds: [],
  };
  if (subject.lastCn !== undefined) cert.cn = subject.lastCn;
  keyDetails(cert, der.subarray(spkiT.start, spkiT.end), keyAlgOid);

  for (; i < tbs.length; i++) {
    const t = tbs[i]!;
    if (t.tag !== 0xa3) continue;
    const exts = children(der, expectTag(children(der, t)[0], 0x30, 'extensions'));
    for (const e of exts) {
      const parts = children(der, expectTag(e, 0x30, 'extension'));
      const oid = oidText(der, expectTag(parts[0], 0x06, 'extnID'));
      const val = parts[parts.length - 1]!;
      if (val.tag !== 0x04) throw new DerError('extnValue');
      if (oid === '2.5.29.19') basicConstraints(cert, der, val);
      else if (oid === '2.5.29.17') {
        cert.hasSanExt = true;
        san(cert, der, val);
      }
    }
  }
  return cert;
}

/** ML-DSA public keys: OpenSSL reports the type name and the key size in bits (8 × the key's bytes). */
const ML_DSA: Record<string, [string, number]> = {
  '2.16.840.1.101.3.4.3.17': ['ML-DSA-44', 1312 * 8],
  '2.16.840.1.101.3.4.3.18': ['ML-DSA-65', 1952 * 8],
  '2.16.840.1.101.3.4.3.19': ['ML-DSA-87', 2592 * 8],
};

function keyDetails(cert: X509Cert, spki: Buffer, keyAlgOid: string): void {
  const ml = ML_DSA[keyAlgOid];
  if (ml) {
    cert.keyType = ml[0];
    cert.keyLength = ml[1];
    return;
  }
  try {
    let key;
    if (keyAlgOid === '1.2.840.113549.1.1.4') {
      // RDP certificates: md5WithRSAEncryption as key algorithm; Zeek decodes the key as RSA.
      return;
    }
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const d = key.asymmetricKeyDetails ?? {};
    switch (key.asymmetricKeyType) {
      case 'rsa':
        cert.keyType = 'rsa';
        if (d.publicExponent !== undefined) cert.exponent = d.publicExponent.toString();
        if (d.modulusLength) cert.keyLength = d.modulusLength;
        break;
      case 'dsa':
        cert.keyType = 'dsa';
        if (d.modulusLength) cert.keyLength = d.modulusLength;
        break;
      case 'ec':
        cert.keyType = 'ecdsa';
        if (d.namedCurve) {
          cert.curve = d.namedCurve;
          const bits = EC_BITS[d.namedCurve];
          if (bits) cert.keyLength = bits;
        }
        break;
      case 'rsa-pss':
        cert.keyType = 'RSA-PSS';
        if (d.modulusLength) cert.keyLength = d.modulusLength;
        break;
      case 'ed25519':
        cert.keyType = 'ED25519';
        cert.keyLength = 256;
        break;
      case 'ed448':
        cert.keyType = 'ED448';
        cert.keyLength = 456;
        break;
      default:
        break;
    }
  } catch {
    // OpenSSL could not extract the key: Zeek leaves the key fields unset.
  }
}

function basicConstraints(cert: X509Cert, der: Buffer, val: Tlv): void {
  try {
    const seq = expectTag(readTlv(der, val.off, val.end), 0x30, 'BasicConstraints');
    let ca = false;
    let pathLen: number | undefined;
    for (const c of children(der, seq)) {
      if (c.tag === 0x01) ca = c.end > c.off && der[c.off] !== 0;
      else if (c.tag === 0x02) {
        let n = 0;
        for (let p = c.off; p < c.end && p < c.off + 4; p++) n = n * 256 + der[p]!;
        pathLen = n;
      }
    }
    cert.basicConstraints = pathLen === undefined ? { ca } : { ca, pathLen };
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    cert.weirds.push('x509_invalid_basic_constraint');
  }
}

function san(cert: X509Cert, der: Buffer, val: Tlv): void {
  try {
    const seq = expectTag(readTlv(der, val.off, val.end), 0x30, 'GeneralNames');
    const out: NonNullable<X509Cert['san']> = { otherFields: false };
    for (const g of children(der, seq)) {
      const s = () => der.toString('latin1', g.off, g.end);
      switch (g.tag) {
        case 0x82:
          (out.dns ??= []).push(s());
          break;
        case 0x86:
          (out.uri ??= []).push(s());
          break;
        case 0x81:
          (out.email ??= []).push(s());
          break;
        case 0x87: {
          const ip = ipText(der.subarray(g.off, g.end));
          if (ip === undefined) cert.weirds.push('x509_san_ip_length');
          else (out.ip ??= []).push(ip);
          break;
        }
        default:
          out.otherFields = true;
      }
    }
    cert.san = out;
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    cert.weirds.push('x509_san_parse_error');
  }
}

/** RFC 6125-style comparison of Zeek's x509_check_cert_hostname helper. */
function checkHostname(host: string, name: string): boolean {
  if (host === name) return true;
  const wild = name.indexOf('*');
  if (wild < 0) return false;
  const first = name.indexOf('.');
  if (first < 0 || name.indexOf('.', first + 1) < 0) return false;
  if (wild + 1 !== first) return false;
  const hfirst = host.indexOf('.');
  if (hfirst < 0) return false;
  if (host.slice(hfirst) !== name.slice(first)) return false;
  if (wild && host.slice(0, wild) !== name.slice(0, wild)) return false;
  return true;
}

/** Zeek's x509_check_cert_hostname(cert, host) != "". */
export function certMatchesHostname(cert: X509Cert, host: string): boolean {
  if (cert.hasSanExt) {
    for (const n of cert.san?.dns ?? []) if (checkHostname(host, n)) return true;
    return false;
  }
  return cert.cn !== undefined && checkHostname(host, cert.cn);
}

/** The x509.log record for a certificate seen in a connection. */
export function x509Record(cert: X509Cert, ts: number, hostCert: boolean, clientCert: boolean): ZeekRecord {
  return {
    ts,
    fingerprint: cert.fingerprint,
    'certificate.version': cert.version,
    'certificate.serial': cert.serial,
    'certificate.subject': cert.subject,
    'certificate.issuer': cert.issuer,
    'certificate.not_valid_before': cert.notValidBefore,
    'certificate.not_valid_after': cert.notValidAfter,
    'certificate.key_alg': cert.keyAlg,
    'certificate.sig_alg': cert.sigAlg,
    'certificate.key_type': cert.keyType,
    'certificate.key_length': cert.keyLength,
    'certificate.exponent': cert.exponent,
    'certificate.curve': cert.curve,
    'san.dns': cert.san?.dns,
    'san.uri': cert.san?.uri,
    'san.email': cert.san?.email,
    'san.ip': cert.san?.ip,
    'basic_constraints.ca': cert.basicConstraints?.ca,
    'basic_constraints.path_len': cert.basicConstraints?.pathLen,
    host_cert: hostCert,
    client_cert: clientCert,
  };
}

const PARSED_CACHE_MAX = 20000;
const parsedCache = new Map<string, X509Cert | undefined>();

/** Per-run memory of logged certificates (X509::known_log_certs, relogged after a day). */
export type KnownCerts = Map<string, number>;
const fallbackKnown: KnownCerts = new Map();
/** Name of the per-run service the framework may provide (a fresh `Map` per run). */
export const KNOWN_CERTS_SERVICE = 'x509.known_log_certs';

/** Clears the process-wide fallback memory (tests, or a new run without the service). */
export function resetKnownCerts(): void {
  fallbackKnown.clear();
}

/**
 * Parses and logs one certificate of a connection as Zeek's files + x509 scripts do
 * (host_cert for the first certificate of a chain, client_cert for certificates the client sent).
 * Returns the parsed certificate, or undefined when OpenSSL would not parse it.
 */
export function logCertificate(ctx: AnalyzerContext, der: Buffer, hostCert: boolean, clientCert: boolean): X509Cert | undefined {
  // Parsed certificates are cached by SHA-256 (the same chain is seen on every connection to a server).
  const fp = createHash('sha256').update(der).digest('hex');
  let cert = parsedCache.get(fp);
  if (cert === undefined && !parsedCache.has(fp)) {
    cert = parseCertificate(der, fp);
    if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
    parsedCache.set(fp, cert);
  }
  if (!cert) {
    ctx.weird('x509_cert_parse_error');
    return undefined;
  }
  for (const w of cert.weirds) ctx.weird(w);
  const known = ctx.service<KnownCerts>(KNOWN_CERTS_SERVICE) ?? fallbackKnown;
  const key = `${cert.fingerprint}|${hostCert ? 1 : 0}|${clientCert ? 1 : 0}`;
  const now = ctx.now();
  const seen = known.get(key);
  if (seen === undefined || now - seen >= 86400) {
    if (known.size < 1000000 || seen !== undefined) known.set(key, now);
    ctx.write(x509Log, x509Record(cert, now, hostCert, clientCert));
  }
  return cert;
}
