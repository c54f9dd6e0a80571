// DNS wire format (RFC 1035): queries and responses with A, AAAA, CNAME and TXT answers.

export const QTYPE = { A: 1, NS: 2, CNAME: 5, PTR: 12, MX: 15, TXT: 16, AAAA: 28 } as const;

export type DnsAnswer =
  | { type: 'A'; addr: string; ttl: number }
  | { type: 'AAAA'; addr: Buffer; ttl: number }
  | { type: 'CNAME'; target: string; ttl: number }
  | { type: 'TXT'; texts: readonly string[]; ttl: number };

/** A domain name as labels (no compression). */
export function encodeName(n: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of n.split('.')) {
    if (!label) continue;
    const b = Buffer.from(label, 'latin1');
    if (b.length > 63) throw new Error(`DNS label too long: ${label}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function header(id: number, flags: number, qd: number, an: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  return h;
}

function question(qname: string, qtype: number): Buffer {
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2); // IN
  return Buffer.concat([encodeName(qname), q]);
}

/** A standard recursive query (RD set). */
export function dnsQuery(id: number, qname: string, qtype: number): Buffer {
  return Buffer.concat([header(id, 0x0100, 1, 0), question(qname, qtype)]);
}

/**
 * The response to dnsQuery(id, qname, qtype): QR, RD, RA set, the question echoed, answers whose owner
 * name is a compression pointer to the question (offset 12) or, after a CNAME, the CNAME target written out.
 */
export function dnsResponse(id: number, qname: string, qtype: number, answers: readonly DnsAnswer[], rcode = 0): Buffer {
  const parts: Buffer[] = [header(id, 0x8180 | (rcode & 0xf), 1, answers.length), question(qname, qtype)];
  let owner: Buffer = Buffer.from([0xc0, 0x0c]);
  for (const a of answers) {
    let type: number;
    let rdata: Buffer;
    switch (a.type) {
      case 'A': type = QTYPE.A; rdata = Buffer.from(a.addr.split('.').map(Number)); break;
      case 'AAAA': type = QTYPE.AAAA; rdata = a.addr; break;
      case 'CNAME': type = QTYPE.CNAME; rdata = encodeName(a.target); break;
      case 'TXT': {
        type = QTYPE.TXT;
        const strs: Buffer[] = [];
        for (const t of a.texts) {
          const b = Buffer.from(t, 'latin1');
          if (b.length > 255) throw new Error('TXT string too long');
          strs.push(Buffer.from([b.length]), b);
        }
        rdata = Buffer.concat(strs);
        break;
      }
    }
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(a.ttl, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    parts.push(owner, fixed, rdata);
    if (a.type === 'CNAME') owner = encodeName(a.target);
  }
  return Buffer.concat(parts);
}
