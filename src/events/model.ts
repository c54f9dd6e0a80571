// The event model: Zeek records → DeviceNetworkEvents rows, one per onboarded device taking part
// (originator's device: direction Out, LocalIP = id.orig_h; responder's: direction In,
// LocalIP = id.resp_h), as /work/shared/DESIGN.md "The event model" describes.
//
// AdditionalFields is JSON text: `direction` first, then the Zeek fields by Zeek's names in log order,
// values keeping their JSON types (counts as numbers, bools as true/false, sets and vectors as
// arrays), unset fields omitted; ts and the id.* 4-tuple live in their own columns. ReportId is a
// deterministic 53-bit hash of the row's content, so re-ingesting the same input changes nothing.

import type { LogSchema, ZeekRecord, ZeekValue } from '../zeek/types.js';
import { byteStringToText } from '../zeek/escape.js';
import type { Cell } from '../store/store.js';
import { hash53, hash53Tuple, mix53 } from './hash.js';
import { ipType, ipv4Type, isIPv6, isInsideV4, parseIPv4 } from './ip.js';
import type { Device, DeviceRegistry } from './devices.js';

/** DeviceNetworkEvents columns the model fills, in row order. */
export const DNE_COLUMNS = [
  'Timestamp', 'DeviceId', 'DeviceName', 'ActionType', 'RemoteIP', 'RemotePort', 'RemoteUrl', 'LocalIP', 'LocalPort',
  'Protocol', 'LocalIPType', 'RemoteIPType', 'ReportId', 'AdditionalFields',
] as const;

export const enum Col {
  Timestamp, DeviceId, DeviceName, ActionType, RemoteIP, RemotePort, RemoteUrl, LocalIP, LocalPort,
  Protocol, LocalIPType, RemoteIPType, ReportId, AdditionalFields,
}

/** Where rows go (a BatchWriter, or a queue in front of one). The row array is reused: copy it to keep it. */
export interface RowTarget {
  appendRow(cells: ArrayLike<Cell>): void;
}

export const ACTION_TYPES = {
  http: 'HttpConnectionInspected',
  ssh: 'SshConnectionInspected',
  ssl: 'SslConnectionInspected',
  dns: 'DnsConnectionInspected',
  ftp: 'FtpConnectionInspected',
  ntlm: 'NtlmAuthenticationInspected',
  icmp: 'IcmpConnectionInspected',
} as const;

/** The eight deprecated NetworkSignatureInspected signature names wirehunt can emit. */
export const LEGACY_SIGNATURES = ['SSH', 'FTP_Upload', 'FTP_Client', 'HTTP_Client', 'HTTP_Server', 'HTTP_RequestBodyParameters', 'HTTPS_Client', 'DNS_Request'] as const;

export interface EventModelOptions {
  /** Also emit the deprecated NetworkSignatureInspected rows. */
  legacySignatures?: boolean;
  /** Seconds added to every timestamp (--rebase-time). */
  shiftSeconds?: number;
}

export interface EventStats {
  records: number;
  rows: number;
  /** Records without a usable ts or 4-tuple. */
  skipped: number;
  /** Rows per ActionType. */
  byAction: Record<string, number>;
  /** Largest event time written (seconds, after the shift); NaN when none. */
  maxTs: number;
  minTs: number;
}

export const ID_FIELDS: ReadonlySet<string> = new Set(['ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p']);

/** conn.log fields kept for ICMP rows (DESIGN.md) and for the Connection* rows of TCP/UDP. */
export const ICMP_FIELDS: readonly string[] = ['uid', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'missed_bytes', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes'];
export const CONN_FIELDS: readonly string[] = ['uid', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes'];

interface Plan {
  /** Fields to render, in order. */
  fields: readonly string[];
  /** Whether to also render record keys not listed (protocol logs: yes; conn: no). */
  extras: boolean;
  exclude: Set<string>;
  /** Renders `fields` (the `"key":value` pairs, each after a comma): generated per plan, see fieldRenderer. */
  render: (rec: ZeekRecord) => string;
}

function makePlan(fields: readonly string[], extras: boolean, exclude: Set<string>): Plan {
  return { fields, extras, exclude, render: fieldRenderer(fields) };
}

/**
 * A function rendering the listed fields of a record, generated once per plan: each field is read
 * by its literal name and its `,"key":` prefix is a constant. Measured against a loop reading
 * `rec[k]` (a load site that goes megamorphic across a log's fields) and concatenating the prefix
 * per field. Field names enter the code only as JSON string literals. Output is identical to the loop.
 */
function fieldRenderer(fields: readonly string[]): (rec: ZeekRecord) => string {
  let body = "let out = '', v, j;\n";
  for (const k of fields) {
    body += `v = rec[${JSON.stringify(k)}]; if (v !== undefined && v !== null) { j = jv(v); if (j !== undefined) out += ${JSON.stringify(',"' + k + '":')} + j; }\n`;
  }
  return new Function('jv', `return function render(rec) {\n${body}return out;\n};`)(jsonValue) as (rec: ZeekRecord) => string;
}

function jsonValue(v: ZeekValue): string | undefined {
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      // Zeek's times and intervals have microsecond resolution (its ASCII logs print 6 decimals):
      // round so a record from the sensor and the same record read back from a log agree.
      return Number.isFinite(v) ? String(Number.isInteger(v) ? v : Math.round(v * 1e6) / 1e6) : undefined;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (!Array.isArray(v)) return undefined;
      let out = '[';
      for (let i = 0; i < v.length; i++) {
        const e = v[i];
        if (i) out += ',';
        out += typeof e === 'number' ? (Number.isFinite(e) ? String(Number.isInteger(e) ? e : Math.round(e * 1e6) / 1e6) : 'null') : jsonString(String(e));
      }
      return out + ']';
    }
    default:
      return undefined;
  }
}

export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34 || c === 92) return JSON.stringify(byteStringToText(s));
  }
  return '"' + s + '"';
}

/** `"key":value` pairs (comma-joined, no braces) for the record's fields under `plan`. */
function renderBody(rec: ZeekRecord, plan: Plan, extra?: Record<string, ZeekValue>): string {
  let out = plan.render(rec);
  if (plan.extras) {
    for (const k in rec) {
      if (plan.exclude.has(k)) continue;
      const v = rec[k];
      if (v === undefined || v === null) continue;
      const j = jsonValue(v);
      if (j === undefined) continue;
      out += ',' + jsonString(k) + ':' + j;
    }
  }
  if (extra) {
    for (const k in extra) {
      const v = extra[k];
      if (v === undefined || v === '' || rec[k] !== undefined) continue;
      const j = jsonValue(v);
      if (j !== undefined) out += ',' + jsonString(k) + ':' + j;
    }
  }
  return out;
}

function connActionOut(state: string, origPkts: number, respPkts: number): string {
  switch (state) {
    case 'REJ':
      return 'ConnectionFailed';
    case 'S0': case 'SH': case 'RSTOS0':
      return 'ConnectionAttempt';
    case 'SF': case 'S1': case 'S2': case 'S3': case 'RSTO': case 'RSTR':
      return 'ConnectionSuccess';
    default:
      return origPkts > 0 && respPkts > 0 ? 'ConnectionSuccess' : 'ConnectionAttempt';
  }
}

function protocolName(proto: ZeekValue, addr: string): string {
  switch (proto) {
    case 'tcp': return 'Tcp';
    case 'udp': return 'Udp';
    case 'icmp': return isIPv6(addr) ? 'Icmpv6' : 'Icmp';
    default: return typeof proto === 'string' && proto ? proto[0]!.toUpperCase() + proto.slice(1) : 'Tcp';
  }
}

const MAX_CERTS = 100_000;

function devHash(d: Device): number {
  let h = d.idHash;
  if (h === undefined) h = d.idHash = hash53(d.DeviceId);
  return h;
}

const actionHashes = new Map<string, number>();
function actionHash(a: string): number {
  let h = actionHashes.get(a);
  if (h === undefined) {
    h = hash53(a) & 0x3fffffff;
    actionHashes.set(a, h);
  }
  return h;
}

export class EventModel {
  readonly stats: EventStats = { records: 0, rows: 0, skipped: 0, byAction: {}, maxTs: NaN, minTs: NaN };
  private readonly row: Cell[] = new Array(DNE_COLUMNS.length).fill('');
  private readonly plans = new WeakMap<LogSchema, Plan>();
  private readonly certs = new Map<string, { subject: string; issuer: string }>();
  private readonly shiftMicros: number;
  private readonly legacy: boolean;

  constructor(readonly devices: DeviceRegistry, private readonly out: RowTarget, opts: EventModelOptions = {}) {
    this.shiftMicros = Math.round((opts.shiftSeconds ?? 0) * 1e6);
    this.legacy = !!opts.legacySignatures;
  }

  /** Per address: its IP type and onboarded device (one map lookup per address and record). */
  private readonly addrs = new Map<string, { type: string; dev: Device | undefined }>();

  /** Scratch results for addresses outside the cache (public IPv4: no allocation, no map). */
  private readonly scratchO = { type: '', dev: undefined as Device | undefined };
  private readonly scratchR = { type: '', dev: undefined as Device | undefined };

  /** An address's IP type and onboarded device, looked up (and discovered) as a record's rows do. */
  addressInfo(ip: string): { type: string; dev: Device | undefined } {
    const a = this.addr(ip, this.scratchO);
    return { type: a.type, dev: a.dev };
  }

  /** Whether dns records teach device names (off while records already learned from are written: sql-map.ts). */
  learnsFromDns = true;

  /** Microseconds --rebase-time adds to every timestamp. */
  get shift(): number {
    return this.shiftMicros;
  }

  private addr(ip: string, scratch: { type: string; dev: Device | undefined }): { type: string; dev: Device | undefined } {
    const n = parseIPv4(ip);
    if (n >= 0 && !isInsideV4(n)) {
      scratch.type = ipv4Type(n);
      scratch.dev = this.devices.lookupOutside(ip);
      return scratch;
    }
    let a = this.addrs.get(ip);
    if (a === undefined) {
      if (this.addrs.size >= 1 << 20) this.addrs.clear();
      a = { type: ipType(ip), dev: this.devices.lookup(ip) };
      this.addrs.set(ip, a);
    }
    return a;
  }

  private plan(schema: LogSchema): Plan {
    let p = this.plans.get(schema);
    if (p) return p;
    const exclude = new Set(ID_FIELDS);
    if (schema.path === 'ssh') exclude.add('direction'); // Zeek's own direction enum; ours replaces it
    if (schema.path === 'conn') {
      p = makePlan([], false, exclude);
    } else {
      const fields = schema.fields.map((f) => f.name).filter((n) => !exclude.has(n));
      for (const f of fields) exclude.add(f);
      p = makePlan(fields, true, exclude);
    }
    this.plans.set(schema, p);
    return p;
  }

  private static readonly icmpPlan: Plan = makePlan(ICMP_FIELDS, false, new Set());
  private static readonly connPlan: Plan = makePlan(CONN_FIELDS, false, new Set());

  /** The certificates learned from x509 records (fingerprint, subject, issuer), to hand to another model. */
  exportCerts(): [string, string, string][] {
    return [...this.certs].map(([fp, c]) => [fp, c.subject, c.issuer]);
  }

  importCerts(certs: readonly [string, string, string][]): void {
    for (const [fp, subject, issuer] of certs) this.certs.set(fp, { subject, issuer });
  }

  /** Maps one Zeek record (any log; logs without an ActionType only feed devices and certificates). */
  write(schema: LogSchema, rec: ZeekRecord): void {
    const path = schema.path;
    switch (path) {
      case 'conn': return this.conn(rec);
      case 'http': case 'ssh': case 'ssl': case 'dns': case 'ftp': case 'ntlm':
        if (path === 'dns' && this.learnsFromDns) this.learnFromDns(rec);
        return this.protocol(path, schema, rec);
      case 'x509': return this.x509(rec);
      case 'dhcp': return this.dhcp(rec);
      default:
        return;
    }
  }

  private x509(rec: ZeekRecord): void {
    const fp = rec.fingerprint;
    if (typeof fp !== 'string') return;
    const subject = rec['certificate.subject'];
    const issuer = rec['certificate.issuer'];
    if (this.certs.size >= MAX_CERTS) this.certs.clear();
    this.certs.set(fp, { subject: typeof subject === 'string' ? subject : '', issuer: typeof issuer === 'string' ? issuer : '' });
  }

  private dhcp(rec: ZeekRecord): void {
    const ip = (typeof rec.assigned_addr === 'string' && rec.assigned_addr) || (typeof rec.client_addr === 'string' && rec.client_addr) || '';
    if (!ip) return;
    const name = typeof rec.host_name === 'string' ? rec.host_name : typeof rec.client_fqdn === 'string' ? rec.client_fqdn : '';
    const domain = typeof rec.domain === 'string' ? rec.domain : '';
    // names are byte strings (UTF-8 bytes as latin1 chars): stored as text
    if (name) this.devices.learnName(ip, byteStringToText(name.includes('.') || !domain ? name : `${name}.${domain}`), 'dhcp');
    if (typeof rec.mac === 'string') this.devices.learnMac(ip, rec.mac);
  }

  /** Device names from a dns record's answers (PTR of an onboarded address, A/AAAA answers that are one). */
  learnFromDns(rec: ZeekRecord): void {
    const q = rec.query;
    const answers = rec.answers;
    if (typeof q !== 'string' || !Array.isArray(answers) || !answers.length) return;
    const qt = rec.qtype_name;
    if (qt === 'PTR' && q.endsWith('.in-addr.arpa')) {
      const parts = q.slice(0, -'.in-addr.arpa'.length).split('.');
      if (parts.length !== 4) return;
      const ip = parts.reverse().join('.');
      const name = answers.find((a) => typeof a === 'string' && /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(a));
      if (typeof name === 'string' && this.devices.get(ip)) this.devices.learnName(ip, byteStringToText(name), 'dns');
    } else if (qt === 'A' || qt === 'AAAA') {
      for (const a of answers) if (typeof a === 'string' && this.devices.get(a)) this.devices.learnName(a, byteStringToText(q), 'dns');
    }
  }

  private conn(rec: ZeekRecord): void {
    this.stats.records++;
    const proto = rec.proto;
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'icmp') {
      this.stats.skipped++;
      return;
    }
    const icmp = proto === 'icmp';
    const plan = icmp ? EventModel.icmpPlan : EventModel.connPlan;
    let outAction: string;
    let inAction: string;
    if (icmp) {
      outAction = inAction = ACTION_TYPES.icmp;
    } else {
      const state = typeof rec.conn_state === 'string' ? rec.conn_state : '';
      const op = typeof rec.orig_pkts === 'number' ? rec.orig_pkts : 0;
      const rp = typeof rec.resp_pkts === 'number' ? rec.resp_pkts : 0;
      outAction = connActionOut(state, op, rp);
      inAction = outAction === 'ConnectionSuccess' ? 'InboundConnectionAccepted' : outAction;
    }
    this.emit(rec, plan, outAction, inAction, protocolName(proto, String(rec['id.orig_h'] ?? '')), '', undefined);
  }

  private protocol(path: 'http' | 'ssh' | 'ssl' | 'dns' | 'ftp' | 'ntlm', schema: LogSchema, rec: ZeekRecord): void {
    this.stats.records++;
    const action = ACTION_TYPES[path];
    let url = '';
    let extra: Record<string, ZeekValue> | undefined;
    if (path === 'http') url = typeof rec.host === 'string' ? byteStringToText(rec.host) : '';
    else if (path === 'ssl') {
      url = typeof rec.server_name === 'string' ? byteStringToText(rec.server_name) : '';
      const chain = rec.cert_chain_fps;
      const cchain = rec.client_cert_chain_fps;
      const leaf = Array.isArray(chain) && chain.length ? this.certs.get(String(chain[0])) : undefined;
      const cleaf = Array.isArray(cchain) && cchain.length ? this.certs.get(String(cchain[0])) : undefined;
      if (leaf || cleaf) {
        extra = {
          subject: leaf?.subject,
          issuer: leaf?.issuer,
          client_subject: cleaf?.subject,
          client_issuer: cleaf?.issuer,
        };
      }
    }
    const proto = path === 'dns' ? rec.proto : 'tcp';
    this.emit(rec, this.plan(schema), action, action, protocolName(proto, String(rec['id.orig_h'] ?? '')), url, extra);
    if (this.legacy) this.legacyRows(path, rec);
  }

  private legacyRows(path: string, rec: ZeekRecord): void {
    const str = (v: ZeekValue) => (typeof v === 'string' ? v : v === undefined ? '' : String(v));
    const sig = (name: string, content: string, side: 'orig' | 'resp' | 'both') => {
      const body = ',"SignatureName":' + jsonString(name) + ',"SignatureMatchedContent":' + jsonString(content);
      this.emitBody(rec, body, side === 'resp' ? '' : 'NetworkSignatureInspected', side === 'orig' ? '' : 'NetworkSignatureInspected', 'Tcp', '');
    };
    switch (path) {
      case 'ssh':
        sig('SSH', str(rec.client) || str(rec.server), 'both');
        break;
      case 'ftp': {
        const cmd = str(rec.command);
        sig('FTP_Client', `${cmd} ${str(rec.arg)}`.trim(), 'orig');
        if (cmd === 'STOR' || cmd === 'STOU' || cmd === 'APPE') sig('FTP_Upload', `${cmd} ${str(rec.arg)}`.trim(), 'orig');
        break;
      }
      case 'http': {
        const line = `${str(rec.method)} ${str(rec.uri)}`.trim();
        sig('HTTP_Client', line, 'orig');
        sig('HTTP_Server', `${str(rec.status_code)} ${str(rec.status_msg)}`.trim(), 'resp');
        if (rec.method === 'POST' && typeof rec.request_body_len === 'number' && rec.request_body_len > 0) sig('HTTP_RequestBodyParameters', line, 'orig');
        break;
      }
      case 'ssl':
        sig('HTTPS_Client', str(rec.server_name), 'orig');
        break;
      case 'dns':
        if (rec.query !== undefined) sig('DNS_Request', str(rec.query), 'orig');
        break;
    }
  }

  private emit(rec: ZeekRecord, plan: Plan, outAction: string, inAction: string, protocol: string, url: string, extra: Record<string, ZeekValue> | undefined): void {
    this.emitBody(rec, renderBody(rec, plan, extra), outAction, inAction, protocol, url);
  }

  /** Writes the Out row (originator's device) and the In row (responder's device) of one record. */
  private emitBody(rec: ZeekRecord, body: string, outAction: string, inAction: string, protocol: string, url: string): void {
    const ts = rec.ts;
    const oh = rec['id.orig_h'];
    const rh = rec['id.resp_h'];
    if (typeof ts !== 'number' || !Number.isFinite(ts) || typeof oh !== 'string' || typeof rh !== 'string') {
      this.stats.skipped++;
      return;
    }
    const op = typeof rec['id.orig_p'] === 'number' ? (rec['id.orig_p'] as number) : null;
    const rp = typeof rec['id.resp_p'] === 'number' ? (rec['id.resp_p'] as number) : null;
    const micros = Math.round(ts * 1e6) + this.shiftMicros;
    const bodyHash = hash53(body);
    const oa = this.addr(oh, this.scratchO);
    const ra = this.addr(rh, this.scratchR);
    const od = outAction ? oa.dev : undefined;
    const rd = inAction ? ra.dev : undefined;
    if (!od && !rd) return;
    const row = this.row;
    row[Col.Timestamp] = micros;
    row[Col.Protocol] = protocol;
    const oType = oa.type;
    const rType = ra.type;
    // ReportId: the record's content (AdditionalFields body, 4-tuple, time) mixed with the row's
    // device, action and direction. Independent of --rebase-time.
    const recHash2 = mix53(mix53(bodyHash, hash53Tuple(oh, op, rh, rp), 0), micros - this.shiftMicros, 0);
    if (od) {
      row[Col.DeviceId] = od.DeviceId;
      row[Col.DeviceName] = od.DeviceName;
      row[Col.ActionType] = outAction;
      row[Col.LocalIP] = oh;
      row[Col.LocalPort] = op;
      row[Col.RemoteIP] = rh;
      row[Col.RemotePort] = rp;
      row[Col.RemoteUrl] = url;
      row[Col.LocalIPType] = oType;
      row[Col.RemoteIPType] = rType;
      row[Col.AdditionalFields] = '{"direction":"Out"' + body + '}';
      row[Col.ReportId] = mix53(recHash2, devHash(od), actionHash(outAction) * 2);
      this.put(outAction, micros);
    }
    if (rd) {
      row[Col.DeviceId] = rd.DeviceId;
      row[Col.DeviceName] = rd.DeviceName;
      row[Col.ActionType] = inAction;
      row[Col.LocalIP] = rh;
      row[Col.LocalPort] = rp;
      row[Col.RemoteIP] = oh;
      row[Col.RemotePort] = op;
      row[Col.RemoteUrl] = '';
      row[Col.LocalIPType] = rType;
      row[Col.RemoteIPType] = oType;
      row[Col.AdditionalFields] = '{"direction":"In"' + body + '}';
      row[Col.ReportId] = mix53(recHash2, devHash(rd), actionHash(inAction) * 2 + 1);
      this.put(inAction, micros);
    }
  }

  private put(action: string, micros: number): void {
    this.out.appendRow(this.row);
    const s = this.stats;
    s.rows++;
    s.byAction[action] = (s.byAction[action] ?? 0) + 1;
    const t = micros / 1e6;
    if (!(t <= s.maxTs)) s.maxTs = t;
    if (!(t >= s.minTs)) s.minTs = t;
  }
}
