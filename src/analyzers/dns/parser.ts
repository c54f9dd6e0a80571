// DNS message parser: bytes → typed events, in the order and under the conditions Zeek's DNS
// analyzer (src/analyzer/protocol/dns/DNS.cc) raises them. Knows nothing of logs.
// Every length from the wire is checked against the bytes present; names are bounded (512 bytes)
// and compression pointers must point backwards (depth ≤ 20), so hostile input cannot loop.

import { ipv4Text, ipv6Text } from './addr.js';

export const OP_QUERY = 0, OP_NOTIFY = 4, OP_UPDATE = 5;
const NETBIOS_PORT = 137;
const MAX_QUERIES = 25; // dns_max_queries
const MAX_COMPRESSION_DEPTH = 20; // dns_max_compression_chain_depth
const CLASS_ANY = 255, CLASS_NONE = 254;

export const enum AnswerType { Query = 0, Answer = 1, Authority = 2, Additional = 3, Prerequisites = 4, Updates = 5 }

export interface DnsMsg {
  id: number; opcode: number; rcode: number;
  QR: boolean; AA: boolean; TC: boolean; RD: boolean; RA: boolean; Z: number;
  numQueries: number; numAnswers: number; numAuth: number; numAddl: number;
  isNetbios: boolean;
}

export interface DnsAnswer {
  answerType: AnswerType;
  /** Owner name of the RR (downcased, trailing dot removed). */
  query: string;
  qtype: number;
  qclass: number;
  ttl: number;
}

export type DnsRdata =
  | { t: 'A' | 'AAAA' | 'A6'; addr: string }
  | { t: 'NS' | 'CNAME' | 'PTR'; name: string }
  | { t: 'SOA'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { t: 'MX'; name: string; preference: number }
  | { t: 'TXT' | 'SPF'; strs: string[] }
  | { t: 'SRV'; target: string; priority: number; weight: number; port: number }
  | { t: 'NAPTR'; order: number; preference: number; flags: string; service: string; regexp: string; replacement: string }
  | { t: 'RRSIG'; typeCovered: number; algorithm: number; labels: number; origTtl: number; keyTag: number; signer: string }
  | { t: 'DNSKEY'; flags: number; protocol: number; algorithm: number }
  | { t: 'NSEC'; next: string }
  | { t: 'NSEC3' | 'NSEC3PARAM' | 'WKS' }
  | { t: 'DS'; keyTag: number; algorithm: number; digestType: number }
  | { t: 'BINDS'; algorithm: number }
  | { t: 'SSHFP'; algo: number; fptype: number; fingerprint: Buffer }
  | { t: 'LOC'; version: number; size: number; horizPre: number; vertPre: number }
  | { t: 'UNKNOWN' }
  | { t: 'DU_PRE' | 'DU_DEL' };

export type QuestionKind = 'request' | 'rejected' | 'reply';

/** Zeek's DNS events, in Zeek's order for one message. */
export interface DnsEvents {
  /** dns_message; isQuery is the direction-derived flag after the first-message flip check. */
  message(isQuery: boolean, msg: DnsMsg, len: number): void;
  /** dns_request (QR=0), dns_rejected (QR=1 and no RRs), dns_query_reply (QR=1). */
  question(kind: QuestionKind, msg: DnsMsg, query: string, qtype: number, qclass: number, original: string): void;
  /** One resource record of the answer (or prerequisite/update) section. */
  rr(msg: DnsMsg, ans: DnsAnswer, data: DnsRdata): void;
  /** dns_end */
  end(msg: DnsMsg): void;
  weird(name: string, addl?: string): void;
  confirm(): void;
  violation(reason: string): void;
  /** First message is a reply seen from the originator: Zeek flips the connection's roles. */
  flip(): void;
}

/** Reusable name buffer (Zeek: u_char name[513]); parsing is synchronous, so one serves every parser. */
const NAME_MAX = 512;
const NAME_BUF = Buffer.alloc(NAME_MAX + 1);
const EMPTY = Buffer.alloc(0);

export class DnsInterpreter {
  private firstMessage = true;
  private readonly name = NAME_BUF;
  private namePos = 0;
  private nameLeft = 0;
  // cursor over the message being parsed
  private buf: Buffer = EMPTY;
  private msgStart = 0;
  private pos = 0;
  private len = 0;

  constructor(
    private readonly ev: DnsEvents,
    /** NetBIOS name service (either port 137). */
    readonly isNetbios: boolean,
    /** Responder port 137: long labels allowed, SRV is NBSTAT. */
    private readonly respIsNetbios: boolean,
    /** Responder address is multicast (no role flip). */
    private readonly respMulticast: boolean,
  ) {}

  /** is_query: 1 from the originator, 0 from the responder, 2 unknown (TCP flush). */
  parseMessage(data: Buffer, off: number, len: number, isQuery: number): void {
    const ev = this.ev;
    if (len < 12) { ev.weird('DNS_truncated_len_lt_hdr_len'); return; }
    const flags = data.readUInt16BE(off + 2);
    const opcode = (flags & 0x7800) >> 11;
    if (opcode !== OP_QUERY && opcode !== OP_UPDATE && !this.isNetbios && opcode !== OP_NOTIFY) {
      ev.weird('DNS_unknown_opcode', String(opcode));
      return;
    }
    const msg: DnsMsg = {
      id: data.readUInt16BE(off), opcode, rcode: flags & 0xf,
      QR: (flags & 0x8000) !== 0, AA: (flags & 0x0400) !== 0, TC: (flags & 0x0200) !== 0,
      RD: (flags & 0x0100) !== 0, RA: (flags & 0x0080) !== 0, Z: (flags & 0x0070) >> 4,
      numQueries: data.readUInt16BE(off + 4), numAnswers: data.readUInt16BE(off + 6),
      numAuth: data.readUInt16BE(off + 8), numAddl: data.readUInt16BE(off + 10),
      isNetbios: this.isNetbios,
    };
    let q = isQuery;
    if (this.firstMessage && msg.QR && q === 1) {
      q = 0;
      if (!this.respMulticast) ev.flip();
    }
    this.firstMessage = false;
    ev.message(q !== 0, msg, len);

    if (MAX_QUERIES > 0 && msg.numQueries > MAX_QUERIES) {
      ev.violation('DNS_Conn_count_too_large');
      ev.weird('DNS_Conn_count_too_large', `${msg.numQueries} > ${MAX_QUERIES}`);
      ev.end(msg);
      return;
    }
    this.buf = data;
    this.msgStart = off;
    this.pos = off + 12;
    this.len = len - 12;
    const isUpdate = opcode === OP_UPDATE && !this.isNetbios;
    if (isUpdate) {
      if (msg.numQueries !== 1) { ev.weird('DNS_DU_invalid_zone_count', String(msg.numQueries)); ev.end(msg); return; }
      const zone = this.answerHeader();
      if (!zone) { ev.end(msg); return; }
      if (zone.qtype !== 6) { ev.weird('DNS_DU_incorrect_zone_type'); return; }
      const zclass = zone.qclass;
      if (!this.answers(msg, msg.numAnswers, AnswerType.Prerequisites, zclass)) { ev.end(msg); return; }
      if (!this.answers(msg, msg.numAuth, AnswerType.Updates, zclass)) { ev.end(msg); return; }
    } else {
      let n = msg.numQueries;
      while (n > 0 && this.question(msg)) n--;
      if (n !== 0) { ev.end(msg); return; }
      if (!this.answers(msg, msg.numAnswers, AnswerType.Answer, 0)) { ev.end(msg); return; }
    }
    ev.confirm();
    // dns_skip_all_auth and dns_skip_all_addl are T by default: nothing more is parsed.
    ev.end(msg);
  }

  private u8(): number {
    if (this.len < 1) return 0;
    this.len--;
    return this.buf[this.pos++]!;
  }
  private u16(): number {
    if (this.len < 2) return 0;
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2; this.len -= 2;
    return v;
  }
  private u32(): number {
    if (this.len < 4) return 0;
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4; this.len -= 4;
    return v;
  }
  private skip(n: number): void {
    // Zeek advances by rdlength, which ParseAnswer checked against len.
    const k = Math.max(0, Math.min(n, this.len));
    this.pos += k; this.len -= k;
  }

  private question(msg: DnsMsg): boolean {
    const name = this.extractName(true);
    if (name === null) return false;
    if (this.len < 4) { this.ev.weird('DNS_truncated_quest_too_short'); return false; }
    const kind: QuestionKind = !msg.QR ? 'request'
      : (msg.numAnswers === 0 && msg.numAuth === 0 && msg.numAddl === 0 ? 'rejected' : 'reply');
    const qtype = this.u16();
    const qclass = this.u16();
    this.ev.question(kind, msg, name.toLowerCase(), qtype, qclass, name);
    return true;
  }

  private answerHeader(): { query: string; qtype: number; qclass: number } | null {
    const query = this.extractName(true);
    if (query === null) return null;
    if (this.len < 4) { this.ev.weird('DNS_truncated_ans_too_short'); return null; }
    const qtype = this.u16();
    const qclass = this.u16();
    return { query, qtype, qclass };
  }

  private answers(msg: DnsMsg, n: number, atype: AnswerType, zclass: number): boolean {
    while (n > 0 && this.answer(msg, atype, zclass)) n--;
    return n === 0;
  }

  private answer(msg: DnsMsg, atype: AnswerType, zclass: number): boolean {
    const ev = this.ev;
    const hdr = this.answerHeader();
    if (!hdr) return false;
    const ttl = this.u32();
    const rdlength = this.u16();
    if (rdlength > this.len) { ev.weird('DNS_truncated_RR_rdlength_lt_len'); return false; }
    const ans: DnsAnswer = { answerType: atype, query: hdr.query, qtype: hdr.qtype, qclass: hdr.qclass, ttl };
    const isUpdate = msg.opcode === OP_UPDATE && !msg.isNetbios;
    if (isUpdate) {
      if (atype === AnswerType.Updates) {
        if (hdr.qclass === CLASS_ANY && ttl === 0 && rdlength === 0) {
          ev.rr(msg, ans, { t: 'DU_DEL' });
          return true;
        } else if (!((hdr.qclass === CLASS_NONE && ttl === 0) || hdr.qclass === zclass)) {
          ev.weird('DNS_dynamic_update_invalid_update');
          return true;
        }
      } else if (atype === AnswerType.Prerequisites) {
        if (ttl !== 0) ev.weird('DNS_dynamic_update_prereq_nonzero_ttl', String(ttl | 0));
        else if (((hdr.qclass === CLASS_ANY || hdr.qclass === CLASS_NONE) && rdlength === 0) || hdr.qclass === zclass)
          ev.rr(msg, ans, { t: 'DU_PRE' });
        else ev.weird('DNS_dynamic_update_invalid_prereq');
        return true;
      }
    }
    if (rdlength === 0 && this.len > 0) {
      if (isUpdate) return true;
      ev.weird('DNS_zero_rdlength');
      return false;
    }
    const start = this.pos;
    switch (hdr.qtype) {
      case 1: { // A
        if (rdlength !== 4) { ev.weird('DNS_RR_bad_length'); return false; }
        const a = ipv4Text(this.buf, this.pos);
        this.skip(4);
        ev.rr(msg, ans, { t: 'A', addr: a });
        return true;
      }
      case 28: case 38: { // AAAA, A6: four longs, zeros where the data ran out
        const avail = Math.min(16, Math.floor(this.len / 4) * 4);
        const a = ipv6Text(this.buf, this.pos, avail);
        this.skip(avail);
        ev.rr(msg, ans, { t: hdr.qtype === 28 ? 'AAAA' : 'A6', addr: a });
        return true;
      }
      case 2: case 5: case 12: { // NS, CNAME, PTR
        const name = this.extractName(true);
        if (name === null) return false;
        if (this.pos - start !== rdlength) ev.weird('DNS_RR_length_mismatch');
        ev.rr(msg, ans, { t: hdr.qtype === 2 ? 'NS' : hdr.qtype === 5 ? 'CNAME' : 'PTR', name });
        return true;
      }
      case 6: { // SOA
        const mname = this.extractName(true);
        if (mname === null) return false;
        const rname = this.extractName(true);
        if (rname === null) return false;
        if (this.len < 20) return false;
        const serial = this.u32(), refresh = this.u32(), retry = this.u32(), expire = this.u32(), minimum = this.u32();
        if (this.pos - start !== rdlength) ev.weird('DNS_RR_length_mismatch');
        ev.rr(msg, ans, { t: 'SOA', mname, rname, serial, refresh, retry, expire, minimum });
        return true;
      }
      case 11: // WKS
        this.skip(rdlength);
        ev.rr(msg, ans, { t: 'WKS' });
        return true;
      case 13: // HINFO: no handler in Zeek's scripts, skipped
      case 257: // CAA: no handler in Zeek's scripts, skipped
        this.skip(rdlength);
        return true;
      case 15: { // MX
        const preference = this.u16();
        const name = this.extractName(true);
        if (name === null) return false;
        if (this.pos - start !== rdlength) ev.weird('DNS_RR_length_mismatch');
        ev.rr(msg, ans, { t: 'MX', name, preference });
        return true;
      }
      case 16: case 99: { // TXT, SPF
        let rd = rdlength;
        const strs: string[] = [];
        while (rd > 0) {
          const n = this.buf[this.pos]!;
          this.pos++; this.len--; rd--;
          if (n > rd) { ev.weird('DNS_TXT_char_str_past_rdlen'); break; }
          strs.push(this.buf.toString('latin1', this.pos, this.pos + n));
          this.pos += n; this.len -= n; rd -= n;
        }
        ev.rr(msg, ans, { t: hdr.qtype === 16 ? 'TXT' : 'SPF', strs });
        return rd === 0;
      }
      case 33: { // SRV (NBSTAT on NetBIOS: not parsed)
        if (this.respIsNetbios) return true;
        const priority = this.u16(), weight = this.u16(), port = this.u16();
        const target = this.extractName(true);
        if (target === null) return false;
        if (this.pos - start !== rdlength) ev.weird('DNS_RR_length_mismatch');
        ev.rr(msg, ans, { t: 'SRV', target, priority, weight, port });
        return true;
      }
      case 35: { // NAPTR
        const order = this.u16(), preference = this.u16();
        let rd = rdlength - 4;
        if (this.len <= 0 || rd <= 0) { ev.violation('DNS_NAPTR_too_short'); return false; }
        const cs = (): string | null => {
          if (rd <= 0) return null;
          const n = this.buf[this.pos]!;
          this.pos++; this.len--; rd--;
          if (n > rd) { ev.weird('DNS_TXT_char_str_past_rdlen'); return null; }
          const s = this.buf.toString('latin1', this.pos, this.pos + n);
          this.pos += n; this.len -= n; rd -= n;
          return s;
        };
        const flags = cs(), service = cs(), regexp = cs();
        const replacement = this.extractName(false);
        if (flags === null || service === null || regexp === null || replacement === null) {
          ev.violation('DNS_NAPTR_RR_too_short');
          return false;
        }
        ev.rr(msg, ans, { t: 'NAPTR', order, preference, flags, service, regexp, replacement });
        return true;
      }
      case 41: { // OPT (EDNS): only in the additional section, never reached (skipped)
        this.skip(rdlength);
        return true;
      }
      case 249: case 250: // TKEY, TSIG: additional section only
        this.skip(rdlength);
        return true;
      case 46: { // RRSIG
        if (this.len < 18) return false;
        const typeCovered = this.u16();
        const al = this.u16();
        const origTtl = this.u32();
        this.u32(); this.u32();
        const keyTag = this.u16();
        const s0 = this.pos;
        const signer = this.extractName(true);
        if (signer === null) return false;
        const sigLen = rdlength - ((this.pos - s0) + 18);
        this.skip(Math.max(0, sigLen));
        ev.rr(msg, ans, { t: 'RRSIG', typeCovered, algorithm: (al >> 8) & 0xff, labels: al & 0xff, origTtl, keyTag, signer });
        return true;
      }
      case 48: { // DNSKEY
        if (this.len < 4) return false;
        const flags = this.u16();
        const pa = this.u16();
        this.skip(Math.max(0, rdlength - 4));
        if ((pa >> 8) !== 3) ev.weird('DNSSEC_DNSKEY_Invalid_Protocol', String(pa >> 8));
        ev.rr(msg, ans, { t: 'DNSKEY', flags, protocol: (pa >> 8) & 0xff, algorithm: pa & 0xff });
        return true;
      }
      case 47: { // NSEC
        const next = this.extractName(true);
        if (next === null) return false;
        let bm = rdlength - (this.pos - start);
        while (bm > 0 && this.len > 0) {
          const bl = this.u16();
          const n = bl & 0xff;
          if (n === 0) { ev.weird('DNSSEC_NSEC_bitmapLen0', String((bl >> 8) & 0xff)); break; }
          this.skip(n);
          bm -= 2 + n;
        }
        ev.rr(msg, ans, { t: 'NSEC', next });
        return true;
      }
      case 50: { // NSEC3
        if (this.len < 6) return false;
        this.u16(); this.u16();
        const saltLen = this.len > 0 ? this.u8() : 0;
        this.skip(saltLen);
        const hashLen = this.len > 0 ? this.u8() : 0;
        this.skip(hashLen);
        let bm = rdlength - (this.pos - start);
        while (bm > 0 && this.len > 0) {
          const bl = this.u16();
          const n = bl & 0xff;
          if (n === 0) { ev.weird('DNSSEC_NSEC3_bitmapLen0', String((bl >> 8) & 0xff)); break; }
          this.skip(n);
          bm -= 2 + n;
        }
        ev.rr(msg, ans, { t: 'NSEC3' });
        return true;
      }
      case 51: { // NSEC3PARAM
        if (this.len < 5) return false;
        this.u16(); this.u16();
        const saltLen = this.len > 0 ? this.u8() : 0;
        this.skip(saltLen);
        ev.rr(msg, ans, { t: 'NSEC3PARAM' });
        return true;
      }
      case 43: { // DS
        if (this.len < 4) return false;
        const keyTag = this.u16();
        const ad = this.u16();
        this.skip(Math.max(0, rdlength - 4));
        ev.rr(msg, ans, { t: 'DS', keyTag, algorithm: (ad >> 8) & 0xff, digestType: ad & 0xff });
        return true;
      }
      case 65534: { // BINDS
        if (this.len < 5) return false;
        const v = this.u32();
        this.u8();
        ev.rr(msg, ans, { t: 'BINDS', algorithm: (v >>> 24) & 0xff });
        return true;
      }
      case 44: { // SSHFP
        if (this.len < 2) return false;
        const af = this.u16();
        const n = Math.max(0, Math.min(this.len, rdlength - 2));
        const fingerprint = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
        this.skip(n);
        ev.rr(msg, ans, { t: 'SSHFP', algo: (af >> 8) & 0xff, fptype: af & 0xff, fingerprint });
        return true;
      }
      case 29: { // LOC
        if (rdlength !== 16) { ev.weird('dns_invalid_loc_length'); return false; }
        const vs = this.u16(), hv = this.u16();
        this.u32(); this.u32(); this.u32();
        if ((vs >> 8) !== 0) ev.weird('DNS_LOC_version_unrecognized', String(vs >> 8));
        ev.rr(msg, ans, { t: 'LOC', version: vs >> 8, size: vs & 0xff, horizPre: hv >> 8, vertPre: hv & 0xff });
        return true;
      }
      case 64: case 65: { // SVCB, HTTPS: parsed by Zeek, no handler in its scripts
        if (rdlength < 3) return false;
        this.u16();
        const t = this.extractName(false);
        if (t === null) return false;
        this.skip(rdlength - (this.pos - start));
        return true;
      }
      default:
        ev.rr(msg, ans, { t: 'UNKNOWN' });
        ev.weird('DNS_RR_unknown_type', String(hdr.qtype));
        this.skip(rdlength);
        return true;
    }
  }

  /** ExtractName: a name at the cursor, or null on a parse error. */
  private extractName(downcase: boolean): string | null {
    this.namePos = 0;
    this.nameLeft = NAME_MAX;
    const ok = this.nameAt(downcase, 0);
    if (!ok) return null;
    const s = this.name.toString('latin1', 0, this.namePos);
    return s;
  }

  /**
   * Appends the labels at the cursor (or, for a pointer, at the pointed-to offset) to the name buffer;
   * a compression pointer recurses with its own bounded cursor (depth ≤ 20).
   */
  private nameAt(downcase: boolean, depth: number): boolean {
    if (depth > MAX_COMPRESSION_DEPTH) {
      this.ev.weird('DNS_max_compression_chain_depth_exceeded', String(depth));
      return true;
    }
    const startPos = this.namePos;
    for (;;) {
      const st = this.label(depth);
      if (st === 0) return false;
      if (st === 2) break;
    }
    const n = this.namePos - startPos;
    if (n >= 255) this.ev.weird('DNS_NAME_too_long');
    if (n >= 2 && this.name[this.namePos - 1] === 0x2e) { this.namePos--; this.nameLeft++; }
    if (downcase) {
      const nb = this.name;
      for (let i = startPos; i < this.namePos; i++) {
        const c = nb[i]!;
        if (c >= 0x41 && c <= 0x5a) nb[i] = c + 32;
      }
    }
    return true;
  }

  /** 0 parse error, 1 continue, 2 end of name. */
  private label(depth: number): number {
    if (this.len <= 0) { this.ev.weird('dns_invalid_name'); return 0; }
    const origPos = this.pos;
    const labelLen = this.buf[this.pos]!;
    this.pos++; this.len--;
    if (labelLen === 0) return 2;
    if ((labelLen & 0xc0) === 0xc0) {
      if (this.len <= 0) { this.ev.weird('dns_invalid_name'); return 0; }
      const offset = ((labelLen & 0x3f) << 8) | this.buf[this.pos]!;
      this.pos++; this.len--;
      if (offset >= origPos - this.msgStart) { this.ev.weird('DNS_label_forward_compress_offset'); return 0; }
      // Recurse over [msgStart+offset, origPos) with a saved cursor.
      const savePos = this.pos, saveLen = this.len;
      this.pos = this.msgStart + offset;
      this.len = origPos - this.pos;
      const ok = this.nameAt(true, depth + 1);
      this.pos = savePos; this.len = saveLen;
      return ok ? 2 : 0;
    }
    if (labelLen > this.len) {
      this.ev.weird('DNS_label_len_gt_pkt');
      this.pos += this.len; this.len = 0;
      return 0;
    }
    if (labelLen > 63 && !this.respIsNetbios) { this.ev.weird('DNS_label_too_long'); return 0; }
    if (labelLen >= this.nameLeft) { this.ev.weird('DNS_label_len_gt_name_len'); return 0; }
    const src = this.buf, dst = this.name, sp = this.pos, dp = this.namePos;
    for (let k = 0; k < labelLen; k++) dst[dp + k] = src[sp + k]!;
    dst[dp + labelLen] = 0x2e;
    this.namePos += labelLen + 1;
    this.nameLeft -= labelLen + 1;
    this.pos += labelLen; this.len -= labelLen;
    return 1;
  }
}

/** DNS over TCP: two-byte length framing per direction (Contents_DNS). */
export class DnsTcpFramer {
  private state = 0; // 0 len hi, 1 len lo, 2 message
  private size = 0;
  private n = 0;
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly interp: DnsInterpreter, private readonly isOrig: boolean) {}

  deliver(data: Buffer, off: number, len: number): void {
    const end = off + len;
    while (off < end) {
      if (this.state === 0) { this.size = data[off++]! << 8; this.state = 1; continue; }
      if (this.state === 1) {
        this.size |= data[off++]!;
        this.state = 2;
        this.n = 0;
        if (this.buf.length < this.size) this.buf = Buffer.alloc(this.size);
        if (this.size > 0) continue;
      }
      const take = Math.min(this.size - this.n, end - off);
      data.copy(this.buf, this.n, off, off + take);
      this.n += take;
      off += take;
      if (this.n < this.size) return;
      this.state = 0;
      this.interp.parseMessage(this.buf, 0, this.size, this.isOrig ? 1 : 0);
    }
  }

  flush(): void {
    if (this.state === 2 && this.n > 0) {
      this.interp.parseMessage(this.buf, 0, this.n, 2);
      this.n = 0;
      this.size = 0;
    }
  }
}
