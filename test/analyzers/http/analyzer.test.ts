// HTTP analyzer and http.log builder on byte literals: pipelining, chunked + gzip bodies, 1xx,
// HEAD, basic auth, multipart filenames; plus mutation fuzzing (never throws, bounded work).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateRawSync } from 'node:zlib';
import { HttpStreamAnalyzer } from '../../../src/analyzers/http/index.js';
import { detectHttp } from '../../../src/analyzers/http/index.js';
import { FakeCtx, fakeConn } from '../dns/harness.js';

function run(orig: (string | Buffer)[], resp: (string | Buffer)[], interleave = true, opts?: { capturePassword?: boolean }) {
  const ctx = new FakeCtx(fakeConn({ proto: 'tcp', respP: 80 }));
  const a = new HttpStreamAnalyzer(ctx, opts);
  const o = orig.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x));
  const r = resp.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x));
  if (interleave) {
    for (let i = 0; i < Math.max(o.length, r.length); i++) {
      ctx.t += 1;
      if (o[i]) a.deliverStream(true, o[i]!, 0, o[i]!.length);
      ctx.t += 1;
      if (r[i]) a.deliverStream(false, r[i]!, 0, r[i]!.length);
    }
  } else {
    for (const b of o) a.deliverStream(true, b, 0, b.length);
    for (const b of r) a.deliverStream(false, b, 0, b.length);
  }
  a.endOfData(true);
  a.endOfData(false);
  a.done();
  return { ctx, recs: ctx.records.filter((x) => x.schema.path === 'http').map((x) => x.rec), files: ctx.records.filter((x) => x.schema.path === 'files').map((x) => x.rec) };
}

test('pipelined requests pair with their responses in order (trans_depth)', () => {
  const { recs } = run([
    'GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\n\r\n',
  ], [
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nbye',
  ], false);
  assert.equal(recs.length, 2);
  assert.deepEqual(recs.map((r) => [r.trans_depth, r.uri, r.status_code, r.response_body_len]), [[1, '/a', 200, 5], [2, '/b', 404, 3]]);
  assert.equal(recs[1]!.user_agent, 'ua');
});

test('chunked gzip body: response_body_len counts inflated bytes, MIME type sniffed from them', () => {
  const html = '<html><body>' + 'x'.repeat(5000) + '</body></html>';
  const gz = gzipSync(Buffer.from(html));
  const half = Math.floor(gz.length / 2);
  const chunk = (b: Buffer): Buffer => Buffer.concat([Buffer.from(b.length.toString(16) + '\r\n'), b, Buffer.from('\r\n')]);
  const { recs } = run(['GET / HTTP/1.1\r\nHost: x\r\n\r\n'], [
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n',
    chunk(gz.subarray(0, half)), Buffer.concat([chunk(gz.subarray(half)), Buffer.from('0\r\n\r\n')]),
  ], false);
  assert.equal(recs.length, 1);
  assert.equal(recs[0]!.response_body_len, html.length);
  assert.deepEqual(recs[0]!.resp_mime_types, ['text/html']);
  assert.equal((recs[0]!.resp_fuids as string[]).length, 1);
});

test('deflate without zlib header is inflated too', () => {
  const text = 'plain text body '.repeat(100);
  const raw = deflateRawSync(Buffer.from(text));
  const { recs } = run(['GET / HTTP/1.1\r\n\r\n'], [
    Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: ${raw.length}\r\n\r\n`), raw]),
  ]);
  assert.equal(recs[0]!.response_body_len, text.length);
  assert.deepEqual(recs[0]!.resp_mime_types, ['text/plain']);
});

test('100-continue: info_code/info_msg and the final status on one row', () => {
  const body = 'a=1&b=2&c=3&d=4';
  const { recs } = run([
    `POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`, body,
  ], ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']);
  assert.equal(recs.length, 1);
  assert.equal(recs[0]!.info_code, 100);
  assert.equal(recs[0]!.info_msg, 'Continue');
  assert.equal(recs[0]!.status_code, 200);
  assert.equal(recs[0]!.request_body_len, body.length);
  assert.deepEqual(recs[0]!.orig_mime_types, ['text/plain']);
});

test('HEAD reply has no body even with Content-Length', () => {
  const { recs } = run(['HEAD / HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n'], ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz'], false);
  assert.deepEqual(recs.map((r) => [r.method, r.response_body_len]), [['HEAD', 0], ['GET', 1]]);
});

test('basic auth: username logged, password only when capture is on', () => {
  const auth = 'Authorization: Basic ' + Buffer.from('alice:se:cret').toString('base64') + '\r\n';
  const a = run([`GET / HTTP/1.1\r\n${auth}\r\n`], ['HTTP/1.1 204 No Content\r\n\r\n']);
  assert.equal(a.recs[0]!.username, 'alice');
  assert.equal(a.recs[0]!.password, undefined);
  const b = run([`GET / HTTP/1.1\r\n${auth}\r\n`], ['HTTP/1.1 204 No Content\r\n\r\n'], true, { capturePassword: true });
  assert.equal(b.recs[0]!.password, 'se:cret');
});

test('multipart upload: per-part files with filenames; body length is the whole entity', () => {
  const body = '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n' +
    'hello world, plain text\r\n--XyZ--\r\n';
  const { recs, files } = run([`POST /u HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']);
  assert.equal(recs[0]!.request_body_len, body.length);
  // files.log: one row for the part, its name, type, size and side
  assert.equal(files.length, 1);
  assert.deepEqual([files[0]!.source, files[0]!.filename, files[0]!.mime_type, files[0]!.seen_bytes, files[0]!.is_orig],
    ['HTTP', 'a.txt', 'text/plain', 'hello world, plain text'.length, true]);
  assert.equal(files[0]!.fuid, (recs[0]!.orig_fuids as string[])[0]);
  assert.deepEqual(recs[0]!.orig_filenames, ['a.txt']);
  assert.deepEqual(recs[0]!.orig_mime_types, ['text/plain']);
});

test('DPD signatures: client methods and server status lines', () => {
  assert.equal(detectHttp(Buffer.from('  GET / HTTP/1.1\r\n'), undefined), true);
  assert.equal(detectHttp(undefined, Buffer.from('HTTP/1.0 200 OK')), true);
  assert.equal(detectHttp(Buffer.from('SSH-2.0-x'), Buffer.from('SSH-2.0-y')), false);
});

test('mutated HTTP streams never throw and end in bounded time', () => {
  const base = [
    'POST /x?a=%41%zz HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'GET / HTTP/1.1\r\nContent-Type: multipart/mixed; boundary="b"\r\nContent-Length: 40\r\n\r\n--b\r\nX: y\r\n\r\ndata\r\n--b--\r\n',
  ];
  const reply = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Encoding: deflate\r\n\r\n0123456789HTTP/1.1 100 Continue\r\n\r\n';
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const t0 = Date.now();
  for (let i = 0; i < 2000; i++) {
    const o = Buffer.from(base[i % 2]!, 'latin1');
    const r = Buffer.from(reply, 'latin1');
    for (const b of [o, r]) for (let k = rnd(8); k > 0; k--) b[rnd(b.length)] = rnd(256);
    const ctx = new FakeCtx(fakeConn({ proto: 'tcp', respP: 80 }));
    const a = new HttpStreamAnalyzer(ctx);
    let p = 0, q = 0;
    while (p < o.length || q < r.length) {
      if (p < o.length) { const n = 1 + rnd(40); a.deliverStream(true, o, p, Math.min(n, o.length - p)); p += n; }
      if (q < r.length) { const n = 1 + rnd(40); a.deliverStream(false, r, q, Math.min(n, r.length - q)); q += n; }
      if (rnd(50) === 0) a.gap(rnd(2) === 0, 10);
    }
    a.endOfData(true); a.endOfData(false); a.done();
  }
  assert.ok(Date.now() - t0 < 20000);
});

test('CONNECT tunnel: after the 200 reply, TLS bytes go to the SSL child analyzer', () => {
  const ctx = new FakeCtx(fakeConn({ proto: 'tcp', respP: 3128 }));
  const fed: [boolean, number][] = [];
  const asked: string[] = [];
  ctx.startChild = (name: string) => {
    asked.push(name);
    return { deliverStream: (o: boolean, _d: Buffer, _off: number, n: number) => { fed.push([o, n]); } };
  };
  const a = new HttpStreamAnalyzer(ctx);
  const send = (o: boolean, s: string | Buffer): void => { const b = typeof s === 'string' ? Buffer.from(s) : s; a.deliverStream(o, b, 0, b.length); };
  send(true, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  send(false, 'HTTP/1.1 200 Connection established\r\n\r\n');
  send(true, Buffer.from('160301002a0100002603', 'hex'));
  send(false, Buffer.from('1603010030', 'hex'));
  a.done();
  assert.deepEqual(asked, ['SSL']);
  assert.deepEqual(fed, [[true, 10], [false, 5]]);
  const http = ctx.records.filter((r) => r.schema.path === 'http');
  assert.equal(http.length, 1);
  assert.equal(http[0]!.rec.method, 'CONNECT');
  assert.equal(http[0]!.rec.status_code, 200);
});

test('a content gap inside a Content-Length body is counted, not fatal (Zeek HTTP_Entity::Undelivered)', () => {
  const ctx = new FakeCtx(fakeConn({ proto: 'tcp', respP: 80 }));
  const a = new HttpStreamAnalyzer(ctx);
  const send = (o: boolean, s: string): void => { const b = Buffer.from(s); a.deliverStream(o, b, 0, b.length); };
  send(true, 'GET /big HTTP/1.1\r\n\r\n');
  send(false, 'HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789');
  a.gap(false, 10);
  send(false, 'abcdefghij');
  send(true, 'GET /next HTTP/1.1\r\n\r\n');
  send(false, 'HTTP/1.1 204 No Content\r\n\r\n');
  a.done();
  const http = ctx.records.filter((r) => r.schema.path === 'http').map((r) => r.rec);
  assert.deepEqual(http.map((r) => [r.uri, r.response_body_len]), [['/big', 30], ['/next', 0]]);
  const files = ctx.records.filter((r) => r.schema.path === 'files').map((r) => r.rec);
  assert.equal(files[0]!.missing_bytes, 10);
  assert.equal(files[0]!.seen_bytes, 20);
});
