// TLS 1.2 records of a full ECDHE-RSA handshake (RFC 5246, RFC 8422): ClientHello with SNI, ServerHello,
// Certificate, ServerKeyExchange, ServerHelloDone, ClientKeyExchange, ChangeCipherSpec, encrypted Finished
// and application data. Random-looking fields come from the caller's PRNG.

import type { Rng } from '../../synth/rng.js';

export const CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23;
export const TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f;

const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u24 = (n: number): Buffer => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const vec8 = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length]), b]);
const vec16 = (b: Buffer): Buffer => Buffer.concat([u16(b.length), b]);
const vec24 = (b: Buffer): Buffer => Buffer.concat([u24(b.length), b]);
const rand = (rng: Rng, n: number): Buffer => rng.fill(Buffer.alloc(n));

/** One TLS record. */
export function record(type: number, body: Buffer, version = 0x0303): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(version), vec16(body)]);
}

/** A handshake message (type, 24-bit length, body). */
export function handshake(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), vec24(body)]);
}

function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vec16(data)]);
}

const CLIENT_SUITES = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];

/** ClientHello record (record version 0x0301 as real clients send it). */
export function clientHello(rng: Rng, serverName: string): Buffer {
  const suites = Buffer.concat(CLIENT_SUITES.map(u16));
  const sni = Buffer.from(serverName, 'latin1');
  const exts = Buffer.concat([
    ext(0x0000, vec16(Buffer.concat([Buffer.from([0]), vec16(sni)]))),
    ext(0x0017, Buffer.alloc(0)), // extended_master_secret
    ext(0xff01, Buffer.from([0])), // renegotiation_info
    ext(0x000a, vec16(Buffer.concat([u16(0x001d), u16(0x0017), u16(0x0018)]))), // supported_groups
    ext(0x000b, vec8(Buffer.from([0]))), // ec_point_formats: uncompressed
    ext(0x0023, Buffer.alloc(0)), // session_ticket
    ext(0x0010, vec16(Buffer.concat([vec8(Buffer.from('h2')), vec8(Buffer.from('http/1.1'))]))), // ALPN
    ext(0x000d, vec16(Buffer.concat([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601].map(u16)))),
  ]);
  const body = Buffer.concat([
    u16(0x0303), rand(rng, 32), vec8(rand(rng, 32)), vec16(suites), vec8(Buffer.from([0])), vec16(exts),
  ]);
  return record(CT_HANDSHAKE, handshake(1, body), 0x0301);
}

/**
 * The server's first flight as separate records: ServerHello (ECDHE_RSA AES128-GCM), Certificate (the
 * given DER chain, leaf first), ServerKeyExchange (x25519 key, RSA-SHA256 signature bytes) and
 * ServerHelloDone.
 */
export function serverFlight(rng: Rng, chain: readonly Buffer[]): Buffer {
  const exts = Buffer.concat([
    ext(0xff01, Buffer.from([0])),
    ext(0x000b, vec8(Buffer.from([0]))),
    ext(0x0017, Buffer.alloc(0)),
    ext(0x0010, vec16(vec8(Buffer.from('http/1.1')))),
  ]);
  const sh = Buffer.concat([u16(0x0303), rand(rng, 32), vec8(rand(rng, 32)), u16(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), Buffer.from([0]), vec16(exts)]);
  const certs = vec24(Buffer.concat(chain.map(vec24)));
  const ske = Buffer.concat([Buffer.from([3]), u16(0x001d), vec8(rand(rng, 32)), u16(0x0401), vec16(rand(rng, 256))]);
  return Buffer.concat([
    record(CT_HANDSHAKE, handshake(2, sh)),
    record(CT_HANDSHAKE, handshake(11, certs)),
    record(CT_HANDSHAKE, handshake(12, ske)),
    record(CT_HANDSHAKE, handshake(14, Buffer.alloc(0))),
  ]);
}

/** ClientKeyExchange (x25519 public key), ChangeCipherSpec and the encrypted Finished (40 bytes). */
export function clientFinish(rng: Rng): Buffer {
  return Buffer.concat([
    record(CT_HANDSHAKE, handshake(16, vec8(rand(rng, 32)))),
    record(CT_CCS, Buffer.from([1])),
    record(CT_HANDSHAKE, rand(rng, 40)),
  ]);
}

/** The server's ChangeCipherSpec and encrypted Finished. */
export function serverFinish(rng: Rng): Buffer {
  return Buffer.concat([record(CT_CCS, Buffer.from([1])), record(CT_HANDSHAKE, rand(rng, 40))]);
}

/** Encrypted application data of `plainLen` bytes (AES-GCM: 8-byte explicit nonce + 16-byte tag), in ≤16 KiB records. */
export function appData(rng: Rng, plainLen: number): Buffer {
  const out: Buffer[] = [];
  for (let left = plainLen; left > 0; ) {
    const n = Math.min(16384, left);
    out.push(record(CT_APPDATA, rand(rng, n + 24)));
    left -= n;
  }
  return Buffer.concat(out);
}
