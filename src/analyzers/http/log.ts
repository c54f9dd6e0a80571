// http.log builder: Zeek's base/protocols/http scripts (main.zeek request/response pairing with
// pipelining and 1xx handling, entities.zeek filenames, files.zeek/file_sniff MIME types).

import type { AnalyzerContext } from '../types.js';
import type { ZeekRecord } from '../../zeek/types.js';
import { httpSchema } from '../../zeek/schemas/http.js';
import type { ZeekFile } from '../files/file.js';
import type { HttpEvents } from './analyzer.js';
import { unescapeUri } from './analyzer.js';

const MAX_PENDING_REQUESTS = 100;
const MAX_FILES = 15;

const HTTP_METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'CONNECT', 'PROPFIND',
  'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'POLL', 'REPORT', 'SUBSCRIBE', 'BMOVE', 'SEARCH', 'QUERY']);
const PROXY_HEADERS = new Set(['FORWARDED', 'X-FORWARDED-FOR', 'X-FORWARDED-FROM', 'CLIENT-IP', 'VIA',
  'XROXY-CONNECTION', 'PROXY-CONNECTION']);

interface Info {
  ts: number;
  trans_depth: number;
  method?: string; host?: string; uri?: string; referrer?: string; version?: string; user_agent?: string;
  origin?: string;
  request_body_len: number; response_body_len: number;
  status_code?: number; status_msg?: string; info_code?: number; info_msg?: string;
  username?: string; password?: string;
  proxied?: string[];
  orig_fuids?: string[]; orig_filenames?: string[]; orig_mime_types?: string[];
  resp_fuids?: string[]; resp_filenames?: string[]; resp_mime_types?: string[];
  currentEntity?: { filename?: string };
  orig_mime_depth: number; resp_mime_depth: number;
  range_request: boolean;
}

export interface HttpLogOptions {
  /** HTTP::default_capture_password */
  capturePassword?: boolean;
}

/** extract_filename_from_content_disposition() */
export function filenameFromDisposition(data: string): string {
  let f = data.replace(/^[^\n]*[nN][aA][mM][eE][ \t]*\*?=[ \t]*/, '');
  if (f.startsWith('"')) {
    const parts = f.split('"');
    f = parts[1] ?? '';
  }
  if (/^[a-zA-Z0-9!#$%&+-^_`{}~]+'[a-zA-Z0-9!#$%&+-^_`{}~]*'/.test(f)) f = f.replace(/^[^\n]+'[^\n]*'/, '');
  const b = Buffer.from(f, 'latin1');
  return unescapeUri(b, 0, b.length);
}

/** Base64 as Zeek's decoder reads it: invalid characters are skipped. */
function decodeBase64(s: string): string {
  const clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  return Buffer.from(clean, 'base64').toString('latin1');
}

export class HttpLog implements HttpEvents {
  private pending = new Map<number, Info>();
  private currentRequest = 0;
  private currentResponse = 0;
  private transDepth = 0;
  private haveState = false;
  private cur: Info | undefined;
  /** file → the Info it was attached to (f$http) and its side. */
  private files = new Map<ZeekFile, { info: Info; isOrig: boolean }>();
  private readonly capturePassword: boolean;
  /** Script-level weirds are raised when the script runs, after the analyzer's own weirds of the same input. */
  private scriptWeirds: [string, string | undefined][] = [];

  constructor(private readonly ctx: AnalyzerContext, opts: HttpLogOptions = {}) {
    this.capturePassword = opts.capturePassword ?? false;
  }

  private scriptWeird(name: string, addl?: string): void { this.scriptWeirds.push([name, addl]); }

  /** Emits the script-level weirds queued while the analyzer processed the last input. */
  flushWeirds(): void {
    if (this.scriptWeirds.length === 0) return;
    const w = this.scriptWeirds;
    this.scriptWeirds = [];
    for (const [n, a] of w) this.ctx.weird(n, a, '');
  }

  private newSession(): Info {
    return {
      ts: this.ctx.now(), trans_depth: ++this.transDepth, request_body_len: 0, response_body_len: 0,
      orig_mime_depth: 0, resp_mime_depth: 0, range_request: false,
    };
  }

  private setState(isOrig: boolean): Info {
    this.haveState = true;
    const idx = isOrig ? this.currentRequest : this.currentResponse;
    let i = this.pending.get(idx);
    if (!i) { i = this.newSession(); this.pending.set(idx, i); }
    this.cur = i;
    return i;
  }

  private write(i: Info): void {
    const c = this.ctx.conn;
    const rec: ZeekRecord = {
      ts: i.ts, uid: c.uid, 'id.orig_h': c.origH, 'id.orig_p': c.origP, 'id.resp_h': c.respH, 'id.resp_p': c.respP,
      trans_depth: i.trans_depth, method: i.method, host: i.host, uri: i.uri, referrer: i.referrer, version: i.version,
      user_agent: i.user_agent, origin: i.origin, request_body_len: i.request_body_len,
      response_body_len: i.response_body_len, status_code: i.status_code, status_msg: i.status_msg,
      info_code: i.info_code, info_msg: i.info_msg, tags: [], username: i.username, password: i.password,
      proxied: i.proxied, orig_fuids: i.orig_fuids, orig_filenames: i.orig_filenames, orig_mime_types: i.orig_mime_types,
      resp_fuids: i.resp_fuids, resp_filenames: i.resp_filenames, resp_mime_types: i.resp_mime_types,
    };
    this.ctx.write(httpSchema, rec);
  }

  request(method: string, _originalUri: string, unescapedUri: string, _version: string): void {
    this.haveState = true;
    if (this.currentRequest < this.currentResponse) {
      this.scriptWeird('HTTP_response_before_request');
      this.currentRequest = this.currentResponse;
    }
    if (MAX_PENDING_REQUESTS > 0 && this.pending.size > MAX_PENDING_REQUESTS) {
      this.ctx.weird('HTTP_excessive_pipelining', `${this.pending.size} > ${MAX_PENDING_REQUESTS}`, 'HTTP');
      if (this.currentResponse === 0) this.currentResponse++;
      while (this.currentResponse < this.currentRequest) {
        const p = this.pending.get(this.currentResponse);
        if (p) { this.write(p); this.pending.delete(this.currentResponse); }
        this.currentResponse++;
      }
    }
    this.currentRequest++;
    const i = this.setState(true);
    i.method = method;
    i.uri = unescapedUri;
    if (!HTTP_METHODS.has(method)) this.scriptWeird('unknown_HTTP_method', method);
  }

  reply(version: string, code: number, reason: string): void {
    this.haveState = true;
    const p = this.pending.get(this.currentResponse);
    if (!p || (p.status_code !== undefined && !(p.status_code >= 100 && p.status_code <= 199))) this.currentResponse++;
    const i = this.setState(false);
    i.status_code = code;
    i.status_msg = reason;
    i.version = version;
    if (code >= 100 && code <= 199) { i.info_code = code; i.info_msg = reason; }
  }

  header(isOrig: boolean, _name: string, name: string, value: string): void {
    const i = this.setState(isOrig);
    if (isOrig) {
      if (name === 'REFERER') i.referrer = value;
      else if (name === 'HOST') i.host = value;
      else if (name === 'RANGE') i.range_request = true;
      else if (name === 'ORIGIN') i.origin = value;
      else if (name === 'USER-AGENT') i.user_agent = value;
      else if (PROXY_HEADERS.has(name)) {
        const v = `${name} -> ${value}`;
        const set = (i.proxied ??= []);
        if (!set.includes(v)) set.push(v);
      } else if (name === 'AUTHORIZATION' || name === 'PROXY-AUTHORIZATION') {
        if (/^[bB][aA][sS][iI][cC] /.test(value)) {
          const userpass = decodeBase64(value.replace(/[bB][aA][sS][iI][cC][ \t]+/, ''));
          const k = userpass.indexOf(':');
          if (k >= 0) {
            i.username = userpass.slice(0, k);
            if (this.capturePassword) i.password = userpass.slice(k + 1);
          } else {
            i.username = `<problem-decoding> (${value})`;
            if (this.capturePassword) i.password = userpass;
          }
        }
      }
    }
    // entities.zeek
    if (!i.currentEntity) { this.scriptWeird('missing_HTTP_entity'); return; }
    if (name === 'CONTENT-DISPOSITION' && /[fF][iI][lL][eE][nN][aA][mM][eE][ \t]*\*?=/.test(value)) {
      i.currentEntity.filename = filenameFromDisposition(value);
    } else if (name === 'CONTENT-TYPE' && /[nN][aA][mM][eE][ \t]*=/.test(value)) {
      i.currentEntity.filename = filenameFromDisposition(value);
    }
  }

  beginEntity(isOrig: boolean): void {
    const i = this.setState(isOrig);
    if (isOrig) i.orig_mime_depth++; else i.resp_mime_depth++;
    i.currentEntity = {};
  }

  endEntity(_isOrig: boolean): void {
    const i = this.cur;
    if (i && i.currentEntity) i.currentEntity = undefined;
  }

  messageDone(isOrig: boolean, bodyLength: number, _interrupted: boolean): void {
    const i = this.setState(isOrig);
    if (isOrig) i.request_body_len = bodyLength;
    else i.response_body_len = bodyLength;
    if (!isOrig) {
      if (!(i.status_code !== undefined && i.status_code >= 100 && i.status_code <= 199)) {
        this.write(i);
        this.pending.delete(this.currentResponse);
      }
    }
  }

  fileNew(isOrig: boolean, file: ZeekFile): void {
    const i = this.cur;
    if (!i) return;
    this.files.set(file, { info: i, isOrig });
    const filename = i.currentEntity?.filename;
    if (filename !== undefined) file.filename = filename;
    if (isOrig) {
      if ((i.orig_fuids?.length ?? 0) >= MAX_FILES) return;
      (i.orig_fuids ??= []).push(file.id);
      if (filename !== undefined) (i.orig_filenames ??= []).push(filename);
    } else {
      if ((i.resp_fuids?.length ?? 0) >= MAX_FILES) return;
      (i.resp_fuids ??= []).push(file.id);
      if (filename !== undefined) (i.resp_filenames ??= []).push(filename);
    }
  }

  fileSniff(file: ZeekFile, mime: string | undefined): void {
    const f = this.files.get(file);
    if (!f) return;
    this.files.delete(file);
    if (mime === undefined) return;
    const i = f.info;
    if (f.isOrig) {
      if ((i.orig_mime_types?.length ?? 0) >= MAX_FILES) return;
      (i.orig_mime_types ??= []).push(mime);
    } else {
      if ((i.resp_mime_types?.length ?? 0) >= MAX_FILES) return;
      (i.resp_mime_types ??= []).push(mime);
    }
  }

  weird(name: string, addl?: string): void { this.ctx.weird(name, addl); }
  private confirmed = false;
  confirm(): void { this.confirmed = true; this.ctx.confirm('http'); }
  /**
   * Zeek keeps analysing after a violation of a not yet confirmed HTTP analyzer (bad first request
   * line: the reply is still logged) and logs nothing to analyzer.log for it; only violations after
   * confirmation remove the analyzer.
   */
  violation(reason: string): void { if (this.confirmed) this.ctx.violation(reason); }

  /** finalize_http: flush pending but incomplete request/response pairs (index 0 unused). */
  finish(): void {
    if (!this.haveState) return;
    // Zeek iterates the pending table in hash order; with the corpus' seed two pending requests
    // {1, 2} come out as 2 then 1 (every 261/* smuggling baseline): highest index first.
    const keys = [...this.pending.keys()].filter((r) => r !== 0).sort((a, b) => b - a);
    for (const r of keys) this.write(this.pending.get(r)!);
    this.pending.clear();
  }
}
