import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { specs, SshSession, sshFingerprintSha256 } from '../../../src/analyzers/ssh/index.js';
import { sshLog } from '../../../src/zeek/schemas/ssh.js';
import { FakeCtx, fakeConn, runPcap, readBaseline, fmt, corpusDir } from '../ssl/harness.js';

function str(s: string): Buffer {
  const b = Buffer.alloc(4 + s.length);
  b.writeUInt32BE(s.length, 0);
  b.write(s, 4, 'latin1');
  return b;
}

/** An SSH2 binary packet around `payload` (msg type first), padded as a real implementation would. */
function packet(payload: Buffer): Buffer {
  const pad = 8 - ((payload.length + 5) % 8) + 4;
  const plen = payload.length + pad + 1;
  const b = Buffer.alloc(4 + plen);
  b.writeUInt32BE(plen, 0);
  b[4] = pad;
  payload.copy(b, 5);
  return b;
}

function kexinit(kex: string, hostKey: string, cipher: string, mac: string, comp: string): Buffer {
  return packet(
    Buffer.concat([Buffer.from([20]), Buffer.alloc(16, 7), str(kex), str(hostKey), str(cipher), str(cipher), str(mac), str(mac), str(comp), str(comp), str(''), str(''), Buffer.from([0, 0, 0, 0, 0])]),
  );
}

test('SSH2 handshake from byte literals: negotiation, host key fingerprint, auth success by sizes', () => {
  const ctx = new FakeCtx(fakeConn({ respP: 22, localOrig: true, localResp: false }));
  const s = new SshSession(ctx);
  const p = s.parser;
  // "SSH-2.0-OpenSSH_9.0\r\n" / server with a pre-banner line first
  p.deliver(false, Buffer.from('Welcome\r\nSSH-2.0-srv\r\n'), 0, 22);
  p.deliver(true, Buffer.from('SSH-2.0-cli\r\n'), 0, 13);
  const ck = kexinit('curve25519-sha256,ecdh-sha2-nistp256', 'ssh-ed25519,ssh-rsa', 'aes128-ctr,aes256-ctr', 'hmac-sha2-256', 'none');
  const sk = kexinit('ecdh-sha2-nistp256,curve25519-sha256', 'ssh-rsa,ssh-ed25519', 'aes256-ctr,aes128-ctr', 'hmac-sha1,hmac-sha2-256', 'none,zlib');
  p.deliver(true, ck, 0, ck.length);
  p.deliver(false, sk, 0, sk.length);
  const init = packet(Buffer.concat([Buffer.from([30]), str('Q'.repeat(32))]));
  p.deliver(true, init, 0, init.length);
  const hostKey = 'ssh-ed25519-key-blob';
  const reply = packet(Buffer.concat([Buffer.from([31]), str(hostKey), str('q'.repeat(32)), str('sig')]));
  const newkeys = packet(Buffer.from([21]));
  // NEWKEYS and the first encrypted bytes in one segment: 20 encrypted bytes are counted.
  const seg = Buffer.concat([reply, newkeys, Buffer.alloc(20)]);
  p.deliver(false, seg, 0, seg.length);
  p.deliver(true, newkeys, 0, newkeys.length);
  p.deliver(true, Buffer.alloc(64), 0, 64); // client encrypted
  p.deliver(false, Buffer.alloc(52), 0, 52); // service accept size (20 was before client data: ignored)
  p.deliver(false, Buffer.alloc(36), 0, 36); // 52 - 16: success via "none"
  assert.equal(ctx.written.length, 1, 'success is logged immediately');
  const r = ctx.written[0]!.rec;
  assert.equal(r.client, 'SSH-2.0-cli');
  assert.equal(r.server, 'SSH-2.0-srv');
  assert.equal(r.version, 2);
  assert.equal(r.kex_alg, 'curve25519-sha256');
  assert.equal(r.host_key_alg, 'ssh-ed25519');
  assert.equal(r.cipher_alg, 'aes128-ctr');
  assert.equal(r.mac_alg, 'hmac-sha2-256');
  assert.equal(r.compression_alg, 'none');
  assert.equal(r.auth_success, true);
  assert.equal(r.auth_attempts, 1);
  assert.equal(r.direction, 'OUTBOUND');
  const want = 'SHA256:' + createHash('sha256').update(hostKey).digest('base64').slice(0, 32);
  assert.equal(r.host_key_fingerprint, want);
  assert.equal(sshFingerprintSha256(Buffer.from(hostKey)).length, 39);
  assert.deepEqual(ctx.confirmed, ['ssh', 'ssh']);
  s.finish();
  assert.equal(ctx.written.length, 1, 'no double logging');
});

test('failed attempts are counted by repeated failure sizes and logged at removal', () => {
  const ctx = new FakeCtx(fakeConn({ respP: 22 }));
  const s = new SshSession(ctx);
  const p = s.parser;
  p.deliver(false, Buffer.from('SSH-2.0-srv\n'), 0, 12);
  p.deliver(true, Buffer.from('SSH-2.0-cli\n'), 0, 12);
  const k = kexinit('diffie-hellman-group14-sha1', 'ssh-rsa', 'aes128-ctr', 'hmac-sha1', 'none');
  p.deliver(true, k, 0, k.length);
  p.deliver(false, k, 0, k.length);
  const nk = packet(Buffer.from([21]));
  p.deliver(true, nk, 0, nk.length);
  p.deliver(false, nk, 0, nk.length);
  p.deliver(true, Buffer.alloc(48), 0, 48);
  p.deliver(false, Buffer.alloc(52), 0, 52); // service accept
  p.deliver(false, Buffer.alloc(100), 0, 100); // first failure (size learnt)
  p.deliver(false, Buffer.alloc(100), 0, 100); // attempt, failed
  p.deliver(false, Buffer.alloc(100), 0, 100); // attempt, failed
  assert.equal(ctx.written.length, 0);
  s.finish();
  const r = ctx.written[0]!.rec;
  assert.equal(r.auth_success, false);
  assert.equal(r.auth_attempts, 2);
  assert.equal(r.direction, undefined, 'local to local has no direction');
});

test('garbage and truncated packets never throw and end in a violation', () => {
  for (let seed = 1; seed < 200; seed++) {
    const ctx = new FakeCtx(fakeConn({ respP: 22 }));
    const s = new SshSession(ctx);
    s.parser.deliver(false, Buffer.from('SSH-2.0-x\r\n'), 0, 11);
    s.parser.deliver(true, Buffer.from('SSH-2.0-y\r\n'), 0, 11);
    const k = kexinit('curve25519-sha256', 'ssh-rsa', 'aes128-ctr', 'hmac-sha1', 'none');
    let x = seed;
    for (let i = 0; i < 6; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      k[x % k.length] = x >>> 24;
    }
    s.parser.deliver(true, k, 0, k.length);
    s.parser.deliver(false, k, 0, k.length);
    s.finish();
    assert.equal(ctx.written.length, 1);
  }
});

test('ssh.log matches Zeek baselines on the corpus (analyzer driven by the test harness)', () => {
  let total = 0, exact = 0;
  for (const cs of readdirSync(corpusDir + 'ssh')) {
    const dir = corpusDir + 'ssh/' + cs + '/';
    const meta = JSON.parse(readFileSync(dir + 'case.json', 'utf8')) as { pcap: string };
    const { written } = runPcap(dir + meta.pcap, { specs });
    const ours = written.filter((w) => w.path === 'ssh').map((w) => w.rec);
    for (const row of readBaseline(dir + 'ssh.log').rows) {
      total++;
      const i = ours.findIndex((o) => o['id.orig_h'] === row['id.orig_h'] && String(o['id.orig_p']) === row['id.orig_p'] && String(o['id.resp_p']) === row['id.resp_p']);
      if (i < 0) continue;
      const o = ours.splice(i, 1)[0]!;
      const same = sshLog.fields.every((f) => f.name === 'ts' || f.name === 'uid' || !(f.name in row) || fmt(o[f.name], f.type) === row[f.name]);
      if (same) exact++;
    }
  }
  assert.ok(total >= 40);
  assert.equal(exact, total);
});
