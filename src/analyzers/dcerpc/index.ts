// DCE-RPC (connection-oriented, over TCP) as a carrier of NTLM: PDUs framed by frag_length with
// the byte order of their data representation, and the auth verifier of every PDU handed to
// NTLM (auth type 10) or GSSAPI/SPNEGO (auth type 9), as Zeek's dce_rpc-auth.pac does.

import type { AnalyzerContext, AnalyzerSpec, StreamAnalyzer } from '../types.js';
import { StreamBuf } from '../ssl/streambuf.js';
import { NtlmSession } from '../ntlm/index.js';

const MAX_PDU = 65535;

export class DceRpcAnalyzer implements StreamAnalyzer {
  readonly ntlm: NtlmSession;
  private readonly bufs = [new StreamBuf(256, MAX_PDU + 16), new StreamBuf(256, MAX_PDU + 16)];
  private dead = false;
  private hadGap = false;
  private confirmed = false;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ntlm = new NtlmSession(ctx);
  }

  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    if (this.dead || this.hadGap) return;
    const b = this.bufs[isOrig ? 0 : 1]!;
    let pos = offset;
    const end = offset + len;
    while (!this.dead && (pos < end || b.length >= 16)) {
      if (b.length < 16) {
        const take = Math.min(16 - b.length, end - pos);
        b.append(data, pos, take);
        pos += take;
        if (b.length < 16) return;
      }
      const h = b.buf;
      const s = b.start;
      if (h[s] !== 5) return this.fail(`Binpac exception: &enforce violation : DCE_RPC_Header:rpc_vers`);
      const le = h[s + 4]! >> 4 !== 0;
      const fragLen = le ? h.readUInt16LE(s + 8) : h.readUInt16BE(s + 8);
      const authLen = le ? h.readUInt16LE(s + 10) : h.readUInt16BE(s + 10);
      if (fragLen < 16) return this.fail('Binpac exception: out of bound');
      if (b.length < fragLen) {
        const take = Math.min(fragLen - b.length, end - pos);
        b.append(data, pos, take);
        pos += take;
        if (b.length < fragLen) return;
      }
      const pb = b.buf;
      const ps = b.start;
      b.consume(fragLen);
      this.pdu(isOrig, pb, ps, fragLen, authLen);
    }
  }

  private fail(reason: string): void {
    this.dead = true;
    this.ctx.violation(reason);
  }

  private pdu(isOrig: boolean, b: Buffer, s: number, fragLen: number, authLen: number): void {
    const bodyLen = fragLen - 16 - authLen - (authLen > 0 ? 8 : 0);
    if (bodyLen < 0) return this.fail('Binpac exception: out of bound');
    if (authLen > 0) this.auth(b, s + 16 + bodyLen, authLen);
    // a whole PDU parsed: Zeek confirms after it (and after the auth blob it forwarded)
    if (!this.confirmed && !this.dead) {
      this.confirmed = true;
      this.ctx.confirm('dce_rpc');
    }
    void isOrig;
  }

  private auth(b: Buffer, a: number, authLen: number): void {
    const type = b[a]!;
    const blob = Buffer.from(b.subarray(a + 8, a + 8 + authLen));
    if (blob.length < authLen) return this.fail('Binpac exception: out of bound');
    switch (type) {
      case 0x09:
        this.ntlm.deliverGssapi(blob);
        break;
      case 0x0a:
        this.ntlm.deliverNtlm(blob);
        break;
      case 0x10:
        break;
      case 0x0e:
        this.ctx.weird('tls_dce_rpc_auth_type', String(type));
        break;
      case 0x44:
        this.ctx.weird('netlogon_dce_rpc_auth_type', String(type));
        break;
      default:
        this.ctx.weird('unknown_dce_rpc_auth_type', String(type));
    }
  }

  gap(): void {
    this.hadGap = true;
  }

  done(): void {
    this.ntlm.finish();
  }
}

/** dpd_dce_rpc: /\x05[\x00\x01][\x00-\x13]/ (signature payload patterns are anchored at the start). */
export function dceRpcSignature(b: Buffer | undefined): boolean {
  return !!b && b.length >= 3 && b[0] === 5 && b[1]! <= 1 && b[2]! <= 0x13;
}

export const specs: AnalyzerSpec[] = [
  {
    name: 'DCE_RPC',
    service: 'dce_rpc',
    scripts: ['dce-rpc'],
    transport: 'tcp',
    ports: [135],
    detect: (orig, resp) => dceRpcSignature(orig) || dceRpcSignature(resp),
    create: (ctx) => new DceRpcAnalyzer(ctx),
    logs: [], // ntlm.log belongs to the `ntlm` script (see ../ntlm specs)
  },
];
