// NTLM as Zeek logs it: the NTLM "analyzer" fed with NTLMSSP blobs by carriers (SMB, DCE-RPC, LDAP,
// HTTP), a GSSAPI/SPNEGO walker that forwards embedded NTLMSSP tokens and reports negState
// (gssapi_neg_result → success), and the ntlm.log builder of scripts/base/protocols/ntlm/main.zeek.

import type { AnalyzerContext, AnalyzerSpec, StreamAnalyzer } from '../types.js';
import type { ZeekRecord } from '../../zeek/types.js';
import { ntlmLog } from '../../zeek/schemas/ntlm.js';
import { NtlmError, parseNtlm, type NtlmMessage } from './parser.js';

export { ntlmLog };
export { parseNtlm, utf16ToZeekString, NtlmError } from './parser.js';
export type { NtlmMessage, NtlmAvs } from './parser.js';

interface NtlmInfo {
  ts: number;
  username?: string;
  hostname?: string;
  domainname?: string;
  serverNbComputerName?: string;
  serverDnsComputerName?: string;
  serverTreeName?: string;
  success?: boolean;
  done: boolean;
}

/** Per-connection NTLM state (Zeek's c$ntlm plus the NTLM and GSSAPI analyzers of a carrier). */
export class NtlmSession {
  info: NtlmInfo | undefined;
  /** Messages parsed so far (for carriers and tests). */
  readonly messages: NtlmMessage[] = [];

  constructor(private readonly ctx: AnalyzerContext) {}

  private session(): NtlmInfo {
    return (this.info ??= { ts: this.ctx.now(), done: false });
  }

  /** The NTLM analyzer's DeliverStream: one NTLMSSP token. Returns the parsed message, if any. */
  deliverNtlm(b: Buffer, off = 0, len = b.length - off): NtlmMessage | undefined {
    let m: NtlmMessage;
    try {
      m = parseNtlm(b, off, len);
    } catch (e) {
      if (e instanceof NtlmError || e instanceof RangeError) return undefined; // DPD ignores NTLM violations
      throw e;
    }
    this.messages.push(m);
    switch (m.type) {
      case 'negotiate':
        this.session();
        break;
      case 'challenge': {
        const s = this.session();
        const ti = m.targetInfo;
        if (ti) {
          if (ti.nbComputerName !== undefined) s.serverNbComputerName = ti.nbComputerName;
          if (ti.dnsComputerName !== undefined) s.serverDnsComputerName = ti.dnsComputerName;
          if (ti.dnsTreeName !== undefined) s.serverTreeName = ti.dnsTreeName;
        }
        break;
      }
      case 'authenticate': {
        const s = this.session();
        if (m.domainName !== undefined) s.domainname = m.domainName;
        if (m.workstation !== undefined) s.hostname = m.workstation;
        if (m.userName !== undefined) s.username = m.userName;
        break;
      }
      default:
        break;
    }
    this.ctx.confirm('ntlm');
    return m;
  }

  /** gssapi_neg_result(state). */
  negResult(state: number): void {
    const s = this.info;
    if (s && state !== 1) s.success = state === 0;
    if (s && !s.done && s.success !== undefined) {
      this.write(s);
      s.done = true;
    }
  }

  /** The GSSAPI analyzer's DeliverStream: a SPNEGO token (negTokenInit / negTokenResp). */
  deliverGssapi(b: Buffer, off = 0, len = b.length - off): void {
    const ok = walkSpnego(b, off, off + len, {
      mechToken: (t) => {
        if (t.length >= 7 && t.toString('latin1', 0, 7) === 'NTLMSSP') this.deliverNtlm(t);
      },
      negState: (s) => this.negResult(s),
    });
    // Zeek's GSSAPI analyzer confirms every delivery it parsed (conn.log service `gssapi`)
    if (ok) this.ctx.confirm('gssapi');
  }

  /** Carrier helper (SMB): raw NTLMSSP goes to NTLM, anything else of 8+ bytes to GSSAPI. */
  deliverSecurityBlob(b: Buffer): void {
    if (b.length < 8) return;
    if (b.toString('latin1', 0, 7) === 'NTLMSSP') this.deliverNtlm(b);
    else this.deliverGssapi(b);
  }

  /** Connection removal (finalize_ntlm). */
  finish(): void {
    const s = this.info;
    if (s && !s.done) {
      s.done = true;
      this.write(s);
    }
  }

  private write(s: NtlmInfo): void {
    const c = this.ctx.conn;
    const rec: ZeekRecord = {
      ts: s.ts,
      uid: c.uid,
      'id.orig_h': c.origH,
      'id.orig_p': c.origP,
      'id.resp_h': c.respH,
      'id.resp_p': c.respP,
      username: s.username,
      hostname: s.hostname,
      domainname: s.domainname,
      server_nb_computer_name: s.serverNbComputerName,
      server_dns_computer_name: s.serverDnsComputerName,
      server_tree_name: s.serverTreeName,
      success: s.success,
    };
    this.ctx.write(ntlmLog, rec);
  }
}

interface Meta {
  tag: number;
  start: number;
  end: number;
}

/** ASN1EncodingMeta: tag, length (short or long form, up to 8 length bytes). */
function meta(b: Buffer, p: number, limit: number): Meta | undefined {
  if (p + 2 > limit) return undefined;
  const tag = b[p]!;
  let len = b[p + 1]!;
  let q = p + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (q + n > limit || n > 6) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[q++]!;
  }
  return { tag, start: q, end: q + len };
}

/**
 * Walks a GSSAPI/SPNEGO token as Zeek's GSSAPI analyzer does, calling back for mechToken /
 * responseToken contents and negTokenResp negState. Stops silently where Zeek's parser fails.
 */
export function walkSpnego(b: Buffer, pos: number, end: number, cb: { mechToken(t: Buffer): void; negState(s: number): void }): boolean {
  const w = meta(b, pos, end);
  if (!w) return false;
  const tokId = (w.tag << 8) | b[pos + 1]!;
  if (tokId === 0x0404 || tokId === 0x0504) return true;
  let p = w.start;
  const isInit = w.tag === 0x60;
  if (isInit) {
    const oid = meta(b, p, end);
    if (!oid || oid.end > end) return false;
    p = oid.end;
    const iw = meta(b, p, end);
    if (!iw) return false;
    p = iw.start;
  }
  const seq = meta(b, p, end);
  if (!seq) return false;
  p = seq.start;
  let n = 0;
  while (p < end && n++ < 16) {
    const arg = meta(b, p, end);
    if (!arg || arg.end > end) return false;
    const index = (arg.tag - 0xa0) & 0xff;
    if (isInit) {
      if (index === 2) mechToken(b, arg, cb);
      else if (index > 3) return false;
    } else {
      if (index === 0) {
        const i = meta(b, arg.start, arg.end);
        if (!i || i.end > arg.end) return false;
        let v = 0;
        for (let k = i.start; k < i.end && k < i.start + 6; k++) v = v * 256 + b[k]!;
        cb.negState(v);
      } else if (index === 2) mechToken(b, arg, cb);
      else if (index > 3) return false;
    }
    p = arg.end;
  }
  return true;
}

function mechToken(b: Buffer, arg: Meta, cb: { mechToken(t: Buffer): void }): void {
  const m = meta(b, arg.start, arg.end);
  if (!m || m.end > arg.end) return;
  cb.mechToken(b.subarray(m.start, m.end));
}

/**
 * For HTTP: the NTLMSSP (or SPNEGO) blob of an `Authorization`/`WWW-Authenticate` header value
 * (`NTLM <base64>` or `Negotiate <base64>`), undefined otherwise. Feed NTLMSSP to
 * NtlmSession.deliverNtlm and SPNEGO to deliverGssapi (deliverSecurityBlob picks).
 * Note: Zeek 9.1's HTTP analyzer does not hand these to NTLM, so Zeek writes no ntlm.log for them.
 */
export function ntlmFromHttpAuthorization(value: string): Buffer | undefined {
  const m = /^\s*(NTLM|Negotiate)\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (!m) return undefined;
  const blob = Buffer.from(m[2]!, 'base64');
  return blob.length >= 8 ? blob : undefined;
}

/**
 * NTLM has no port or signature of its own: carriers (SMB, DCE_RPC, LDAP) hand it their blobs. This
 * spec only ties ntlm.log to the `ntlm` script for `--analyzers` (bare mode writes ntlm.log only when
 * base/protocols/ntlm is loaded); it is never attached to a connection by itself.
 */
export const specs: AnalyzerSpec[] = [
  {
    name: 'NTLM',
    service: 'ntlm',
    scripts: ['ntlm'],
    transport: 'tcp',
    ports: [],
    create: (): StreamAnalyzer => ({ deliverStream: () => undefined }),
    logs: [ntlmLog],
  },
];
