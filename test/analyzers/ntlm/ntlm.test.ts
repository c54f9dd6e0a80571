import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { NtlmSession, parseNtlm, utf16ToZeekString, ntlmFromHttpAuthorization } from '../../../src/analyzers/ntlm/index.js';
import { specs as dceSpecs } from '../../../src/analyzers/dcerpc/index.js';
import { specs as ldapSpecs } from '../../../src/analyzers/ldap/index.js';
import { SmbAnalyzer } from '../../../src/analyzers/smb/index.js';
import { ntlmLog } from '../../../src/zeek/schemas/ntlm.js';
import { FakeCtx, fakeConn, runPcap, readBaseline, fmt, corpusDir } from '../ssl/harness.js';

const u16 = (n: number) => Buffer.from([n & 255, n >> 8]);
const u32 = (n: number) => Buffer.from([n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24]);
const utf16 = (s: string) => Buffer.from(s, 'utf16le');
const fld = (len: number, off: number) => Buffer.concat([u16(len), u16(len), u32(off)]);
const SIG = Buffer.from('NTLMSSP\0', 'latin1');

/** CHALLENGE with target info (NB computer name, DNS computer name, tree name) and an EOL pair. */
function challenge(withEol = true): Buffer {
  const av = (id: number, v: Buffer) => Buffer.concat([u16(id), u16(v.length), v]);
  const info = Buffer.concat([av(1, utf16('SRV1')), av(3, utf16('srv1.corp.test')), av(5, utf16('corp.test')), withEol ? av(0, Buffer.alloc(0)) : Buffer.alloc(0)]);
  // 8 sig + 4 type + 8 target name + 4 flags + 8 challenge + 8 reserved + 8 target info = 48
  return Buffer.concat([SIG, u32(2), fld(0, 48), u32(0x00800001), Buffer.alloc(16), fld(info.length, 48), info]);
}

/** AUTHENTICATE with domain, user, workstation (UTF-16LE) after the 64-byte header. */
function authenticate(domain: string, user: string, ws: string): Buffer {
  const d = utf16(domain), u = utf16(user), w = utf16(ws);
  const base = 64;
  return Buffer.concat([SIG, u32(3), fld(0, base), fld(0, base), fld(d.length, base), fld(u.length, base + d.length), fld(w.length, base + d.length + u.length), fld(0, base), u32(0x1), d, u, w]);
}

test('NTLM messages from byte literals: challenge AV pairs and authenticate names', () => {
  const c = parseNtlm(challenge());
  assert.equal(c.type, 'challenge');
  if (c.type === 'challenge') {
    assert.equal(c.targetInfo?.nbComputerName, 'SRV1');
    assert.equal(c.targetInfo?.dnsComputerName, 'srv1.corp.test');
    assert.equal(c.targetInfo?.dnsTreeName, 'corp.test');
    assert.equal(c.avUnderflow, false);
  }
  const u = parseNtlm(challenge(false));
  assert.equal(u.type === 'challenge' && u.avUnderflow, true, 'unterminated sequence underflows');
  const a = parseNtlm(authenticate('CORP', 'alice', 'WS-7'));
  assert.deepEqual(a, { type: 'authenticate', flags: 1, domainName: 'CORP', userName: 'alice', workstation: 'WS-7' });
  // a string pointing outside the payload fails the whole message, as in Zeek
  const bad = authenticate('CORP', 'alice', 'WS-7');
  bad.writeUInt32LE(5000, 12 + 3 * 8 + 4);
  assert.throws(() => parseNtlm(bad));
});

test('utf16 conversion: odd length keeps the last byte, NUL ends the string, lone high surrogate at end → raw', () => {
  assert.equal(utf16ToZeekString(Buffer.from([0x41, 0, 0x42])), 'AB');
  assert.equal(utf16ToZeekString(Buffer.from([0x41, 0, 0, 0, 0x42, 0])), 'A');
  assert.equal(utf16ToZeekString(Buffer.from([0xe9, 0])), '\u00c3\u00a9');
  assert.equal(utf16ToZeekString(Buffer.from([0x3d, 0xd8])), '\u003d\u00d8');
});

test('session: SPNEGO negState decides success and logs once; otherwise logged at removal', () => {
  const ctx = new FakeCtx(fakeConn({ respP: 445 }));
  const s = new NtlmSession(ctx);
  s.deliverNtlm(challenge());
  s.deliverNtlm(authenticate('CORP', 'bob', 'PC'));
  // negTokenResp { negState accept-completed (0) }
  s.deliverGssapi(Buffer.from('a1073005a0030a0100', 'hex'));
  assert.equal(ctx.written.length, 1);
  const r = ctx.written[0]!.rec;
  assert.equal(r.username, 'bob');
  assert.equal(r.domainname, 'CORP');
  assert.equal(r.hostname, 'PC');
  assert.equal(r.server_nb_computer_name, 'SRV1');
  assert.equal(r.success, true);
  s.finish();
  assert.equal(ctx.written.length, 1);
  const ctx2 = new FakeCtx(fakeConn());
  const s2 = new NtlmSession(ctx2);
  s2.deliverNtlm(authenticate('D', 'eve', 'X'));
  s2.deliverGssapi(Buffer.from('a1073005a0030a0101', 'hex')); // incomplete: ignored
  assert.equal(ctx2.written.length, 0);
  s2.finish();
  assert.equal(ctx2.written[0]!.rec.success, undefined);
});

test('SMB2 session setup carries raw NTLMSSP; rejection by SPNEGO sets success F', () => {
  const ctx = new FakeCtx(fakeConn({ respP: 445 }));
  const a = new SmbAnalyzer(ctx);
  const smb2 = (flags: number, body: Buffer) => {
    const h = Buffer.alloc(64);
    h.writeUInt32BE(0xfe534d42, 0);
    h.writeUInt16LE(64, 4);
    h.writeUInt16LE(1, 12);
    h.writeUInt32LE(flags, 16);
    const m = Buffer.concat([h, body]);
    return Buffer.concat([Buffer.from([0, 0, m.length >> 8, m.length & 255]), m]);
  };
  const req = (blob: Buffer) => {
    const b = Buffer.alloc(24);
    b.writeUInt16LE(25, 0);
    b.writeUInt16LE(64 + 24, 12);
    b.writeUInt16LE(blob.length, 14);
    return smb2(0, Buffer.concat([b, blob]));
  };
  const resp = (blob: Buffer) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(9, 0);
    b.writeUInt16LE(64 + 8, 4);
    b.writeUInt16LE(blob.length, 6);
    return smb2(1, Buffer.concat([b, blob]));
  };
  const m1 = resp(challenge());
  const m2 = req(authenticate('CORP', 'mallory', 'KALI'));
  const m3 = resp(Buffer.from('a1073005a0030a0102', 'hex'));
  a.deliverStream(false, m1, 0, m1.length);
  a.deliverStream(true, m2, 0, 10);
  a.deliverStream(true, m2, 10, m2.length - 10);
  a.deliverStream(false, m3, 0, m3.length);
  assert.equal(ctx.written.length, 1);
  assert.equal(ctx.written[0]!.rec.username, 'mallory');
  assert.equal(ctx.written[0]!.rec.success, false);
  assert.ok(ctx.confirmed.includes('ntlm') && ctx.confirmed.includes('smb'));
});

test('HTTP Authorization helper and mutated blobs never throw', () => {
  const b64 = authenticate('CORP', 'carol', 'H').toString('base64');
  const blob = ntlmFromHttpAuthorization(`NTLM ${b64}`)!;
  assert.equal((parseNtlm(blob) as { userName?: string }).userName, 'carol');
  assert.equal(ntlmFromHttpAuthorization('Basic dXNlcjpwYXNz'), undefined);
  let x = 3;
  for (let i = 0; i < 2000; i++) {
    const m = i % 2 ? challenge() : authenticate('CORP', 'carol', 'H');
    for (let k = 0; k < 3; k++) {
      x = (x * 1103515245 + 12345) >>> 0;
      m[x % m.length] = x >>> 24;
    }
    const ctx = new FakeCtx(fakeConn());
    const s = new NtlmSession(ctx);
    s.deliverNtlm(m);
    s.deliverSecurityBlob(m);
    s.deliverGssapi(m);
    s.finish();
  }
});

test('ntlm.log matches Zeek baselines on the corpus (harness; checksum-dropped packets excluded by the sensor)', () => {
  let total = 0, exact = 0;
  for (const cs of readdirSync(corpusDir + 'ntlm')) {
    if (cs === 'dce-rpc-ntlm') continue; // needs Zeek's checksum validation (a sensor concern)
    const dir = corpusDir + 'ntlm/' + cs + '/';
    const meta = JSON.parse(readFileSync(dir + 'case.json', 'utf8')) as { pcap: string };
    const { written } = runPcap(dir + meta.pcap, { specs: [...dceSpecs, ...ldapSpecs] });
    const ours = written.filter((w) => w.path === 'ntlm').map((w) => w.rec);
    for (const row of readBaseline(dir + 'ntlm.log').rows) {
      total++;
      const i = ours.findIndex((o) => String(o['id.orig_p']) === row['id.orig_p']);
      if (i < 0) continue;
      const o = ours.splice(i, 1)[0]!;
      if (ntlmLog.fields.every((f) => f.name === 'ts' || f.name === 'uid' || !(f.name in row) || fmt(o[f.name], f.type) === row[f.name])) exact++;
    }
  }
  assert.equal(total, 4);
  assert.equal(exact, total);
});

test('SMB1: extended-security NEGOTIATE response goes to GSSAPI, SESSION_SETUP_ANDX blobs to NTLM', () => {
  const ctx = new FakeCtx(fakeConn({ respP: 139 }));
  const a = new SmbAnalyzer(ctx);
  const smb1 = (cmd: number, reply: boolean, words: Buffer, bytes: Buffer) => {
    const h = Buffer.alloc(32);
    h.writeUInt32BE(0xff534d42, 0);
    h[4] = cmd;
    h[9] = reply ? 0x80 : 0;
    const m = Buffer.concat([h, Buffer.from([words.length / 2]), words, u16(bytes.length), bytes]);
    return Buffer.concat([Buffer.from([0, 0, m.length >> 8, m.length & 255]), m]);
  };
  // NEGOTIATE response: 17 words, capabilities (word offset 19) with CAP_EXTENDED_SECURITY; GUID + SPNEGO hints
  const nw = Buffer.alloc(34);
  nw.writeUInt32LE(0x80000000, 19);
  const hints = Buffer.from('a0073005a0030a0101', 'hex'); // not a negTokenResp wrapper: parsed as init-less token
  const neg = smb1(0x72, true, nw, Buffer.concat([Buffer.alloc(16, 9), hints]));
  a.deliverStream(false, neg, 0, neg.length);
  // SESSION_SETUP_ANDX request (12 words, blob length at word offset 14) with a raw NTLMSSP AUTHENTICATE
  const auth = authenticate('LAB', 'dave', 'XP1');
  const sw = Buffer.alloc(24);
  sw.writeUInt16LE(auth.length, 14);
  const req = smb1(0x73, false, sw, auth);
  a.deliverStream(true, req, 0, req.length);
  // response (4 words, blob length at word offset 6): SPNEGO accept-completed
  const ok = Buffer.from('a1073005a0030a0100', 'hex');
  const rw = Buffer.alloc(8);
  rw.writeUInt16LE(ok.length, 6);
  const resp = smb1(0x73, true, rw, ok);
  a.deliverStream(false, resp, 0, resp.length);
  assert.equal(ctx.written.length, 1);
  assert.equal(ctx.written[0]!.rec.username, 'dave');
  assert.equal(ctx.written[0]!.rec.success, true);
  // the hints token is parsed first (gssapi), then the AUTHENTICATE (ntlm), smb after its third chunk
  assert.deepEqual(ctx.confirmed.filter((x, i, l) => l.indexOf(x) === i), ['gssapi', 'ntlm', 'smb']);
});
