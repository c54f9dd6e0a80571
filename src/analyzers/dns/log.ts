// dns.log builder: Zeek's scripts/base/protocols/dns/main.zeek (sessions, query/reply pairing by
// transaction id, multicast handling, unmatched messages logged at connection removal).

import type { AnalyzerContext } from '../types.js';
import type { ZeekRecord } from '../../zeek/types.js';
import { dnsSchema } from '../../zeek/schemas/dns.js';
import { AnswerType, OP_NOTIFY, OP_QUERY, OP_UPDATE } from './parser.js';
import type { DnsAnswer, DnsEvents, DnsMsg, DnsRdata, QuestionKind } from './parser.js';

const MAX_PENDING_MSGS = 50;
/** Zeek's logging limits for the DNS stream (Log::default_max_field_container_elements / _string_bytes). */
const MAX_CONTAINER = 100;
const MAX_STRING = 4096;
function limitStrings(v: string[] | undefined): string[] | undefined {
  if (!v) return v;
  const a = v.length > MAX_CONTAINER ? v.slice(0, MAX_CONTAINER) : v;
  return a.some((x) => x.length > MAX_STRING) ? a.map((x) => (x.length > MAX_STRING ? x.slice(0, MAX_STRING) : x)) : a;
}
const MAX_PENDING_QUERY_IDS = 50;

const QUERY_TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS',
  12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 19: 'X25', 20: 'ISDN', 21: 'RT',
  22: 'NSAP', 23: 'NSAP-PTR', 24: 'SIG', 25: 'KEY', 26: 'PX', 27: 'GPOS', 28: 'AAAA', 29: 'LOC', 30: 'NXT',
  31: 'EID', 32: 'NIMLOC', 33: 'SRV', 34: 'ATMA', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 38: 'A6', 39: 'DNAME',
  40: 'SINK', 41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY',
  49: 'DHCID', 50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA', 53: 'SMIMEA', 55: 'HIP', 56: 'NINFO', 57: 'RKEY',
  58: 'TALINK', 59: 'CDS', 60: 'CDNSKEY', 61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB', 65: 'HTTPS',
  99: 'SPF', 100: 'UINFO', 101: 'UID', 102: 'GID', 103: 'UNSPEC', 104: 'NID', 105: 'L32', 106: 'L64', 107: 'LP',
  108: 'EUI48', 109: 'EUI64', 249: 'TKEY', 250: 'TSIG', 251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA',
  255: '*', 256: 'URI', 257: 'CAA', 32768: 'TA', 32769: 'DLV', 65281: 'WINS', 65282: 'WINS-R', 65422: 'XPF',
  65521: 'INTEGRITY',
};
export const queryTypeName = (n: number): string => QUERY_TYPES[n] ?? `query-${n}`;

const BASE_ERRORS: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN', 7: 'YXRRSET',
  8: 'NXRRSet', 9: 'NOTAUTH', 10: 'NOTZONE', 11: 'unassigned-11', 12: 'unassigned-12', 13: 'unassigned-13',
  14: 'unassigned-14', 15: 'unassigned-15', 16: 'BADVERS', 17: 'BADKEY', 18: 'BADTIME', 19: 'BADMODE',
  20: 'BADNAME', 21: 'BADALG', 22: 'BADTRUNC', 23: 'BADCOOKIE', 3842: 'BADSIG',
};
export const rcodeName = (n: number): string => BASE_ERRORS[n] ?? `rcode-${n}`;

const CLASSES: Record<number, string> = { 1: 'C_INTERNET', 2: 'C_CSNET', 3: 'C_CHAOS', 4: 'C_HESIOD', 254: 'C_NONE', 255: 'C_ANY' };
export const className = (n: number): string => CLASSES[n] ?? `qclass-${n}`;

const OPCODES: Record<number, string> = { 0: 'query', 1: 'iquery', 2: 'server-status', 4: 'notify', 5: 'dynamic-update', 6: 'dso' };
const NB_OPCODES: Record<number, string> = { 0: 'netbios-query', 5: 'netbios-registration', 6: 'netbios-release', 7: 'netbios-wack', 8: 'netbios-refresh' };

/** decode_netbios_name(): the 32-char encoded form → name, or '' when not a valid encoding. */
export function decodeNetbiosName(name: string): string {
  if (name.length !== 32) return '';
  const out: number[] = [];
  let length = 0;
  for (let i = 0; i < 16; i++) {
    let c0 = name.charCodeAt(2 * i), c1 = name.charCodeAt(2 * i + 1);
    if (c0 >= 0x61 && c0 <= 0x7a) c0 -= 32;
    if (c1 >= 0x61 && c1 <= 0x7a) c1 -= 32;
    if (c0 < 0x41 || c0 > 0x50 || c1 < 0x41 || c1 > 0x50) return '';
    const b = ((c0 - 0x41) << 4) + (c1 - 0x41);
    out.push(b);
    const alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    const punct = b >= 0x21 && b <= 0x7e && !alnum;
    if (alnum || punct || b === 0x20 || b < 3) length++;
    else break;
  }
  if (length === 16) length = 15;
  while (length > 0 && (out[length - 1] === 0x20 || out[length - 1] === 0)) length--;
  return String.fromCharCode(...out.slice(0, length));
}

interface Info {
  ts: number;
  origH: string; origP: number; respH: string; respP: number;
  proto: string;
  trans_id: number;
  rtt?: number;
  query?: string;
  qclass?: number; qclass_name?: string;
  qtype?: number; qtype_name?: string;
  rcode?: number; rcode_name?: string;
  AA: boolean; TC: boolean; RD: boolean; RA: boolean; Z: number;
  answers?: string[];
  TTLs?: number[];
  rejected: boolean;
  opcode?: number; opcode_name?: string;
  total_answers?: number;
  total_replies?: number;
  saw_query: boolean;
  saw_reply: boolean;
}

function isMulticast(a: string): boolean {
  if (a.includes(':')) return a.toLowerCase().startsWith('ff');
  const first = Number(a.slice(0, a.indexOf('.')));
  return first >= 224 && first <= 239;
}

export class DnsLog implements DnsEvents {
  private cur: Info | undefined;
  private pendingQuery: Info | undefined;
  private pendingQueries: Map<number, Info[]> | undefined;
  private pendingReplies: Map<number, Info[]> | undefined;
  private haveState = false;
  /** Roles were flipped and the framework could not do it: swap addresses ourselves. */
  private selfFlipped = false;
  readonly respMulticast: boolean;

  constructor(private readonly ctx: AnalyzerContext) {
    this.respMulticast = isMulticast(ctx.conn.respH);
  }

  /** True when this analyzer swaps directions itself (no framework support for flipping). */
  get flippedLocally(): boolean { return this.selfFlipped; }

  flip(): void {
    if (this.ctx.flipRoles) this.ctx.flipRoles();
    else this.selfFlipped = !this.selfFlipped;
  }

  private newSession(transId: number): Info {
    const c = this.ctx.conn;
    const f = this.selfFlipped;
    return {
      ts: this.ctx.now(),
      origH: f ? c.respH : c.origH, origP: f ? c.respP : c.origP,
      respH: f ? c.origH : c.respH, respP: f ? c.origP : c.respP,
      proto: c.proto === 'tcp' ? 'tcp' : 'udp',
      trans_id: transId,
      AA: false, TC: false, RD: false, RA: false, Z: 0, rejected: false, saw_query: false, saw_reply: false,
    };
  }

  private write(i: Info): void {
    const rec: ZeekRecord = {
      ts: i.ts, uid: this.ctx.conn.uid,
      'id.orig_h': i.origH, 'id.orig_p': i.origP, 'id.resp_h': i.respH, 'id.resp_p': i.respP,
      proto: i.proto, trans_id: i.trans_id, rtt: i.rtt, query: i.query,
      qclass: i.qclass, qclass_name: i.qclass_name, qtype: i.qtype, qtype_name: i.qtype_name,
      rcode: i.rcode, rcode_name: i.rcode_name,
      AA: i.AA, TC: i.TC, RD: i.RD, RA: i.RA, Z: i.Z,
      answers: limitStrings(i.answers), TTLs: i.TTLs && i.TTLs.length > MAX_CONTAINER ? i.TTLs.slice(0, MAX_CONTAINER) : i.TTLs,
      rejected: i.rejected, opcode: i.opcode, opcode_name: i.opcode_name,
    };
    this.ctx.write(dnsSchema, rec);
  }

  private logQueue(q: Info[]): void { for (const i of q) this.write(i); }
  private logAll(m: Map<number, Info[]>): void { for (const q of m.values()) this.logQueue(q); m.clear(); }

  private enqueue(m: Map<number, Info[]>, id: number, info: Info): void {
    let q = m.get(id);
    if (!q) {
      if (m.size > MAX_PENDING_QUERY_IDS) this.logAll(m);
      q = [];
      m.set(id, q);
    } else if (q.length > MAX_PENDING_MSGS) {
      this.logQueue(q);
      q = [];
      m.set(id, q);
    }
    q.push(info);
  }

  private pop(m: Map<number, Info[]>, id: number): Info {
    const q = m.get(id)!;
    const v = q.shift()!;
    if (q.length === 0) m.delete(id);
    return v;
  }

  message(_isQuery: boolean, msg: DnsMsg, _len: number): void {
    if (msg.opcode !== OP_QUERY && msg.opcode !== OP_UPDATE && msg.opcode !== OP_NOTIFY) return;
    this.setSession(msg, !msg.QR);
  }

  private setSession(msg: DnsMsg, isQuery: boolean): void {
    this.haveState = true;
    const id = msg.id;
    let cur: Info;
    if (this.respMulticast) {
      cur = this.newSession(id);
      cur.saw_query = true;
      cur.saw_reply = true;
    } else if (isQuery) {
      const pr = this.pendingReplies;
      if (pr && (pr.get(id)?.length ?? 0) > 0) cur = this.pop(pr, id);
      else {
        cur = this.newSession(id);
        if (!this.pendingQuery) this.pendingQuery = cur;
        else this.enqueue(this.pendingQueries ??= new Map(), id, cur);
      }
    } else {
      const pq = this.pendingQueries;
      if (this.pendingQuery && this.pendingQuery.trans_id === id) {
        cur = this.pendingQuery;
        this.pendingQuery = undefined;
        if (pq) {
          if ((pq.get(id)?.length ?? 0) > 0) this.pendingQuery = this.pop(pq, id);
          else {
            for (const [tid, q] of pq) {
              if (q.length > 0) { this.pendingQuery = this.pop(pq, tid); break; }
            }
          }
        }
      } else if (pq && (pq.get(id)?.length ?? 0) > 0) {
        cur = this.pop(pq, id);
      } else {
        cur = this.newSession(id);
        this.enqueue(this.pendingReplies ??= new Map(), id, cur);
      }
    }
    this.cur = cur;
    if (!isQuery) {
      cur.rcode = msg.rcode;
      cur.rcode_name = rcodeName(msg.rcode);
      if (cur.total_answers === undefined) cur.total_answers = msg.numAnswers;
      if (cur.total_replies === undefined) cur.total_replies = msg.numAnswers + msg.numAddl + msg.numAuth;
      if (msg.rcode !== 0 && msg.numQueries === 0) cur.rejected = true;
    }
    cur.opcode = msg.opcode;
    cur.opcode_name = msg.isNetbios ? (NB_OPCODES[msg.opcode] ?? `netbios-opcode-${msg.opcode}`)
      : (OPCODES[msg.opcode] ?? `opcode-${msg.opcode}`);
  }

  question(kind: QuestionKind, msg: DnsMsg, query: string, qtype: number, qclass: number, _original: string): void {
    if (msg.opcode !== OP_QUERY && msg.opcode !== OP_UPDATE && msg.opcode !== OP_NOTIFY) return;
    const cur = this.cur;
    if (!cur) return;
    if (kind === 'rejected') { cur.rejected = true; return; }
    if (kind !== 'request') return;
    cur.RD = msg.RD;
    cur.TC = msg.TC;
    cur.qclass = qclass;
    cur.qclass_name = className(qclass);
    cur.qtype = qtype;
    cur.qtype_name = queryTypeName(qtype);
    cur.Z = msg.Z;
    let q = query;
    if (cur.respP === 137 && cur.proto === 'udp') {
      const d = decodeNetbiosName(q);
      if (d.length !== 0) q = d;
      if (cur.qtype_name === 'SRV') cur.qtype_name = 'NBSTAT';
    }
    cur.query = q;
  }

  rr(msg: DnsMsg, ans: DnsAnswer, d: DnsRdata): void {
    const update = msg.opcode === OP_UPDATE && !msg.isNetbios;
    let reply: string;
    switch (d.t) {
      case 'A': case 'AAAA': case 'A6':
        reply = update ? `${d.t} ${ans.query} ${d.addr}` : d.addr;
        break;
      case 'NS': case 'CNAME': case 'PTR': reply = d.name; break;
      case 'MX': reply = d.name; break;
      case 'SOA': reply = d.mname; break;
      case 'WKS': reply = ''; break;
      case 'SRV': reply = d.target; break;
      case 'TXT': case 'SPF':
        reply = d.strs.map((s) => `${d.t} ${s.length} ${s}`).join(' ');
        break;
      case 'NAPTR': {
        let tmp = '';
        if (d.regexp.length > 0) tmp += d.regexp;
        if (d.replacement.length > 0) { if (tmp.length > 0) tmp += ' '; tmp += d.replacement; }
        reply = `NAPTR ${d.order} ${d.preference} ${d.flags} ${d.service} ${tmp}`;
        break;
      }
      case 'RRSIG': reply = `RRSIG ${d.typeCovered} ${d.signer === '' ? '<Root>' : d.signer}`; break;
      case 'DNSKEY': reply = `DNSKEY ${d.algorithm}`; break;
      case 'NSEC': reply = `NSEC ${ans.query} ${d.next}`; break;
      case 'NSEC3': reply = 'NSEC3'; break;
      case 'NSEC3PARAM': reply = 'NSEC3PARAM'; break;
      case 'DS': reply = `DS ${d.algorithm} ${d.digestType}`; break;
      case 'BINDS': reply = 'BIND9 signing signal'; break;
      case 'SSHFP': reply = `SSHFP: ${d.fingerprint.toString('hex')}`; break;
      case 'LOC': reply = `LOC:  ${d.size} ${d.horizPre} ${d.vertPre}`; break;
      case 'UNKNOWN': reply = `<unknown type=${ans.qtype}>`; break;
      case 'DU_PRE': {
        let what: string;
        if (ans.qclass === 254 && ans.qtype === 255) what = `NameNotInUse ${ans.query}`;
        else if (ans.qclass === 255 && ans.qtype === 255) what = `NameInUse ${ans.query}`;
        else if (ans.qclass === 254) what = `NoRRSet ${queryTypeName(ans.qtype)} ${ans.query}`;
        else what = `RRSetExists ${queryTypeName(ans.qtype)} ${ans.query}`;
        reply = `pre: ${what}`;
        break;
      }
      case 'DU_DEL': {
        let what: string;
        if (ans.qclass === 255 && ans.qtype === 255) what = `RRSet * ${ans.query}`;
        else if (ans.qclass === 254) what = `RR ${queryTypeName(ans.qtype)} ${ans.query}`;
        else what = `RRSet ${queryTypeName(ans.qtype)}`;
        reply = `del: ${what}`;
        break;
      }
    }
    this.doReply(msg, ans, reply);
  }

  private doReply(msg: DnsMsg, ans: DnsAnswer, reply: string): void {
    if (msg.opcode !== OP_QUERY && msg.opcode !== OP_UPDATE && msg.opcode !== OP_NOTIFY) return;
    if (!msg.QR) return;
    if (ans.answerType !== AnswerType.Answer && ans.answerType !== AnswerType.Prerequisites && ans.answerType !== AnswerType.Updates) return;
    const cur = this.cur;
    if (!cur) return;
    if (cur.query === undefined) cur.query = ans.query;
    cur.AA = msg.AA;
    cur.RA = msg.RA;
    if (cur.rtt === undefined) {
      const rtt = this.ctx.now() - cur.ts;
      if (rtt !== 0) cur.rtt = rtt;
    }
    if (reply !== '') {
      if (msg.opcode === OP_UPDATE && ans.answerType === AnswerType.Updates && !reply.startsWith('del:')) reply = `add: ${reply}`;
      (cur.answers ??= []).push(reply);
      (cur.TTLs ??= []).push(ans.ttl);
    }
  }

  end(msg: DnsMsg): void {
    const cur = this.cur;
    if (!cur) return;
    if (msg.QR) cur.saw_reply = true;
    else cur.saw_query = true;
    if (cur.saw_reply && cur.saw_query) {
      this.write(cur);
      this.cur = undefined;
    }
  }

  weird(name: string, addl?: string): void { this.ctx.weird(name, addl); }
  confirm(): void { this.ctx.confirm('dns'); }
  violation(reason: string): void { this.ctx.violation(reason); }

  /** Connection removal (finalize_dns): log every unmatched query and reply. */
  finish(): void {
    if (!this.haveState) return;
    if (this.pendingQuery) { this.write(this.pendingQuery); this.pendingQuery = undefined; }
    if (this.pendingQueries) this.logAll(this.pendingQueries);
    if (this.pendingReplies) this.logAll(this.pendingReplies);
  }
}
