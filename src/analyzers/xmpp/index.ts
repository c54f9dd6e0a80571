// XMPP analyzer, for STARTTLS: tokenizes each delivery as Zeek's binpac grammar does
// (xmpp-protocol.pac), confirms on the client's stream:stream, and after the client's starttls and
// the server's proceed hands the rest of the stream to an SSL analyzer.

import type { AnalyzerContext, AnalyzerSpec, StreamAnalyzer } from '../types.js';
import { SslAnalyzer } from '../ssl/index.js';

const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Tokens (`<name rest>`) of one delivery; undefined when the grammar does not match (binpac exception). */
export function xmppTokens(b: Buffer, off: number, end: number): string[] | undefined {
  const out: string[] = [];
  let p = off;
  while (p < end) {
    while (p < end && (b[p] === 0x20 || b[p] === 0x0d || b[p] === 0x0a)) p++;
    if (p >= end || b[p] !== 0x3c) return undefined;
    p++;
    const ns = p;
    if (p < end && b[p] === 0x2f) p++;
    const n0 = p;
    while (p < end && (isAlnum(b[p]!) || b[p] === 0x3f || b[p] === 0x3a)) p++;
    if (p === n0) return undefined;
    const name = b.toString('latin1', ns, p);
    while (p < end && b[p] !== 0x3c && b[p] !== 0x3e) p++;
    if (p >= end || b[p] !== 0x3e) return undefined;
    p++;
    while (p < end && b[p] !== 0x3c && b[p] !== 0x3e) p++;
    out.push(name);
    if (out.length > 100000) return undefined;
  }
  return out;
}

export class XmppAnalyzer implements StreamAnalyzer {
  private clientStarttls = false;
  private tls: StreamAnalyzer | undefined;
  private skip = false;
  private hadGap = false;

  constructor(private readonly ctx: AnalyzerContext) {}

  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    if (this.tls) {
      this.tls.deliverStream(isOrig, data, offset, len);
      return;
    }
    if (this.ctx.conn.isPartial || this.skip || this.hadGap) return;
    const tokens = xmppTokens(data, offset, offset + len);
    if (!tokens) {
      this.skip = true;
      this.ctx.violation('Binpac exception: XMPP token mismatch');
      return;
    }
    for (const token of tokens) {
      if (this.skip) break;
      const colon = token.indexOf(':');
      const noNs = colon >= 0 && token.length > colon + 1 ? token.slice(colon + 1) : token;
      if (isOrig && token === 'stream:stream') this.ctx.confirm('xmpp');
      if (token === 'success' || token === 'message' || token === 'db:result' || token === 'db:verify' || token === 'presence') this.skip = true;
      if (isOrig && (token === 'starttls' || noNs === 'starttls')) this.clientStarttls = true;
      if (!isOrig && (token === 'proceed' || noNs === 'proceed') && this.clientStarttls) {
        this.tls = this.ctx.startChild('SSL') ?? new SslAnalyzer(this.ctx);
      } else if (!isOrig && token === 'proceed') this.ctx.weird('XMPP: proceed without starttls');
    }
  }

  gap(isOrig: boolean, len: number): void {
    if (this.tls) this.tls.gap?.(isOrig, len);
    else this.hadGap = true;
  }

  endOfData(isOrig: boolean): void {
    this.tls?.endOfData?.(isOrig);
  }

  done(): void {
    this.tls?.done?.();
  }
}

/** dpd_xmpp: /^(<\?xml[^?>]*\?>)?[\n\r ]*<stream:stream [^>]*xmlns='jabber:/ */
export function xmppPrefix(b: Buffer | undefined): boolean {
  if (!b) return false;
  const s = b.toString('latin1', 0, Math.min(b.length, 1024));
  return /^(<\?xml[^?>]*\?>)?[\n\r ]*<stream:stream [^>]*xmlns='jabber:/.test(s);
}

export const specs: AnalyzerSpec[] = [
  {
    name: 'XMPP',
    service: 'xmpp',
    scripts: ['xmpp'],
    transport: 'tcp',
    ports: [5222, 5269],
    detect: (orig, resp) => xmppPrefix(orig) || xmppPrefix(resp),
    create: (ctx) => new XmppAnalyzer(ctx),
    // XMPP writes no log of its own; the SSL analyzer it starts writes ssl.log and x509.log.
    logs: [],
  },
];
