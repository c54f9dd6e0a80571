// TLS/DTLS wire parser mirroring Zeek's SSL/DTLS analyzers (ssl-protocol.pac, dtls-protocol.pac,
// tls-handshake-protocol.pac and their analyzers): record layer with Zeek's version checks and
// encryption states, handshake messages reassembled across records (and DTLS fragments), the
// extensions that feed ssl.log, and the events Zeek raises, in Zeek's order. Bytes in, events out.

import { StreamBuf } from './streambuf.js';
import {
  SKE_DHE_SERVER_KEY_EXCHANGE,
  SKE_DH_ANON_SERVER_KEY_EXCHANGE,
  SKE_ECDHE_SERVER_KEY_EXCHANGE,
  SKE_ECDH_ANON_SERVER_KEY_EXCHANGE,
} from './consts.js';

export const SSLv20 = 0x0002;
export const SSLv30 = 0x0300;
export const TLSv10 = 0x0301;
export const TLSv11 = 0x0302;
export const TLSv12 = 0x0303;
export const TLSv13 = 0x0304;
export const DTLSv10 = 0xfeff;
export const DTLSv12 = 0xfefd;
export const DTLSv13 = 0xfefc;
const UNKNOWN_VERSION = 0;

export interface TlsEvents {
  clientHello(version: number, recordVersion: number, sessionId: Buffer): void;
  serverHello(version: number, random: Buffer, sessionId: Buffer, cipher: number): void;
  extension(isClient: boolean, code: number, valLen: number): void;
  supportedVersions(isClient: boolean, versions: number[]): void;
  keyShare(isClient: boolean, groups: number[]): void;
  serverName(isClient: boolean, names: string[]): void;
  alpn(isClient: boolean, protocols: string[]): void;
  ecdhServerParams(curve: number): void;
  connectionFlipped(): void;
  handshakeMessage(isClient: boolean, msgType: number, length: number): void;
  certificates(isClient: boolean, certs: Buffer[]): void;
  changeCipherSpec(isClient: boolean): void;
  alert(isClient: boolean, level: number, desc: number): void;
  heartbeat(isClient: boolean): void;
  plaintextData(isClient: boolean, contentType: number): void;
  established(): void;
  confirm(): void;
  /** Zeek's AnalyzerViolation; the parser stops after it. */
  violation(reason: string): void;
  weird(name: string, addl?: string): void;
}

export class ParseError extends Error {}

const MAX_HANDSHAKE_MESSAGE = 16 * 1024 * 1024;
const MAX_RECORD = 1 << 17;
// ssl-defs.pac MAX_DTLS_HANDSHAKE_RECORD: the largest fragmented handshake message DTLS reassembles.
const MAX_DTLS_HANDSHAKE_RECORD = 100000;

class R {
  constructor(
    public b: Buffer,
    public pos: number,
    public end: number,
  ) {}
  get left(): number {
    return this.end - this.pos;
  }
  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new ParseError('out of bound');
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = (this.b[this.pos]! << 16) | (this.b[this.pos + 1]! << 8) | this.b[this.pos + 2]!;
    this.pos += 3;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  sub(n: number): R {
    this.need(n);
    const r = new R(this.b, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}

export function versionOk(v: number): boolean {
  if (v >> 8 === 0x7f) return true;
  switch (v) {
    case SSLv20:
    case SSLv30:
    case TLSv10:
    case TLSv11:
    case TLSv12:
    case TLSv13:
    case DTLSv10:
    case DTLSv12:
    case DTLSv13:
      return true;
  }
  return false;
}

/** to_string_val(): session ids are handed on as 32 bytes, zero-padded (all zero when longer). */
function sessionId32(id: Buffer | undefined): Buffer {
  const out = Buffer.alloc(32);
  if (id && id.length <= 32) id.copy(out, 0);
  return out;
}

/** Handshake_Conn: handshake messages of both directions, with Zeek's direction-flip logic. */
export class TlsHandshake {
  flipped = false;
  private alreadyAlerted = false;
  chosenCipher = -1;
  /** Called on confirmation before the event (DTLS tracks it for its version checks). */
  onConfirm: (() => void) | undefined;
  chosenVersion = UNKNOWN_VERSION;
  recordVersion = 0;
  private readonly bufs = [new StreamBuf(512, MAX_HANDSHAKE_MESSAGE + 4), new StreamBuf(512, MAX_HANDSHAKE_MESSAGE + 4)];

  constructor(private readonly ev: TlsEvents, private readonly dtls: boolean) {}

  private setVersion(v: number): void {
    if (this.chosenVersion !== UNKNOWN_VERSION) return;
    this.chosenVersion = v;
  }

  tls13(): boolean {
    const v = this.chosenVersion;
    return v === TLSv13 || Math.floor(v / 0xff) === 0x7f;
  }

  /** Bytes of handshake protocol for one direction; whole messages are parsed as they complete. */
  deliver(isOrig: boolean, data: Buffer, off: number, len: number): void {
    const b = this.bufs[isOrig ? 0 : 1]!;
    let pos = off;
    const end = off + len;
    while (pos < end || b.length >= 4) {
      if (b.length < 4) {
        const take = Math.min(4 - b.length, end - pos);
        b.append(data, pos, take);
        pos += take;
        if (b.length < 4) return;
      }
      const msgLen = (b.buf[b.start + 1]! << 16) | (b.buf[b.start + 2]! << 8) | b.buf[b.start + 3]!;
      const total = msgLen + 4;
      if (msgLen > MAX_HANDSHAKE_MESSAGE) throw new ParseError('handshake message too long');
      if (b.length < total) {
        const take = Math.min(total - b.length, end - pos);
        if (!b.append(data, pos, take)) throw new ParseError('buffer');
        pos += take;
        if (b.length < total) return;
      }
      const start = b.start;
      b.consume(total);
      this.message(isOrig, b.buf, start, msgLen);
    }
  }

  private checkFlipped(desired: boolean, isOrig: boolean): void {
    if (this.flipped) {
      if (desired === isOrig) {
        this.flipped = false;
        this.ev.connectionFlipped();
        if (!this.alreadyAlerted) {
          this.alreadyAlerted = true;
          this.ev.weird('SSL_unclear_connection_direction');
        }
      }
    } else if (desired !== isOrig) {
      this.flipped = true;
      this.ev.connectionFlipped();
    }
  }

  private client(isOrig: boolean): boolean {
    return isOrig !== this.flipped;
  }

  private message(isOrig: boolean, buf: Buffer, start: number, msgLen: number): void {
    const type = buf[start]!;
    const r = new R(buf, start + 4, start + 4 + msgLen);
    switch (type) {
      case 0: // HELLO_REQUEST
        this.checkFlipped(false, isOrig);
        break;
      case 1:
        this.clientHello(isOrig, r, type);
        break;
      case 2:
        this.serverHello(isOrig, r, type);
        break;
      case 3: // HELLO_VERIFY_REQUEST
        r.u16();
        r.bytes(r.u8());
        break;
      case 4: // SESSION_TICKET
        r.u32();
        r.bytes(r.u16());
        break;
      case 11:
        this.certificate(isOrig, r);
        break;
      case 12:
        this.serverKeyExchange(r);
        break;
      case 13: // CERTIFICATE_REQUEST: parsed for its structure only
        r.bytes(r.u8());
        if (this.chosenVersion > TLSv11 && this.chosenVersion !== DTLSv10) r.bytes(r.u16());
        r.bytes(r.u16());
        break;
      case 14: // SERVER_HELLO_DONE
      case 15:
      case 16:
      case 20:
      case 21:
        break;
      case 22: {
        r.u8();
        r.u24();
        const status = buf[start + 4]!;
        if (!(status === 1 && r.left > 0) && r.left === 0) this.ev.weird('SSL_zero_length_stapled_OCSP_message');
        break;
      }
      default:
        this.ev.violation(`unknown handshake message (${type}) from ${isOrig ? 'originator' : 'responder'}`);
        throw new ParseError('stopped');
    }
    this.ev.handshakeMessage(this.client(isOrig), type, msgLen);
  }

  private clientHello(isOrig: boolean, r: R, msgType: number): void {
    this.checkFlipped(true, isOrig);
    const version = r.u16();
    r.u32();
    r.bytes(28);
    const sid = r.bytes(r.u8());
    if (version === DTLSv10 || version === DTLSv12) r.bytes(r.u8());
    const csLen = r.u16();
    r.bytes((csLen >> 1) * 2);
    r.bytes(r.u8());
    this.extensions(isOrig, r, msgType);
    if (!versionOk(version)) {
      this.ev.violation(`unsupported client SSL version 0x${version.toString(16).padStart(4, '0')}`);
      throw new ParseError('stopped');
    }
    this.onConfirm?.();
    this.ev.confirm();
    this.ev.clientHello(version, this.recordVersion, sessionId32(sid));
  }

  private serverHello(isOrig: boolean, r: R, msgType: number): void {
    this.checkFlipped(false, isOrig);
    const v0 = r.u8();
    const v1 = r.u8();
    const version = (v0 << 8) | v1;
    const parsed = v0 === 0x7f ? 0x7f00 : version;
    let random: Buffer;
    let sid: Buffer | undefined;
    let cipher: number;
    if (parsed === TLSv13 || parsed === 0x7f00) {
      random = r.bytes(32);
      cipher = r.u16();
      this.extensions(isOrig, r, msgType);
    } else {
      random = r.bytes(32);
      sid = r.bytes(r.u8());
      cipher = r.u16();
      r.u8();
      this.extensions(isOrig, r, msgType);
    }
    this.chosenCipher = cipher;
    let skip = false;
    if (!versionOk(version)) {
      this.ev.violation(`unsupported server SSL version 0x${version.toString(16).padStart(4, '0')}`);
      skip = true;
    }
    this.ev.serverHello(version, random, sessionId32(sid), cipher);
    this.setVersion(version);
    if (skip) throw new ParseError('stopped');
  }

  private extensions(isOrig: boolean, r: R, msgType: number): void {
    if (r.left === 0) return;
    r.u16(); // ext_len, not used for parsing
    while (r.left > 0) {
      const type = r.u16();
      const dataLen = r.u16();
      const e = r.sub(dataLen);
      if (e.left > 0) this.extension(isOrig, type, dataLen, e, msgType);
      this.ev.extension(this.client(isOrig), type, dataLen);
    }
  }

  private extension(isOrig: boolean, type: number, dataLen: number, e: R, msgType: number): void {
    const isClient = this.client(isOrig);
    switch (type) {
      case 16: {
        // ALPN
        const l = e.sub(e.u16());
        const names: string[] = [];
        while (l.left > 0) names.push(l.bytes(l.u8()).toString('latin1'));
        this.ev.alpn(isClient, names);
        break;
      }
      case 0: {
        const l = e.sub(e.u16());
        const names: string[] = [];
        while (l.left > 0) {
          const t = l.u8();
          if (t === 0) names.push(l.bytes(l.u16()).toString('latin1'));
          else {
            l.pos = l.end;
            this.ev.weird('ssl_ext_unknown_server_name_type', String(t));
          }
        }
        this.ev.serverName(isClient, names);
        break;
      }
      case 43: {
        if (isClient) {
          const l = e.sub(e.u8());
          const versions: number[] = [];
          while (l.left > 0) versions.push(l.u16());
          this.ev.supportedVersions(isClient, versions);
        } else {
          const v = e.u16();
          this.setVersion(v);
          this.ev.supportedVersions(isClient, [v]);
        }
        break;
      }
      case 51:
      case 40: {
        if (msgType === 1) {
          const l = e.sub(e.u16());
          const groups: number[] = [];
          while (l.left > 0) {
            groups.push(l.u16());
            l.bytes(l.u16());
          }
          this.ev.keyShare(isClient, groups);
        } else if (msgType === 2) {
          if (dataLen === 2) this.ev.keyShare(isClient, [e.u16()]);
          else {
            const g = e.u16();
            e.bytes(e.u16());
            this.ev.keyShare(isClient, [g]);
          }
        }
        break;
      }
      case 10: {
        const n = e.u16();
        e.bytes((n >> 1) * 2);
        break;
      }
      case 11:
        e.bytes(e.u8());
        break;
      case 13:
      case 50: {
        const l = e.sub(e.u16());
        while (l.left > 0) l.u16();
        break;
      }
      case 45:
        e.sub(e.u8());
        break;
      default:
        break;
    }
  }

  private certificate(isOrig: boolean, r: R): void {
    const l = r.sub(r.u24());
    const certs: Buffer[] = [];
    while (l.left > 0) certs.push(l.bytes(l.u24()));
    if (certs.length) this.ev.certificates(this.client(isOrig), certs);
  }

  private serverKeyExchange(r: R): void {
    const c = this.chosenCipher;
    const sigAlg = this.chosenVersion > TLSv11 && this.chosenVersion !== DTLSv10;
    if (SKE_ECDHE_SERVER_KEY_EXCHANGE.has(c) || SKE_ECDH_ANON_SERVER_KEY_EXCHANGE.has(c)) {
      const curveType = r.u8();
      if (curveType !== 3) return;
      const curve = r.u16();
      r.bytes(r.u8());
      if (SKE_ECDHE_SERVER_KEY_EXCHANGE.has(c)) {
        if (sigAlg) r.u16();
        r.bytes(r.u16());
      }
      this.ev.ecdhServerParams(curve);
    } else if (SKE_DHE_SERVER_KEY_EXCHANGE.has(c)) {
      r.bytes(r.u16());
      r.bytes(r.u16());
      r.bytes(r.u16());
      if (sigAlg) r.u16();
      r.bytes(r.u16());
    } else if (SKE_DH_ANON_SERVER_KEY_EXCHANGE.has(c)) {
      r.bytes(r.u16());
      r.bytes(r.u16());
      r.bytes(r.u16());
    }
  }
}

const enum Enc {
  CLEAR = 0,
  ENCRYPTED = 1,
}

/** SSL_Conn for TLS over TCP: the record layer of both directions. */
/**
 * An alert record: (level, description) pairs, at most 20 bytes read (2 under TLS 1.3), as Zeek's
 * grammar bounds it; a longer record raises SSL_excessive_alerts_in_record.
 */
function alertRecord(ev: TlsEvents, body: R, length: number, isClient: boolean, tls13: boolean): void {
  let n = length;
  const max = tls13 ? 2 : 20;
  if (n > max) {
    ev.weird('SSL_excessive_alerts_in_record', String(Math.floor(n / 2)));
    n = max;
  }
  const a = body.sub(n);
  while (a.left > 0) {
    const level = a.u8();
    ev.alert(isClient, level, a.u8());
  }
}

export class TlsRecordLayer {
  readonly hs: TlsHandshake;
  private clientState = Enc.CLEAR;
  private serverState = Enc.CLEAR;
  private recordLayerVersion = UNKNOWN_VERSION;
  private established = false;
  dead = false;
  private hadGap = false;
  private readonly bufs = [new StreamBuf(512, MAX_RECORD + 8), new StreamBuf(512, MAX_RECORD + 8)];
  private readonly skipRemain = [0, 0];
  private readonly skipType = [0, 0];
  private readonly skipLen = [0, 0];

  constructor(private readonly ev: TlsEvents) {
    this.hs = new TlsHandshake(ev, false);
  }

  /** Stop parsing (Zeek disables the analyzer once the connection is established). */
  disable(): void {
    this.dead = true;
  }

  gap(): void {
    this.hadGap = true;
  }

  deliver(isOrig: boolean, data: Buffer, off: number, len: number): void {
    if (this.dead || this.hadGap) return;
    try {
      this.feed(isOrig, data, off, off + len);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      if (!this.dead) {
        this.dead = true;
        if (e.message !== 'stopped') this.ev.violation(`Binpac exception: ${e.message}`);
      }
    }
  }

  private feed(isOrig: boolean, data: Buffer, pos: number, end: number): void {
    const side = isOrig ? 0 : 1;
    const b = this.bufs[side]!;
    while (!this.dead && (pos < end || b.length >= 5)) {
      const skip = this.skipRemain[side]!;
      if (skip > 0) {
        // body of a record whose content is never looked at (encrypted, or application data)
        const n = Math.min(skip, end - pos);
        pos += n;
        this.skipRemain[side] = skip - n;
        if (skip - n > 0) return;
        this.recordNoBody(isOrig, this.skipType[side]!, this.skipLen[side]!);
        continue;
      }
      if (b.length < 5) {
        const take = Math.min(5 - b.length, end - pos);
        b.append(data, pos, take);
        pos += take;
        if (b.length < 5) return;
      }
      const s = b.start;
      const h = b.buf;
      const h0 = h[s]!, h1 = h[s + 1]!, h2 = h[s + 2]!, h3 = h[s + 3]!, h4 = h[s + 4]!;
      const rlv = this.recordLayer(h0, h1, h2, h3, h4, isOrig);
      if (rlv === UNKNOWN_VERSION) throw new ParseError('stopped');
      const contentType = rlv === SSLv20 ? h2 + 300 : h0;
      const length = rlv === SSLv20 ? (((h0 & 0x7f) << 8) | h1) - 3 : (h3 << 8) | h4;
      if (length < 0) throw new ParseError('negative length');
      const total = length + 5;
      const cur = isOrig ? this.clientState : this.serverState;
      if (length > 0 && rlv !== SSLv20 && (cur === Enc.ENCRYPTED || contentType === 23)) {
        const have = b.length - 5;
        b.consume(5 + Math.min(have, length));
        if (have >= length) {
          this.recordNoBody(isOrig, contentType, length);
          continue;
        }
        this.skipRemain[side] = length - have;
        this.skipType[side] = contentType;
        this.skipLen[side] = length;
        continue;
      }
      if (b.length < total) {
        const take = Math.min(total - b.length, end - pos);
        if (!b.append(data, pos, take)) throw new ParseError('buffer');
        pos += take;
        if (b.length < total) return;
      }
      // the body append may have moved the storage: take it again
      const rs = b.start;
      const rb = b.buf;
      b.consume(total);
      const raw = rlv === SSLv20 ? 0 : (h1 << 8) | h2;
      this.record(isOrig, rb, rs, contentType, length, raw, rlv);
    }
  }

  private violationSkip(reason: string): number {
    this.ev.violation(reason);
    this.dead = true;
    return UNKNOWN_VERSION;
  }

  private recordLayer(h0: number, h1: number, h2: number, h3: number, h4: number, isOrig: boolean): number {
    if (this.recordLayerVersion !== UNKNOWN_VERSION && this.recordLayerVersion !== SSLv20) {
      const v = (h1 << 8) | h2;
      if (v !== SSLv30 && v !== TLSv10 && v !== TLSv11 && v !== TLSv12)
        return this.violationSkip(`Invalid version late in TLS connection. Packet reported version: ${v}`);
    }
    if (this.recordLayerVersion !== UNKNOWN_VERSION) return this.recordLayerVersion;
    if (h0 & 0x80) {
      if (h2 === 0x01 && isOrig) {
        const v = (h3 << 8) | h4;
        if (v !== SSLv20 && v !== SSLv30 && v !== TLSv10 && v !== TLSv11 && v !== TLSv12)
          return this.violationSkip(`Invalid version in SSL client hello. Version: ${v}`);
        return SSLv20;
      }
      if (h2 === 0x04 && h4 < 2 && !isOrig) {
        this.recordLayerVersion = SSLv20;
        return SSLv20;
      }
      return this.violationSkip(`Invalid headers in SSL connection. Head1: ${h1}, head2: ${h2}, head3: ${h3}`);
    }
    const v = (h1 << 8) | h2;
    if (v !== SSLv30 && v !== TLSv10 && v !== TLSv11 && v !== TLSv12) return this.violationSkip(`Invalid version in TLS connection. Version: ${v}`);
    if (h0 >= 20 && h0 <= 30) {
      this.recordLayerVersion = v;
      return v;
    }
    return this.violationSkip(`Invalid type in TLS connection. Version: ${v}, Type: ${h0}`);
  }

  private startEncryption(isOrig: boolean): void {
    if (isOrig) this.clientState = Enc.ENCRYPTED;
    else this.serverState = Enc.ENCRYPTED;
  }

  private determineState(isOrig: boolean, contentType: number): Enc {
    const cur = isOrig ? this.clientState : this.serverState;
    if (cur === Enc.ENCRYPTED || contentType !== 23) return cur;
    const v = this.hs.chosenVersion;
    if (v !== SSLv20 && v !== SSLv30 && v !== TLSv10 && v !== TLSv11 && v !== TLSv12) {
      this.startEncryption(isOrig);
      return Enc.ENCRYPTED;
    }
    return cur;
  }

  /** A record whose body is not needed: ciphertext, or plaintext application data. */
  private recordNoBody(isOrig: boolean, contentType: number, length: number): void {
    const isClient = isOrig !== this.hs.flipped;
    if (this.determineState(isOrig, contentType) === Enc.ENCRYPTED) {
      if (this.clientState === Enc.ENCRYPTED && this.serverState === Enc.ENCRYPTED && !this.established) {
        this.established = true;
        this.ev.established();
      }
      return;
    }
    if (contentType !== 23) throw new ParseError(`record of type ${contentType} without body`);
    void length;
    this.ev.plaintextData(isClient, contentType);
  }

  private record(isOrig: boolean, buf: Buffer, s: number, contentType: number, length: number, raw: number, rlv: number): void {
    if (length === 0) return; // RecordText[] over zero bytes: nothing at all
    const body = new R(buf, s + 5, s + 5 + length);
    const isClient = isOrig !== this.hs.flipped;
    if (this.determineState(isOrig, contentType) === Enc.ENCRYPTED) {
      if (this.clientState === Enc.ENCRYPTED && this.serverState === Enc.ENCRYPTED && !this.established) {
        this.established = true;
        this.ev.established();
      }
      return;
    }
    switch (contentType) {
      case 20: {
        // ChangeCipherSpec is one byte; the record text is an array of them
        while (body.left > 0) {
          body.u8();
          if (!this.hs.tls13()) this.startEncryption(isOrig);
          this.ev.changeCipherSpec(isClient);
          this.ev.plaintextData(isClient, contentType);
        }
        return;
      }
      case 21:
        alertRecord(this.ev, body, length, isClient, this.hs.tls13());
        break;
      case 22:
        this.hs.recordVersion = raw;
        this.hs.deliver(isOrig, buf, s + 5, length);
        break;
      case 23:
        break;
      case 24:
        body.u8();
        body.u16();
        this.ev.heartbeat(isClient);
        break;
      case 300: {
        // V2 error
        this.ev.alert(isClient, -1, (buf[s + 3]! << 8) | buf[s + 4]!);
        break;
      }
      case 301:
        this.v2ClientHello(isOrig, buf, s, body);
        break;
      case 302: {
        body.u8();
        const a = body.u16(), b2 = body.u16(), c = body.u16();
        body.bytes(a + b2 + c);
        this.startEncryption(true);
        this.startEncryption(false);
        this.ev.established();
        break;
      }
      case 304:
        this.v2ServerHello(isOrig, buf, s, body);
        break;
      default:
        this.ev.violation(`unknown SSL record type (${contentType}) from ${isOrig ? 'originator' : 'responder'}`);
        throw new ParseError('stopped');
    }
    void rlv;
    this.ev.plaintextData(isClient, contentType);
  }

  private v2ClientHello(isOrig: boolean, buf: Buffer, s: number, r: R): void {
    const csLen = r.u16();
    const sessLen = r.u16();
    const chalLen = r.u16();
    r.bytes(Math.floor(csLen / 3) * 3);
    const sid = r.bytes(sessLen);
    r.bytes(chalLen);
    const version = (buf[s + 3]! << 8) | buf[s + 4]!;
    if (!versionOk(version)) {
      this.ev.violation(`unsupported client SSL version 0x${version.toString(16).padStart(4, '0')}`);
      throw new ParseError('stopped');
    }
    this.ev.confirm();
    this.ev.clientHello(version, 0, sessionId32(sid));
    void isOrig;
  }

  private v2ServerHello(isOrig: boolean, buf: Buffer, s: number, r: R): void {
    const version = r.u16();
    const certLen = r.u16();
    const ciphersLen = r.u16();
    const connIdLen = r.u16();
    const cert = r.bytes(certLen);
    const ciphers = r.bytes(Math.floor(ciphersLen / 3) * 3);
    const connId = r.bytes(connIdLen);
    if (version !== SSLv20) {
      this.ev.violation(`Invalid version in SSL server hello. Version: ${version}`);
      throw new ParseError('stopped');
    }
    const first = ciphers.length >= 3 ? (ciphers[0]! << 16) | (ciphers[1]! << 8) | ciphers[2]! : 0;
    this.ev.serverHello(version, connId, sessionId32(undefined), first);
    if (cert.length) this.ev.certificates(isOrig !== this.hs.flipped, [cert]);
    void buf;
    void s;
  }
}

/** SSL_Conn for DTLS: whole datagrams of records, epoch-based encryption, fragment reassembly. */
export class DtlsRecordLayer {
  readonly hs: TlsHandshake;
  private clientState = Enc.CLEAR;
  private serverState = Enc.CLEAR;
  private established = false;
  private confirmed = false;
  private invalidVersionCount = 0;
  private reportedErrors = 0;
  dead = false;
  private readonly frag = [new FragState(), new FragState()];

  constructor(private readonly ev: TlsEvents) {
    this.hs = new TlsHandshake(ev, true);
    this.hs.onConfirm = () => {
      this.confirmed = true;
    };
  }

  disable(): void {
    this.dead = true;
  }

  deliver(isOrig: boolean, data: Buffer, off: number, len: number): void {
    if (this.dead) return;
    // STUN packets share ports with DTLS (WebRTC): skipped silently.
    if (len > 20 && data[off + 4] === 0x21 && data[off + 5] === 0x12 && data[off + 6] === 0xa4 && data[off + 7] === 0x42) return;
    const r = new R(data, off, off + len);
    try {
      while (r.left > 0 && !this.dead) this.record(isOrig, r);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      if (e.message !== 'stopped') this.ev.violation(`Binpac exception: ${e.message}`);
      this.dead = true;
    }
  }

  private versionOk(v: number): boolean {
    if (v === DTLSv10 || v === DTLSv12) {
      if (this.confirmed) this.invalidVersionCount = 0;
      return true;
    }
    this.invalidVersionCount++;
    if (this.confirmed) {
      this.reportedErrors++;
      if (this.reportedErrors <= 1) this.ev.violation(`Invalid version in DTLS connection. Packet reported version: ${v}`);
    }
    if (this.invalidVersionCount > 10) this.dead = true;
    return false;
  }

  private record(isOrig: boolean, r: R): void {
    const first = r.u8();
    if (this.hs.chosenVersion === DTLSv13 && (first & 0xe0) === 0x20) {
      // unified header record (DTLS 1.3): counts as encrypted traffic of this side
      r.pos = r.end;
      if (isOrig) this.clientState = Enc.ENCRYPTED;
      else this.serverState = Enc.ENCRYPTED;
      if (this.clientState === Enc.ENCRYPTED && this.serverState === Enc.ENCRYPTED && !this.established) {
        this.established = true;
        this.ev.established();
      }
      return;
    }
    const version = r.u16();
    const epoch = r.u16();
    const seqHi = r.u16();
    const seqLo = r.u32();
    const length = r.u16();
    if (!this.versionOk(version)) {
      r.pos = r.end;
      return;
    }
    const body = r.sub(length);
    if (length === 0) return;
    const isClient = isOrig !== this.hs.flipped;
    if (epoch !== 0) {
      if (this.clientState === Enc.ENCRYPTED && this.serverState === Enc.ENCRYPTED && !this.established) {
        this.established = true;
        this.ev.established();
      }
      return;
    }
    switch (first) {
      case 20:
        while (body.left > 0) {
          body.u8();
          if (!this.hs.tls13()) {
            if (isOrig) this.clientState = Enc.ENCRYPTED;
            else this.serverState = Enc.ENCRYPTED;
          }
          this.ev.changeCipherSpec(isClient);
          this.ev.plaintextData(isClient, first);
        }
        return;
      case 21:
        alertRecord(this.ev, body, length, isClient, this.hs.tls13());
        break;
      case 22:
        while (body.left > 0) this.handshakeFragment(isOrig, version, seqHi * 2 ** 32 + seqLo, body);
        break;
      case 23:
        break;
      case 24:
        body.u8();
        body.u16();
        this.ev.heartbeat(isClient);
        break;
      default:
        this.ev.violation(`unknown SSL record type (${first}) from ${isOrig ? 'originator' : 'responder'}`);
        throw new ParseError('stopped');
    }
    this.ev.plaintextData(isClient, first);
  }

  private handshakeFragment(isOrig: boolean, version: number, seq: number, r: R): void {
    const msgType = r.u8();
    const length = r.u24();
    const msgSeq = r.u16();
    const foff = r.u24();
    const flen = r.u24();
    const data = r.bytes(r.left); // &restofdata
    if (foff === 0 && length === flen) {
      this.sendHandshake(isOrig, version, msgType, length, data);
      return;
    }
    const i = this.frag[isOrig ? 0 : 1]!;
    if (length > MAX_DTLS_HANDSHAKE_RECORD) {
      this.ev.violation(`DTLS record length ${length} larger than allowed maximum.`);
      return;
    }
    if (i.msgSeq !== msgSeq || i.length !== length || !i.buffer) {
      i.reset();
      i.msgSeq = msgSeq;
      i.length = length;
      i.buffer = Buffer.alloc(length);
      i.firstSeq = seq;
    }
    const dist = Math.abs(i.firstSeq - seq);
    if (dist >= 32) {
      this.ev.violation('DTLS handshake fragment sequence number outside reassembly window.');
      return;
    }
    if (i.firstSeq > seq) {
      if (i.firstSeen) {
        this.ev.violation('Saw second and different first message fragment for handshake.');
        return;
      }
      i.seen = (i.seen << (i.firstSeq - seq)) >>> 0;
      i.firstSeq = seq;
    }
    if (foff === 0) i.firstSeen = true;
    const bit = (1 << (seq - i.firstSeq)) >>> 0;
    if (i.seen & bit) return;
    if (data.length !== flen) {
      this.ev.violation('DTLS handshake record length does not match packet length');
      return;
    }
    if (foff + flen > length) {
      this.ev.violation('DTLS handshake fragment trying to write past end of buffer');
      return;
    }
    i.seen = (i.seen | bit) >>> 0;
    data.copy(i.buffer, foff);
    if (foff + flen === length) i.lastSeq = seq;
    if (i.lastSeq !== 0 && i.firstSeen) {
      const total = i.lastSeq - i.firstSeq;
      if (total > 30) {
        this.ev.violation('DTLS Message fragmented over more than 30 pieces. Cannot reassemble.');
        return;
      }
      const mask = total + 1 >= 32 ? 0xffffffff : ((1 << (total + 1)) - 1) >>> 0;
      if (((~i.seen >>> 0) & mask) === 0) this.sendHandshake(isOrig, version, msgType, length, i.buffer);
    }
  }

  private sendHandshake(isOrig: boolean, version: number, msgType: number, length: number, data: Buffer): void {
    this.hs.recordVersion = version;
    const hdr = Buffer.from([msgType, (length >> 16) & 255, (length >> 8) & 255, length & 255]);
    this.hs.deliver(isOrig, hdr, 0, 4);
    this.hs.deliver(isOrig, data, 0, data.length);
  }
}

class FragState {
  firstSeq = 0;
  firstSeen = false;
  lastSeq = 0;
  msgSeq = -1;
  length = -1;
  seen = 0;
  buffer: Buffer | undefined;
  reset(): void {
    this.firstSeq = 0;
    this.firstSeen = false;
    this.lastSeq = 0;
    this.msgSeq = -1;
    this.length = -1;
    this.seen = 0;
    this.buffer = undefined;
  }
}
