// LDAP (over TCP) as a carrier of NTLM: LDAPMessages framed by their BER length, bind requests
// with SASL (GSS-SPNEGO, GSSAPI, NTLM) or Sicily credentials and bind responses with server SASL
// credentials handed to GSSAPI or NTLM as Zeek's LDAP analyzer (ldap.spicy/ldap_zeek.spicy) does,
// and StartTLS (extended operation 1.3.6.1.4.1.1466.20037) handing the stream to SSL.
// It writes no ldap.log (only NTLM's, and SSL's after StartTLS).

import type { AnalyzerContext, AnalyzerSpec, StreamAnalyzer } from '../types.js';
import { StreamBuf } from '../ssl/streambuf.js';
import { NtlmSession } from '../ntlm/index.js';
import { SslAnalyzer } from '../ssl/index.js';

const MAX_MESSAGE = 4 * 1024 * 1024;

interface T {
  tag: number;
  start: number;
  end: number;
  next: number;
}

/** One BER TLV at p (definite lengths only); undefined when it does not fit in [p, limit). */
function tlv(b: Buffer, p: number, limit: number): T | undefined {
  if (p + 2 > limit) return undefined;
  const tag = b[p]!;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let len = b[p + 1]!;
  let q = p + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || q + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[q++]!;
  }
  if (q + len > limit) return undefined;
  return { tag, start: q, end: q + len, next: q + len };
}

const SPNEGO_OID = Buffer.from([0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]);

export class LdapAnalyzer implements StreamAnalyzer {
  readonly ntlm: NtlmSession;
  private readonly bufs = [new StreamBuf(256, MAX_MESSAGE + 16), new StreamBuf(256, MAX_MESSAGE + 16)];
  private readonly dead = [false, false];
  private saslMechanism = '';
  private maybeEncrypted = false;
  private confirmed = false;
  private startTlsRequested = false;
  /** After a successful StartTLS extended operation: everything goes to SSL. */
  private tls: StreamAnalyzer | undefined;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ntlm = new NtlmSession(ctx);
  }

  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    if (this.tls) {
      this.tls.deliverStream(isOrig, data, offset, len);
      return;
    }
    const i = isOrig ? 0 : 1;
    if (this.dead[i]) return;
    const b = this.bufs[i]!;
    if (!b.append(data, offset, len)) {
      this.dead[i] = true;
      return;
    }
    for (;;) {
      const s = b.start;
      const avail = b.length;
      if (avail < 2) return;
      const buf = b.buf;
      if (buf[s] !== 0x30) {
        if (!this.maybeEncrypted || avail < 4) {
          if (!this.maybeEncrypted) this.dead[i] = true;
          return;
        }
        // SASL-wrapped (encrypted) message: 4-byte length and an opaque body
        const n = buf.readUInt32BE(s);
        if (n > MAX_MESSAGE) {
          this.dead[i] = true;
          return;
        }
        if (avail < 4 + n) return;
        b.consume(4 + n);
        continue;
      }
      let len = buf[s + 1]!;
      let hdr = 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4) {
          this.dead[i] = true;
          return;
        }
        if (avail < 2 + n) return;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + buf[s + 2 + k]!;
        hdr = 2 + n;
      }
      if (len > MAX_MESSAGE) {
        this.dead[i] = true;
        return;
      }
      if (avail < hdr + len) return;
      b.consume(hdr + len);
      this.message(isOrig, buf, s + hdr, s + hdr + len);
      const tls = this.tls as StreamAnalyzer | undefined; // set by message() on StartTLS success
      if (tls) {
        // the rest of what each side has buffered is TLS already
        for (const side of [isOrig, !isOrig]) {
          const sb = this.bufs[side ? 0 : 1]!;
          if (sb.length > 0) tls.deliverStream(side, sb.buf, sb.start, sb.length);
          sb.clear();
        }
        return;
      }
    }
  }

  private message(isOrig: boolean, b: Buffer, p: number, end: number): void {
    const id = tlv(b, p, end);
    if (!id || id.tag !== 0x02) return;
    const op = tlv(b, id.next, end);
    if (!op) return;
    if (op.tag === 0x60) this.bindRequest(b, op);
    else if (op.tag === 0x61) this.bindResponse(b, op);
    else if (op.tag === 0x77) {
      // ExtendedRequest: requestName [0]
      const name = tlv(b, op.start, op.end);
      if (name && name.tag === 0x80 && b.toString('latin1', name.start, name.end) === '1.3.6.1.4.1.1466.20037') this.startTlsRequested = true;
    } else if (op.tag === 0x78 && this.startTlsRequested) {
      const code = tlv(b, op.start, op.end);
      if (code && code.tag === 0x0a && code.end - code.start === 1 && b[code.start] === 0) this.tls = this.ctx.startChild('SSL') ?? new SslAnalyzer(this.ctx);
    }
    // Spicy confirms once the first message has been parsed (after what it forwarded, e.g. NTLM)
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm('ldap_tcp');
    }
    void isOrig;
  }

  private bindRequest(b: Buffer, op: T): void {
    const version = tlv(b, op.start, op.end);
    if (!version) return;
    const name = tlv(b, version.next, op.end);
    if (!name) return;
    const auth = tlv(b, name.next, op.end);
    if (!auth || (auth.tag & 0xc0) !== 0x80) return;
    const authType = auth.tag & 0x1f;
    if (auth.end === auth.start) return;
    if (authType === 3) {
      const mech = tlv(b, auth.start, auth.end);
      if (!mech) return;
      const mechanism = b.toString('latin1', mech.start, mech.end);
      this.saslMechanism = mechanism;
      const cred = tlv(b, mech.next, auth.end);
      if (!cred || cred.tag !== 0x04) return;
      const payload = Buffer.from(b.subarray(cred.start, cred.end));
      let m = mechanism;
      if (mechanism === 'GSS-SPNEGO') {
        if (payload.length >= 7 && payload.toString('latin1', 0, 7) === 'NTLMSSP') m = 'NTLM';
        else if (payload[0] === 0x60) {
          const oid = tlv(payload, tlv(payload, 0, payload.length)?.start ?? payload.length, payload.length);
          if (!oid || oid.tag !== 0x06 || !payload.subarray(oid.start, oid.end).equals(SPNEGO_OID)) return;
        } else if (payload[0] !== 0xa1) return;
      }
      if (m === 'GSS-SPNEGO' || m === 'GSSAPI') this.ntlm.deliverGssapi(payload);
      else if (m === 'NTLM') this.ntlm.deliverNtlm(payload);
    } else if (authType === 10 || authType === 11) {
      const payload = Buffer.from(b.subarray(auth.start, auth.end));
      if (payload.length < 7 || payload.toString('latin1', 0, 7) !== 'NTLMSSP') return;
      this.ntlm.deliverNtlm(payload);
    }
  }

  private bindResponse(b: Buffer, op: T): void {
    const code = tlv(b, op.start, op.end);
    if (!code || code.tag !== 0x0a) return;
    const matched = tlv(b, code.next, op.end);
    if (!matched) return;
    const diag = tlv(b, matched.next, op.end);
    if (!diag) return;
    let resultCode = 0;
    for (let k = code.start; k < code.end && k < code.start + 4; k++) resultCode = resultCode * 256 + b[k]!;
    if (this.saslMechanism.length > 0 && resultCode === 0) this.maybeEncrypted = true;
    let p = diag.next;
    let t = tlv(b, p, op.end);
    if (t && t.tag === 0xa3) {
      p = t.next;
      t = tlv(b, p, op.end);
    }
    const creds: Buffer[] = [];
    while (t && t.tag === 0x87) {
      creds.push(Buffer.from(b.subarray(t.start, t.end)));
      t = tlv(b, t.next, op.end);
    }
    if (!creds.length) return;
    let mech = this.saslMechanism;
    if (mech === 'GSS-SPNEGO') {
      const first = creds[0]!;
      if (first.length >= 7 && first.toString('latin1', 0, 7) === 'NTLMSSP') mech = 'NTLM';
      else if (first[0] !== 0xa1) return;
    }
    for (const c of creds) {
      if (mech === 'GSS-SPNEGO' || mech === 'GSSAPI') this.ntlm.deliverGssapi(c);
      else if (mech === 'NTLM') this.ntlm.deliverNtlm(c);
    }
  }

  gap(isOrig: boolean, len: number): void {
    this.tls?.gap?.(isOrig, len);
  }

  endOfData(isOrig: boolean): void {
    this.tls?.endOfData?.(isOrig);
  }

  done(): void {
    this.tls?.done?.();
    this.ntlm.finish();
  }
}

/** dpd_ldap_client_tcp /^\x30.\x02\x01.\x60/ with the reverse dpd_ldap_server_tcp /^\x30/. */
export function ldapDetect(orig: Buffer | undefined, resp: Buffer | undefined): boolean {
  return !!orig && orig.length >= 6 && orig[0] === 0x30 && orig[2] === 0x02 && orig[3] === 0x01 && orig[5] === 0x60 && !!resp && resp.length > 0 && resp[0] === 0x30;
}

export const specs: AnalyzerSpec[] = [
  {
    name: 'LDAP_TCP',
    service: 'ldap_tcp',
    scripts: ['ldap'],
    transport: 'tcp',
    ports: [389, 3268],
    detect: ldapDetect,
    create: (ctx) => new LdapAnalyzer(ctx),
    logs: [], // ntlm.log belongs to the `ntlm` script (see ../ntlm specs)
  },
];
