// HTTP/1.x protocol analyzer: bytes → typed events, following Zeek's HTTP analyzer
// (src/analyzer/protocol/http/HTTP.cc) and its MIME entity machinery: request/reply lines,
// headers (with folding), content-length / chunked / read-until-close bodies, gzip and deflate,
// multipart entities, HTTP/0.9, 1xx replies, CONNECT and upgrades. Knows nothing of logs.

import { ContentLine, CR_AS_EOL, LF_AS_EOL } from './contentline.js';
import { Inflater } from './zip.js';
import { ZeekFile } from '../files/file.js';
import type { AnalyzerContext } from '../types.js';

export interface HttpEvents {
  request(method: string, originalUri: string, unescapedUri: string, version: string): void;
  reply(version: string, code: number, reason: string): void;
  /** name as sent, NAME upper-cased, value without leading whitespace. */
  header(isOrig: boolean, name: string, nameUpper: string, value: string): void;
  beginEntity(isOrig: boolean): void;
  endEntity(isOrig: boolean): void;
  messageDone(isOrig: boolean, bodyLength: number, interrupted: boolean): void;
  /** A file starts in the current entity's data (file_over_new_connection). */
  fileNew(isOrig: boolean, file: ZeekFile): void;
  /** The file's MIME type was determined (file_sniff); mime undefined when nothing matched. */
  fileSniff(file: ZeekFile, mime: string | undefined): void;
  weird(name: string, addl?: string): void;
  confirm(): void;
  violation(reason: string): void;
}

const REQ_LINE = 0, REQ_MESSAGE = 1, REQ_NOTHING = 3;
const REP_LINE = 0, REP_MESSAGE = 1, REP_NOTHING = 3, REP_HTTP09 = 4;
const BODY_NOT_EXPECTED = 0, BODY_EXPECTED = 1, BODY_MAYBE = 2;

const CT_MULTIPART = 0, CT_MESSAGE = 1, CT_TEXT = 2, CT_OTHER = 3;
const CTE_OTHER = 0, CTE_QP = 1, CTE_BASE64 = 2;

const NON_CHUNKED = 0, BEFORE_CHUNK = 1, EXPECT_CHUNK_SIZE = 2, EXPECT_CHUNK_DATA = 3, EXPECT_CHUNK_DATA_CRLF = 4,
  EXPECT_CHUNK_TRAILER = 5, EXPECT_NOTHING = 6;
const IDENTITY = 0, GZIP = 1, DEFLATE = 2;

const MAX_MIME_DEPTH = 100;
const MAX_HEADER_BYTES = 65536;
const INT_MAX = 2147483647;

interface Version { major: number; minor: number }
const verText = (v: Version | null): string => (v ? `${v.major}.${v.minor}` : '0.0');
const verEq = (a: Version | null, maj: number, min: number): boolean => !!a && a.major === maj && a.minor === min;

const isLws = (c: number): boolean => c === 9 || c === 32;
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isXdigit = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const hexVal = (c: number): number => (isDigit(c) ? c - 0x30 : (c | 0x20) - 0x61 + 10);
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

function isTokenChar(c: number): boolean {
  return c > 31 && c < 127 && c !== 0x20 && c !== 0x09 && '()<>@,;:\\"/[]?={}'.indexOf(String.fromCharCode(c)) < 0;
}
function isReservedUri(c: number): boolean { return ':/?#[]@!$&\'()*+,;='.indexOf(String.fromCharCode(c)) >= 0; }
function isUnreservedUri(c: number): boolean { return isAlnum(c) || '-_.!~*\'()'.indexOf(String.fromCharCode(c)) >= 0; }

const latin1 = (b: Buffer, s: number, e: number): string => b.toString('latin1', s, e);

function skipWs(b: Buffer, p: number, e: number): number {
  while (p < e && (b[p] === 0x20 || b[p] === 0x09)) p++;
  return p;
}

function prefixMatch(b: Buffer, p: number, e: number, prefix: string, ignoreCase: boolean): number {
  let i = 0;
  while (i < prefix.length && p < e) {
    const c = b[p]!, q = prefix.charCodeAt(i);
    if (!(c === q || (ignoreCase && (c | 0x20) === (q | 0x20) && ((q | 0x20) >= 0x61 && (q | 0x20) <= 0x7a)))) break;
    i++; p++;
  }
  return i < prefix.length ? -1 : p;
}

/** Zeek's unescape_URI. */
export function unescapeUri(b: Buffer, s: number, e: number, weird?: (n: string) => void): string {
  if (e <= s) return '';
  const pct = b.indexOf(0x25, s);
  if (pct < 0 || pct >= e) return b.toString('latin1', s, e);
  let out = '';
  let p = s;
  while (p < e) {
    const c = b[p]!;
    if (c === 0x25) {
      p++;
      if (p === e) { out += '%'; weird?.('illegal_%_at_end_of_URI'); break; }
      else if (p + 1 === e) { out += '%' + String.fromCharCode(b[p]!); weird?.('partial_escape_at_end_of_URI'); break; }
      else if (b[p] === 0x25) { weird?.('double_%_in_URI'); p--; }
      else if (isXdigit(b[p]!) && isXdigit(b[p + 1]!)) { out += String.fromCharCode((hexVal(b[p]!) << 4) + hexVal(b[p + 1]!)); p++; }
      else if (e - p >= 5 && b[p] === 0x75 && isXdigit(b[p + 1]!) && isXdigit(b[p + 2]!) && isXdigit(b[p + 3]!) && isXdigit(b[p + 4]!)) {
        if (!(b[p + 1] === 0x30 && b[p + 2] === 0x30)) out += String.fromCharCode((hexVal(b[p + 1]!) << 4) + hexVal(b[p + 2]!));
        out += String.fromCharCode((hexVal(b[p + 3]!) << 4) + hexVal(b[p + 4]!));
        p += 4;
      } else { weird?.('unescaped_%_in_URI'); out += '%' + String.fromCharCode(b[p]!); }
    } else out += String.fromCharCode(c);
    p++;
  }
  return out;
}

// ---- MIME helpers over latin1 strings (header values are small) ----
const TSPECIALS = '()<>@,;:\\"/[]?=';
function mimeTokenChar(c: number, boundary: boolean): boolean {
  return c >= 33 && c <= 126 && (boundary ? c !== 0x22 : TSPECIALS.indexOf(String.fromCharCode(c)) < 0);
}
function skipComments(s: string, i: number): number {
  if (i >= s.length || s[i] !== '(') return i;
  let par = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '(') par++;
    else if (c === ')') { par--; if (par === 0) return j + 1; }
    else if (c === '\\') j++;
  }
  return s.length;
}
function skipLwsComments(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isLws(c)) i++;
    else if (c === 0x28) i = skipComments(s, i);
    else return i;
  }
  return s.length;
}
/** MIME_get_token: [start, end) of the token, or null. */
function getToken(s: string, i: number, boundary = false): [number, number] | null {
  if (!boundary) i = skipLwsComments(s, i);
  while (i < s.length) {
    if (mimeTokenChar(s.charCodeAt(i), boundary)) {
      let j = i;
      while (j < s.length && mimeTokenChar(s.charCodeAt(j), boundary)) j++;
      return [i, j];
    }
    const j = skipLwsComments(s, i);
    i = j > i ? j : i + 1;
  }
  return null;
}
function getValue(s: string, i: number, boundary: boolean): { value: string; end: number } | null {
  if (!boundary) i = skipLwsComments(s, i);
  if (i < s.length && s[i] === '"') {
    const j0 = skipLwsComments(s, i);
    for (let j = j0 + 1; j < s.length; j++) {
      if (s[j] === '"') {
        let v = '';
        const raw = s.slice(j0 + 1, j);
        for (let k = 0; k < raw.length; k++) { if (raw[k] === '\\') { k++; if (k < raw.length) v += raw[k]; } else v += raw[k]; }
        return { value: v, end: j + 1 };
      }
      if (s[j] === '\\') j++;
    }
    return null;
  }
  const t = getToken(s, i, boundary);
  if (!t) return null;
  return { value: s.slice(t[0], t[1]), end: t[1] };
}

interface MimeHeader { name: string; value: string; lname: string }

function parseHeader(raw: string): MimeHeader | null {
  let i = skipLwsComments(raw, 0);
  let nameStart = -1, nameEnd = -1;
  while (i < raw.length) {
    const c = raw.charCodeAt(i);
    if (c >= 33 && c <= 126 && c !== 0x3a) {
      let j = i;
      while (j < raw.length) { const d = raw.charCodeAt(j); if (!(d >= 33 && d <= 126 && d !== 0x3a)) break; j++; }
      nameStart = i; nameEnd = j;
      break;
    }
    const j = skipLwsComments(raw, i);
    i = j > i ? j : i + 1;
  }
  if (nameStart < 0) return null;
  const k = skipLwsComments(raw, nameEnd);
  if (k < raw.length && raw[k] === ':') {
    let v = k + 1;
    while (v < raw.length && isSpace(raw.charCodeAt(v))) v++;
    const name = raw.slice(nameStart, nameEnd);
    return { name, value: raw.slice(v), lname: name.toLowerCase() };
  }
  return null;
}

/** First token of a header value and what follows it. */
function valueToken(value: string): { token: string; rest: string } | null {
  const t = getToken(value, 0);
  if (!t) return null;
  return { token: value.slice(t[0], t[1]), rest: value.slice(t[1]) };
}

function atoiN(s: string, base: number): number | null {
  // util::atoi_n: optional sign, digits of base; stops at first non-digit; fails if no digits.
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (s[i] === '-') { neg = true; i++; } else if (s[i] === '+') i++;
  let n = 0, digits = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (isDigit(c)) d = c - 0x30;
    else if (base === 16 && isXdigit(c)) d = hexVal(c);
    else break;
    if (d >= base) break;
    n = n * base + d;
    digits++;
    if (n >= 9223372036854775807) return null; // int64 overflow: util::atoi_n fails
  }
  if (digits === 0) return null;
  return neg ? -n : n;
}

class Entity {
  inHeader = true;
  endOfData = false;
  private hdrParts: string[] | null = null;
  private hdrBytes = 0;
  contentType = CT_TEXT;
  private boundary: string | null = null;
  private cte = CTE_OTHER;
  child: Entity | null = null;
  readonly depth: number;
  // HTTP entity
  chunkedState = NON_CHUNKED;
  contentLength = -1;
  expectDataLength = 0;
  bodyLength = 0;
  headerLength = 0;
  private encoding = IDENTITY;
  private zip: Inflater | null = null;
  private expect100 = false;
  private delayCRLF = false;
  file: ZeekFile | null = null;
  private b64 = { bits: 0, n: 0 };
  private isPartial = false;
  private rangeLength = -1;
  private rangeOffset = 0;
  private instanceLength = -1;

  constructor(readonly msg: HttpMessage, readonly parent: Entity | null, private readonly expectBody: number) {
    if (parent) { this.cte = parent.cte; this.depth = parent.depth + 1; } else this.depth = 0;
  }

  // ---- HTTP_Entity::Deliver ----
  deliver(data: Buffer, off: number, len: number, crlf: boolean): void {
    if (this.endOfData) {
      if (this.contentType !== CT_MULTIPART) this.msg.an.httpEvent('illegal format', 'data trailing the end of entity');
      return;
    }
    if (this.inHeader) {
      if (!crlf) this.msg.an.ev.weird('http_no_crlf_in_header_list');
      this.headerLength += len;
      this.mimeDeliver(data, off, len, crlf);
      return;
    }
    if (this.contentType === CT_MULTIPART || this.contentType === CT_MESSAGE) {
      this.deliverBody(data, off, len, crlf);
      if (this.depth === 0 && this.contentLength > 0) {
        this.expectDataLength -= len;
        if (crlf) this.expectDataLength -= 2;
        if (this.expectDataLength <= 0) {
          this.msg.setPlainDelivery(0);
          this.endOfDataHttp();
        }
      }
    } else if (this.chunkedState !== NON_CHUNKED) {
      switch (this.chunkedState) {
        case EXPECT_CHUNK_SIZE: {
          const n = atoiN(latin1(data, off, off + len), 16);
          if (n === null) {
            this.msg.an.ev.weird('HTTP_bad_chunk_size', latin1(data, off, off + len));
            this.expectDataLength = 0;
          } else this.expectDataLength = n;
          if (this.expectDataLength > 0) {
            this.chunkedState = EXPECT_CHUNK_DATA;
            this.msg.setPlainDelivery(this.expectDataLength);
          } else {
            this.inHeader = true;
            this.chunkedState = EXPECT_CHUNK_TRAILER;
          }
          break;
        }
        case EXPECT_CHUNK_DATA:
          this.expectDataLength -= len;
          if (this.expectDataLength <= 0) {
            this.msg.setPlainDelivery(0);
            this.chunkedState = EXPECT_CHUNK_DATA_CRLF;
          }
          this.deliverBody(data, off, len, false);
          break;
        case EXPECT_CHUNK_DATA_CRLF:
          if (len > 0) this.msg.an.httpEvent('illegal format', 'inaccurate chunk size: data before <CR><LF>');
          this.chunkedState = EXPECT_CHUNK_SIZE;
          break;
      }
    } else if (this.contentLength >= 0) {
      this.deliverBody(data, off, len, false);
      this.expectDataLength -= len;
      if (this.expectDataLength <= 0) {
        this.msg.setPlainDelivery(0);
        this.msg.cl.setDeliverySize(-1);
        this.endOfDataHttp();
      }
    } else this.deliverBody(data, off, len, crlf);
  }

  private deliverBody(data: Buffer, off: number, len: number, crlf: boolean): void {
    if (this.encoding === GZIP || this.encoding === DEFLATE) {
      if (!this.zip) this.zip = new Inflater((out) => this.deliverBodyClear(out, 0, out.length, false), (n) => this.msg.an.ev.weird(n));
      this.zip.push(data, off, len);
    } else this.deliverBodyClear(data, off, len, crlf);
  }

  private deliverBodyClear(data: Buffer, off: number, len: number, crlf: boolean): void {
    this.bodyLength += len;
    if (crlf) this.bodyLength += 2;
    this.mimeDeliver(data, off, len, crlf);
  }

  /** HTTP_Entity::Undelivered: a content gap inside a body of known length is absorbed. */
  undelivered(len: number): boolean {
    if ((this.endOfData && this.inHeader) || this.bodyLength === 0) return false;
    if (this.file) this.file.gap(len);
    if (this.chunkedState !== NON_CHUNKED) {
      if (this.chunkedState === EXPECT_CHUNK_DATA && this.expectDataLength >= len) {
        this.bodyLength += len;
        this.expectDataLength -= len;
        this.msg.setPlainDelivery(this.expectDataLength);
        if (this.expectDataLength === 0) this.chunkedState = EXPECT_CHUNK_DATA_CRLF;
        return true;
      }
      return false;
    }
    if (this.contentLength >= 0) {
      if (this.expectDataLength >= len) {
        this.bodyLength += len;
        this.expectDataLength -= len;
        this.msg.setPlainDelivery(this.expectDataLength);
        if (this.expectDataLength <= 0) this.endOfDataHttp();
        return true;
      }
      return false;
    }
    return false;
  }

  /** HTTP_Entity::EndOfData */
  endOfDataHttp(): void {
    if (this.zip) {
      const z = this.zip;
      this.zip = null;
      z.close();
      this.encoding = IDENTITY;
    }
    this.mimeEndOfData();
  }

  // ---- MIME_Entity ----
  private mimeDeliver(data: Buffer, off: number, len: number, crlf: boolean): void {
    if (this.inHeader) {
      if (len === 0 || data[off] === 0) {
        this.finishHeader();
        this.inHeader = false;
        this.submitAllHeaders();
        if (!this.endOfData) this.beginBody();
      } else if (isLws(data[off]!)) this.contHeader(data, off, len);
      else this.newHeader(latin1(data, off, off + len));
    } else this.newDataLine(data, off, len, crlf);
  }

  private beginBody(): void {
    if (this.cte === CTE_BASE64) this.b64 = { bits: 0, n: 0 };
    if (this.contentType === CT_MESSAGE) this.beginChild();
  }

  private mimeEndOfData(): void {
    if (this.endOfData) return;
    this.endOfData = true;
    if (this.inHeader) {
      this.finishHeader();
      this.inHeader = false;
      this.submitAllHeaders();
      this.msg.an.httpEvent('illegal format', 'entity body missing');
    } else if (this.child) {
      this.endChild();
    }
    this.msg.endEntity(this);
  }

  private newHeader(line: string): void {
    this.finishHeader();
    if (line.length === 0) return;
    this.hdrParts = [line];
    this.hdrBytes = line.length;
  }

  private contHeader(data: Buffer, off: number, len: number): void {
    if (!this.hdrParts) {
      this.msg.an.httpEvent('illegal format', 'first header line starts with linear whitespace');
      let ws = 0;
      while (ws < len && isLws(data[off + ws]!)) ws++;
      this.newHeader(latin1(data, off + ws, off + len));
      return;
    }
    if (this.hdrBytes >= MAX_HEADER_BYTES) {
      this.msg.an.ev.weird('exceeded_mime_max_header_bytes');
      return;
    }
    this.hdrParts.push(latin1(data, off, off + len));
    this.hdrBytes += len;
  }

  private finishHeader(): void {
    if (!this.hdrParts) return;
    const folds = this.hdrParts.length;
    const raw = folds === 1 ? this.hdrParts[0]! : this.hdrParts.join('');
    this.hdrParts = null;
    const h = parseHeader(raw);
    if (!h) return;
    this.parseMimeHeader(h);
    this.submitHeader(h, folds);
  }

  private parseMimeHeader(h: MimeHeader): void {
    const n = h.lname;
    if (n === 'content-type') {
      const v = h.value;
      const t1 = getToken(v, 0);
      if (!t1) { this.msg.an.httpEvent('illegal format', 'media type/subtype not found in content type'); return; }
      let p = skipLwsComments(v, t1[1]);
      if (p >= v.length || v[p] !== '/') { this.msg.an.httpEvent('illegal format', 'media type/subtype not found in content type'); return; }
      const t2 = getToken(v, p + 1);
      if (!t2) { this.msg.an.httpEvent('illegal format', 'media type/subtype not found in content type'); return; }
      const ty = v.slice(t1[0], t1[1]).toUpperCase();
      this.contentType = ty === 'MULTIPART' ? CT_MULTIPART : ty === 'MESSAGE' ? CT_MESSAGE : ty === 'TEXT' ? CT_TEXT : CT_OTHER;
      p = t2[1];
      if (this.contentType === CT_MULTIPART || this.contentType === CT_MESSAGE) this.parseParams(v, p);
      if (this.contentType === CT_MULTIPART && this.boundary === null) {
        this.msg.an.httpEvent('illegal format', 'boundary delimiter is not specified for a multipart entity');
        this.contentType = CT_OTHER;
      }
    } else if (n === 'content-transfer-encoding') {
      const t = valueToken(h.value);
      if (!t) return;
      const e = t.token.toLowerCase();
      this.cte = e === 'quoted-printable' ? CTE_QP : e === 'base64' ? CTE_BASE64 : CTE_OTHER;
    }
  }

  private parseParams(v: string, p: number): void {
    for (let guard = 0; guard < 256; guard++) {
      p = skipLwsComments(v, p);
      if (p >= v.length || v[p] !== ';') return;
      p++;
      const attr = getToken(v, p);
      if (!attr) return;
      p = skipLwsComments(v, attr[1]);
      if (p >= v.length || v[p] !== '=') continue;
      p++;
      const isBoundary = this.contentType === CT_MULTIPART && v.slice(attr[0], attr[1]).toLowerCase() === 'boundary';
      const val = getValue(v, p, isBoundary);
      if (!val) continue;
      if (isBoundary) this.boundary = val.value;
      p = val.end;
    }
  }

  // ---- HTTP_Entity::SubmitHeader ----
  private submitHeader(h: MimeHeader, folds: number): void {
    const an = this.msg.an;
    const n = h.lname;
    if (this.depth === 0 && folds > 1) an.ev.weird('HTTP_obsolete_line_folding', h.name);
    if (n === 'content-length') {
      if (this.chunkedState !== NON_CHUNKED) an.ev.weird('HTTP_content_length_and_chunked');
      const t = valueToken(h.value);
      if (t) {
        const num = /^\d+$/.test(t.token) ? Number(t.token) : null;
        if (num !== null && Number.isSafeInteger(num)) {
          if (num > 0 && t.token[0] === '0') an.ev.weird('HTTP_content_length_leading_zeros', t.token);
          this.contentLength = num;
          if (this.isPartial && this.rangeLength !== this.contentLength) {
            an.ev.weird('HTTP_range_not_matching_len');
            if (this.rangeLength > this.contentLength) this.contentLength = this.rangeLength;
          }
          if (this.contentLength === 0 && this.expect100) an.ev.weird('HTTP_content_length_0_and_expect_100_cont');
        } else {
          an.ev.weird('HTTP_bad_content_length', t.token);
          this.contentLength = 0;
        }
      }
    } else if (n === 'content-range' && an.replyCode === 206) {
      this.contentRange(h.value);
    } else if (n === 'transfer-encoding') {
      if (this.depth === 0) {
        const ver = an.requestOngoing ? an.requestVersion : an.replyVersion;
        const t = valueToken(h.value);
        if (t && t.token.toLowerCase() === 'chunked' && verEq(ver, 1, 1)) {
          this.chunkedState = BEFORE_CHUNK;
          if (t.rest.length > 0) an.ev.weird('HTTP_chunked_multi', t.rest);
          if (this.contentLength >= 0) an.ev.weird('HTTP_content_length_and_chunked');
        }
      } else an.ev.weird('HTTP_nested_transfer_encoding_header');
    } else if (n === 'content-encoding') {
      const t = valueToken(h.value);
      const tok = t ? t.token.toLowerCase() : '';
      if (tok === 'gzip' || tok === 'x-gzip') this.encoding = GZIP;
      if (tok === 'deflate') this.encoding = DEFLATE;
    } else if (n === 'expect') {
      const t = valueToken(h.value);
      if (!t || t.token.toLowerCase() !== '100-continue') an.ev.weird('HTTP_expect_not_100_continue', t ? t.token : '');
      this.expect100 = true;
      if (this.contentLength === 0) an.ev.weird('HTTP_content_length_0_and_expect_100_cont');
    }
    an.httpHeader(this.msg.isOrig, h);
  }

  /** Content-Range of a 206 reply: bytes first-last/instance (HTTP_Entity::SubmitHeader). */
  private contentRange(value: string): void {
    const an = this.msg.an;
    if (this.chunkedState !== NON_CHUNKED) an.ev.weird('HTTP_content_range_and_chunked');
    const t = valueToken(value);
    if (!t || t.token !== 'bytes') { an.ev.weird('HTTP_content_range_unknown_byte_unit'); return; }
    const range = t.rest.replace(/ /g, '');
    const slash = range.indexOf('/');
    if (slash < 0) { an.ev.weird('HTTP_content_range_cannot_parse'); return; }
    const spec = range.slice(0, slash), inst = range.slice(slash + 1);
    const dash = spec.indexOf('-');
    if (dash < 0) { an.ev.weird('HTTP_content_range_cannot_parse'); return; }
    const int64 = (x: string): bigint | null => {
      const m = /^\s*([+-]?\d+)/.exec(x);
      if (!m) return null;
      const v = BigInt(m[1]!);
      return v > 9223372036854775807n || v < -9223372036854775808n ? null : v;
    };
    const f = int64(spec.slice(0, dash)), l = int64(spec.slice(dash + 1));
    if (f === null || l === null) { an.ev.weird('HTTP_content_range_cannot_parse', range); return; }
    if (f < 0n || l < 0n) { an.ev.weird('HTTP_content_range_invalid', range); return; }
    if (l < f) { an.ev.weird('HTTP_non_positive_content_range', range); return; }
    if (l - f > 9223372036854775806n) { an.ev.weird('HTTP_content_range_overflow', range); return; }
    const len = Number(l - f + 1n);
    if (len > 0) {
      if (inst !== '*') {
        const il = int64(inst);
        if (il === null) { an.ev.weird('HTTP_content_range_invalid_instance', range); this.instanceLength = 0; }
        else this.instanceLength = Number(il);
      }
      this.isPartial = true;
      this.rangeOffset = Number(f);
      this.rangeLength = len;
      if (this.contentLength > 0) {
        if (this.contentLength !== this.rangeLength) {
          an.ev.weird('HTTP_range_not_matching_len');
          if (this.rangeLength > this.contentLength) this.contentLength = this.rangeLength;
        }
      } else this.contentLength = this.rangeLength;
    }
  }

  // ---- HTTP_Entity::SubmitAllHeaders ----
  private submitAllHeaders(): void {
    const msg = this.msg;
    if (this.parent && this.parent.contentType === CT_MULTIPART) {
      msg.cl.suppressWeirds = true;
      msg.cl.crlfAsEol = 0;
    }
    if (this.contentLength >= 0) msg.cl.setDeliverySize(this.contentLength);
    if (this.chunkedState === EXPECT_CHUNK_TRAILER) {
      this.chunkedState = EXPECT_NOTHING;
      this.endOfDataHttp();
      return;
    }
    if (this.expectBody === BODY_NOT_EXPECTED) { this.endOfDataHttp(); return; }
    if (this.contentType === CT_MULTIPART || this.contentType === CT_MESSAGE) {
      if (this.chunkedState !== NON_CHUNKED) msg.an.ev.weird('HTTP_chunked_transfer_for_multipart_message');
      if (this.depth === 0 && this.contentLength >= 0) {
        if (this.contentLength > 0) {
          this.expectDataLength = this.contentLength;
          msg.cl.setDeliverySize(this.contentLength);
        } else this.endOfDataHttp();
      }
    } else if (this.chunkedState !== NON_CHUNKED) this.chunkedState = EXPECT_CHUNK_SIZE;
    else if (this.contentLength >= 0) {
      if (this.contentLength > 0) {
        this.expectDataLength = this.contentLength;
        msg.setPlainDelivery(this.contentLength);
      } else this.endOfDataHttp();
    } else if (msg.an.connectionClose || this.encoding === GZIP || this.encoding === DEFLATE) {
      this.expectDataLength = INT_MAX;
      msg.setPlainDelivery(INT_MAX);
    } else if (this.expectBody !== BODY_EXPECTED) this.endOfDataHttp();
  }

  // ---- body lines / multipart ----
  private newDataLine(data: Buffer, off: number, len: number, crlf: boolean): void {
    if (this.contentType === CT_MULTIPART) {
      const b = this.checkBoundary(data, off, len);
      if (b === 1) {
        if (this.child) this.endChild();
        if (!this.endOfData) this.beginChild();
        return;
      }
      if (b === 2) {
        if (this.child) this.endChild();
        this.endOfDataHttp();
        return;
      }
    }
    if (this.contentType === CT_MULTIPART || this.contentType === CT_MESSAGE) {
      if (this.child) this.child.deliver(data, off, len, crlf);
    } else this.decodeDataLine(data, off, len, crlf);
  }

  /** 0 not a boundary, 1 boundary, 2 closing boundary. */
  private checkBoundary(data: Buffer, off: number, len: number): number {
    const d = this.boundary;
    if (d === null) return 0;
    if (len >= 2 && data[off] === 0x2d && data[off + 1] === 0x2d) {
      let p = off + 2;
      const e = off + len;
      let i = 0;
      for (; i < d.length && p + i < e; i++) if (data[p + i] !== d.charCodeAt(i)) return 0;
      if (i < d.length) return 0;
      p += i;
      if (e - p >= 2 && data[p] === 0x2d && data[p + 1] === 0x2d) return 2;
      return 1;
    }
    return 0;
  }

  private beginChild(): void {
    if (this.depth >= MAX_MIME_DEPTH) { this.msg.an.ev.weird('exceeded_mime_max_depth'); return; }
    this.child = new Entity(this.msg, this, BODY_EXPECTED);
    this.msg.beginEntity(this.child);
  }

  private endChild(): void {
    const c = this.child!;
    c.endOfDataHttp();
    this.child = null;
  }

  private decodeDataLine(data: Buffer, off: number, len: number, crlf: boolean): void {
    if (this.cte === CTE_BASE64) { this.decodeBase64(data, off, len); return; }
    if (this.cte === CTE_QP) { this.decodeQp(data, off, len); return; }
    if (this.delayCRLF) { this.delayCRLF = false; this.dataOctets(CRLF_BUF, 0, 2); }
    this.dataOctets(data, off, len);
    if (crlf) {
      if (this.parent && this.parent.contentType === CT_MULTIPART) this.delayCRLF = true;
      else this.dataOctets(CRLF_BUF, 0, 2);
    }
  }

  private decodeQp(data: Buffer, off: number, len: number): void {
    let end = len - 1;
    while (end >= 0 && (data[off + end] === 9 || data[off + end] === 32)) end--;
    const out = Buffer.allocUnsafe(len + 2);
    let o = 0, soft = false;
    for (let i = 0; i <= end; i++) {
      const c = data[off + i]!;
      if (c === 0x3d) {
        if (i === end) soft = true;
        else if (i + 2 < len && isXdigit(data[off + i + 1]!) && isXdigit(data[off + i + 2]!)) {
          out[o++] = (hexVal(data[off + i + 1]!) << 4) + hexVal(data[off + i + 2]!);
          i += 2;
        } else out[o++] = c;
      } else out[o++] = c;
    }
    if (!soft) { out[o++] = 13; out[o++] = 10; }
    this.dataOctets(out, 0, o);
  }

  private decodeBase64(data: Buffer, off: number, len: number): void {
    const out = Buffer.allocUnsafe(Math.ceil(len * 3 / 4) + 3);
    let o = 0;
    let { bits, n } = this.b64;
    for (let i = 0; i < len; i++) {
      const c = data[off + i]!;
      let v: number;
      if (c >= 0x41 && c <= 0x5a) v = c - 0x41;
      else if (c >= 0x61 && c <= 0x7a) v = c - 0x61 + 26;
      else if (isDigit(c)) v = c - 0x30 + 52;
      else if (c === 0x2b) v = 62;
      else if (c === 0x2f) v = 63;
      else continue;
      bits = ((bits << 6) | v) & 0xffffff;
      n++;
      if (n === 4) { out[o++] = (bits >> 16) & 255; out[o++] = (bits >> 8) & 255; out[o++] = bits & 255; n = 0; bits = 0; }
    }
    this.b64 = { bits, n };
    this.dataOctets(out, 0, o);
  }

  private dataOctets(data: Buffer, off: number, len: number): void {
    if (len <= 0) return;
    // HTTP_Entity::SubmitData → file analysis
    const msg = this.msg;
    if (!this.file) {
      const f = msg.an.newFile(msg.isOrig);
      this.file = f;
      if (this.encoding !== GZIP && this.encoding !== DEFLATE) {
        if (this.isPartial) { if (this.instanceLength > 0) f.total = this.instanceLength; }
        else if (this.contentLength > 0) f.total = this.contentLength;
      }
      if (this.isPartial && this.rangeOffset > 0) f.noBof = true;
    }
    this.file.data(data, off, len);
  }
}

const CRLF_BUF = Buffer.from('\r\n');

class HttpMessage {
  readonly top: Entity;
  current: Entity | null;
  bodyLength = 0;
  finished = false;

  constructor(readonly an: HttpAnalyzer, readonly cl: ContentLine, readonly isOrig: boolean, expectBody: number) {
    this.top = new Entity(this, null, expectBody);
    this.current = null;
    this.beginEntity(this.top);
  }

  deliver(data: Buffer, off: number, len: number, crlf: boolean): void { this.top.deliver(data, off, len, crlf); }
  undelivered(len: number): boolean { return (this.current ?? this.top).undelivered(len); }
  setPlainDelivery(n: number): void { this.cl.setPlainDelivery(n); }

  beginEntity(e: Entity): void {
    this.current = e;
    this.an.ev.beginEntity(this.isOrig);
  }

  endEntity(e: Entity): void {
    if (e === this.top) this.bodyLength += e.bodyLength;
    this.an.ev.endEntity(this.isOrig);
    this.current = e.parent;
    if (e.parent && e.parent.contentType === CT_MULTIPART) {
      this.cl.suppressWeirds = false;
      this.cl.crlfAsEol = CR_AS_EOL | LF_AS_EOL;
    }
    if (e === this.top) this.done(false);
    else if (this.isOrig || this.an.replyCode !== 206) this.an.endFile(e.file);
  }

  done(interrupted: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.top.endOfDataHttp();
    if (this.isOrig || this.an.replyCode !== 206) this.an.endFile(this.top.file);
    this.an.ev.messageDone(this.isOrig, this.bodyLength, interrupted);
    this.an.messageDone(this.isOrig);
  }
}

export class HttpAnalyzer {
  readonly clOrig: ContentLine;
  readonly clResp: ContentLine;
  private numRequests = 0;
  private numReplies = 0;
  private keepAlive = false;
  connectionClose = false;
  private requestMessage: HttpMessage | null = null;
  private replyMessage: HttpMessage | null = null;
  private requestState = REQ_LINE;
  private replyState = REP_LINE;
  requestOngoing = false;
  private replyOngoing = false;
  replyCode = 0;
  private connectRequest = false;
  private passthrough = false;
  requestVersion: Version | null = null;
  replyVersion: Version | null = null;
  private unanswered: string[] = [];
  private requestMethod = '';
  private replyReason: string | null = null;
  private upgradeConnection = false;
  private upgradeProtocol = '';
  private fileCounter = 0;
  private finishedAll = false;

  private readonly openFiles = new Set<ZeekFile>();

  constructor(readonly ev: HttpEvents, private readonly uid: string, private readonly ctx?: AnalyzerContext) {
    this.clOrig = new ContentLine({
      line: (b, n) => this.onLine(true, b, n), plain: (d, o, n) => this.onPlain(true, d, o, n), weird: (w) => this.ev.weird(w),
    });
    this.clResp = new ContentLine({
      line: (b, n) => this.onLine(false, b, n), plain: (d, o, n) => this.onPlain(false, d, o, n), weird: (w) => this.ev.weird(w),
    });
  }

  httpEvent(_category: string, _detail: string): void { /* http_event: no handler in Zeek's base scripts */ }

  newFile(isOrig: boolean): ZeekFile {
    const f = new ZeekFile(`HTTP|${this.uid}|${isOrig ? 1 : 0}|${this.fileCounter++}`, (file, mime) => this.ev.fileSniff(file, mime),
      this.ctx ? { ctx: this.ctx, source: 'HTTP', isOrig } : undefined);
    this.openFiles.add(f);
    this.ev.fileNew(isOrig, f);
    return f;
  }

  endFile(f: ZeekFile | null): void { if (f) { f.end(); this.openFiles.delete(f); } }

  /** After CONNECT (200) or an upgrade, the stream belongs to the tunnelled protocol. */
  onPassthrough: ((isOrig: boolean, data: Buffer, off: number, len: number) => void) | undefined;

  deliverStream(isOrig: boolean, data: Buffer, off: number, len: number): void {
    if (this.finishedAll || len <= 0) return;
    if (this.passthrough) { this.onPassthrough?.(isOrig, data, off, len); return; }
    if (this.replyState === REP_HTTP09 && !isOrig) {
      if (!this.replyMessage) {
        this.setVersion(false, { major: 0, minor: 9 });
        if (this.unanswered.length > 0) { this.ev.confirm(); this.unanswered.shift(); }
        this.connectionClose = true;
        this.replyOngoing = true;
        this.ev.reply(verText(this.replyVersion), this.replyCode, this.replyReason ?? '<empty>');
        this.initMessage(false, this.expectReplyBody());
        this.replyMessage!.deliver(EMPTY, 0, 0, true);
      }
      this.replyMessage!.deliver(data, off, len, false);
      return;
    }
    (isOrig ? this.clOrig : this.clResp).deliverStream(data, off, len);
  }

  private onPlain(isOrig: boolean, data: Buffer, off: number, len: number): void {
    if (this.passthrough) return;
    if (isOrig) {
      if (this.requestMessage) this.requestMessage.deliver(data, off, len, false);
      else this.ev.weird('unexpected_client_HTTP_data');
    } else {
      if (this.replyMessage) this.replyMessage.deliver(data, off, len, false);
      else this.ev.weird('unexpected_server_HTTP_data');
    }
  }

  private onLine(isOrig: boolean, b: Buffer, len: number): void {
    if (this.passthrough) return;
    if (isOrig) {
      switch (this.requestState) {
        case REQ_LINE: {
          const res = this.requestLine(b, 0, len);
          if (res > 0) {
            this.numRequests++;
            if (!this.keepAlive && this.numRequests > 1) this.ev.weird('unexpected_multiple_HTTP_requests');
            this.requestState = REQ_MESSAGE;
            this.requestOngoing = true;
            this.unanswered.push(this.requestMethod);
            this.httpRequest();
            this.initMessage(true, BODY_MAYBE);
            if (verEq(this.requestVersion, 0, 9)) {
              if (this.requestMethod !== 'GET') this.ev.weird('invalid_http_09_request_method', this.requestMethod);
              if (this.replyMessage) {
                this.ev.weird('http_09_reply_before_request');
                this.replyMessage.done(false);
                this.replyMessage = null;
              }
              this.replyState = REP_HTTP09;
            }
          } else if (res === 0) {
            if (len === 0) this.ev.weird('empty_http_request');
            else {
              this.ev.violation('not a http request line');
              this.requestState = REQ_NOTHING;
            }
          }
          break;
        }
        case REQ_MESSAGE:
          this.requestMessage!.deliver(b, 0, len, true);
          break;
        default: break;
      }
    } else {
      switch (this.replyState) {
        case REP_LINE:
          if (this.replyLine(b, 0, len)) {
            this.numReplies++;
            if (this.unanswered.length > 0) this.ev.confirm();
            this.replyState = REP_MESSAGE;
            this.replyOngoing = true;
            this.ev.reply(verText(this.replyVersion), this.replyCode, this.replyReason ?? '<empty>');
            if (this.connectRequest && this.replyCode !== 200) this.connectRequest = false;
            this.initMessage(false, this.expectReplyBody());
          } else if (len !== 0) {
            this.ev.violation('not a http reply line');
            this.replyState = REP_NOTHING;
          }
          break;
        case REP_MESSAGE:
          this.replyMessage!.deliver(b, 0, len, true);
          if (this.connectRequest && len === 0) this.passthrough = true;
          break;
        default: break;
      }
    }
  }

  private initMessage(isOrig: boolean, expectBody: number): void {
    const old = isOrig ? this.requestMessage : this.replyMessage;
    if (old && !old.finished) this.ev.weird('HTTP_overlapping_messages');
    const m = new HttpMessage(this, isOrig ? this.clOrig : this.clResp, isOrig, expectBody);
    if (isOrig) this.requestMessage = m; else this.replyMessage = m;
  }

  private setVersion(isOrig: boolean, v: Version | null): void {
    const cur = isOrig ? this.requestVersion : this.replyVersion;
    let nv: Version | null = v;
    if (cur === null || (cur.major === 0 && cur.minor === 0)) nv = v;
    else if (!(v && v.major === cur.major && v.minor === cur.minor)) this.ev.weird('HTTP_version_mismatch');
    if (isOrig) this.requestVersion = nv; else this.replyVersion = nv;
    if (nv && (nv.major > 1 || (nv.major === 1 && nv.minor > 0))) this.keepAlive = true;
  }

  private httpVersion(b: Buffer, p: number, e: number): Version {
    if (e - p >= 3 && isDigit(b[p]!) && b[p + 1] === 0x2e && isDigit(b[p + 2]!)) return { major: b[p]! - 0x30, minor: b[p + 2]! - 0x30 };
    return { major: 0, minor: 0 };
  }

  private reqUri = '';
  private reqUnescaped = '';

  /** 1 ok, 0 not a request line. */
  private requestLine(b: Buffer, s: number, e: number): number {
    let endOfMethod = s;
    while (endOfMethod < e && isTokenChar(b[endOfMethod]!)) endOfMethod++;
    if (endOfMethod === s) {
      if (e - 9 >= s && latin1(b, e - 9, e - 3).toUpperCase() === ' HTTP/') { this.ev.weird('bad_HTTP_request_with_version'); return 0; }
      this.ev.weird('bad_HTTP_request');
      return 0;
    }
    const rest = skipWs(b, endOfMethod, e);
    if (rest === endOfMethod) { this.ev.weird('bad_HTTP_request'); return 0; }
    this.parseRequest(b, rest, e);
    if (verEq(this.requestVersion, 0, 9)) {
      const maybeGet = endOfMethod - s >= 3;
      const hasUri = this.reqUri.length > 0;
      if (!maybeGet || !hasUri) { this.ev.weird('bad_HTTP_request'); return 0; }
    }
    this.requestMethod = latin1(b, s, endOfMethod);
    return 1;
  }

  private parseRequest(b: Buffer, line: number, e: number): void {
    let endOfUri = line;
    for (; endOfUri < e; endOfUri++) {
      const c = b[endOfUri]!;
      if (!isReservedUri(c) && !isUnreservedUri(c) && c !== 0x25) break;
    }
    let match = prefixMatch(b, line, e, 'HTTP/', false);
    if (match < 0) {
      match = prefixMatch(b, line, e, 'HTTP/', true);
      if (match >= 0) this.ev.weird('lowercase_HTTP_keyword');
    }
    if (endOfUri >= e && match >= 0) {
      this.ev.weird('missing_HTTP_uri');
      endOfUri = line;
    }
    let vs = endOfUri;
    for (; vs < e; vs++) {
      endOfUri = vs;
      vs = skipWs(b, vs, e);
      if (prefixMatch(b, vs, e, 'HTTP/', false) >= 0) break;
      if (prefixMatch(b, vs, e, 'HTTP/', true) >= 0) { this.ev.weird('lowercase_HTTP_keyword'); break; }
    }
    if (vs >= e) this.setVersion(true, { major: 0, minor: 9 });
    else if (vs + 8 <= e) {
      vs += 5;
      this.setVersion(true, this.httpVersion(b, vs, e));
    }
    this.reqUri = latin1(b, line, endOfUri);
    this.reqUnescaped = unescapeUri(b, line, endOfUri, (w) => this.ev.weird(w));
  }

  private httpRequest(): void {
    this.ev.confirm();
    const m = this.requestMethod;
    if (m.length <= 7 && 'CONNECT'.startsWith(m.toUpperCase())) this.connectRequest = true;
    this.ev.request(this.requestMethod, this.reqUri, this.reqUnescaped, verText(this.requestVersion));
  }

  private replyLine(b: Buffer, s: number, e: number): boolean {
    let rest = prefixMatch(b, s, e, 'HTTP/', false);
    if (rest < 0) {
      rest = prefixMatch(b, s, e, 'HTTP/', true);
      if (rest >= 0) this.ev.weird('lowercase_HTTP_keyword');
    }
    if (rest < 0) return false;
    this.setVersion(false, this.httpVersion(b, rest, e));
    for (; rest < e; rest++) if (isLws(b[rest]!)) break;
    if (rest >= e) return false;
    rest = skipWs(b, rest, e);
    if (rest + 3 > e) return false;
    this.replyCode = isDigit(b[rest]!) && isDigit(b[rest + 1]!) && isDigit(b[rest + 2]!)
      ? (b[rest]! - 0x30) * 100 + (b[rest + 1]! - 0x30) * 10 + (b[rest + 2]! - 0x30) : 0;
    for (rest += 3; rest < e; rest++) if (isLws(b[rest]!)) break;
    if (rest >= e) { this.replyReason = null; return true; }
    rest = skipWs(b, rest, e);
    this.replyReason = latin1(b, rest, e);
    return true;
  }

  private expectReplyBody(): number {
    const m = this.unanswered.length > 0 ? this.unanswered[0]! : null;
    if (m !== null && m.length <= 4 && 'HEAD'.startsWith(m.toUpperCase())) return BODY_NOT_EXPECTED;
    const c = this.replyCode;
    if ((c >= 100 && c < 200) || c === 204 || c === 304) return BODY_NOT_EXPECTED;
    return BODY_EXPECTED;
  }

  httpHeader(isOrig: boolean, h: MimeHeader): void {
    const ln = h.lname;
    if (ln === 'connection') {
      const t = valueToken(h.value);
      const tok = t ? t.token.toLowerCase() : '';
      if (isOrig) { if (tok === 'keep-alive') this.keepAlive = true; }
      else if (tok === 'close') this.connectionClose = true;
      else if (tok === 'upgrade') this.upgradeConnection = true;
    }
    if (!isOrig && ln === 'upgrade') { const t = valueToken(h.value); this.upgradeProtocol = t ? t.token : ''; }
    this.ev.header(isOrig, h.name, h.name.toUpperCase(), h.value);
  }

  messageDone(isOrig: boolean): void {
    if (isOrig) this.requestMade(false); else this.replyMade(false);
  }

  private requestMade(interrupted: boolean): void {
    if (!this.requestOngoing) return;
    this.requestOngoing = false;
    if (this.requestMessage) this.requestMessage.done(interrupted);
    this.requestState = interrupted ? REQ_NOTHING : REQ_LINE;
  }

  private replyMade(interrupted: boolean): void {
    if (!this.replyOngoing) return;
    this.replyOngoing = false;
    if (this.replyMessage) this.replyMessage.done(interrupted);
    if ((this.replyCode < 100 || this.replyCode >= 200) && this.unanswered.length > 0) this.unanswered.shift();
    this.replyReason = null;
    let upgraded = false;
    if (this.replyCode === 101 && this.unanswered.length === 1 && this.upgradeConnection && this.upgradeProtocol !== '') {
      upgraded = true;
      this.passthrough = true;
    }
    this.replyCode = 0;
    this.upgradeConnection = false;
    this.upgradeProtocol = '';
    this.replyState = interrupted || upgraded ? REP_NOTHING : REP_LINE;
  }

  /** One side finished (FIN/RST): flush its partial line, end its message. */
  endOfData(isOrig: boolean): void {
    if (this.finishedAll) return;
    if (!(this.replyState === REP_HTTP09 && !isOrig)) (isOrig ? this.clOrig : this.clResp).endOfData();
    if (isOrig) this.requestMade(false); else this.replyMade(false);
  }

  /** Content gap: the message in flight is interrupted unless its body can absorb the gap. */
  gap(isOrig: boolean, len: number): void {
    if (this.finishedAll || this.passthrough) return;
    const msg = isOrig ? this.requestMessage : this.replyMessage;
    if (msg && !msg.finished && msg.undelivered(len)) return;
    if (isOrig) { this.requestMade(true); this.replyMade(true); this.clOrig.skipDeliveries = true; }
    else { this.replyMade(true); this.clResp.skipDeliveries = true; }
  }

  done(): void {
    if (this.finishedAll) return;
    this.requestMade(true);
    this.replyMade(true);
    this.finishedAll = true;
    // files Zeek would end only at their timeout (206 pieces) end with the connection here
    for (const f of this.openFiles) f.end();
    this.openFiles.clear();
  }
}

const EMPTY = Buffer.alloc(0);
