// The reader with a buffer supplier (how --workers shares frames with worker threads) and the frame lists
// sent per chunk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMixedCapture } from '../../src/synth/index.js';
import { Readable } from 'node:stream';
import { CHUNK, openCapture, type RawPacket } from '../../src/capture/index.js';
import { ChunkPool, FrameBatch, eachFrame } from '../../src/sensor/chunks.js';
import { corpusCaptures } from '../robustness/corpus-files.js';

interface Seen { buf: Buffer; offset: number; capLen: number; digest: string; meta: string }

const meta = (r: RawPacket): string => `${r.ts} ${r.wireLen} ${r.capLen} ${r.linkType} ${r.interfaceId}`;
const digest = (r: RawPacket): string => createHash('sha1').update(r.data.subarray(r.offset, r.offset + r.capLen)).digest('hex');

/** Every capture of the corpus read in 1 MiB pieces (stream) so that records straddle buffers often. */
function sources(): string[] {
  const all = corpusCaptures();
  return all.filter((_, i) => i % 3 === 0);
}

test('with a buffer supplier the reader delivers the same frames, and a frame stays intact until the supplier is called again', async () => {
  let files = 0, frames = 0, supplied = 0;
  for (const f of sources()) {
    const plain: string[] = [];
    const plainReader = openCapture(Readable.from(chunksOf(readFileSync(f), 1 << 20)));
    let plainStats;
    try {
      plainStats = await plainReader.run((r) => { plain.push(`${meta(r)} ${digest(r)}`); });
    } catch {
      continue; // not a capture the reader accepts: nothing to compare
    }
    // Fresh buffers, never recycled: after the run each frame must still be where it was delivered.
    const seen: Seen[] = [];
    let sinceSupply: Seen[] = [];
    const reader = openCapture(Readable.from(chunksOf(readFileSync(f), 1 << 20)), 'x', () => {
      for (const s of sinceSupply) assert.equal(createHash('sha1').update(s.buf.subarray(s.offset, s.offset + s.capLen)).digest('hex'), s.digest);
      sinceSupply = [];
      supplied++;
      return Buffer.alloc(CHUNK, 0xee);
    });
    const st = await reader.run((r) => {
      const s = { buf: r.data, offset: r.offset, capLen: r.capLen, digest: digest(r), meta: meta(r) };
      seen.push(s);
      sinceSupply.push(s);
    });
    assert.deepEqual(seen.map((s) => `${s.meta} ${s.digest}`), plain, f);
    for (const s of seen) assert.equal(createHash('sha1').update(s.buf.subarray(s.offset, s.offset + s.capLen)).digest('hex'), s.digest, f);
    assert.deepEqual({ ...st, warnings: st.warnings.map((w) => w.replace(/^x: /, '')) }, { ...plainStats, warnings: plainStats.warnings.map((w) => w.replace(/^stdin: /, '')) }, f);
    files++;
    frames += seen.length;
  }
  assert.ok(files > 100 && frames > 10000, `${files} captures, ${frames} frames`);
  assert.ok(supplied >= files);
});

test('a capture many buffers long: every frame delivered with a supplier is the frame read without one, intact until the next buffer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-chunks-'));
  try {
    const path = join(dir, 'mix.pcap');
    generateMixedCapture(path, { targetBytes: 5 * CHUNK, seed: 3 });
    const plain: string[] = [];
    await openCapture(path).run((r) => { plain.push(`${meta(r)} ${digest(r)}`); });
    // Two buffers used in turn, as the pool recycles them: the one the reader leaves becomes free.
    const buffers = [Buffer.alloc(CHUNK), Buffer.alloc(CHUNK)];
    let supplies = 0;
    let sinceSupply: Seen[] = [];
    const got: string[] = [];
    await openCapture(path, undefined, () => {
      for (const s of sinceSupply) assert.equal(createHash('sha1').update(s.buf.subarray(s.offset, s.offset + s.capLen)).digest('hex'), s.digest);
      sinceSupply = [];
      return buffers[supplies++ % 2]!;
    }).run((r) => {
      sinceSupply.push({ buf: r.data, offset: r.offset, capLen: r.capLen, digest: digest(r), meta: meta(r) });
      got.push(`${meta(r)} ${digest(r)}`);
    });
    assert.deepEqual(got, plain);
    assert.ok(plain.length > 5000 && supplies >= 5, `${plain.length} frames, ${supplies} buffers`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function* chunksOf(b: Buffer, n: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n);
}

test('a frame list carries frames in a chunk and copied frames, in order, and is reused once given back', () => {
  const pool = new ChunkPool(2, 4096);
  const chunk = pool.buffer(0);
  chunk.write('abcdefghij', 100, 'latin1');
  const batch = new FrameBatch();
  batch.add({ ts: 1.5, linkType: 1, interfaceId: 3, wireLen: 60, data: chunk, offset: 100, capLen: 4 }, 7, false);
  batch.add({ ts: 2.25, linkType: 101, interfaceId: 0, wireLen: 5, data: Buffer.from('XYZ12'), offset: 1, capLen: 3 }, 9, true);
  batch.add({ ts: 3, linkType: 1, interfaceId: 0, wireLen: 6, data: chunk, offset: 104, capLen: 6 }, 4294967301, false);
  const b = batch.take(0);
  assert.equal(batch.count, 0);
  const got: string[] = [];
  eachFrame(b, chunk, { ts: 0, linkType: 0, interfaceId: 0, wireLen: 0, data: chunk, offset: 0, capLen: 0 }, (r, i) => {
    got.push(`${i} ${r.ts} ${r.linkType} ${r.interfaceId} ${r.wireLen} ${r.data.toString('latin1', r.offset, r.offset + r.capLen)}`);
  });
  assert.deepEqual(got, ['7 1.5 1 3 60 abcd', '9 2.25 101 0 5 YZ1', '4294967301 3 1 0 6 efghij']);
  const frames = b.frames;
  batch.giveBack(frames);
  assert.notEqual(batch.take(1).frames, frames, 'the list made when the first was taken');
  assert.equal(batch.take(2).frames, frames, 'then the given-back list, not a new one');
});

test('the chunk pool hands out each chunk once and waits until every worker that got frames in it is done', async () => {
  const pool = new ChunkPool(2, 64);
  const a = await pool.take(), b = await pool.take();
  assert.notEqual(a, b);
  let third: number | undefined;
  const waiting = pool.take().then((id) => { third = id; });
  pool.handedOut(a, 2);
  pool.release(a);
  await new Promise((r) => setImmediate(r));
  assert.equal(third, undefined, 'one of two workers is still on it');
  pool.release(a);
  await waiting;
  assert.equal(third, a);
  pool.handedOut(b, 0);
  assert.equal(await pool.take(), b, 'a chunk nobody got frames in is free at once');
  const failed = pool.take();
  pool.fail(new Error('worker died'));
  await assert.rejects(failed, /worker died/);
  await assert.rejects(pool.take(), /worker died/);
});
