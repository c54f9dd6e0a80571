// ftp.log builder: Zeek's base/protocols/ftp scripts (main.zeek, utils-commands.zeek, files.zeek):
// command/reply pairing through pending commands, user/password handling, file sizes, PORT/PASV/
// EPRT/EPSV data channels (expected connections), CWD tracking, logging at connection removal.

import type { AnalyzerContext } from '../types.js';
import type { ZeekRecord } from '../../zeek/types.js';
import { ftpSchema } from '../../zeek/schemas/ftp.js';
import type { FtpEvents } from './parser.js';
import { ipv4FromNumber, ipv6Words } from '../dns/addr.js';

export interface FtpOptions {
  /** FTP::logged_commands replaced (redef FTP::logged_commands = {...}). */
  loggedCommands?: readonly string[];
  /** FTP::logged_commands additions (redef FTP::logged_commands += {...}). */
  extraLoggedCommands?: readonly string[];
  /** FTP::default_capture_password */
  capturePassword?: boolean;
}

export interface DataChannel { passive: boolean; origH: string; respH: string; respP: number }

interface CmdArg { ts: number; cmd: string; arg: string; seq: number; cwdConsumed: boolean }

export interface FtpInfo {
  ts: number;
  uid: string;
  origH: string; origP: number; respH: string; respP: number;
  user: string;
  password?: string;
  command?: string;
  arg?: string;
  mime_type?: string;
  file_size?: number;
  reply_code?: number;
  reply_msg?: string;
  data_channel?: DataChannel;
  cwd: string;
  cmdarg?: CmdArg;
  pending: Map<number, CmdArg>;
  command_seq: number;
  passive: boolean;
  capture_password: boolean;
  logged_command_seen: boolean;
  fuid?: string;
}

/** ftp_data_expected: [resp_h, resp_p] → the control session's Info (shared by all connections). */
export class FtpExpected {
  private readonly map = new Map<string, { info: FtpInfo; t: number }>();
  static readonly MAX = 100000;
  static readonly EXPIRE = 300; // &read_expire=5mins

  private key(h: string, p: number): string { return `${h}|${p}`; }

  private sets = 0;

  set(h: string, p: number, info: FtpInfo, now: number): boolean {
    // &read_expire: sweep stale entries now and then so a long run does not keep them all
    if (++this.sets % 1024 === 0) {
      for (const [k2, e] of this.map) if (now - e.t > FtpExpected.EXPIRE || now < e.t - FtpExpected.EXPIRE) this.map.delete(k2);
    }
    const k = this.key(h, p);
    if (!this.map.has(k) && this.map.size >= FtpExpected.MAX) return false;
    this.map.set(k, { info, t: now });
    return true;
  }

  get(h: string, p: number, now: number): FtpInfo | undefined {
    const k = this.key(h, p);
    const e = this.map.get(k);
    if (!e) return undefined;
    // read expiry; a clock going backwards means another capture: stale
    if (now - e.t > FtpExpected.EXPIRE || now < e.t - FtpExpected.EXPIRE) { this.map.delete(k); return undefined; }
    e.t = now;
    return e.info;
  }

  delete(h: string, p: number): void { this.map.delete(this.key(h, p)); }
}

/** Fallback when the framework offers no shared 'ftp.expected' service (one table per process). */
const processExpected = new FtpExpected();
export function expectedTable(ctx: AnalyzerContext): FtpExpected {
  return ctx.service<FtpExpected>('ftp.expected') ?? processExpected;
}

const LOGGED_COMMANDS = ['APPE', 'DELE', 'RETR', 'STOR', 'STOU', 'ACCT', 'PORT', 'PASV', 'EPRT', 'EPSV'];
const GUEST_IDS = new Set(['anonymous', 'ftp', 'ftpuser', 'guest']);
const FILE_CMDS = new Set(['APPE', 'CWD', 'DELE', 'MKD', 'RETR', 'RMD', 'RNFR', 'RNTO', 'STOR', 'STOU', 'REST', 'SIZE', 'MDTM']);
const MAX_PENDING_COMMANDS = 20;
const MAX_USER_LENGTH = 128;
const MAX_PASSWORD_LENGTH = 128;
const MAX_ARG_LENGTH = 4096;
const MAX_REPLY_MSG_LENGTH = 4096;

const CMD_REPLY_CODES: Record<string, number[]> = {
  '<init>': [120, 220, 421, 0], USER: [230, 331, 332, 421, 530, 500, 501], PASS: [230, 202, 332, 421, 530, 500, 501, 503],
  ACCT: [230, 202, 421, 530, 500, 501, 503], CWD: [250, 421, 500, 501, 502, 530, 550],
  CDUP: [200, 250, 421, 500, 501, 502, 530, 550], SMNT: [202, 250, 421, 500, 501, 502, 530, 550],
  REIN: [120, 220, 421, 500, 502], QUIT: [221, 500, 0], PORT: [200, 421, 500, 501, 530],
  PASV: [227, 421, 500, 501, 502, 530], MODE: [200, 421, 500, 501, 502, 504, 530], TYPE: [200, 421, 500, 501, 504, 530],
  STRU: [200, 421, 500, 501, 504, 530], ALLO: [200, 202, 421, 500, 501, 504, 530], REST: [200, 350, 421, 500, 501, 502, 530],
  STOR: [110, 125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500, 501, 530, 550],
  STOU: [110, 125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500, 501, 530, 550],
  RETR: [110, 125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 530, 550],
  LIST: [125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 502, 530, 550],
  NLST: [125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 502, 530, 550],
  APPE: [125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 550, 452, 553, 500, 501, 502, 530],
  RNFR: [350, 421, 450, 550, 500, 501, 502, 530], RNTO: [250, 421, 532, 553, 500, 501, 502, 503, 530],
  DELE: [250, 421, 450, 550, 500, 501, 502, 530], RMD: [250, 421, 500, 501, 502, 530, 550],
  MKD: [257, 421, 500, 501, 502, 530, 550], PWD: [257, 421, 500, 501, 502, 550], ABOR: [225, 226, 421, 500, 501, 502],
  SYST: [215, 421, 500, 501, 502, 530], STAT: [211, 212, 213, 421, 450, 500, 501, 502, 530],
  HELP: [200, 211, 214, 421, 500, 501, 502], SITE: [200, 202, 214, 500, 501, 502, 530], NOOP: [200, 421, 500],
  LPRT: [500, 501, 521], FEAT: [211, 500, 502], OPTS: [200, 451, 501], EPSV: [229, 500, 501], EPRT: [200, 500, 501, 522],
  SIZE: [213, 500, 501, 550], MDTM: [213, 500, 501, 550], MLST: [150, 226, 250, 500, 501, 550],
  MLSD: [150, 226, 250, 500, 501, 550], CLNT: [200, 500], MACB: [200, 500, 550], '<missing>': [0],
};
const DIRECTORY_CMDS: Record<string, number[]> = { CWD: [250], CDUP: [200, 250], PWD: [257], XPWD: [257] };

/** Zeek's normalize_path (compress_path), POSIX flavour. */
export function compressPath(path: string): string {
  if (!path.includes('/.') && !path.includes('//')) {
    return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  }
  const out: string[] = [];
  let np = path.startsWith('/') ? '/' : '';
  const comps = path.split('/');
  for (let i = 0; i < comps.length; i++) {
    const c = comps[i]!;
    if (c === '') continue;
    if (c === '.' && i !== 0) continue;
    out.push(c);
    if (c === '..') {
      const cur = out.length - 1;
      if (cur !== 0) {
        const last = out[cur - 1]!;
        if (last === '/' || last === '~' || last === '..') continue;
        if (last === '.') { out[cur - 1] = '..'; out.pop(); }
        else { out.pop(); out.pop(); }
      }
    }
  }
  for (const c of out) np += c + '/';
  if (np.length > 1 && np.endsWith('/')) np = np.slice(0, -1);
  return np;
}

const ABSOLUTE = /^(?:\/|[A-Za-z]:[\\/])/;
function buildPath(dir: string, file: string): string {
  const sep = dir.endsWith('/') ? '' : '/';
  return ABSOLUTE.test(file) || dir === '' ? file : `${dir}${sep}${file}`;
}
const addrToUri = (a: string): string => (a.includes(':') ? `[${a}]` : a);

/** extract_path(): the first absolute path in a reply (PWD). */
function extractPath(input: string): string {
  const m = /(?:\/|[A-Za-z]:[\\/])(?:[^" ]|\\ )*/.exec(input);
  return m ? m[0] : '';
}

/** parse_ftp_port: "h1,h2,h3,h4,p1,p2" (sscanf %d semantics). */
export function parseFtpPort(s: string): { h: string; p: number } | null {
  if (s.length < 11) return null;
  const m = /^\s*([+-]?\d+),\s*([+-]?\d+),\s*([+-]?\d+),\s*([+-]?\d+),\s*([+-]?\d+),\s*([+-]?\d+)/.exec(s);
  if (!m) return null;
  const v = m.slice(1, 7).map(Number);
  if (v.some((x) => x < 0 || x > 255)) return null;
  return { h: ipv4FromNumber(((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0), p: (v[4]! << 8) | v[5]! };
}

/** parse_ftp_pasv */
export function parseFtpPasv(s: string): { h: string; p: number } | null {
  if (s.length === 0) return null;
  let i = s.indexOf('(');
  let line: string | null = null;
  if (i >= 0) line = s.slice(i + 1);
  else if ((i = s.indexOf('PORT')) >= 0) line = s.slice(i + 5);
  else if ((i = s.indexOf(',')) >= 0) {
    let j = i - 1;
    while (j >= 0 && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j--;
    line = s.slice(j + 1);
  }
  if (line === null) return null;
  return parseFtpPort(line);
}

function parseIpv6(s: string): string | null {
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(s)) {
    const p = s.split('.').map(Number);
    if (p.some((x) => x > 255)) return null;
    return p.join('.');
  }
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (x: string): number[] | null => {
    if (x === '') return [];
    const out: number[] = [];
    for (const g of x.split(':')) {
      if (g.includes('.')) {
        const v4 = g.split('.').map(Number);
        if (v4.length !== 4 || v4.some((n) => !(n >= 0 && n <= 255))) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const a = parse(halves[0]!), b = halves.length === 2 ? parse(halves[1]!) : [];
  if (!a || !b) return null;
  let words: number[];
  if (halves.length === 2) {
    if (a.length + b.length > 7) return null;
    words = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  } else {
    if (a.length !== 8) return null;
    words = a;
  }
  return ipv6Words(words);
}

/** parse_eftp_port / parse_ftp_epsv body: "|proto|addr|port|". h '::' when the address is empty. */
export function parseEftp(line: string | null): { h: string; p: number } | null {
  if (line === null) return null;
  let i = 0;
  while (i < line.length && /\s/.test(line[i]!)) i++;
  if (i >= line.length) return null;
  const d = line[i]!;
  i++;
  let good = true;
  let m = /^[+-]?\d*/.exec(line.slice(i))![0];
  const afterProto = i + m.length;
  if (line[afterProto] !== d) good = false;
  i = afterProto;
  if (i < line.length) i++;
  let h = '::';
  if (i < line.length && line[i] !== d) {
    let e = line.indexOf(d, i);
    if (e < 0) e = line.length;
    const a = parseIpv6(line.slice(i, e));
    if (a === null) good = false; else h = a;
  }
  const di = line.indexOf(d, i);
  let p = 0;
  if (di >= 0) {
    const rest = line.slice(di + 1);
    m = /^\s*[+-]?\d*/.exec(rest)![0];
    p = m.trim() === '' ? 0 : Number(m);
    if (rest[m.length] !== d) good = false;
    if (p < 0 || p > 65535) { p = 0; good = false; }
  }
  return good ? { h, p } : null;
}

/** extract_count(s, F): the last number in s. */
function lastCount(s: string): number {
  const all = s.match(/[0-9]+/g);
  return all ? Number(all[all.length - 1]) : 0;
}

export class FtpLog implements FtpEvents {
  private s: FtpInfo | undefined;
  private readonly logged: Set<string>;
  private readonly capturePassword: boolean;
  private readonly expected: FtpExpected;

  constructor(private readonly ctx: AnalyzerContext, opts: FtpOptions = {}) {
    this.logged = new Set([...(opts.loggedCommands ?? LOGGED_COMMANDS), ...(opts.extraLoggedCommands ?? [])]);
    this.capturePassword = opts.capturePassword ?? false;
    this.expected = expectedTable(ctx);
  }

  private session(): FtpInfo {
    if (!this.s) {
      const c = this.ctx.conn;
      const s: FtpInfo = {
        ts: this.ctx.now(), uid: c.uid, origH: c.origH, origP: c.origP, respH: c.respH, respP: c.respP,
        user: '<unknown>', cwd: '.', pending: new Map(), command_seq: 0, passive: false,
        capture_password: this.capturePassword, logged_command_seen: false,
      };
      this.s = s;
      this.addPending(s, ++s.command_seq, '<init>', '');
    }
    return this.s;
  }

  private addPending(s: FtpInfo, seq: number, cmd: string, arg: string): void {
    s.pending.set(seq, { ts: this.ctx.now(), cmd, arg, seq, cwdConsumed: false });
  }

  private getPending(s: FtpInfo, code: number, msg: string): CmdArg | undefined {
    let best: CmdArg | undefined;
    let bestSeq = 0, bestScore = -1;
    for (const [seq, cmd] of s.pending) {
      let score = 0;
      if (code === 500 || (CMD_REPLY_CODES[cmd.cmd]?.includes(code) ?? false)) score += 100;
      if (msg.includes(cmd.cmd)) score += 20;
      if (msg.includes(cmd.arg)) score += 10;
      if (score > bestScore || (score === bestScore && bestSeq > seq)) { bestScore = score; bestSeq = seq; best = cmd; }
    }
    return best;
  }

  private hidePassword(s: FtpInfo): boolean {
    return !s.capture_password && !GUEST_IDS.has(s.user.toLowerCase());
  }

  private buildUrlFtp(s: FtpInfo): string {
    let url = '';
    if (s.arg !== undefined) {
      let p = compressPath(buildPath(s.cwd, s.arg));
      if (p[0] !== '/') p = '/' + p;
      url = addrToUri(s.respH) + p;
    }
    return `ftp://${url}`;
  }

  private message(): void {
    const s = this.s;
    if (!s || !s.cmdarg) return;
    s.ts = s.cmdarg.ts;
    s.command = s.cmdarg.cmd;
    s.arg = s.cmdarg.arg;
    if (FILE_CMDS.has(s.cmdarg.cmd)) s.arg = this.buildUrlFtp(s);
    if (s.arg.length > MAX_ARG_LENGTH) { this.ctx.weird('FTP_arg_too_long', String(s.arg.length)); s.arg = s.arg.slice(0, MAX_ARG_LENGTH); }
    if (s.reply_msg !== undefined && s.reply_msg.length > MAX_REPLY_MSG_LENGTH) {
      this.ctx.weird('FTP_reply_msg_too_long', String(s.reply_msg.length));
      s.reply_msg = s.reply_msg.slice(0, MAX_REPLY_MSG_LENGTH);
    }
    if (s.command === 'PASS' && this.hidePassword(s)) s.arg = '<hidden>';
    if (s.arg === '') s.arg = undefined;
    if (s.password !== undefined && this.hidePassword(s)) s.password = '<hidden>';
    if (this.logged.has(s.command)) {
      this.write(s);
      s.logged_command_seen = true;
    }
    s.mime_type = undefined;
    s.file_size = undefined;
    s.data_channel = undefined;
    s.fuid = undefined;
  }

  private write(s: FtpInfo): void {
    const d = s.data_channel;
    const rec: ZeekRecord = {
      ts: s.ts, uid: s.uid, 'id.orig_h': s.origH, 'id.orig_p': s.origP, 'id.resp_h': s.respH, 'id.resp_p': s.respP,
      user: s.user, password: s.password, command: s.command, arg: s.arg, mime_type: s.mime_type, file_size: s.file_size,
      reply_code: s.reply_code, reply_msg: s.reply_msg,
      'data_channel.passive': d?.passive, 'data_channel.orig_h': d?.origH, 'data_channel.resp_h': d?.respH,
      'data_channel.resp_p': d?.respP, fuid: s.fuid,
    };
    this.ctx.write(ftpSchema, rec);
  }

  private addExpected(s: FtpInfo, chan: DataChannel): void {
    if (!this.expected.set(chan.respH, chan.respP, s, this.ctx.now())) {
      this.ctx.weird('FTP_too_many_expected_data_channels');
      return;
    }
    s.passive = chan.passive;
    s.data_channel = chan;
    this.ctx.expectConnection(chan.origH, chan.respH, chan.respP, 'tcp', 'FTP_DATA', 300);
  }

  request(command: string, argIn: string): void {
    let arg = argIn;
    if (this.s && this.s.cmdarg && this.s.reply_code !== undefined) {
      if (this.s.pending.delete(this.s.cmdarg.seq)) this.message();
    }
    const s = this.session();
    if (s.pending.size < MAX_PENDING_COMMANDS) this.addPending(s, ++s.command_seq, command, arg);
    else this.ctx.weird('FTP_too_many_pending_commands', String(s.pending.size));
    if (command === 'USER') {
      if (arg.length > MAX_USER_LENGTH) { this.ctx.weird('FTP_user_too_long', String(arg.length)); arg = arg.slice(0, MAX_USER_LENGTH); }
      s.user = arg;
    } else if (command === 'PASS') {
      if (arg.length > MAX_PASSWORD_LENGTH) { this.ctx.weird('FTP_password_too_long', String(arg.length)); arg = arg.slice(0, MAX_PASSWORD_LENGTH); }
      s.password = arg;
    } else if (command === 'PORT' || command === 'EPRT') {
      const d = command === 'PORT' ? parseFtpPort(arg) : parseEftp(arg);
      if (d) this.addExpected(s, { passive: false, origH: s.respH, respH: d.h, respP: d.p });
    }
  }

  reply(code: number, msg: string, contResp: boolean): void {
    const s = this.session();
    if (contResp && code === 0 && s.reply_code !== undefined) {
      if (!/^[1-9][0-9]{2} [\x20-\x7e]{10}/.test(msg)) return;
    }
    const cmdarg = this.getPending(s, code, msg);
    if (!cmdarg) return; // Zeek: use of an unassigned value aborts the handler
    s.cmdarg = cmdarg;
    s.reply_code = code;
    s.reply_msg = msg;
    if (contResp) return;
    if ((code === 150 && cmdarg.cmd === 'RETR') || (code === 213 && cmdarg.cmd === 'SIZE')) {
      s.file_size = lastCount(msg);
    } else if ((code === 227 || code === 229) && (cmdarg.cmd === 'PASV' || cmdarg.cmd === 'EPSV')) {
      let d: { h: string; p: number } | null;
      if (code === 227) d = parseFtpPasv(msg);
      else { const i = msg.indexOf('('); d = parseEftp(i >= 0 ? msg.slice(i + 1) : msg); }
      if (d) {
        s.passive = true;
        if (code === 229 && d.h === '::') d.h = s.respH;
        this.addExpected(s, { passive: true, origH: s.origH, respH: d.h, respP: d.p });
      }
    }
    if ((DIRECTORY_CMDS[cmdarg.cmd]?.includes(code) ?? false) && !cmdarg.cwdConsumed) {
      cmdarg.cwdConsumed = true;
      if (cmdarg.cmd === 'CWD') s.cwd = compressPath(buildPath(s.cwd, cmdarg.arg));
      else if (cmdarg.cmd === 'CDUP') s.cwd = compressPath(buildPath(s.cwd, '/..'));
      else s.cwd = extractPath(msg);
    }
    if (s.pending.size > 1) {
      s.pending.delete(cmdarg.seq);
      this.message();
    }
  }

  /** Set by the analyzer: AUTH TLS accepted. */
  startTls: (() => void) | undefined;
  confirm(): void { this.ctx.confirm('ftp'); }
  violation(reason: string, data: string): void { this.ctx.violation(reason, data); }
  weird(name: string, addl?: string): void { this.ctx.weird(name, addl); }

  /** finalize_ftp at connection removal. */
  finish(): void {
    const s = this.s;
    if (!s) return;
    for (const cmdarg of [...s.pending.values()]) {
      s.cmdarg = cmdarg;
      this.message();
    }
    if (s.user !== undefined && !s.logged_command_seen) this.write(s);
  }
}
