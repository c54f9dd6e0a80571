// MIME sniffing by content signatures and file ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sniffMime } from '../../../src/analyzers/files/magic.js';
import { ZeekFile, fileId } from '../../../src/analyzers/files/file.js';

test('signature strengths pick the type Zeek picks', () => {
  const cases: [string | Buffer, string | undefined][] = [
    ['<!DOCTYPE html><html>', 'text/html'],
    ['  <html><head><title>x', 'text/html'],
    ['{"a": 1, "b": [1,2]}', 'text/json'],
    ['body { color: red; }\n', 'text/plain'],
    ['short', undefined],
    [Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image/png'],
    ['GIF89a\x01\x00\x01\x00', 'image/gif'],
    [Buffer.from('4d5a90000300000004000000ffff0000', 'hex'), 'application/x-dosexec'],
    ['%PDF-1.4\n%', 'application/pdf'],
    [Buffer.from('1f8b0800000000000003', 'hex'), 'application/x-gzip'],
    ['<?xml version="1.0"?><rss version="2.0">', 'text/rss'],
    [Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), undefined],
  ];
  for (const [data, mime] of cases) {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    assert.equal(sniffMime(b), mime, String(data));
  }
});

test('long runs of whitespace do not make the HTML signatures backtrack exponentially', () => {
  const b = Buffer.from(' '.repeat(4000) + 'x', 'latin1');
  const t0 = Date.now();
  assert.equal(sniffMime(b), 'text/plain');
  assert.ok(Date.now() - t0 < 1000);
});

test('files sniff at 4096 bytes or at the end; ids are stable per handle', () => {
  const seen: (string | undefined)[] = [];
  const f = new ZeekFile('h1', (_f, m) => seen.push(m));
  f.data(Buffer.from('<html>'), 0, 6);
  assert.deepEqual(seen, []);
  f.data(Buffer.alloc(5000, 0x20), 0, 5000);
  assert.deepEqual(seen, ['text/html']);
  f.end();
  assert.deepEqual(seen, ['text/html']);
  assert.equal(f.seen, 5006);
  assert.equal(fileId('abc'), fileId('abc'));
  assert.notEqual(fileId('abc'), fileId('abd'));
  assert.match(fileId('abc'), /^F[0-9A-Za-z]{17}$/);
});
