// Addresses in the flow layer are four unsigned 32-bit words (network order), IPv4 as the
// v4-mapped IPv6 address ::ffff:a.b.c.d, as Zeek stores them. Text is made only when a record
// is written, never per packet.

export function v4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Zeek's text for an address given as four words: dotted quad for v4-mapped, else inet_ntop's IPv6 form. */
export function wordsToString(w0: number, w1: number, w2: number, w3: number): string {
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return v4ToString(w3);
  const words = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // Longest run of zero words (length >= 2), first one on ties, as glibc's inet_ntop.
  let bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) { curBase = i; curLen = 1; } else curLen++;
      if (curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // Embedded IPv4 (IPv4-compatible or IPv4-mapped), as inet_ntop prints it.
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += v4ToString(w3);
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v = (v & (v - 1)) >>> 0) n++;
  return n;
}

interface Range6 { w: [number, number, number, number]; bits: number }

function parse4(s: string): number {
  const p = s.split('.').map(Number);
  return (((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0);
}

function parse6(s: string): [number, number, number, number] {
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':').map((x) => parseInt(x, 16)) : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':').map((x) => parseInt(x, 16)) : [];
  const words = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) out[i] = ((words[2 * i]! << 16) | words[2 * i + 1]!) >>> 0;
  return out;
}

// Site::private_address_space (scripts/base/utils/site.zeek), with private_address_space_is_local = T.
const V4_LOCAL = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24',
  '224.0.0.0/24', '239.0.0.0/8', '240.0.0.0/4', '255.255.255.255/32'];
const V6_LOCAL = ['::/128', '::1/128', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:2::/48', '2001:db8::/32',
  'fc00::/7', 'fe80::/10', 'fec0::/10'];

const v4Ranges: { net: number; mask: number }[] = V4_LOCAL.map((r) => {
  const [a, b] = r.split('/') as [string, string];
  const bits = Number(b);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { net: (parse4(a) & mask) >>> 0, mask };
});

const v6Ranges: Range6[] = [
  ...V6_LOCAL.map((r) => {
    const [a, b] = r.split('/') as [string, string];
    return { w: parse6(a), bits: Number(b) };
  }),
  // The 6to4 image (2002::/16) of every IPv4 range.
  ...v4Ranges.map(({ net, mask }) => {
    const v4bits = popcount(mask);
    return { w: [((0x2002 << 16) | (net >>> 16)) >>> 0, ((net & 0xffff) << 16) >>> 0, 0, 0] as [number, number, number, number], bits: 16 + v4bits };
  }),
];

function inRange6(w: ArrayLike<number>, r: Range6): boolean {
  let bits = r.bits;
  for (let i = 0; i < 4 && bits > 0; i++) {
    const take = bits >= 32 ? 32 : bits;
    const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    if (((w[i]! & mask) >>> 0) !== ((r.w[i]! & mask) >>> 0)) return false;
    bits -= take;
  }
  return true;
}

/** Site::is_local_addr with Zeek's default settings. */
export function isLocalWords(w0: number, w1: number, w2: number, w3: number): boolean {
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) {
    for (const r of v4Ranges) if (((w3 & r.mask) >>> 0) === r.net) return true;
    return false;
  }
  const w = [w0, w1, w2, w3];
  for (const r of v6Ranges) if (inRange6(w, r)) return true;
  return false;
}
