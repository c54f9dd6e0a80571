import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeAsciiField, escapeUtf8, byteStringToText } from '../../src/zeek/escape.js';
import { renderAsciiRow, renderDouble, renderJsonRow, renderTime, asciiHeader } from '../../src/zeek/format.js';
import { openLogDirectory } from '../../src/zeek/sink.js';
import type { LogSchema } from '../../src/zeek/types.js';

const bytes = (...b: number[]) => String.fromCharCode(...b);

const schema: LogSchema = {
  path: 'demo',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'duration', type: 'interval' },
    { name: 'ok', type: 'bool' },
    { name: 'tags', type: 'set[string]' },
    { name: 'ratio', type: 'double' },
  ],
};

test('time and interval keep six decimals; double trims zeros but keeps .0 on whole numbers', () => {
  assert.equal(renderTime(1300475167.096535), '1300475167.096535');
  assert.equal(renderTime(3), '3.000000');
  assert.equal(renderDouble(0.5), '0.5');
  assert.equal(renderDouble(2), '2.0');
  assert.equal(renderDouble(1.23456789), '1.234568');
});

test('ASCII rows: unset, empty, bools, sets, and values that look like the reserved markers', () => {
  const row = renderAsciiRow(schema, { ts: 1.5, uid: '-', 'id.orig_p': 80, ok: true, tags: [], ratio: 2 });
  // uid "-" is escaped as \x2d so it is not read back as unset; duration is unset; tags is empty
  assert.equal(row, '1.500000\t\\x2d\t80\t-\tT\t(empty)\t2.0\n');
  const row2 = renderAsciiRow(schema, { uid: '', tags: ['a,b', 'c'], ok: false });
  assert.equal(row2, '-\t(empty)\t-\t-\tF\ta\\x2cb,c\t-\n');
});

test('escaping follows Zeek: backslash doubled, tab hex-escaped, valid UTF-8 kept, invalid bytes hex', () => {
  assert.equal(escapeAsciiField('a\\b', ['\t']), 'a\\\\b');
  assert.equal(escapeAsciiField('a\tb', ['\t']), 'a\\x09b');
  // "é" as UTF-8 bytes c3 a9 stays as the two raw bytes
  assert.equal(escapeAsciiField(bytes(0x63, 0x61, 0x66, 0xc3, 0xa9), ['\t']), bytes(0x63, 0x61, 0x66, 0xc3, 0xa9));
  // a lone 0xff makes the run fall back to hex for every non-ASCII byte, the valid é included
  assert.equal(escapeUtf8(bytes(0xc3, 0xa9, 0x41, 0xff), true), '\\xc3\\xa9A\\xff');
  // newline escaped in ASCII output, kept for JSON's own escaping
  assert.equal(escapeUtf8('a\nb', true), 'a\\x0ab');
  assert.equal(escapeUtf8('a\nb', false), 'a\nb');
  assert.equal(byteStringToText(bytes(0xc3, 0xa9)), 'é');
  assert.equal(byteStringToText(bytes(0x41, 0xff)), 'A\\xff');
});

test('a row starting with # is escaped so it cannot pass for a header', () => {
  const s: LogSchema = { path: 'x', fields: [{ name: 'a', type: 'string' }] };
  assert.equal(renderAsciiRow(s, { a: '#hash' }), '\\x23hash\n');
});

test('JSON rows: unset omitted, whole doubles keep .0, strings escaped as Zeek does', () => {
  const row = renderJsonRow(schema, { ts: 1300475167, uid: 'C"x\\', 'id.orig_p': 80, ok: false, tags: ['a'], ratio: 0.25 });
  assert.equal(row, '{"ts":1300475167.0,"uid":"C\\"x\\\\","id.orig_p":80,"ok":false,"tags":["a"],"ratio":0.25}\n');
  // an invalid byte becomes the text \xff, whose backslash JSON then escapes
  assert.equal(renderJsonRow({ path: 'x', fields: [{ name: 'a', type: 'string' }] }, { a: bytes(0xff) }), '{"a":"\\\\xff"}\n');
});

test('the header matches the shape of a Zeek baseline header', () => {
  const base = readFileSync(new URL('../../../../shared/corpus/zeek/conn/q-in-q/conn.log', import.meta.url), 'latin1');
  const fields = /^#fields\t(.*)$/m.exec(base)![1].split('\t');
  const types = /^#types\t(.*)$/m.exec(base)![1].split('\t');
  const s: LogSchema = { path: 'conn', fields: fields.map((name, i) => ({ name, type: types[i] as never })) };
  // btest's canonifier turned "#open<TAB><date>" into "#open XXXX-XX-XX-XX-XX-XX"; do the same to ours
  const ours = asciiHeader(s, new Date(0)).replace(/#open\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d/, '#open XXXX-XX-XX-XX-XX-XX');
  const theirs = base.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('###') && !l.startsWith('#close')).join('\n') + '\n';
  assert.equal(ours, theirs);
});

test('the log directory writes files lazily, with header and #close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-logs-'));
  const sink = openLogDirectory(dir);
  sink.write(schema, { ts: 1, uid: 'C1' });
  await sink.close();
  assert.deepEqual(readdirSync(dir), ['demo.log']);
  const text = readFileSync(join(dir, 'demo.log'), 'latin1');
  assert.match(text, /^#separator \\x09\n/);
  assert.match(text, /\n1\.000000\tC1\t-\t-\t-\t-\t-\n#close\t\d{4}-/);
});
