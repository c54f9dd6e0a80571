// FTP control analyzer (FTP::ports 21, 2811; DPD signatures dpd_ftp_client / dpd_ftp_server) and
// the FTP_DATA analyzer attached to expected data connections (conn.log service ftp-data; file
// analysis of the transfer for ftp.log mime_type and fuid).

import type { AnalyzerContext, AnalyzerSpec, StreamAnalyzer } from '../types.js';
import { ftpSchema } from '../../zeek/schemas/ftp.js';
import { filesSchema } from '../../zeek/schemas/files.js';
import { FtpParser } from './parser.js';
import { FtpLog, expectedTable } from './log.js';
import type { FtpInfo, FtpOptions } from './log.js';
import { ZeekFile } from '../files/file.js';

export { FtpParser } from './parser.js';
export { FtpLog, FtpExpected } from './log.js';
export type { FtpOptions } from './log.js';
export { optionsFromZeekScript } from './redef.js';
export type { RedefOptions } from './redef.js';

export class FtpAnalyzer implements StreamAnalyzer {
  readonly log: FtpLog;
  readonly parser: FtpParser;
  private finished = false;
  private tls: StreamAnalyzer | undefined;
  constructor(ctx: AnalyzerContext, opts?: FtpOptions) {
    this.log = new FtpLog(ctx, opts ?? ctx.service<FtpOptions>('ftp.options'));
    this.parser = new FtpParser(this.log);
    // AUTH TLS: what follows the 234 reply goes to the SSL analyzer (FTP.cc tls_active)
    this.log.startTls = () => { this.tls = ctx.startChild('SSL'); };
  }
  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    const n = Math.max(0, Math.min(len, data.length - offset));
    if (this.parser.tlsActive) { this.tls?.deliverStream(isOrig, data, offset, n); return; }
    this.parser.deliver(isOrig, data, offset, n);
  }
  endOfData(isOrig: boolean): void {
    if (this.parser.tlsActive) this.tls?.endOfData?.(isOrig);
    else this.parser.endOfData(isOrig);
  }
  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.tls?.done?.();
    this.log.finish();
  }
}

/** FTP_DATA: the data connection of an FTP session. */
export class FtpDataAnalyzer implements StreamAnalyzer {
  private readonly info: FtpInfo | undefined;
  private files: [ZeekFile | null, ZeekFile | null] = [null, null];
  private finished = false;
  constructor(private readonly ctx: AnalyzerContext) {
    const c = ctx.conn;
    this.info = expectedTable(ctx).get(c.respH, c.respP, ctx.now());
    // scheduled_analyzer_applied: the service is named while the channel is expected
    if (this.info) ctx.confirm('ftp-data');
  }
  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    const n = Math.max(0, Math.min(len, data.length - offset));
    if (n === 0) return;
    const i = isOrig ? 0 : 1;
    let f = this.files[i];
    if (!f) {
      const c = this.ctx.conn;
      // get_file_handle: only while the channel is expected
      if (!expectedTable(this.ctx).get(c.respH, c.respP, this.ctx.now())) return;
      f = new ZeekFile(`FTP_DATA|${c.uid}|${c.startTime}|${isOrig ? 1 : 0}`, (_file, mime) => {
        if (this.info && mime !== undefined) this.info.mime_type = mime;
      }, { ctx: this.ctx, source: 'FTP_DATA', isOrig });
      this.files[i] = f;
      if (this.info) this.info.fuid = f.id;
    }
    f.data(data, offset, n);
  }
  /**
   * Zeek's File_Analyzer ends its files (and identifies short ones) only in Done(), when the data
   * connection is removed — possibly after the next control command has logged the transfer.
   */
  endOfData(_isOrig: boolean): void { /* files end in done() */ }
  done(): void {
    if (this.finished) return;
    this.finished = true;
    for (const f of this.files) f?.end();
    // finalize_ftp_data
    const c = this.ctx.conn;
    if (this.info) expectedTable(this.ctx).delete(c.respH, c.respP);
  }
}

const CLIENT_RE = /(?:^|[\n\r]) *[uU][sS][eE][rR] /;
const SERVER_RE = /^[\n\r ]*(?:120|220)[^0-9][^\n]*[\n\r] *(?:230|331)[^0-9]/;

/** dpd_ftp_server (which requires dpd_ftp_client on the other side). */
export function detectFtp(orig: Buffer | undefined, resp: Buffer | undefined): boolean {
  if (!orig || !resp) return false;
  const o = orig.toString('latin1', 0, Math.min(orig.length, 1024));
  const r = resp.toString('latin1', 0, Math.min(resp.length, 1024));
  return CLIENT_RE.test(o) && SERVER_RE.test(r);
}

export const specs: AnalyzerSpec[] = [
  {
    name: 'FTP', service: 'ftp', scripts: ['ftp'], transport: 'tcp', ports: [21, 2811],
    detect: detectFtp,
    create: (ctx) => new FtpAnalyzer(ctx),
    logs: [ftpSchema, filesSchema],
  },
  {
    name: 'FTP_DATA', service: 'ftp-data', scripts: ['ftp'], transport: 'tcp', ports: [],
    create: (ctx) => new FtpDataAnalyzer(ctx),
    logs: [filesSchema],
  },
];
