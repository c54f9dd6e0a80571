// SSH-2 bytes (RFC 4253): version banners, KEXINIT, curve25519 ECDH init/reply, NEWKEYS, and the
// encrypted packets that follow, sized as chacha20-poly1305@openssh.com frames them (4-byte encrypted
// length, payload + padding aligned to 8, 16-byte tag). Zeek infers authentication results from those
// sizes: SERVICE_ACCEPT is 44 bytes, USERAUTH_SUCCESS 28 (16 less), USERAUTH_FAILURE a repeated size.

import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import type { Rng } from '../../synth/rng.js';

const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
/** An SSH `string`: uint32 length + bytes. */
export const sshString = (b: Buffer | string): Buffer => {
  const v = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
  return Buffer.concat([u32(v.length), v]);
};

/** An unencrypted binary packet: length, padding length, payload, padding (≥ 4, total multiple of 8). */
export function sshPacket(payload: Buffer, rng: Rng): Buffer {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  const padding = rng.fill(Buffer.alloc(pad));
  return Buffer.concat([u32(1 + payload.length + pad), Buffer.from([pad]), payload, padding]);
}

export const MSG_KEXINIT = 20, MSG_NEWKEYS = 21, MSG_KEX_ECDH_INIT = 30, MSG_KEX_ECDH_REPLY = 31;

export interface KexLists {
  kex: string;
  hostKey: string;
  ciphers: string;
  macs: string;
  compression: string;
}

export const CLIENT_KEX: KexLists = {
  kex: 'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,diffie-hellman-group16-sha512,diffie-hellman-group14-sha256',
  hostKey: 'ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256',
  ciphers: 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com',
  macs: 'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com',
  compression: 'none,zlib@openssh.com',
};

export const SERVER_KEX: KexLists = {
  kex: 'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group14-sha256',
  hostKey: 'rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519',
  ciphers: 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com',
  macs: 'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com',
  compression: 'none,zlib@openssh.com',
};

/** KEXINIT packet. */
export function kexInit(rng: Rng, l: KexLists): Buffer {
  const payload = Buffer.concat([
    Buffer.from([MSG_KEXINIT]),
    rng.fill(Buffer.alloc(16)),
    sshString(l.kex), sshString(l.hostKey),
    sshString(l.ciphers), sshString(l.ciphers),
    sshString(l.macs), sshString(l.macs),
    sshString(l.compression), sshString(l.compression),
    sshString(''), sshString(''),
    Buffer.from([0]), u32(0),
  ]);
  return sshPacket(payload, rng);
}

/** An Ed25519 host key derived from a 32-byte seed (RFC 8410 PKCS#8 wrapping). */
export function ed25519FromSeed(seed: Buffer): { key: KeyObject; pub: Buffer } {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return { key, pub: spki.subarray(spki.length - 32) };
}

/** The ssh-ed25519 public key blob (K_S) of a host key. */
export function ed25519Blob(pub: Buffer): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
}

/** SSH_MSG_KEX_ECDH_INIT with a 32-byte client ephemeral key. */
export function ecdhInit(rng: Rng): Buffer {
  return sshPacket(Buffer.concat([Buffer.from([MSG_KEX_ECDH_INIT]), sshString(rng.fill(Buffer.alloc(32)))]), rng);
}

/** SSH_MSG_KEX_ECDH_REPLY (host key blob, server ephemeral key, Ed25519 signature) followed by NEWKEYS. */
export function ecdhReplyAndNewKeys(rng: Rng, host: { key: KeyObject; pub: Buffer }): Buffer {
  const qs = rng.fill(Buffer.alloc(32));
  const exchangeHash = rng.fill(Buffer.alloc(32));
  const sig = sign(null, exchangeHash, host.key);
  const reply = Buffer.concat([
    Buffer.from([MSG_KEX_ECDH_REPLY]),
    sshString(ed25519Blob(host.pub)),
    sshString(qs),
    sshString(Buffer.concat([sshString('ssh-ed25519'), sshString(sig)])),
  ]);
  return Buffer.concat([sshPacket(reply, rng), newKeys(rng)]);
}

export function newKeys(rng: Rng): Buffer {
  return sshPacket(Buffer.from([MSG_NEWKEYS]), rng);
}

/** On-the-wire size of an encrypted chacha20-poly1305 packet carrying `payloadLen` bytes. */
export function encryptedSize(payloadLen: number): number {
  let inner = 1 + payloadLen + 4;
  inner = Math.ceil(inner / 8) * 8;
  return 4 + inner + 16;
}

/** Random bytes of the size of an encrypted packet carrying `payloadLen` bytes. */
export function encrypted(rng: Rng, payloadLen: number): Buffer {
  return rng.fill(Buffer.alloc(encryptedSize(payloadLen)));
}

/** Payload sizes of the user-authentication messages (RFC 4252), for `encrypted()`. */
export const AUTH_SIZES = {
  serviceRequest: 1 + 4 + 'ssh-userauth'.length,
  serviceAccept: 1 + 4 + 'ssh-userauth'.length,
  noneRequest: (user: string) => 1 + 4 + user.length + 4 + 'ssh-connection'.length + 4 + 'none'.length,
  passwordRequest: (user: string, password: string) => 1 + 4 + user.length + 4 + 'ssh-connection'.length + 4 + 'password'.length + 1 + 4 + password.length,
  failure: (methods: string) => 1 + 4 + methods.length + 1,
  success: 1,
};
