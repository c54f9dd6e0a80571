// Capture filters: the BPF (pcap-filter(7)) subset wirehunt supports, compiled once into a tree of small
// closures over a DecodedPacket. Evaluation allocates nothing.
//
// Supported: host, net (CIDR `10.0.0.0/8`, `net 10.0.0.0 mask 255.0.0.0`, partial `net 192.168`), port,
// portrange, proto; the protocols ip, ip6, tcp, udp, icmp, icmp6 (alone, or as a qualifier: `tcp port 80`,
// `ip6 host ::1`, `ip proto 47`); src / dst / `src or dst` / `src and dst`; and/or/not (&&, ||, !) and
// parentheses. As in libpcap: `not` binds tightest, `and` and `or` have equal precedence and associate
// left to right (`a or b and c` is `(a or b) and c`), and an id without qualifiers after and/or/not takes
// the qualifiers of the previous primitive (`host 10.0.0.1 or 10.0.0.2`, `tcp port 80 or 443`).
// `port`/`portrange` match TCP or UDP (either direction unless src/dst), `host`/`net` match IPv4 or IPv6
// by the address written. Fields are those of the innermost decoded IP layer.

import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { UserError } from '../cli/types.js';
import { L3, type DecodedPacket } from '../decode/packet.js';

export type PacketPredicate = (p: DecodedPacket) => boolean;

type Proto = 'ip' | 'ip6' | 'tcp' | 'udp' | 'icmp' | 'icmp6';
type Dir = 'src' | 'dst' | 'src or dst' | 'src and dst';
type Kind = 'host' | 'net' | 'port' | 'portrange' | 'proto';

const PROTOS: ReadonlySet<string> = new Set(['ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6']);
const KINDS: ReadonlySet<string> = new Set(['host', 'net', 'port', 'portrange', 'proto']);
const UNSUPPORTED: ReadonlySet<string> = new Set([
  'ether', 'arp', 'rarp', 'sctp', 'vlan', 'mpls', 'pppoed', 'pppoes', 'gateway', 'broadcast', 'multicast',
  'less', 'greater', 'len', 'inbound', 'outbound', 'igmp', 'igrp', 'pim', 'vrrp', 'carp', 'ah', 'esp',
  'decnet', 'iso', 'atalk', 'aarp', 'ipx', 'netbeui', 'stp', 'wlan', 'type', 'subtype', 'geneve', 'llc',
]);
const IP_PROTO_NAMES: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmp6: 58, sctp: 132 };

interface Token { text: string; pos: number }

function syntax(tok: Token | undefined, expr: string, what: string): UserError {
  const at = tok ? tok.pos + 1 : expr.length + 1;
  const near = tok ? `'${tok.text}'` : 'end of filter';
  return new UserError(`capture filter: ${what} at column ${at} (${near}) in "${expr}"`);
}

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '(' || c === ')') { out.push({ text: c, pos: i }); i++; continue; }
    if (c === '!') { out.push({ text: 'not', pos: i }); i++; continue; }
    if ((c === '&' || c === '|') && expr[i + 1] === c) { out.push({ text: c === '&' ? 'and' : 'or', pos: i }); i += 2; continue; }
    if (/[A-Za-z0-9_.:/\-]/.test(c)) {
      const start = i;
      while (i < expr.length && /[A-Za-z0-9_.:/\-]/.test(expr[i]!)) i++;
      out.push({ text: expr.slice(start, i), pos: start });
      continue;
    }
    throw new UserError(`capture filter: unexpected character '${c}' at column ${i + 1} in "${expr}"`);
  }
  return out;
}

let services: Map<string, number> | undefined;
function serviceMap(): Map<string, number> {
  if (services) return services;
  services = new Map(Object.entries({
    echo: 7, discard: 9, daytime: 13, 'ftp-data': 20, ftp: 21, ssh: 22, telnet: 23, smtp: 25, time: 37, whois: 43,
    domain: 53, bootps: 67, bootpc: 68, tftp: 69, gopher: 70, finger: 79, http: 80, www: 80, kerberos: 88,
    pop3: 110, sunrpc: 111, auth: 113, nntp: 119, ntp: 123, 'netbios-ns': 137, 'netbios-dgm': 138,
    'netbios-ssn': 139, imap: 143, imap2: 143, snmp: 161, 'snmp-trap': 162, snmptrap: 162, bgp: 179, irc: 194,
    ldap: 389, https: 443, 'microsoft-ds': 445, isakmp: 500, syslog: 514, submission: 587, ldaps: 636,
    imaps: 993, pop3s: 995, socks: 1080, openvpn: 1194, 'ms-sql-s': 1433, radius: 1812, nfs: 2049, mysql: 3306,
    'ms-wbt-server': 3389, rdp: 3389, sip: 5060, postgresql: 5432, vnc: 5900, 'http-alt': 8080, 'webcache': 8080,
  }));
  try {
    // Like libpcap's getservbyname: the system's service names win where they exist.
    for (const line of readFileSync('/etc/services', 'latin1').split('\n')) {
      const m = /^([A-Za-z0-9][\w.+-]*)\s+(\d+)\/(tcp|udp)((?:\s+[\w.+-]+)*)/.exec(line);
      if (!m) continue;
      const port = Number(m[2]);
      for (const name of [m[1]!, ...(m[4] ?? '').trim().split(/\s+/).filter(Boolean)]) {
        if (!services.has(name)) services.set(name, port);
      }
    }
  } catch { /* no /etc/services: the built-in names are enough */ }
  return services;
}

interface Quals { proto?: Proto; dir?: Dir; kind?: Kind }

/** Parses "a.b.c.d" (or a prefix of it for `net`) into [value, bits]. */
function parseV4(text: string, allowPartial: boolean): [number, number] | undefined {
  const parts = text.split('.');
  if (parts.length > 4 || (!allowPartial && parts.length !== 4)) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = v * 256 + Number(p);
  }
  const bits = parts.length * 8;
  v = v * 2 ** (32 - bits);
  return [v >>> 0, bits];
}

function parseV6(text: string): Uint32Array | undefined {
  if (!isIPv6(text)) return undefined;
  let s = text;
  const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const v4 = parseV4(m[1]!, false)![0];
    s = s.slice(0, -m[1]!.length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const g = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((parseInt(g[2 * i]!, 16) << 16) | parseInt(g[2 * i + 1]!, 16)) >>> 0;
  return w;
}

function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

const V4 = L3.IPv4 as number;
const V6 = L3.IPv6 as number;

// --- predicate builders (every closure is allocation-free) ---

function v4Match(dir: Dir, value: number, mask: number): PacketPredicate {
  if (mask === 0xffffffff) {
    switch (dir) {
      case 'src': return (p) => p.l3 === V4 && p.src4 >>> 0 === value;
      case 'dst': return (p) => p.l3 === V4 && p.dst4 >>> 0 === value;
      case 'src and dst': return (p) => p.l3 === V4 && p.src4 >>> 0 === value && p.dst4 >>> 0 === value;
      default: return (p) => p.l3 === V4 && (p.src4 >>> 0 === value || p.dst4 >>> 0 === value);
    }
  }
  switch (dir) {
    case 'src': return (p) => p.l3 === V4 && (p.src4 & mask) >>> 0 === value;
    case 'dst': return (p) => p.l3 === V4 && (p.dst4 & mask) >>> 0 === value;
    case 'src and dst': return (p) => p.l3 === V4 && (p.src4 & mask) >>> 0 === value && (p.dst4 & mask) >>> 0 === value;
    default: return (p) => p.l3 === V4 && ((p.src4 & mask) >>> 0 === value || (p.dst4 & mask) >>> 0 === value);
  }
}

function v6Match(dir: Dir, addr: Uint32Array, bits: number): PacketPredicate {
  const m = new Uint32Array(4);
  const v = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const b = Math.max(0, Math.min(32, bits - 32 * i));
    m[i] = maskOf(b);
    v[i] = (addr[i]! & m[i]!) >>> 0;
  }
  const m0 = m[0]!, m1 = m[1]!, m2 = m[2]!, m3 = m[3]!;
  const v0 = v[0]!, v1 = v[1]!, v2 = v[2]!, v3 = v[3]!;
  const eq = (a: Uint32Array): boolean =>
    ((a[0]! & m0) >>> 0) === v0 && ((a[1]! & m1) >>> 0) === v1 && ((a[2]! & m2) >>> 0) === v2 && ((a[3]! & m3) >>> 0) === v3;
  switch (dir) {
    case 'src': return (p) => p.l3 === V6 && eq(p.src6);
    case 'dst': return (p) => p.l3 === V6 && eq(p.dst6);
    case 'src and dst': return (p) => p.l3 === V6 && eq(p.src6) && eq(p.dst6);
    default: return (p) => p.l3 === V6 && (eq(p.src6) || eq(p.dst6));
  }
}

function portMatch(proto: Proto | undefined, dir: Dir, lo: number, hi: number): PacketPredicate {
  const l3 = proto === 'ip' ? V4 : proto === 'ip6' ? V6 : 0;
  const tcp = proto !== 'udp';
  const udp = proto !== 'tcp';
  const transport = (p: DecodedPacket): boolean =>
    (l3 === 0 ? p.l3 !== L3.None : p.l3 === l3) && ((tcp && p.ipProto === 6) || (udp && p.ipProto === 17) || (!proto && p.ipProto === 132));
  switch (dir) {
    case 'src': return (p) => transport(p) && p.srcPort >= lo && p.srcPort <= hi;
    case 'dst': return (p) => transport(p) && p.dstPort >= lo && p.dstPort <= hi;
    case 'src and dst': return (p) => transport(p) && p.srcPort >= lo && p.srcPort <= hi && p.dstPort >= lo && p.dstPort <= hi;
    default: return (p) => transport(p) && ((p.srcPort >= lo && p.srcPort <= hi) || (p.dstPort >= lo && p.dstPort <= hi));
  }
}

function protoAlone(proto: Proto): PacketPredicate {
  switch (proto) {
    case 'ip': return (p) => p.l3 === V4;
    case 'ip6': return (p) => p.l3 === V6;
    case 'tcp': return (p) => p.l3 !== L3.None && p.ipProto === 6;
    case 'udp': return (p) => p.l3 !== L3.None && p.ipProto === 17;
    case 'icmp': return (p) => p.l3 === V4 && p.ipProto === 1;
    case 'icmp6': return (p) => p.l3 === V6 && p.ipProto === 58;
  }
}

class Parser {
  private i = 0;
  private last: Quals = {};
  constructor(private readonly toks: Token[], private readonly expr: string) {}

  private peek(k = 0): Token | undefined { return this.toks[this.i + k]; }
  private err(what: string, tok = this.peek()): UserError { return syntax(tok, this.expr, what); }

  parse(): PacketPredicate {
    if (!this.toks.length) return () => true;
    const f = this.expr_();
    if (this.i < this.toks.length) throw this.err(this.peek()!.text === ')' ? 'unbalanced parenthesis' : "expected 'and' or 'or'");
    return f;
  }

  private expr_(): PacketPredicate {
    let left = this.term();
    for (;;) {
      const t = this.peek()?.text;
      if (t !== 'and' && t !== 'or') return left;
      this.i++;
      const right = this.term();
      const l = left;
      left = t === 'and' ? (p) => l(p) && right(p) : (p) => l(p) || right(p);
    }
  }

  private term(): PacketPredicate {
    const tok = this.peek();
    if (!tok) throw this.err('expected a filter primitive');
    if (tok.text === 'not') {
      this.i++;
      const inner = this.term();
      return (p) => !inner(p);
    }
    if (tok.text === '(') {
      this.i++;
      const inner = this.expr_();
      if (this.peek()?.text !== ')') throw this.err("expected ')'");
      this.i++;
      return inner;
    }
    if (tok.text === ')') throw this.err('unexpected )');
    return this.primitive();
  }

  private primitive(): PacketPredicate {
    const q: Quals = {};
    const first = this.peek()!;
    let tok = first;
    const kw = (t: Token | undefined): string => (t ? t.text.toLowerCase() : '');
    if (UNSUPPORTED.has(kw(tok))) throw this.err(`'${tok.text}' is not supported by wirehunt's filter subset`);
    if (PROTOS.has(kw(tok))) {
      q.proto = kw(tok) as Proto;
      this.i++;
      tok = this.peek()!;
    }
    if (kw(tok) === 'src' || kw(tok) === 'dst') {
      q.dir = kw(tok) as Dir;
      this.i++;
      const a = this.peek(), b = this.peek(1);
      if ((kw(a) === 'or' || kw(a) === 'and') && (kw(b) === 'src' || kw(b) === 'dst') && kw(b) !== q.dir) {
        q.dir = kw(a) === 'or' ? 'src or dst' : 'src and dst';
        this.i += 2;
      }
      tok = this.peek()!;
    }
    if (tok && KINDS.has(kw(tok))) {
      q.kind = kw(tok) as Kind;
      this.i++;
      tok = this.peek()!;
    }
    const hasQual = q.proto !== undefined || q.dir !== undefined || q.kind !== undefined;
    // A protocol alone (`tcp`, `ip6`, …) is a primitive of its own.
    if (q.proto && !q.dir && !q.kind && !this.isId(this.peek())) return protoAlone(q.proto);
    if (!this.isId(tok)) throw this.err(hasQual ? 'expected an address, network, port or protocol' : 'expected a filter primitive');
    const id = tok!;
    this.i++;
    let quals: Quals;
    if (hasQual) {
      quals = q;
      this.last = q;
    } else if (this.last.kind || this.last.dir || this.last.proto) {
      quals = this.last; // libpcap: a bare id inherits the previous primitive's qualifiers
    } else {
      quals = {};
    }
    return this.build(quals, id);
  }

  private isId(t: Token | undefined): boolean {
    if (!t) return false;
    const k = t.text.toLowerCase();
    return t.text !== '(' && t.text !== ')' && k !== 'and' && k !== 'or' && k !== 'not' && !PROTOS.has(k) && !KINDS.has(k)
      && k !== 'src' && k !== 'dst' && k !== 'mask';
  }

  private port(t: Token, text = t.text): number {
    if (/^\d+$/.test(text)) {
      const n = Number(text);
      if (n > 65535) throw this.err('port number out of range', t);
      return n;
    }
    const s = serviceMap().get(text.toLowerCase());
    if (s === undefined) throw this.err(`unknown port name '${text}'`, t);
    return s;
  }

  private build(q: Quals, id: Token): PacketPredicate {
    const dir = q.dir ?? 'src or dst';
    const text = id.text;
    let kind = q.kind;
    if (!kind) {
      if (isIPv4(text) || isIPv6(text)) kind = 'host';
      else if (q.proto && /^\d+$/.test(text)) throw this.err(`a bare number needs 'port' or 'proto' in front of it`, id);
      else if (/^[\d.]+(\/\d+)?$/.test(text) || text.includes('/')) throw this.err(`use 'net' for a network`, id);
      else throw this.err(`unknown keyword or hostname (hostnames are not resolved; write an address)`, id);
    }
    if ((kind === 'host' || kind === 'net') && q.proto && q.proto !== 'ip' && q.proto !== 'ip6') {
      throw this.err(`'${q.proto}' cannot qualify '${kind}'`, id);
    }
    if ((kind === 'port' || kind === 'portrange') && (q.proto === 'icmp' || q.proto === 'icmp6')) {
      throw this.err(`'${q.proto}' has no ports`, id);
    }
    switch (kind) {
      case 'host': {
        if (isIPv4(text)) {
          if (q.proto === 'ip6') throw this.err("an IPv4 address with 'ip6'", id);
          return v4Match(dir, parseV4(text, false)![0], 0xffffffff);
        }
        const v6 = parseV6(text);
        if (v6) {
          if (q.proto === 'ip') throw this.err("an IPv6 address with 'ip'", id);
          return v6Match(dir, v6, 128);
        }
        throw this.err('expected an IPv4 or IPv6 address (hostnames are not resolved)', id);
      }
      case 'net': return this.net(q, dir, id);
      case 'port': return portMatch(q.proto, dir, this.port(id), this.port(id));
      case 'portrange': {
        const m = /^([^-]+)-([^-]+)$/.exec(text);
        if (!m) throw this.err("expected a port range like '1024-2048'", id);
        const a = this.port(id, m[1]), b = this.port(id, m[2]);
        return portMatch(q.proto, dir, Math.min(a, b), Math.max(a, b));
      }
      case 'proto': {
        if (q.dir) throw this.err("'src'/'dst' cannot qualify 'proto'", id);
        const n = /^\d+$/.test(text) ? Number(text) : IP_PROTO_NAMES[text.toLowerCase()];
        if (n === undefined || n > 255) throw this.err('expected a protocol number or name', id);
        const l3 = q.proto === 'ip' ? V4 : q.proto === 'ip6' ? V6 : 0;
        if (q.proto && l3 === 0) throw this.err(`'${q.proto}' cannot qualify 'proto'`, id);
        return l3 === 0 ? (p) => p.l3 !== L3.None && p.ipProto === n : (p) => p.l3 === l3 && p.ipProto === n;
      }
    }
  }

  private net(q: Quals, dir: Dir, id: Token): PacketPredicate {
    const text = id.text;
    if (this.peek()?.text.toLowerCase() === 'mask') {
      this.i++;
      const mt = this.peek();
      if (!mt || !isIPv4(mt.text) || !isIPv4(text)) throw this.err("'mask' needs an IPv4 network and an IPv4 mask", mt);
      this.i++;
      const mask = parseV4(mt.text, false)![0];
      const v = parseV4(text, false)![0];
      if ((v & ~mask) >>> 0 !== 0) throw this.err('non-network bits set in the network address', id);
      return v4Match(dir, v, mask);
    }
    const slash = text.indexOf('/');
    const addr = slash < 0 ? text : text.slice(0, slash);
    const lenText = slash < 0 ? undefined : text.slice(slash + 1);
    if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) throw this.err('expected a prefix length after /', id);
    const v4 = parseV4(addr, lenText === undefined);
    if (v4) {
      if (q.proto === 'ip6') throw this.err("an IPv4 network with 'ip6'", id);
      const bits = lenText === undefined ? v4[1] : Number(lenText);
      if (bits > 32) throw this.err('prefix length over 32', id);
      const mask = maskOf(bits);
      if ((v4[0] & ~mask) >>> 0 !== 0) throw this.err('non-network bits set in the network address', id);
      return v4Match(dir, v4[0], mask);
    }
    const v6 = parseV6(addr);
    if (v6) {
      if (q.proto === 'ip') throw this.err("an IPv6 network with 'ip'", id);
      const bits = lenText === undefined ? 128 : Number(lenText);
      if (bits > 128) throw this.err('prefix length over 128', id);
      for (let i = 0; i < 4; i++) {
        const m = maskOf(Math.max(0, Math.min(32, bits - 32 * i)));
        if ((v6[i]! & ~m) >>> 0 !== 0) throw this.err('non-network bits set in the network address', id);
      }
      return v6Match(dir, v6, bits);
    }
    throw this.err('expected a network (10.0.0.0/8, 10.0.0.0 mask 255.0.0.0, 10.1, 2001:db8::/32)', id);
  }
}

/**
 * Compiles a capture filter into a predicate over decoded packets. An empty expression matches
 * everything. A bad expression throws UserError naming the column.
 */
export function compileFilter(expr: string): PacketPredicate {
  return new Parser(tokenize(expr), expr).parse();
}
