// NTLMSSP messages (NEGOTIATE, CHALLENGE, AUTHENTICATE with AV pairs) parsed as Zeek's binpac
// grammar does (ntlm-protocol.pac): offsets relative to the payload, every length checked, strings
// decoded from UTF-16LE as Zeek's utf16_to_utf8_val does. Bytes in, a typed message out.

export class NtlmError extends Error {}

export interface NtlmAvs {
  nbComputerName?: string;
  nbDomainName?: string;
  dnsComputerName?: string;
  dnsDomainName?: string;
  dnsTreeName?: string;
  targetName?: string;
}

export type NtlmMessage =
  | { type: 'negotiate'; flags: number; domainName?: string; workstation?: string }
  | { type: 'challenge'; flags: number; targetName?: string; targetInfo?: NtlmAvs; avUnderflow: boolean }
  | { type: 'authenticate'; flags: number; domainName?: string; userName?: string; workstation?: string }
  | { type: 'other'; msgType: number };

/**
 * utf16_to_utf8_val(): UTF-16LE (an odd trailing byte counts as a unit with a zero high byte) to
 * UTF-8 with lenient surrogates, cut at the first NUL; the raw bytes when the conversion fails.
 * Returned as a byte string (one char per byte).
 */
export function utf16ToZeekString(b: Buffer): string {
  const units = (b.length + 1) >> 1;
  const out: number[] = [];
  for (let i = 0; i < units; i++) {
    let c = b[2 * i]! | ((b[2 * i + 1] ?? 0) << 8);
    if (c >= 0xd800 && c <= 0xdbff) {
      if (i + 1 >= units) return b.toString('latin1');
      const c2 = b[2 * i + 2]! | ((b[2 * i + 3] ?? 0) << 8);
      if (c2 >= 0xdc00 && c2 <= 0xdfff) {
        c = ((c - 0xd800) << 10) + (c2 - 0xdc00) + 0x10000;
        i++;
      }
    }
    if (c === 0) break;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Buffer.from(out).toString('latin1');
}

interface Fields {
  length: number;
  offset: number;
}

class R {
  constructor(
    public b: Buffer,
    public pos: number,
    public end: number,
  ) {}
  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new NtlmError('out of bound');
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  fields(): Fields {
    const length = this.u16();
    this.u16();
    return { length, offset: this.u32() };
  }
}

/** NTLM_String withinput payload: pad to (fields.offset - absOffset), then fields.length bytes. */
function str(payload: Buffer, f: Fields, absOffset: number): string {
  const pad = (f.offset - absOffset) >>> 0; // uint32 arithmetic: a negative pad is out of bound
  if (pad > payload.length || pad + f.length > payload.length) throw new NtlmError('out of bound: string');
  return utf16ToZeekString(payload.subarray(pad, pad + f.length));
}

function version(payload: Buffer): void {
  if (payload.length < 8) throw new NtlmError('out of bound: version');
}

function avPairs(payload: Buffer, padTo: number, infoLen: number): { avs: NtlmAvs; underflow: boolean } {
  const pad = padTo & 0xffff;
  if (pad > payload.length) throw new NtlmError('out of bound: av pairs');
  const r = new R(payload, pad, payload.length);
  const avs: NtlmAvs = {};
  let count = 0;
  while (r.pos < r.end) {
    const id = r.u16();
    const len = r.u16();
    if (++count > 65536) throw new NtlmError('too many av pairs');
    switch (id) {
      case 0:
        return { avs, underflow: false };
      case 1:
        avs.nbComputerName = utf16ToZeekString(r.bytes(len));
        break;
      case 2:
        avs.nbDomainName = utf16ToZeekString(r.bytes(len));
        break;
      case 3:
        avs.dnsComputerName = utf16ToZeekString(r.bytes(len));
        break;
      case 4:
        avs.dnsDomainName = utf16ToZeekString(r.bytes(len));
        break;
      case 5:
        avs.dnsTreeName = utf16ToZeekString(r.bytes(len));
        break;
      case 6:
        r.u32();
        break;
      case 7:
        r.skip(8);
        break;
      case 8: {
        r.u32();
        r.skip(4);
        const present = r.u32();
        if (present & 1) r.skip(4);
        r.u32();
        break;
      }
      case 9:
        avs.targetName = utf16ToZeekString(r.bytes(len));
        break;
      case 10:
        r.u16();
        break;
      default:
        throw new NtlmError(`invalid index for case: value_case: ${id}`);
    }
  }
  return { avs, underflow: infoLen !== 0 };
}

/** Parses one NTLMSSP token at b[off..off+len). Throws NtlmError where Zeek's parser throws. */
export function parseNtlm(b: Buffer, off = 0, len = b.length - off): NtlmMessage {
  const r = new R(b, off, off + len);
  r.skip(8); // signature (not checked by Zeek's grammar)
  const msgType = r.u32();
  if (msgType === 1) {
    const flags = r.u32();
    const dom = r.fields();
    const ws = r.fields();
    const payload = b.subarray(r.pos, r.end);
    const abs = 32;
    const m: NtlmMessage = { type: 'negotiate', flags };
    if (flags & 0x02000000 && abs < Math.min(dom.offset, ws.offset)) version(payload);
    if (flags & 0x1000) m.domainName = str(payload, dom, abs);
    if (flags & 0x2000) m.workstation = str(payload, ws, abs);
    return m;
  }
  if (msgType === 2) {
    const tn = r.fields();
    const flags = r.u32();
    r.skip(16); // challenge + reserved
    const ti = r.fields();
    const payload = b.subarray(r.pos, r.end);
    const abs = 48;
    const m: NtlmMessage = { type: 'challenge', flags, avUnderflow: false };
    if (flags & 0x02000000 && abs < Math.min(tn.offset, ti.offset)) version(payload);
    if (flags & 0x4) m.targetName = str(payload, tn, abs);
    if (flags & 0x00800000) {
      const { avs, underflow } = avPairs(payload, (ti.offset - abs) >>> 0, ti.length);
      m.targetInfo = avs;
      m.avUnderflow = underflow;
    }
    return m;
  }
  if (msgType === 3) {
    r.fields(); // lm response
    const nt = r.fields();
    const dom = r.fields();
    const user = r.fields();
    const ws = r.fields();
    const key = r.fields();
    const flags = r.u32();
    const payload = b.subarray(r.pos, r.end);
    const abs = 64;
    const m: NtlmMessage = { type: 'authenticate', flags };
    if (flags & 0x02000000 && abs < Math.min(dom.offset, user.offset, ws.offset, key.offset)) version(payload);
    if (nt.length > 0) str(payload, nt, abs);
    if (dom.length > 0) m.domainName = str(payload, dom, abs);
    if (user.length > 0) m.userName = str(payload, user, abs);
    if (ws.length > 0) m.workstation = str(payload, ws, abs);
    if (key.length > 0) str(payload, key, abs);
    return m;
  }
  return { type: 'other', msgType };
}
