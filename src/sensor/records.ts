// conn.log and weird.log records from flow-layer state, as scripts/base/protocols/conn/main.zeek and
// scripts/base/frameworks/notice/weird.zeek build them.

import { type Conn, EpState, Transport } from '../flow/conn.js';
import type { ZeekRecord } from '../zeek/types.js';

const enum ZState { INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET }

function tcpConnState(c: Conn): string {
  const o = c.orig!, r = c.resp!;
  const os = o.state as number as ZState, rs = r.state as number as ZState;
  const oInactive = os === ZState.INACTIVE || os === ZState.PARTIAL;
  const rInactive = rs === ZState.INACTIVE || rs === ZState.PARTIAL;
  if (rs === ZState.RESET) {
    if (os === ZState.SYN_SENT || os === ZState.SYN_ACK_SENT || (os === ZState.RESET && o.size() === 0 && r.size() === 0)) return 'REJ';
    if (oInactive) return 'RSTRH';
    return 'RSTR';
  }
  if (os === ZState.RESET) {
    if (rInactive) {
      if (/^\^?S[^HAFGIQ]*R.*$/.test(c.history)) return 'RSTOS0';
      return 'OTH';
    }
    return 'RSTO';
  }
  if (rs === ZState.CLOSED && os === ZState.CLOSED) return 'SF';
  if (os === ZState.CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === ZState.CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === ZState.SYN_SENT && rs === ZState.INACTIVE) return 'S0';
  if (os === ZState.ESTABLISHED && rs === ZState.ESTABLISHED) return 'S1';
  return 'OTH';
}

export function connState(c: Conn): string {
  // conn_state() keys on get_port_transport_proto(resp_p): the connection's transport.
  if (c.transport === Transport.TCP) return tcpConnState(c);
  if (c.transport === Transport.UDP) {
    const oa = c.reqLen >= 0, ra = c.repLen >= 0;
    if (oa) return ra ? 'SF' : 'S0';
    return ra ? 'SHR' : 'OTH';
  }
  return 'OTH';
}

export function origSize(c: Conn): number {
  if (c.orig) return c.orig.size();
  return c.reqLen < 0 ? 0 : c.reqLen;
}

export function respSize(c: Conn): number {
  if (c.resp) return c.resp.size();
  return c.repLen < 0 ? 0 : c.repLen;
}

/** The conn.log record of a connection being removed. */
export function connRecord(c: Conn): ZeekRecord {
  const rec: ZeekRecord = {
    ts: c.startTime,
    uid: c.uid,
    'id.orig_h': c.origH,
    'id.orig_p': c.oPort,
    'id.resp_h': c.respH,
    'id.resp_p': c.rPort,
    proto: c.proto,
  };
  if (c.services.length) rec.service = c.services.join(',');
  const duration = c.lastTime - c.startTime;
  if (duration > 0) {
    rec.duration = duration;
    rec.orig_bytes = origSize(c);
    rec.resp_bytes = respSize(c);
  }
  rec.conn_state = connState(c);
  rec.local_orig = c.localOrig;
  rec.local_resp = c.localResp;
  rec.missed_bytes = c.missedBytes;
  if (c.history) rec.history = c.history;
  rec.orig_pkts = c.origPkts;
  rec.orig_ip_bytes = c.origIpBytes;
  rec.resp_pkts = c.respPkts;
  rec.resp_ip_bytes = c.respIpBytes;
  if (c.parentUids && c.parentUids.length) rec.tunnel_parents = c.parentUids;
  rec.ip_proto = c.ipProto;
  return rec;
}

/** A weird.log record: on a connection, on a flow (addresses, ports 0) or on the packet stream (neither). */
export function weirdRecord(ts: number, c: Conn | null, name: string, addl?: string, source?: string, src?: string, dst?: string): ZeekRecord {
  const rec: ZeekRecord = { ts, name, notice: false, peer: 'zeek' };
  if (!c && src !== undefined && dst !== undefined) {
    rec['id.orig_h'] = src;
    rec['id.orig_p'] = 0;
    rec['id.resp_h'] = dst;
    rec['id.resp_p'] = 0;
  }
  if (c) {
    rec.uid = c.uid;
    rec['id.orig_h'] = c.origH;
    rec['id.orig_p'] = c.oPort;
    rec['id.resp_h'] = c.respH;
    rec['id.resp_p'] = c.rPort;
  }
  if (addl) rec.addl = addl;
  if (source) rec.source = source;
  return rec;
}

export { EpState };
