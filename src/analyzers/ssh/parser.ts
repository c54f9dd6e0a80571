// SSH wire parser: version banners (with server pre-banner lines), binary packets through key
// exchange, host key fingerprint, and Zeek's packet-size heuristics for authentication once
// encrypted. Bytes in, typed events out; it knows nothing of logs. Mirrors the state machine of
// Zeek's SSH analyzer (ssh-protocol.pac / SSH.cc) so that the same inputs give the same events.

import { createHash } from 'node:crypto';
import { StreamBuf } from '../ssl/streambuf.js';

export interface AlgorithmPrefs {
  clientToServer: string[];
  serverToClient: string[];
}

export interface SshCapabilities {
  kexAlgorithms: string[];
  serverHostKeyAlgorithms: string[];
  encryption: AlgorithmPrefs;
  mac: AlgorithmPrefs;
  compression: AlgorithmPrefs;
  isServer: boolean;
}

export interface SshEvents {
  clientVersion(version: string): void;
  serverVersion(version: string): void;
  capabilities(caps: SshCapabilities): void;
  /** `SHA256:` + 32 base64 characters, as Zeek 9.1 computes it. */
  hostKeyFingerprint(fp: string): void;
  /** Zeek's ssh_auth_attempted. */
  authAttempted(authenticated: boolean): void;
  /** NEWKEYS (SSH2) or session key (SSH1) seen. */
  confirm(): void;
  /** Parse failure: Zeek raises a protocol violation; we stop parsing. */
  violation(reason: string): void;
  weird(name: string, addl?: string): void;
}

const enum St {
  VERSION_EXCHANGE = 0,
  KEX_INIT = 1,
  KEX_DH_GEX = 2,
  KEX_DH = 3,
  KEX_ECC = 4,
  KEX_GSS = 5,
  KEX_RSA = 6,
  ENCRYPTED = 7,
}

const enum Ver {
  SSH1 = 1,
  SSH2 = 2,
  UNK = 3,
  SSH199 = 4,
}

const MAX_PACKET_LENGTH = 8 * 1024 * 1024;
const MAX_STRING_LENGTH = 2 * 1024 * 1024;
const MAX_KEXINIT_ALGS = 100;
const MAX_LINE = 1024 * 1024;

class ParseError extends Error {}

/** Zeek's fingerprint_sha256(): `SHA256:` and the first 32 characters of the base64 digest. */
export function sshFingerprintSha256(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').slice(0, 32);
}

class Side {
  state: St = St.VERSION_EXCHANGE;
  pendingCR = false;
  readonly buf = new StreamBuf(256, MAX_PACKET_LENGTH + 64);
}

/** Bounds-checked big-endian reader over buf[pos..end). */
class Reader {
  constructor(
    public b: Buffer,
    public pos: number,
    public end: number,
  ) {}
  u8(): number {
    if (this.pos + 1 > this.end) throw new ParseError('out of bound');
    return this.b[this.pos++]!;
  }
  u32(): number {
    if (this.pos + 4 > this.end) throw new ParseError('out of bound');
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    if (n < 0 || this.pos + n > this.end) throw new ParseError('out of bound');
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

export class SshParser {
  private readonly up = new Side();
  private readonly down = new Side();
  private version: Ver = Ver.UNK;
  private versionClient: Ver = Ver.UNK;
  private versionServer: Ver = Ver.UNK;
  private kexSeen = false;
  private kexOrig = false;
  private kexAlgsCache = '';
  private dead = false;
  private hadGap = false;
  // packet-size heuristics (SSH.cc)
  private authDecisionMade = false;
  private skippedBanner = false;
  private sawEncryptedClientData = false;
  private serviceAcceptSize = 0;
  private userauthFailureSize = 0;
  private encryptedInSegment = 0;

  constructor(private readonly ev: SshEvents) {}

  /** Stop everything (Zeek disables the analyzer after a successful authentication). */
  disable(): void {
    this.dead = true;
  }

  gap(): void {
    this.hadGap = true;
  }

  deliver(isOrig: boolean, data: Buffer, off: number, len: number): void {
    if (this.dead || this.hadGap || len <= 0) return;
    const side = isOrig ? this.up : this.down;
    if (side.state === St.ENCRYPTED) {
      this.processEncryptedSegment(len, isOrig);
      return;
    }
    this.encryptedInSegment = 0;
    try {
      this.feed(isOrig, side, data, off, off + len);
    } catch (e) {
      if (e instanceof ParseError) {
        this.dead = true;
        this.ev.violation(`Binpac exception: ${e.message}`);
        return;
      }
      throw e;
    }
    if (this.encryptedInSegment > 0) this.processEncryptedSegment(this.encryptedInSegment, isOrig);
  }

  private feed(isOrig: boolean, side: Side, data: Buffer, pos: number, end: number): void {
    while (pos < end && !this.dead) {
      if (side.pendingCR) {
        side.pendingCR = false;
        if (data[pos] === 0x0a) {
          pos++;
          continue;
        }
      }
      const st = side.state;
      if (st === St.ENCRYPTED) {
        this.encryptedInSegment += end - pos;
        return;
      }
      if (st === St.VERSION_EXCHANGE) {
        let i = pos;
        while (i < end && data[i] !== 0x0d && data[i] !== 0x0a) i++;
        if (i === end) {
          if (!side.buf.append(data, pos, end - pos) || side.buf.length > MAX_LINE) throw new ParseError('line too long');
          return;
        }
        let line: string;
        if (side.buf.length > 0) {
          if (!side.buf.append(data, pos, i - pos)) throw new ParseError('line too long');
          line = side.buf.buf.toString('latin1', side.buf.start, side.buf.end);
          side.buf.clear();
        } else {
          line = data.toString('latin1', pos, i);
        }
        if (data[i] === 0x0d) side.pendingCR = true;
        pos = i + 1;
        this.versionLine(isOrig, side, line);
        continue;
      }
      // Binary packet: 4-byte length, then the rest as the version dictates.
      const b = side.buf;
      let need = 4;
      if (b.length < 4) {
        const take = Math.min(4 - b.length, end - pos);
        b.append(data, pos, take);
        pos += take;
        if (b.length < 4) return;
      }
      const rawLen = b.buf.readUInt32BE(b.start);
      let plen = rawLen;
      if (plen > MAX_PACKET_LENGTH) {
        // Zeek raises this limit weird every time the length is read; once per packet here.
        plen = MAX_PACKET_LENGTH;
      }
      need = this.kexLength(plen);
      if (need < 4) {
        // Zeek's binpac gives the PDU a length of 1 when the version is unknown: the parse fails.
        throw new ParseError(`invalid index for case: key_ex: ${this.version}`);
      }
      if (b.length < need) {
        const take = Math.min(need - b.length, end - pos);
        if (!b.append(data, pos, take)) throw new ParseError('buffer');
        pos += take;
        if (b.length < need) return;
      }
      if (rawLen > MAX_PACKET_LENGTH) this.ev.weird('SSH_max_packet_length_exceeded', `${rawLen} > ${MAX_PACKET_LENGTH}`);
      const start = b.start;
      b.consume(need);
      // consume() may reset indices but does not touch the bytes; parse from the old window.
      this.packet(isOrig, side, b.buf, start + 4, start + need, plen);
    }
  }

  private kexLength(plen: number): number {
    switch (this.version) {
      case Ver.SSH1:
        return plen + 4 + 8 - (plen % 8);
      case Ver.SSH2:
        return plen + 4;
      default:
        return 1;
    }
  }

  private versionLine(isOrig: boolean, side: Side, line: string): void {
    if (isOrig) {
      if (!line.startsWith('SSH-')) throw new ParseError('string mismatch at ' + JSON.stringify(line.slice(0, 16)));
      side.state = St.KEX_INIT;
      this.updateVersion(line, true);
      this.ev.clientVersion(line);
    } else {
      if (!line.startsWith('SSH-')) return; // pre-banner data
      side.state = St.KEX_INIT;
      this.updateVersion(line, false);
      this.ev.serverVersion(line);
    }
  }

  private updateVersion(v: string, isOrig: boolean): void {
    if (v.length >= 5) {
      let nv: Ver | undefined;
      if (v[4] === '2') nv = Ver.SSH2;
      else if (v[4] === '1') nv = v.length >= 8 && v[6] === '9' && v[7] === '9' ? Ver.SSH199 : Ver.SSH1;
      if (nv !== undefined) {
        if (isOrig) this.versionClient = nv;
        else this.versionServer = nv;
      }
    }
    const c = this.versionClient;
    const s = this.versionServer;
    if (s === c) this.version = s === Ver.SSH199 ? Ver.SSH2 : s;
    else if ((c === Ver.SSH1 && s === Ver.SSH2) || (c === Ver.SSH2 && s === Ver.SSH1)) this.version = Ver.UNK;
    else if (c === Ver.SSH199 && s === Ver.SSH2) this.version = s;
    else if (c === Ver.SSH2 && s === Ver.SSH199) this.version = c;
    else if (c === Ver.SSH1 && s === Ver.SSH199) this.version = c;
    else if (c === Ver.SSH199 && s === Ver.SSH1) this.version = s;
  }

  /** One whole packet: buf[pos..end) follows the 4-byte length. */
  private packet(isOrig: boolean, side: Side, buf: Buffer, pos: number, end: number, plen: number): void {
    if (this.version === Ver.SSH1) {
      const r = new Reader(buf, pos, end - 4);
      r.bytes(8 - (plen % 8));
      const msgType = r.u8();
      if (msgType === 2 /* SSH_SMSG_PUBLIC_KEY */ || msgType === 3 /* SSH_CMSG_SESSION_KEY */) {
        // The SSH1 host key fingerprint is only raised with an ssh_server_host_key handler, which
        // Zeek's base scripts do not have: nothing to report but the state change.
        side.state = St.ENCRYPTED;
        if (msgType === 3) this.ev.confirm();
        return;
      }
      throw new ParseError(`invalid index for case: SSH1_Message: ${msgType}`);
    }
    // SSH2
    const r = new Reader(buf, pos, end);
    const padLen = r.u8();
    const msgType = r.u8();
    const payloadLen = (plen - padLen - 2) >>> 0;
    if (msgType === 21 /* NEWKEYS */) side.state = St.ENCRYPTED;
    const state = side.state;
    const pEnd = r.pos + payloadLen;
    if (pEnd > end) throw new ParseError('out of bound: payload');
    const p = new Reader(buf, r.pos, pEnd);
    switch (state) {
      case St.KEX_INIT:
        this.kexinit(p, isOrig);
        break;
      case St.KEX_DH_GEX:
        if (msgType === 33) this.dhReply(p);
        else if (msgType === 30) p.u32();
        else if (msgType === 34) (p.u32(), p.u32(), p.u32());
        else if (msgType === 31) (this.sshString(p), this.sshString(p));
        else if (msgType === 32) this.sshString(p);
        break;
      case St.KEX_DH:
        if (msgType === 31) this.dhReply(p);
        else if (msgType === 30) this.sshString(p);
        break;
      case St.KEX_ECC:
        if (msgType === 30) this.sshString(p);
        else if (msgType === 31) this.dhReply(p);
        else throw new ParseError(`invalid index for case: SSH2_Key_Exchange_ECC_Message: ${msgType}`);
        break;
      case St.KEX_GSS:
        if (msgType === 33) this.hostKey(this.sshString(p));
        else if (msgType < 30 || (msgType > 34 && msgType !== 40 && msgType !== 41))
          throw new ParseError(`invalid index for case: SSH2_Key_Exchange_GSS_Message: ${msgType}`);
        break;
      case St.KEX_RSA:
        if (msgType < 30 || msgType > 32) throw new ParseError(`invalid index for case: SSH2_Key_Exchange_RSA_Message: ${msgType}`);
        break;
      default:
        break;
    }
    if (padLen > 0) {
      // pad must fit in the packet
      if (pEnd + padLen > end) throw new ParseError('out of bound: pad');
    }
    if (msgType === 21) this.ev.confirm();
  }

  private sshString(r: Reader): Buffer {
    let len = r.u32();
    if (len > MAX_STRING_LENGTH) {
      this.ev.weird('SSH_max_string_length_exceeded', `${len} > ${MAX_STRING_LENGTH}`);
      len = MAX_STRING_LENGTH;
    }
    return r.bytes(len);
  }

  private dhReply(r: Reader): void {
    const ks = this.sshString(r);
    this.sshString(r);
    this.sshString(r);
    this.hostKey(ks);
  }

  private hostKey(key: Buffer): void {
    this.ev.hostKeyFingerprint(sshFingerprintSha256(key));
  }

  private nameList(b: Buffer, weirdName: string): string[] {
    const out: string[] = [];
    if (b.length === 0) return out;
    const words = b.toString('latin1').split(',');
    for (const w of words) {
      if (out.length >= MAX_KEXINIT_ALGS) {
        this.ev.weird(weirdName, `${words.length} > ${MAX_KEXINIT_ALGS}`);
        break;
      }
      out.push(w);
    }
    return out;
  }

  private kexinit(r: Reader, isOrig: boolean): void {
    r.bytes(16);
    const kex = this.sshString(r);
    const hostKey = this.sshString(r);
    const encCS = this.sshString(r);
    const encSC = this.sshString(r);
    const macCS = this.sshString(r);
    const macSC = this.sshString(r);
    const compCS = this.sshString(r);
    const compSC = this.sshString(r);
    this.sshString(r);
    this.sshString(r);
    r.u8();
    r.u32();
    this.updateKex(kex.toString('latin1'), isOrig);
    this.ev.capabilities({
      kexAlgorithms: this.nameList(kex, 'SSH_max_kexinit_kex_algorithms_exceeded'),
      serverHostKeyAlgorithms: this.nameList(hostKey, 'SSH_max_kexinit_hostkey_algorithms_exceeded'),
      encryption: {
        clientToServer: this.nameList(encCS, 'SSH_max_kexinit_encryption_algorithms_exceeded'),
        serverToClient: this.nameList(encSC, 'SSH_max_kexinit_encryption_algorithms_exceeded'),
      },
      mac: {
        clientToServer: this.nameList(macCS, 'SSH_max_kexinit_mac_algorithms_exceeded'),
        serverToClient: this.nameList(macSC, 'SSH_max_kexinit_mac_algorithms_exceeded'),
      },
      compression: {
        clientToServer: this.nameList(compCS, 'SSH_max_kexinit_compression_algorithms_exceeded'),
        serverToClient: this.nameList(compSC, 'SSH_max_kexinit_compression_algorithms_exceeded'),
      },
      isServer: !isOrig,
    });
  }

  private setBoth(s: St): void {
    this.up.state = s;
    this.down.state = s;
  }

  private updateKex(algs: string, isOrig: boolean): void {
    if (!this.kexSeen) {
      this.kexSeen = true;
      this.kexOrig = isOrig;
      this.kexAlgsCache = algs;
      return;
    }
    if (this.kexOrig === isOrig) return;
    let client = (isOrig ? algs : this.kexAlgsCache).split(',');
    let server = (isOrig ? this.kexAlgsCache : algs).split(',');
    if (client.length > MAX_KEXINIT_ALGS) client = client.slice(0, MAX_KEXINIT_ALGS);
    if (server.length > MAX_KEXINIT_ALGS) server = server.slice(0, MAX_KEXINIT_ALGS);
    const set = new Set(server);
    for (const alg of client) {
      if (!set.has(alg)) continue;
      const s = kexState(alg);
      if (s === undefined) this.ev.weird('ssh_unknown_kex_algorithm', alg);
      else this.setBoth(s);
      return;
    }
  }

  private processEncryptedSegment(len: number, isOrig: boolean): void {
    if (!this.authDecisionMade) this.processEncrypted(len, isOrig);
  }

  private processEncrypted(len: number, isOrig: boolean): void {
    if (this.version !== Ver.SSH2) return;
    if (isOrig) {
      this.sawEncryptedClientData = true;
      return;
    }
    if (!this.sawEncryptedClientData) return;
    if (!this.serviceAcceptSize) {
      this.serviceAcceptSize = len;
      return;
    }
    if (!this.userauthFailureSize && len + 16 === this.serviceAcceptSize) {
      this.authDecisionMade = true;
      this.ev.authAttempted(true);
      return;
    }
    if (!this.userauthFailureSize) {
      if (!this.skippedBanner && len - this.serviceAcceptSize > 256) {
        this.skippedBanner = true;
        return;
      }
      this.userauthFailureSize = len;
      return;
    }
    if (len === this.userauthFailureSize) {
      this.ev.authAttempted(false);
      return;
    }
    if (len - this.serviceAcceptSize === -16) {
      this.authDecisionMade = true;
      this.ev.authAttempted(true);
    }
  }
}

function kexState(alg: string): St | undefined {
  switch (alg) {
    case 'rsa1024-sha1':
    case 'rsa2048-sha256':
      return St.KEX_RSA;
    case 'diffie-hellman-group1-sha1':
    case 'diffie-hellman-group14-sha1':
    case 'diffie-hellman-group14-sha256':
    case 'diffie-hellman-group16-sha512':
    case 'diffie-hellman-group18-sha512':
      return St.KEX_DH;
    case 'diffie-hellman-group-exchange-sha1':
    case 'diffie-hellman-group-exchange-sha256':
      return St.KEX_DH_GEX;
    case 'ecmqv-sha2':
      return St.KEX_ECC;
  }
  if (alg.startsWith('gss-')) return St.KEX_GSS;
  if (alg.startsWith('ecdh-sha2-') || alg.startsWith('curve25519-sha256') || alg.startsWith('sntrup761x25519-sha512') || alg.startsWith('mlkem'))
    return St.KEX_ECC;
  return undefined;
}
