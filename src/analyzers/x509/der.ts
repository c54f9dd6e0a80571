// A minimal, strict DER reader over a Buffer: every length is checked against its container.

export class DerError extends Error {}

export interface Tlv {
  /** Full tag byte (class | constructed | number); multi-byte tags are rejected. */
  tag: number;
  /** Start of the TLV header. */
  start: number;
  /** Start of the contents. */
  off: number;
  /** End of the contents (exclusive). */
  end: number;
}

/** Reads one TLV at `pos`, which must end at or before `limit`. */
export function readTlv(b: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new DerError('truncated header');
  const tag = b[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag number');
  let p = pos + 1;
  let len = b[p++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('bad length');
    if (p + n > limit) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
  }
  if (p + len > limit) throw new DerError('length exceeds container');
  return { tag, start: pos, off: p, end: p + len };
}

/** Iterates the children of a constructed TLV. */
export function children(b: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = t.off;
  while (p < t.end) {
    const c = readTlv(b, p, t.end);
    out.push(c);
    p = c.end;
    if (out.length > 100000) throw new DerError('too many elements');
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`expected ${what}`);
  return t;
}

/** Dotted text of an OBJECT IDENTIFIER's contents. */
export function oidText(b: Buffer, t: Tlv): string {
  if (t.end <= t.off) throw new DerError('empty oid');
  const parts: string[] = [];
  let v = 0n;
  let first = true;
  for (let p = t.off; p < t.end; p++) {
    const c = b[p]!;
    v = (v << 7n) | BigInt(c & 0x7f);
    if (!(c & 0x80)) {
      if (first) {
        if (v < 40n) parts.push('0', v.toString());
        else if (v < 80n) parts.push('1', (v - 40n).toString());
        else parts.push('2', (v - 80n).toString());
        first = false;
      } else parts.push(v.toString());
      v = 0n;
    }
  }
  return parts.join('.');
}
