// FTP control-channel parser: lines → ftp_request / ftp_reply events as Zeek's FTP analyzer
// (src/analyzer/protocol/ftp/FTP.cc) raises them, including multi-line replies (cont_resp) and
// the violations for non-numeric or invalid reply codes. Knows nothing of logs.

import { ContentLine, LF_AS_EOL } from '../http/contentline.js';

export interface FtpEvents {
  request(command: string, arg: string): void;
  reply(code: number, msg: string, contResp: boolean): void;
  confirm(): void;
  violation(reason: string, data: string): void;
  weird(name: string, addl?: string): void;
  /** AUTH TLS accepted (234): the rest of the connection is TLS (Zeek hands it to the SSL analyzer). */
  startTls?(): void;
}

const MAX_COMMAND_LENGTH = 100; // FTP::max_command_length

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const isPrint = (c: number): boolean => c >= 0x20 && c <= 0x7e;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

function skipWs(b: Buffer, p: number, e: number): number {
  while (p < e && (b[p] === 0x20 || b[p] === 0x09)) p++;
  return p;
}

export class FtpParser {
  private readonly clOrig: ContentLine;
  private readonly clResp: ContentLine;
  private pendingReply = 0;
  private confirmed = false;
  /** Set after a violation: Zeek removes the analyzer, nothing more is parsed. */
  removed = false;
  private authRequested = '';
  /** After AUTH TLS and its 234 reply the stream is TLS: lines are no longer parsed. */
  tlsActive = false;

  constructor(private readonly ev: FtpEvents) {
    this.clOrig = new ContentLine({ line: (b, n) => this.line(true, b, n), plain: () => undefined, weird: (w) => ev.weird(w) });
    this.clResp = new ContentLine({ line: (b, n) => this.line(false, b, n), plain: () => undefined, weird: (w) => ev.weird(w) });
    this.clOrig.crlfAsEol = LF_AS_EOL;
    this.clResp.crlfAsEol = LF_AS_EOL;
  }

  deliver(isOrig: boolean, data: Buffer, off: number, len: number): void {
    if (this.removed || this.tlsActive) return;
    (isOrig ? this.clOrig : this.clResp).deliverStream(data, off, len);
  }

  endOfData(isOrig: boolean): void {
    if (this.removed) return;
    (isOrig ? this.clOrig : this.clResp).endOfData();
  }

  private line(isOrig: boolean, b: Buffer, len: number): void {
    if (this.removed || this.tlsActive || len === 0) return;
    const end = len;
    if (isOrig) {
      let p = skipWs(b, 0, end);
      const cmdStart = p;
      while (p < end && b[p] !== 0 && !isSpace(b[p]!)) p++;
      const cmdLen = p - cmdStart;
      const argStart = skipWs(b, p, end);
      let ok = cmdLen >= 3;
      for (let i = cmdStart; ok && i < cmdStart + cmdLen; i++) if (!isPrint(b[i]!) || isSpace(b[i]!)) ok = false;
      if (!ok) {
        if (this.confirmed) this.ev.weird('FTP_invalid_command');
        return;
      }
      if (cmdLen > MAX_COMMAND_LENGTH) {
        if (this.confirmed) this.ev.weird('FTP_max_command_length_exceeded', `${cmdLen} > ${MAX_COMMAND_LENGTH}`);
        return;
      }
      const cmd = b.toString('latin1', cmdStart, cmdStart + cmdLen).toUpperCase();
      const arg = b.toString('latin1', argStart, end);
      this.confirmed = true;
      this.ev.confirm();
      if (cmd.length <= 4 && 'AUTH'.startsWith(cmd)) this.authRequested = arg;
      this.ev.request(cmd, arg);
      return;
    }
    let code = len >= 3 && isDigit(b[0]!) && isDigit(b[1]!) && isDigit(b[2]!)
      ? (b[0]! - 0x30) * 100 + (b[1]! - 0x30) * 10 + (b[2]! - 0x30) : 0;
    let p = 0;
    let cont: boolean;
    if (this.pendingReply) {
      if (code === this.pendingReply && len > 3 && b[3] === 0x20) {
        p = skipWs(b, 3, end);
        this.pendingReply = 0;
        cont = false;
      } else {
        cont = true;
        code = 0;
      }
    } else {
      cont = false;
      const raw = (): string => b.toString('latin1', 0, end);
      if (code === 0) { this.violation('non-numeric reply code', raw()); return; }
      if (code < 100) { this.violation('invalid reply code', raw()); return; }
      if (len > 3 && b[3] === 0x2d) {
        this.pendingReply = code;
        p = skipWs(b, 4, end);
        cont = true;
      } else if (len > 3 && b[3] !== 0x20) {
        this.violation('invalid reply line', raw());
        return;
      } else {
        p = 3;
        p = p < end ? skipWs(b, p, end) : end;
      }
    }
    const tls = code === 234 && this.authRequested === 'TLS';
    if (tls) this.tlsActive = true;
    this.ev.reply(code, b.toString('latin1', p, end), cont);
    if (tls) this.ev.startTls?.();
  }

  private violation(reason: string, data: string): void {
    this.removed = true;
    this.ev.violation(reason, data);
  }
}
