// IP address classes as Defender's LocalIPType / RemoteIPType report them, and which addresses
// count as "inside" for device discovery (private, loopback, link-local).

export type IPType = 'Public' | 'Private' | 'Loopback' | 'LinkLocal' | 'Multicast' | 'Broadcast' | 'Reserved' | 'Teredo' | 'FourToSixMapping';

/** Parses dotted IPv4 into an unsigned 32-bit number; -1 when it is not one. */
export function parseIPv4(s: string): number {
  let n = 0;
  let part = -1;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (part < 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = -1;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || part < 0) return -1;
  return n * 256 + part;
}

function inRange(ip: number, base: number, bits: number): boolean {
  const size = 2 ** (32 - bits);
  return ip >= base && ip < base + size;
}

const v4 = (a: number, b: number, c: number, d: number) => ((a * 256 + b) * 256 + c) * 256 + d;

export function ipv4Type(ip: number): IPType {
  if (inRange(ip, v4(127, 0, 0, 0), 8)) return 'Loopback';
  if (inRange(ip, v4(10, 0, 0, 0), 8) || inRange(ip, v4(172, 16, 0, 0), 12) || inRange(ip, v4(192, 168, 0, 0), 16)) return 'Private';
  if (inRange(ip, v4(169, 254, 0, 0), 16)) return 'LinkLocal';
  if (ip === 0xffffffff) return 'Broadcast';
  if (inRange(ip, v4(224, 0, 0, 0), 4)) return 'Multicast';
  if (
    inRange(ip, 0, 8) ||
    inRange(ip, v4(100, 64, 0, 0), 10) ||
    inRange(ip, v4(192, 0, 0, 0), 24) ||
    inRange(ip, v4(192, 0, 2, 0), 24) ||
    inRange(ip, v4(198, 18, 0, 0), 15) ||
    inRange(ip, v4(198, 51, 100, 0), 24) ||
    inRange(ip, v4(203, 0, 113, 0), 24) ||
    inRange(ip, v4(240, 0, 0, 0), 4)
  )
    return 'Reserved';
  return 'Public';
}

/** Expands an IPv6 text address to 8 16-bit groups; undefined when it is not one. */
export function parseIPv6(s: string): number[] | undefined {
  if (s.indexOf(':') < 0) return undefined;
  let text = s;
  const pct = text.indexOf('%');
  if (pct >= 0) text = text.slice(0, pct);
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.indexOf('.') >= 0) {
    const n = parseIPv4(maybeV4);
    if (n < 0) return undefined;
    text = text.slice(0, lastColon + 1) + Math.floor(n / 65536).toString(16) + ':' + (n % 65536).toString(16);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 2 && fill < 1) return undefined;
  const groups = halves.length === 2 ? [...head, ...new Array<number>(fill).fill(0), ...rest] : head;
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g) || g < 0)) return undefined;
  return groups;
}

function ipv6Type(g: number[]): IPType {
  const allZero = g.every((x) => x === 0);
  if (allZero) return 'Reserved';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'Loopback';
  if (g[0]! >= 0xfe80 && g[0]! <= 0xfebf) return 'LinkLocal';
  if ((g[0]! & 0xfe00) === 0xfc00) return 'Private';
  if (g[0]! >= 0xfec0 && g[0]! <= 0xfeff) return 'Private'; // deprecated site-local
  if ((g[0]! & 0xff00) === 0xff00) return 'Multicast';
  if (g[0] === 0x2001 && g[1] === 0) return 'Teredo';
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return ipv4Type(g[6]! * 65536 + g[7]!) === 'Public' ? 'FourToSixMapping' : ipv4Type(g[6]! * 65536 + g[7]!);
  if (g[0] === 0x2001 && g[1] === 0xdb8) return 'Reserved';
  return 'Public';
}

const cache = new Map<string, IPType>();

/** Defender's IP type of a textual address ('' for anything that is not an address). */
export function ipType(addr: string): IPType | '' {
  let t = cache.get(addr);
  if (t !== undefined) return t;
  const n = parseIPv4(addr);
  if (n >= 0) t = ipv4Type(n);
  else {
    const g = parseIPv6(addr);
    if (!g) return '';
    t = ipv6Type(g);
  }
  if (cache.size > 65536) cache.clear();
  cache.set(addr, t);
  return t;
}

/** True for IPv4 addresses (as numbers) that discovery turns into devices: private, loopback, link-local. */
export function isInsideV4(ip: number): boolean {
  return ip >= 0x0a000000 && ip < 0x0b000000 || ip >= 0xac100000 && ip < 0xac200000 || ip >= 0xc0a80000 && ip < 0xc0a90000 ||
    ip >= 0x7f000000 && ip < 0x80000000 || ip >= 0xa9fe0000 && ip < 0xa9ff0000;
}

/** Addresses that discovery turns into devices: private, loopback and link-local. */
export function isInsideAddress(addr: string): boolean {
  const t = ipType(addr);
  return t === 'Private' || t === 'Loopback' || t === 'LinkLocal';
}

export function isIPv6(addr: string): boolean {
  return addr.indexOf(':') >= 0;
}
