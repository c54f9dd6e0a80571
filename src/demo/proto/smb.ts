// SMB2 over NetBIOS session service (TCP 445): NEGOTIATE and SESSION_SETUP carrying SPNEGO-wrapped NTLMSSP
// NEGOTIATE / CHALLENGE / AUTHENTICATE (MS-SMB2, MS-NLMP, RFC 4178). The final SESSION_SETUP response is
// STATUS_SUCCESS with negState accept-completed, or an SMB2 ERROR response with STATUS_LOGON_FAILURE.

import type { Rng } from '../../synth/rng.js';
import { ctx, oid, octets, seq, tlv } from './x509.js';

export const SMB2_NEGOTIATE = 0, SMB2_SESSION_SETUP = 1;
export const STATUS_SUCCESS = 0, STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016, STATUS_LOGON_FAILURE = 0xc000006d;

const SPNEGO_OID = '1.3.6.1.5.5.2';
const NTLMSSP_OID = '1.3.6.1.4.1.311.2.2.10';

/** NetBIOS session message: type 0, 24-bit length. */
export function nbss(msg: Buffer): Buffer {
  const h = Buffer.from([0, (msg.length >> 16) & 0xff, (msg.length >> 8) & 0xff, msg.length & 0xff]);
  return Buffer.concat([h, msg]);
}

export interface Smb2HeaderFields {
  command: number;
  messageId: number;
  response: boolean;
  status?: number;
  sessionId?: bigint;
  credits?: number;
}

/** The 64-byte SMB2 sync header. */
export function smb2Header(f: Smb2HeaderFields): Buffer {
  const h = Buffer.alloc(64);
  h.write('\xfeSMB', 0, 'latin1');
  h.writeUInt16LE(64, 4);
  h.writeUInt16LE(f.messageId === 0 ? 0 : 1, 6); // CreditCharge
  h.writeUInt32LE(f.status ?? 0, 8);
  h.writeUInt16LE(f.command, 12);
  h.writeUInt16LE(f.credits ?? (f.response ? 1 : 31), 14);
  h.writeUInt32LE(f.response ? 1 : 0, 16); // SMB2_FLAGS_SERVER_TO_REDIR
  h.writeUInt32LE(0, 20);
  h.writeBigUInt64LE(BigInt(f.messageId), 24);
  h.writeUInt32LE(f.response ? 0 : 0xfeff, 32);
  h.writeUInt32LE(0, 36);
  h.writeBigUInt64LE(f.sessionId ?? 0n, 40);
  return h;
}

const DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302];

export function negotiateRequest(rng: Rng): Buffer {
  const body = Buffer.alloc(36 + DIALECTS.length * 2);
  body.writeUInt16LE(36, 0);
  body.writeUInt16LE(DIALECTS.length, 2);
  body.writeUInt16LE(1, 4); // signing enabled
  body.writeUInt32LE(0x7f, 8); // capabilities
  rng.fill(body, 12, 16); // client GUID
  DIALECTS.forEach((d, i) => body.writeUInt16LE(d, 36 + i * 2));
  return nbss(Buffer.concat([smb2Header({ command: SMB2_NEGOTIATE, messageId: 0, response: false }), body]));
}

/** FILETIME (100 ns ticks since 1601) of a time in ms. */
export function filetime(ms: number): bigint {
  return BigInt(Math.round(ms)) * 10000n + 116444736000000000n;
}

export function negotiateResponse(rng: Rng, nowMs: number, serverGuid: Buffer): Buffer {
  const blob = spnegoInitFromServer();
  const body = Buffer.alloc(64 + blob.length);
  body.writeUInt16LE(65, 0);
  body.writeUInt16LE(1, 2); // signing enabled
  body.writeUInt16LE(0x0302, 4);
  serverGuid.copy(body, 8, 0, 16);
  body.writeUInt32LE(0x2f, 24);
  body.writeUInt32LE(8388608, 28);
  body.writeUInt32LE(8388608, 32);
  body.writeUInt32LE(8388608, 36);
  body.writeBigUInt64LE(filetime(nowMs), 40);
  body.writeBigUInt64LE(0n, 48);
  body.writeUInt16LE(128, 56); // security buffer offset (from the SMB2 header)
  body.writeUInt16LE(blob.length, 58);
  blob.copy(body, 64);
  void rng;
  return nbss(Buffer.concat([smb2Header({ command: SMB2_NEGOTIATE, messageId: 0, response: true }), body]));
}

export function sessionSetupRequest(messageId: number, sessionId: bigint, blob: Buffer): Buffer {
  const body = Buffer.alloc(24 + blob.length);
  body.writeUInt16LE(25, 0);
  body[2] = 0;
  body[3] = 1; // signing enabled
  body.writeUInt32LE(1, 4); // DFS
  body.writeUInt32LE(0, 8);
  body.writeUInt16LE(88, 12);
  body.writeUInt16LE(blob.length, 14);
  body.writeBigUInt64LE(0n, 16);
  blob.copy(body, 24);
  return nbss(Buffer.concat([smb2Header({ command: SMB2_SESSION_SETUP, messageId, response: false, sessionId }), body]));
}

export function sessionSetupResponse(messageId: number, sessionId: bigint, status: number, blob: Buffer): Buffer {
  const body = Buffer.alloc(8 + blob.length);
  body.writeUInt16LE(9, 0);
  body.writeUInt16LE(0, 2);
  body.writeUInt16LE(blob.length ? 72 : 0, 4);
  body.writeUInt16LE(blob.length, 6);
  blob.copy(body, 8);
  return nbss(Buffer.concat([smb2Header({ command: SMB2_SESSION_SETUP, messageId, response: true, status, sessionId }), body]));
}

/**
 * An SMB2 ERROR response (MS-SMB2 2.2.2), what a server sends for a failed SESSION_SETUP
 * (STATUS_LOGON_FAILURE): no security blob, so no SPNEGO verdict reaches the wire.
 */
export function errorResponse(command: number, messageId: number, sessionId: bigint, status: number): Buffer {
  const body = Buffer.alloc(9);
  body.writeUInt16LE(9, 0);
  return nbss(Buffer.concat([smb2Header({ command, messageId, response: true, status, sessionId }), body]));
}

// ---- SPNEGO ----

/** The server's negTokenInit in the NEGOTIATE response: GSS-API wrapper, SPNEGO OID, mechTypes [NTLMSSP]. */
export function spnegoInitFromServer(): Buffer {
  return tlv(0x60, Buffer.concat([oid(SPNEGO_OID), ctx(0, seq(ctx(0, seq(oid(NTLMSSP_OID)))))]));
}

/** The client's first token: negTokenInit with mechTypes [NTLMSSP] and mechToken = NTLMSSP NEGOTIATE. */
export function spnegoInit(mechToken: Buffer): Buffer {
  return tlv(0x60, Buffer.concat([
    oid(SPNEGO_OID),
    ctx(0, seq(ctx(0, seq(oid(NTLMSSP_OID))), ctx(2, octets(mechToken)))),
  ]));
}

/** negTokenResp: negState (0 accept-completed, 1 accept-incomplete, 2 reject), supportedMech, responseToken. */
export function spnegoResp(negState: number | undefined, responseToken?: Buffer, withMech = false): Buffer {
  const parts: Buffer[] = [];
  if (negState !== undefined) parts.push(ctx(0, tlv(0x0a, Buffer.from([negState]))));
  if (withMech) parts.push(ctx(1, oid(NTLMSSP_OID)));
  if (responseToken) parts.push(ctx(2, octets(responseToken)));
  return ctx(1, seq(...parts));
}

// ---- NTLMSSP ----

const SIG = Buffer.from('NTLMSSP\0', 'latin1');
const CLIENT_FLAGS = 0xe2088297; // UNICODE|OEM|REQUEST_TARGET|SIGN|NTLM|ALWAYS_SIGN|EXTENDED_SESSIONSECURITY|VERSION|128|KEY_EXCH|56
const SERVER_FLAGS = 0xe28a8215; // + TARGET_TYPE_DOMAIN|TARGET_INFO
const VERSION = Buffer.from([10, 0, 0x61, 0x4a, 0, 0, 0, 15]); // Windows 10.0 build 19041, NTLM revision 15

const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le');

function field(buf: Buffer, at: number, len: number, off: number): void {
  buf.writeUInt16LE(len, at);
  buf.writeUInt16LE(len, at + 2);
  buf.writeUInt32LE(off, at + 4);
}

export function ntlmNegotiate(): Buffer {
  const b = Buffer.alloc(40);
  SIG.copy(b, 0);
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(CLIENT_FLAGS, 12);
  field(b, 16, 0, 0);
  field(b, 24, 0, 0);
  VERSION.copy(b, 32);
  return b;
}

export interface NtlmServerNames {
  nbDomain: string;
  nbComputer: string;
  dnsDomain: string;
  dnsComputer: string;
  dnsTree: string;
}

function avPair(id: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(id, 0);
  h.writeUInt16LE(value.length, 2);
  return Buffer.concat([h, value]);
}

export function ntlmChallenge(rng: Rng, names: NtlmServerNames, nowMs: number): Buffer {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64LE(filetime(nowMs));
  const target = utf16(names.nbDomain);
  const info = Buffer.concat([
    avPair(2, utf16(names.nbDomain)),
    avPair(1, utf16(names.nbComputer)),
    avPair(4, utf16(names.dnsDomain)),
    avPair(3, utf16(names.dnsComputer)),
    avPair(5, utf16(names.dnsTree)),
    avPair(7, ts),
    avPair(0, Buffer.alloc(0)),
  ]);
  const b = Buffer.alloc(56);
  SIG.copy(b, 0);
  b.writeUInt32LE(2, 8);
  field(b, 12, target.length, 56);
  b.writeUInt32LE(SERVER_FLAGS, 20);
  rng.fill(b, 24, 8); // server challenge
  field(b, 40, info.length, 56 + target.length);
  VERSION.copy(b, 48);
  return Buffer.concat([b, target, info]);
}

export function ntlmAuthenticate(rng: Rng, domain: string, user: string, workstation: string): Buffer {
  const d = utf16(domain), u = utf16(user), w = utf16(workstation);
  const lm = Buffer.alloc(24);
  const nt = rng.fill(Buffer.alloc(16 + 28 + 8 * 4)); // NTProofStr + a short NTLMv2 blob
  const key = rng.fill(Buffer.alloc(16));
  const HDR = 88;
  const b = Buffer.alloc(HDR);
  SIG.copy(b, 0);
  b.writeUInt32LE(3, 8);
  let off = HDR;
  field(b, 28, d.length, off); off += d.length;
  field(b, 36, u.length, off); off += u.length;
  field(b, 44, w.length, off); off += w.length;
  field(b, 12, lm.length, off); off += lm.length;
  field(b, 20, nt.length, off); off += nt.length;
  field(b, 52, key.length, off);
  b.writeUInt32LE(CLIENT_FLAGS, 60);
  VERSION.copy(b, 64);
  rng.fill(b, 72, 16); // MIC
  return Buffer.concat([b, d, u, w, lm, nt, key]);
}

/**
 * The four SESSION_SETUP messages of one NTLM logon plus the NEGOTIATE exchange before them, as
 * [client, server] pairs in order.
 */
export function smbNtlmLogon(rng: Rng, o: {
  nowMs: number;
  serverGuid: Buffer;
  sessionId: bigint;
  names: NtlmServerNames;
  domain: string;
  user: string;
  workstation: string;
  success: boolean;
}): Array<[Buffer, Buffer]> {
  const challenge = ntlmChallenge(rng, o.names, o.nowMs);
  const auth = ntlmAuthenticate(rng, o.domain, o.user, o.workstation);
  return [
    [negotiateRequest(rng), negotiateResponse(rng, o.nowMs, o.serverGuid)],
    [
      sessionSetupRequest(1, 0n, spnegoInit(ntlmNegotiate())),
      sessionSetupResponse(1, o.sessionId, STATUS_MORE_PROCESSING_REQUIRED, spnegoResp(1, challenge, true)),
    ],
    [
      sessionSetupRequest(2, o.sessionId, spnegoResp(undefined, auth)),
      o.success
        ? sessionSetupResponse(2, o.sessionId, STATUS_SUCCESS, spnegoResp(0))
        : errorResponse(SMB2_SESSION_SETUP, 2, o.sessionId, STATUS_LOGON_FAILURE),
    ],
  ];
}
