// Seeded mutations of capture files for the fuzz test: bit flips, byte overwrites, truncations,
// corruption of the length fields (pcap record lengths, pcapng block lengths, snaplen, link type) and
// block splicing (duplicate, delete, or copy a range from another capture). Each mutation is fully
// determined by (seed, input set), so a failure is reproduced from the seed printed with it.

import { Rng } from '../../src/synth/index.js';

const INTERESTING32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x3fffffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const LINKTYPES = [0, 1, 6, 8, 9, 10, 12, 50, 101, 104, 105, 113, 119, 127, 138, 143, 147, 192, 195, 197, 204, 215, 228, 229, 239, 276, 290, 0xffff];

/** Offsets of length fields worth corrupting, found by walking the structure as far as it is sane. */
function lengthFields(b: Buffer): { off: number; size: 2 | 4; le: boolean; what: string }[] {
  const out: { off: number; size: 2 | 4; le: boolean; what: string }[] = [];
  if (b.length < 24) return out;
  const m = b.readUInt32BE(0);
  if (m === 0xd4c3b2a1 || m === 0xa1b2c3d4 || m === 0x4d3cb2a1 || m === 0xa1b23c4d) {
    const le = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
    out.push({ off: 16, size: 4, le, what: 'snaplen' }, { off: 20, size: 4, le, what: 'linktype' });
    for (let p = 24, n = 0; p + 16 <= b.length && n < 2000; n++) {
      out.push({ off: p + 8, size: 4, le, what: 'incl_len' }, { off: p + 12, size: 4, le, what: 'orig_len' });
      const incl = le ? b.readUInt32LE(p + 8) : b.readUInt32BE(p + 8);
      if (incl > b.length) break;
      p += 16 + incl;
    }
  } else if (m === 0x0a0d0d0a && b.length >= 12) {
    const le = b.readUInt32LE(8) === 0x1a2b3c4d;
    for (let p = 0, n = 0; p + 12 <= b.length && n < 2000; n++) {
      const type = le ? b.readUInt32LE(p) : b.readUInt32BE(p);
      const len = le ? b.readUInt32LE(p + 4) : b.readUInt32BE(p + 4);
      out.push({ off: p + 4, size: 4, le, what: 'block_len' });
      if (len >= 12 && p + len <= b.length) out.push({ off: p + len - 4, size: 4, le, what: 'trailing_len' });
      if (type === 1 && p + 16 <= b.length) out.push({ off: p + 8, size: 2, le, what: 'idb_linktype' }, { off: p + 12, size: 4, le, what: 'idb_snaplen' });
      if (type === 6 && p + 28 <= b.length) out.push({ off: p + 8, size: 4, le, what: 'epb_if' }, { off: p + 20, size: 4, le, what: 'epb_caplen' }, { off: p + 24, size: 4, le, what: 'epb_origlen' });
      if (type === 3 && p + 12 <= b.length) out.push({ off: p + 8, size: 4, le, what: 'spb_origlen' });
      if (type === 0x0a0d0d0a && p + 24 <= b.length) out.push({ off: p + 16, size: 4, le, what: 'shb_section_len' });
      if (len < 12 || len % 4 || p + len > b.length) break;
      p += len;
    }
  }
  return out;
}

function write(b: Buffer, off: number, size: 2 | 4, le: boolean, v: number): void {
  if (off + size > b.length) return;
  if (size === 2) { if (le) b.writeUInt16LE(v & 0xffff, off); else b.writeUInt16BE(v & 0xffff, off); }
  else if (le) b.writeUInt32LE(v >>> 0, off);
  else b.writeUInt32BE(v >>> 0, off);
}

/** Start offsets of the frames of a classic pcap (as far as the structure is sane), with the byte order. */
function pcapRecords(b: Buffer): { le: boolean; recs: number[] } | undefined {
  if (b.length < 24) return undefined;
  const m = b.readUInt32BE(0);
  if (m !== 0xd4c3b2a1 && m !== 0xa1b2c3d4 && m !== 0x4d3cb2a1 && m !== 0xa1b23c4d) return undefined;
  const le = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
  const recs: number[] = [];
  for (let p = 24; p + 16 <= b.length && recs.length < 5000; ) {
    recs.push(p);
    const incl = le ? b.readUInt32LE(p + 8) : b.readUInt32BE(p + 8);
    if (incl > b.length) break;
    p += 16 + incl;
  }
  return { le, recs };
}

export interface Mutation { data: Buffer; desc: string; base: number }

/** The i-th mutation of a fuzz run with this seed over these inputs. */
export function mutate(inputs: readonly Buffer[], seed: number, i: number): Mutation {
  const r = new Rng((seed * 1000003 + i) >>> 0);
  const base = r.int(0, inputs.length - 1);
  let b = Buffer.from(inputs[base]!);
  const ops: string[] = [];
  const nOps = r.chance(0.6) ? 1 : r.int(2, 4);
  for (let k = 0; k < nOps && b.length; k++) {
    const kind = r.int(0, 11);
    if (kind <= 1) {
      const n = r.int(1, 16);
      for (let j = 0; j < n; j++) {
        const p = r.int(0, b.length - 1);
        b[p]! ^= 1 << r.int(0, 7);
      }
      ops.push(`flip${n}`);
    } else if (kind <= 3) {
      const n = r.int(1, 8);
      for (let j = 0; j < n; j++) {
        const p = r.int(0, b.length - 1);
        b[p] = r.chance(0.5) ? r.pick([0, 0xff, 0x7f, 0x80, 0x01, 0xfe]) : r.int(0, 255);
      }
      ops.push(`byte${n}`);
    } else if (kind === 4) {
      const cut = r.chance(0.3) ? r.int(0, Math.min(b.length, 64)) : r.int(0, b.length);
      b = b.subarray(0, cut);
      ops.push(`trunc@${cut}`);
    } else if (kind <= 6) {
      const fields = lengthFields(b);
      if (!fields.length) { ops.push('nolen'); continue; }
      const f = r.pick(fields);
      const cur = f.off + f.size <= b.length ? (f.size === 2 ? (f.le ? b.readUInt16LE(f.off) : b.readUInt16BE(f.off)) : (f.le ? b.readUInt32LE(f.off) : b.readUInt32BE(f.off))) : 0;
      const choice = r.int(0, 3);
      const v = f.what.includes('linktype') && choice < 2 ? r.pick(LINKTYPES)
        : choice === 0 ? r.pick(INTERESTING32) : choice === 1 ? cur + r.int(-16, 16) : choice === 2 ? cur * r.int(2, 1000) : r.u32();
      write(b, f.off, f.size, f.le, v);
      ops.push(`${f.what}=${v >>> 0}`);
    } else if (kind === 7) {
      // Duplicate a block of bytes in place.
      const a = r.int(0, b.length - 1);
      const len = r.int(1, Math.min(4096, b.length - a));
      const at = r.int(0, b.length);
      b = Buffer.concat([b.subarray(0, at), b.subarray(a, a + len), b.subarray(at)]);
      ops.push(`dup${len}`);
    } else if (kind === 8) {
      const a = r.int(0, b.length - 1);
      const len = r.int(1, Math.min(4096, b.length - a));
      b = Buffer.concat([b.subarray(0, a), b.subarray(a + len)]);
      ops.push(`del${len}`);
    } else if (kind === 10) {
      // Damage the protocol headers of one frame (link, IP, transport: the first 80 bytes).
      const pr = pcapRecords(b);
      if (!pr || !pr.recs.length) { ops.push('nohdr'); continue; }
      const rec = r.pick(pr.recs);
      const n = r.int(1, 4);
      for (let j = 0; j < n; j++) {
        const p = rec + 16 + r.int(0, 79);
        if (p < b.length) b[p] = r.chance(0.5) ? r.pick([0, 0xff, 0x40, 0x45, 0x4f, 0x60, 0x06, 0x11, 0x2c, 0x29, 0x04, 0x2f, 0x50, 0xf0]) : r.int(0, 255);
      }
      ops.push(`hdr${n}`);
    } else if (kind === 11) {
      // Timestamps that jump: far future, far past, zero, backwards, or a microsecond field past 1e6.
      const pr = pcapRecords(b);
      if (!pr || !pr.recs.length) { ops.push('nots'); continue; }
      const rec = r.pick(pr.recs);
      const field = r.chance(0.75) ? 0 : 4;
      const v = r.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 999999, 1000000, 4000000000, r.u32()]);
      write(b, rec + field, 4, pr.le, v);
      ops.push(`ts${field ? 'frac' : 'sec'}=${v}`);
    } else {
      // Splice in a range of another capture (headers and packets of other formats/link types).
      const other = inputs[r.int(0, inputs.length - 1)]!;
      if (!other.length) continue;
      const a = r.int(0, other.length - 1);
      const len = r.int(1, Math.min(8192, other.length - a));
      const at = r.int(0, b.length);
      const replace = r.chance(0.5) ? Math.min(len, b.length - at) : 0;
      b = Buffer.concat([b.subarray(0, at), other.subarray(a, a + len), b.subarray(at + replace)]);
      ops.push(`splice${len}`);
    }
  }
  return { data: b, desc: ops.join('+'), base };
}
