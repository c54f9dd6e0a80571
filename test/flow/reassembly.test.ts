import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reassembler, MAX_ABOVE_HOLE_WITHOUT_ACKS } from '../../src/flow/reassembly.js';

function collect() {
  const out: string[] = [];
  const r = new Reassembler();
  r.sink = {
    data: (seq, d, off, len) => { out.push(`${seq}:${d.toString('latin1', off, off + len)}`); },
    gap: (seq, len) => { out.push(`${seq}:gap${len}`); },
  };
  return { r, out };
}
const b = (s: string) => Buffer.from(s, 'latin1');

test('in-order data is handed on as a view of the packet, without a copy', () => {
  const { r } = collect();
  const pkt = b('xxHELLO');
  let seen: Buffer | undefined;
  r.sink = { data: (_s, d) => { seen = d; }, gap: () => {} };
  r.newData(1, pkt, 2, 5, false);
  assert.equal(seen, pkt);
  assert.equal(r.lastReassemSeq, 6);
});

test('out-of-order segments are held and delivered in order once the hole fills', () => {
  const { r, out } = collect();
  r.newData(6, b('WORLD'), 0, 5, false);
  r.newData(11, b('!'), 0, 1, false);
  assert.deepEqual(out, []);
  r.newData(1, b('HELLO'), 0, 5, false);
  assert.deepEqual(out, ['1:HELLO', '6:WORLD', '11:!']);
  assert.equal(r.bufferedBytes, 0);
});

test('retransmissions are dropped and overlaps keep the first copy', () => {
  const { r, out } = collect();
  r.newData(1, b('ABCDE'), 0, 5, false);
  r.newData(1, b('ABCDE'), 0, 5, false);
  r.newData(4, b('xyZZ'), 0, 4, false); // 4..7: 4,5 already delivered, new 6,7
  r.newData(10, b('KL'), 0, 2, false);
  r.newData(8, b('qqqqq'), 0, 5, false); // 8..12 overlaps the held 10..11: held bytes win
  assert.deepEqual(out, ['1:ABCDE', '6:ZZ', '8:qq', '10:KL', '12:q']);
});

test('an acknowledged hole becomes a gap, then the held data follows', () => {
  const { r, out } = collect();
  const gaps: number[] = [];
  r.newData(1, b('AAAA'), 0, 4, false);
  r.newData(9, b('CCCC'), 0, 4, false);
  r.undelivered(13, (_s, len) => gaps.push(len));
  assert.deepEqual(out, ['1:AAAA', '5:gap4', '9:CCCC']);
  assert.deepEqual(gaps, [4]);
  r.undelivered(20, (_s, len) => gaps.push(len));
  assert.deepEqual(gaps, [4, 7]);
  assert.equal(r.lastReassemSeq, 20);
});

test('data above a hole with nothing acknowledged is bounded (Zeek: above_hole_data_without_any_acks)', () => {
  const { r } = collect();
  const chunk = Buffer.alloc(1000, 0x41);
  let weird: string | undefined;
  for (let i = 0; i < 40 && !weird; i++) weird = r.newData(2 + i * 1000, chunk, 0, 1000, true);
  assert.equal(weird, 'above_hole_data_without_any_acks');
  assert.ok(r.dropped > MAX_ABOVE_HOLE_WITHOUT_ACKS);
  assert.equal(r.bufferedBytes, 0);
  assert.equal(r.skipDeliveries, true);
  assert.equal(r.newData(1, chunk, 0, 1, true), undefined);
});

test('without a consumer only sequence ranges are kept (no copies)', () => {
  const r = new Reassembler();
  r.newData(100, Buffer.alloc(50), 0, 50, false);
  assert.equal(r.blocks.length, 1);
  assert.equal(r.blocks[0]!.data, null);
  r.newData(1, Buffer.alloc(99), 0, 99, false);
  assert.equal(r.lastReassemSeq, 150);
  assert.equal(r.blocks.length, 0);
});

test('many tiny out-of-order segments are bounded by a block count, and removal gives memory back', async () => {
  const { reassemblyMemory, MAX_BLOCKS } = await import('../../src/flow/reassembly.js');
  const { r } = collect();
  const before = reassemblyMemory();
  const one = Buffer.from('x');
  let weird: string | undefined;
  for (let i = 0; i < MAX_BLOCKS + 10 && !weird; i++) weird = r.newData(3 + 2 * i, one, 0, 1, false);
  assert.equal(weird, 'excessive_data_without_further_acks');
  assert.equal(r.blocks.length, 0);
  assert.equal(reassemblyMemory(), before);
  const r2 = collect().r;
  r2.newData(10, Buffer.alloc(100), 0, 100, false);
  assert.equal(reassemblyMemory(), before + 100);
  r2.release();
  assert.equal(reassemblyMemory(), before);
});
