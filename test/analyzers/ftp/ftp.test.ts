// FTP parser and ftp.log builder on byte literals, helper functions, and mutation fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FtpAnalyzer, FtpDataAnalyzer, detectFtp } from '../../../src/analyzers/ftp/index.js';
import { compressPath, parseEftp, parseFtpPasv, parseFtpPort } from '../../../src/analyzers/ftp/log.js';
import { FtpExpected } from '../../../src/analyzers/ftp/log.js';
import { FakeCtx, fakeConn } from '../dns/harness.js';

test('PORT / PASV / EPRT / EPSV argument parsing', () => {
  assert.deepEqual(parseFtpPort('10,0,0,1,4,1'), { h: '10.0.0.1', p: 1025 });
  assert.equal(parseFtpPort('10,0,0,1,4,300'), null);
  assert.deepEqual(parseFtpPasv('Entering Passive Mode (199,233,217,249,221,90).'), { h: '199.233.217.249', p: 56666 });
  assert.deepEqual(parseFtpPasv('Entering Passive Mode 1,2,3,4,0,21'), { h: '1.2.3.4', p: 21 });
  assert.deepEqual(parseEftp('|2|2001:db8::1|5282|'), { h: '2001:db8::1', p: 5282 });
  assert.deepEqual(parseEftp('|||6446|)'), { h: '::', p: 6446 });
  assert.equal(parseEftp('|1|1.2.3.4|99999|'), null);
});

test('compress_path keeps a leading ./ and folds ..', () => {
  assert.equal(compressPath('./robots.txt'), './robots.txt');
  assert.equal(compressPath('/a/b/../c/./d/'), '/a/c/d');
  assert.equal(compressPath('a//b'), 'a/b');
});

function session(lines: [boolean, string][], opts?: { extraLoggedCommands?: string[]; capturePassword?: boolean }) {
  const table = new FtpExpected();
  const ctx = new FakeCtx(fakeConn({ proto: 'tcp', respP: 21, origH: '10.0.0.1', respH: '10.0.0.2' }));
  ctx.services.set('ftp.expected', table);
  const a = new FtpAnalyzer(ctx, opts);
  for (const [o, l] of lines) { ctx.t += 1; const b = Buffer.from(l, 'latin1'); a.deliverStream(o, b, 0, b.length); }
  return { ctx, a, table };
}

test('control session: multi-line greeting, hidden password, PASV data channel, RETR with size, file MIME type', () => {
  const { ctx, a, table } = session([
    [false, '220-Welcome\r\n220-to the\r\n220 server\r\n'], [true, 'USER bob\r\n'], [false, '331 Password required\r\n'],
    [true, 'PASS s3cret\r\n'], [false, '230 Logged in\r\n'], [true, 'PASV\r\n'],
    [false, '227 Entering Passive Mode (10,0,0,2,19,137).\r\n'], [true, 'RETR file.txt\r\n'],
    [false, '150 Opening BINARY mode data connection for file.txt (18 bytes).\r\n'],
  ]);
  assert.deepEqual(ctx.expected.map((e) => [e.origH, e.respH, e.respP, e.analyzer]), [['10.0.0.1', '10.0.0.2', 5001, 'FTP_DATA']]);
  // the data connection
  const dctx = new FakeCtx(fakeConn({ proto: 'tcp', origH: '10.0.0.1', origP: 40000, respH: '10.0.0.2', respP: 5001, uid: 'Cdata' }));
  dctx.t = ctx.t;
  dctx.services.set('ftp.expected', table);
  const d = new FtpDataAnalyzer(dctx);
  assert.deepEqual(dctx.confirmed, ['ftp-data']);
  const payload = Buffer.from('hello, ftp world!\n');
  d.deliverStream(false, payload, 0, payload.length);
  d.endOfData(false);
  d.done();
  const more = (l: string, o: boolean): void => { const b = Buffer.from(l); a.deliverStream(o, b, 0, b.length); };
  more('226 Transfer complete.\r\n', false);
  more('QUIT\r\n', true);
  more('221 Goodbye.\r\n', false);
  a.done();
  const recs = ctx.records.map((r) => r.rec);
  assert.deepEqual(recs.map((r) => r.command), ['PASV', 'RETR']);
  assert.equal(recs[0]!['data_channel.resp_p'], 5001);
  assert.equal(recs[0]!['data_channel.passive'], true);
  assert.equal(recs[1]!.arg, 'ftp://10.0.0.2/./file.txt');
  assert.equal(recs[1]!.file_size, 18);
  assert.equal(recs[1]!.mime_type, 'text/plain');
  assert.equal(typeof recs[1]!.fuid, 'string');
  assert.equal(recs[1]!.password, '<hidden>');
  assert.equal(recs[1]!.reply_code, 226);
});

test('with no logged command, one row is still written at the end (log_at_least_one_command)', () => {
  const { ctx, a } = session([[false, '220 hi\r\n'], [true, 'USER anonymous\r\n'], [false, '331 ok\r\n'], [true, 'PASS me@x\r\n'], [false, '230 ok\r\n']]);
  a.done();
  assert.equal(ctx.records.length, 1);
  assert.equal(ctx.records[0]!.rec.user, 'anonymous');
  assert.equal(ctx.records[0]!.rec.password, 'me@x');
});

test('extra logged commands and password capture as options', () => {
  const { ctx, a } = session([[false, '220 hi\r\n'], [true, 'USER u\r\n'], [false, '331 ok\r\n'], [true, 'PASS p\r\n'], [false, '530 no\r\n']],
    { extraLoggedCommands: ['USER', 'PASS'], capturePassword: true });
  a.done();
  assert.deepEqual(ctx.records.map((r) => [r.rec.command, r.rec.arg, r.rec.reply_code]), [['USER', 'u', 331], ['PASS', 'p', 530]]);
});

test('a non-numeric reply is a violation and stops analysis', () => {
  const { ctx } = session([[false, '220 hi\r\n'], [true, 'USER u\r\n'], [false, 'xx bad\r\n'], [false, '331 ok\r\n']]);
  assert.deepEqual(ctx.violations, ['non-numeric reply code']);
});

test('DPD: USER from the client and 220..331 from the server', () => {
  assert.equal(detectFtp(Buffer.from('USER x\r\n'), Buffer.from('220 hello\r\n331 pw\r\n')), true);
  assert.equal(detectFtp(Buffer.from('GET / HTTP/1.1\r\n'), Buffer.from('220 hello\r\n331 pw\r\n')), false);
});

test('mutated FTP control streams never throw', () => {
  const script = 'USER a\r\nPASS b\r\nCWD /x/../y\r\nPORT 10,0,0,1,4,1\r\nEPRT |2|::1|99|\r\nRETR f\r\nEPSV\r\nQUIT\r\n';
  const replies = '220-a\r\n220 b\r\n331 c\r\n230 d\r\n250 e\r\n200 f\r\n200 g\r\n150 h (5 bytes)\r\n229 (|||7|)\r\n221 z\r\n';
  let seed = 99;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let i = 0; i < 2000; i++) {
    const o = Buffer.from(script), r = Buffer.from(replies);
    for (const b of [o, r]) for (let k = rnd(6); k > 0; k--) b[rnd(b.length)] = rnd(256);
    const ctx = new FakeCtx(fakeConn({ proto: 'tcp', respP: 21 }));
    ctx.services.set('ftp.expected', new FtpExpected());
    const a = new FtpAnalyzer(ctx);
    let p = 0, q = 0;
    while (p < o.length || q < r.length) {
      if (p < o.length) { const n = 1 + rnd(12); a.deliverStream(true, o, p, Math.min(n, o.length - p)); p += n; }
      if (q < r.length) { const n = 1 + rnd(12); a.deliverStream(false, r, q, Math.min(n, r.length - q)); q += n; }
    }
    a.endOfData(true); a.endOfData(false); a.done();
  }
});

test('Zeek redefs become analyzer options', async () => {
  const { optionsFromZeekScript } = await import('../../../src/analyzers/ftp/redef.js');
  const o = optionsFromZeekScript('@load base/protocols/ftp\nredef FTP::logged_commands += { "USER", "PASS", "SYST" };\n# redef HTTP::default_capture_password = F;\nredef FTP::default_capture_password = T;\nredef HTTP::default_capture_password = T;\n');
  assert.deepEqual(o['ftp.options'], { capturePassword: true, extraLoggedCommands: ['USER', 'PASS', 'SYST'] });
  assert.deepEqual(o['http.options'], { capturePassword: true });
  assert.deepEqual(optionsFromZeekScript('redef FTP::logged_commands = { "RETR" };')['ftp.options'], { loggedCommands: ['RETR'] });
  assert.deepEqual(optionsFromZeekScript('@load base/protocols/http'), {});
});

test('AUTH TLS: after the 234 reply the stream goes to the SSL child analyzer', () => {
  const ctx = new FakeCtx(fakeConn({ proto: 'tcp', respP: 21 }));
  ctx.services.set('ftp.expected', new FtpExpected());
  const asked: string[] = [];
  const fed: number[] = [];
  ctx.startChild = (name: string) => { asked.push(name); return { deliverStream: (_o: boolean, _d: Buffer, _off: number, n: number) => { fed.push(n); } }; };
  const a = new FtpAnalyzer(ctx);
  const send = (o: boolean, b: Buffer): void => a.deliverStream(o, b, 0, b.length);
  send(false, Buffer.from('220 (vsFTPd 3.0.5)\r\n'));
  send(true, Buffer.from('AUTH TLS\r\n'));
  send(false, Buffer.from('234 Proceed with negotiation.\r\n'));
  send(true, Buffer.from('16030100c4010000c00303', 'hex'));
  a.done();
  assert.deepEqual(asked, ['SSL']);
  assert.deepEqual(fed, [11]);
});
