// SMB1/SMB2 (over NetBIOS session service framing, ports 139/445) as a carrier of NTLM: the
// security blobs of SESSION_SETUP requests and responses are handed to NTLM (raw NTLMSSP) or
// GSSAPI/SPNEGO, as Zeek's smb-gssapi.pac does. It writes no smb logs (only NTLM's log).

import type { AnalyzerContext, AnalyzerSpec, StreamAnalyzer } from '../types.js';
import { StreamBuf } from '../ssl/streambuf.js';
import { NtlmSession } from '../ntlm/index.js';

const MAX_MESSAGE = 1 << 17;

export class SmbAnalyzer implements StreamAnalyzer {
  readonly ntlm: NtlmSession;
  private readonly bufs = [new StreamBuf(512, MAX_MESSAGE + 8), new StreamBuf(512, MAX_MESSAGE + 8)];
  private readonly skip = [0, 0];
  private readonly dead = [false, false];
  private confirmed = false;
  private chunks = 0;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ntlm = new NtlmSession(ctx);
  }

  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    if (this.dead[isOrig ? 0 : 1]) return;
    this.feed(isOrig, data, offset, len);
    // Zeek confirms SMB after three data chunks parsed without error.
    if (!this.confirmed && ++this.chunks === 3) {
      this.confirmed = true;
      this.ctx.confirm('smb');
    }
  }

  private feed(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    const i = isOrig ? 0 : 1;
    let pos = offset;
    const end = offset + len;
    const b = this.bufs[i]!;
    while (pos < end || b.length >= 4) {
      if (this.skip[i]! > 0) {
        const n = Math.min(this.skip[i]!, end - pos);
        this.skip[i]! -= n;
        pos += n;
        if (pos >= end) return;
        continue;
      }
      if (b.length < 4) {
        const take = Math.min(4 - b.length, end - pos);
        b.append(data, pos, take);
        pos += take;
        if (b.length < 4) return;
      }
      const h = b.buf;
      const s = b.start;
      const type = h[s]!;
      const mlen = ((h[s + 1]! & 1) << 16) | (h[s + 2]! << 8) | h[s + 3]!;
      if (type !== 0x00) {
        // NetBIOS session request/response/keepalive: not SMB
        b.consume(4);
        this.skip[i] = mlen;
        continue;
      }
      // Only the headers and session setups matter: buffer whole messages up to a bound, skip larger ones.
      if (mlen > MAX_MESSAGE) {
        b.consume(4);
        this.skip[i] = mlen;
        continue;
      }
      if (b.length < 4 + mlen) {
        const take = Math.min(4 + mlen - b.length, end - pos);
        b.append(data, pos, take);
        pos += take;
        if (b.length < 4 + mlen) return;
      }
      const mb = b.buf;
      const ms = b.start + 4;
      b.consume(4 + mlen);
      this.smb(isOrig, mb, ms, ms + mlen);
    }
  }

  private smb(isOrig: boolean, b: Buffer, p: number, end: number): void {
    if (end - p < 4) return;
    const magic = b.readUInt32BE(p);
    if (magic === 0xfe534d42) this.smb2(isOrig, b, p, end);
    else if (magic === 0xff534d42) this.smb1(isOrig, b, p, end);
  }

  private blob(b: Buffer, start: number, len: number, limit: number): void {
    if (len <= 0 || start < 0 || start + len > limit) return;
    this.ntlm.deliverSecurityBlob(Buffer.from(b.subarray(start, start + len)));
  }

  private smb2(isOrig: boolean, b: Buffer, p: number, end: number): void {
    for (let n = 0; n < 64 && end - p >= 64; n++) {
      const cmd = b.readUInt16LE(p + 12);
      const next = b.readUInt32LE(p + 20);
      const flags = b.readUInt32LE(p + 16);
      const msgEnd = next > 0 && p + next <= end ? p + next : end;
      const body = p + 64;
      if (cmd === 0 && (flags & 1) !== 0 && msgEnd - body >= 64) {
        // NEGOTIATE response: the server's SPNEGO hints go to GSSAPI too
        this.blob(b, p + b.readUInt16LE(body + 56), b.readUInt16LE(body + 58), msgEnd);
      }
      if (cmd === 1 && msgEnd - body >= 8) {
        const response = (flags & 1) !== 0;
        if (!response && msgEnd - body >= 24) this.blob(b, p + b.readUInt16LE(body + 12), b.readUInt16LE(body + 14), msgEnd);
        else if (response) this.blob(b, p + b.readUInt16LE(body + 4), b.readUInt16LE(body + 6), msgEnd);
      }
      if (next === 0 || next < 64) return;
      p += next;
    }
    void isOrig;
  }

  private smb1(isOrig: boolean, b: Buffer, p: number, end: number): void {
    if (end - p < 35) return;
    const cmd = b[p + 4]!;
    const reply = (b[p + 9]! & 0x80) !== 0;
    if (cmd !== 0x73 && cmd !== 0x72) return;
    const wc = b[p + 32]!;
    const words = p + 33;
    const bcPos = words + wc * 2;
    if (bcPos + 2 > end) return;
    const bytes = bcPos + 2;
    if (cmd === 0x72) {
      // NT LM 0.12 NEGOTIATE response with extended security: ServerGUID, then the security blob
      if (reply && wc === 17 && (b.readUInt32LE(words + 19) & 0x80000000) !== 0) {
        const byteCount = b.readUInt16LE(bcPos);
        this.blob(b, bytes + 16, byteCount - 16, end);
      }
      return;
    }
    if (!reply && wc === 12) this.blob(b, bytes, b.readUInt16LE(words + 14), end);
    else if (reply && wc === 4) this.blob(b, bytes, b.readUInt16LE(words + 6), end);
    void isOrig;
  }

  done(): void {
    this.ntlm.finish();
  }
}

export const specs: AnalyzerSpec[] = [
  {
    name: 'SMB',
    service: 'smb',
    scripts: ['smb'],
    transport: 'tcp',
    ports: [139, 445],
    create: (ctx) => new SmbAnalyzer(ctx),
    logs: [], // ntlm.log belongs to the `ntlm` script (see ../ntlm specs)
  },
];
