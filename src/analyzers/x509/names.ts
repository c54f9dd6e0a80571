// Distinguished names as OpenSSL's X509_NAME_print_ex(..., XN_FLAG_RFC2253) prints them (what Zeek
// logs as certificate.subject/issuer): RDNs in reverse order joined by ',', multi-valued RDNs by
// '+', short attribute names, values converted to UTF-8 with RFC 2253, control and non-ASCII bytes
// escaped, and unknown attribute types or value types dumped as '#' and the DER in hex.

import { DerError, children, expectTag, oidText, type Tlv } from './der.js';
import { OID_NAMES } from './oids.js';

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.13': 'description',
  '2.5.4.14': 'searchGuide',
  '2.5.4.15': 'businessCategory',
  '2.5.4.16': 'postalAddress',
  '2.5.4.17': 'postalCode',
  '2.5.4.18': 'postOfficeBox',
  '2.5.4.19': 'physicalDeliveryOfficeName',
  '2.5.4.20': 'telephoneNumber',
  '2.5.4.41': 'name',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.45': 'x500UniqueIdentifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.51': 'houseIdentifier',
  '2.5.4.54': 'dmdName',
  '2.5.4.65': 'pseudonym',
  '2.5.4.72': 'role',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.2.840.113549.1.9.2': 'unstructuredName',
  '1.2.840.113549.1.9.7': 'challengePassword',
  '1.2.840.113549.1.9.8': 'unstructuredAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.3': 'mail',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

// Bytes per character of the string types OpenSSL prints (tag2nbyte); 0 is UTF8String.
const CHAR_WIDTH: Record<number, number> = { 12: 0, 18: 1, 19: 1, 20: 1, 22: 1, 23: 1, 24: 1, 26: 1, 28: 4, 30: 2 };

const HEX = '0123456789ABCDEF';
const hex2 = (b: number) => HEX[b >> 4]! + HEX[b & 15]!;

function dump(b: Buffer, t: Tlv): string {
  let s = '#';
  for (let p = t.start; p < t.end; p++) s += hex2(b[p]!);
  return s;
}

function escByte(c: number, first: boolean, last: boolean): string {
  if (c > 0x7f) return '\\' + hex2(c);
  if (c < 0x20 || c === 0x7f) return '\\' + hex2(c);
  const ch = String.fromCharCode(c);
  if (',+"\\<>;'.includes(ch)) return '\\' + ch;
  if (first && (ch === ' ' || ch === '#')) return '\\' + ch;
  if (last && ch === ' ') return '\\' + ch;
  return ch;
}

function utf8(c: number): number[] {
  if (c < 0x80) return [c];
  if (c < 0x800) return [0xc0 | (c >> 6), 0x80 | (c & 63)];
  if (c < 0x10000) return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
  return [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
}

function printValue(b: Buffer, t: Tlv): string {
  const width = CHAR_WIDTH[t.tag];
  if (width === undefined) return dump(b, t);
  const chars: number[] = [];
  if (width === 0) {
    // UTF8String is taken byte by byte (no double conversion)
    for (let p = t.off; p < t.end; p++) chars.push(b[p]!);
  } else {
    if ((t.end - t.off) % width !== 0) throw new DerError('bad string length');
    for (let p = t.off; p < t.end; p += width) {
      let c = 0;
      for (let k = 0; k < width; k++) c = c * 256 + b[p + k]!;
      chars.push(c);
    }
  }
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const first = i === 0;
    const last = i === chars.length - 1;
    const bytes = width === 0 ? [chars[i]!] : utf8(chars[i]!);
    for (const x of bytes) out += escByte(x, first, last);
  }
  return out;
}

/** ASN1_STRING_print of a value (used for the CN in hostname checks): non-printables become '.'. */
function asn1StringPrint(b: Buffer, t: Tlv): string {
  let s = '';
  for (let p = t.off; p < t.end; p++) {
    const c = b[p]!;
    s += (c < 0x20 && c !== 0x0a && c !== 0x0d) || c > 0x7e ? '.' : String.fromCharCode(c);
  }
  return s;
}

export function formatName(b: Buffer, nameSeq: Tlv): { text: string; lastCn?: string } {
  const entries: { set: number; text: string }[] = [];
  let lastCn: string | undefined;
  let set = 0;
  for (const rdn of children(b, nameSeq)) {
    expectTag(rdn, 0x31, 'RDN');
    for (const atv of children(b, rdn)) {
      const [typ, val] = children(b, expectTag(atv, 0x30, 'AttributeTypeAndValue'));
      const oid = oidText(b, expectTag(typ, 0x06, 'attribute type'));
      if (!val) throw new DerError('attribute value');
      const sn = OID_NAMES.get(oid)?.[0] ?? SHORT_NAMES[oid];
      const text = sn === undefined ? `${oid}=${dump(b, val)}` : `${sn}=${printValue(b, val)}`;
      if (oid === '2.5.4.3') lastCn = asn1StringPrint(b, val);
      entries.push({ set, text });
    }
    set++;
  }
  let out = '';
  for (let i = entries.length - 1; i >= 0; i--) {
    if (i !== entries.length - 1) out += entries[i]!.set === entries[i + 1]!.set ? '+' : ',';
    out += entries[i]!.text;
  }
  return lastCn === undefined ? { text: out } : { text: out, lastCn };
}
