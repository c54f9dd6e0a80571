// HTTP analyzer spec: Zeek's HTTP::ports and its DPD signatures (dpd_http_client, dpd_http_server).

import type { AnalyzerContext, AnalyzerSpec, StreamAnalyzer } from '../types.js';
import { httpSchema } from '../../zeek/schemas/http.js';
import { filesSchema } from '../../zeek/schemas/files.js';
import { HttpAnalyzer } from './analyzer.js';
import { HttpLog } from './log.js';
import type { HttpLogOptions } from './log.js';

export { HttpAnalyzer } from './analyzer.js';
export { HttpLog } from './log.js';

export class HttpStreamAnalyzer implements StreamAnalyzer {
  readonly log: HttpLog;
  readonly an: HttpAnalyzer;
  private finished = false;
  private child: StreamAnalyzer | undefined;
  private childTried = false;
  constructor(private readonly ctx: AnalyzerContext, opts?: HttpLogOptions) {
    this.log = new HttpLog(ctx, opts ?? ctx.service<HttpLogOptions>('http.options'));
    this.an = new HttpAnalyzer(this.log, ctx.conn.uid, ctx);
    this.an.onPassthrough = (o, d, off, n) => this.tunnel(o, d, off, n);
  }
  /** Bytes inside a CONNECT tunnel or an upgraded connection: TLS goes to the SSL analyzer (Zeek's PIA would find it). */
  private tunnel(isOrig: boolean, data: Buffer, off: number, len: number): void {
    if (!this.childTried) {
      this.childTried = true;
      if (len >= 3 && data[off] === 0x16 && data[off + 1] === 0x03) this.child = this.ctx.startChild('SSL');
    }
    this.child?.deliverStream(isOrig, data, off, len);
  }
  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    this.an.deliverStream(isOrig, data, offset, Math.max(0, Math.min(len, data.length - offset)));
    this.log.flushWeirds();
  }
  gap(isOrig: boolean, len: number): void { this.an.gap(isOrig, len); this.log.flushWeirds(); }
  endOfData(isOrig: boolean): void { this.an.endOfData(isOrig); this.log.flushWeirds(); this.child?.endOfData?.(isOrig); }
  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.child?.done?.();
    this.an.done();
    this.log.finish();
    this.log.flushWeirds();
  }
}

const METHODS = 'OPTIONS|GET|HEAD|POST|PUT|DELETE|QUERY|ACL|BASELINE-CONTROL|BIND|CHECKIN|CHECKOUT|CONNECT|COPY|LABEL|LINK|LOCK|MERGE|MKACTIVITY|MKCALENDAR|MKCOL|MKREDIRECTREF|MOVE|ORDERPATCH|PATCH|PROPFIND|PROPPATCH|REBIND|REPORT|SEARCH|TRACE|UNBIND|UNCHECKOUT|UNLINK|UNLOCK|UPDATE|VERSION-CONTROL|BCOPY|BDELETE|BMOVE|BPROPFIND|BPROPPATCH|NOTIFY|POLL|SUBSCRIBE|UNSUBSCRIBE|X-MS-ENUMATTS|MKWORKSPACE|RPC_IN_DATA|RPC_OUT_DATA';
const CLIENT_RE = new RegExp(`^[\\t\\n\\x0b\\x0c\\r ]*(?:${METHODS})`);
const SERVER_RE = /^[hH][tT][tT][pP]\/[0-9]/;

/** dpd_http_client on the originator's first bytes, or dpd_http_server on the responder's. */
export function detectHttp(orig: Buffer | undefined, resp: Buffer | undefined): boolean {
  if (orig && orig.length > 0 && CLIENT_RE.test(orig.toString('latin1', 0, Math.min(orig.length, 64)))) return true;
  if (resp && resp.length > 0 && SERVER_RE.test(resp.toString('latin1', 0, Math.min(resp.length, 16)))) return true;
  return false;
}

export const specs: AnalyzerSpec[] = [
  {
    name: 'HTTP', service: 'http', scripts: ['http', 'websocket'], transport: 'tcp',
    ports: [80, 81, 631, 1080, 3128, 8000, 8080, 8888],
    detect: detectHttp,
    create: (ctx) => new HttpStreamAnalyzer(ctx),
    logs: [httpSchema, filesSchema],
  },
];
