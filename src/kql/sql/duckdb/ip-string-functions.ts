// IPv4 text functions (has_ipv4 and its prefix/any forms, format_ipv4[_mask], ipv4_compare) and
// replace_strings().
import { Unsupported } from '../../frontend/ast.js';
import type { FnTemplate, RenderedArg } from '../dialect.js';
import { sqlString as q } from './dialect.js';

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const VALID_IP = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
/** An address in text: not touching letters, digits or dots on either side. */
const BEFORE = '(?:^|[^0-9A-Za-z.])', AFTER = '(?:$|[^0-9A-Za-z.])';
const esc = (s: string) => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');

/** The literal strings of arguments from `from` on (strings, or dynamic arrays of them). */
function literals(raw: RenderedArg[], from: number, fn: string): string[] {
  const out: string[] = [];
  for (const r of raw.slice(from)) {
    if (!r.isLiteral) throw new Unsupported(`${fn}() with addresses that are not constants`, { start: 0, length: 0 });
    if (Array.isArray(r.literal)) out.push(...r.literal.map(String));
    else if (typeof r.literal === 'string') out.push(r.literal);
  }
  return out;
}

/** The pattern of one address, or of a prefix ("10.1." or a whole address) followed by the octets it lacks. */
function ipPattern(ip: string, prefix: boolean): string | null {
  if (!prefix) return VALID_IP.test(ip) ? BEFORE + esc(ip) + AFTER : null;
  if (VALID_IP.test(ip)) return BEFORE + esc(ip) + AFTER;
  const m = new RegExp(`^(${OCTET}\\.){1,3}$`).exec(ip);
  if (!m) return null;
  const missing = 4 - ip.split('.').length + 1;
  return BEFORE + esc(ip) + OCTET + `(?:\\.${OCTET}){${missing - 1}}` + AFTER;
}

function hasIp(prefix: boolean, any: boolean, fn: string): FnTemplate {
  return {
    sql: (a, raw) => {
      const ips = literals(raw, 1, fn);
      const pats = (any ? ips : ips.slice(0, 1)).map((ip) => ipPattern(ip, prefix)).filter((p): p is string => p !== null);
      if (!pats.length) return `(CASE WHEN ${a[0]} IS NULL THEN NULL ELSE FALSE END)`;
      return `regexp_matches(${a[0]}, ${q(`(?:${pats.join('|')})`)})`;
    },
    args: ['string'],
    rest: null,
  };
}

/** The address as a number, or null when it is not an IPv4 address (an optional /bits is left out). */
const ipToLong = (x: string) => `(CASE WHEN regexp_matches(split_part(${x}, '/', 1), ${q(`^${OCTET}(?:\\.${OCTET}){3}$`)}) THEN `
  + `(CAST(split_part(${x}, '.', 1) AS BIGINT) * 16777216 + CAST(split_part(${x}, '.', 2) AS BIGINT) * 65536 + CAST(split_part(${x}, '.', 3) AS BIGINT) * 256 + CAST(split_part(split_part(${x}, '/', 1), '.', 4) AS BIGINT)) END)`;
/** The prefix length written after the address (32 when none; null when not 0…32). */
const ownBits = (x: string) => `(CASE WHEN contains(${x}, '/') THEN (CASE WHEN TRY_CAST(split_part(${x}, '/', 2) AS BIGINT) BETWEEN 0 AND 32 THEN TRY_CAST(split_part(${x}, '/', 2) AS BIGINT) END) ELSE 32 END)`;
const masked = (n: string, bits: string) => `((${n}) // CAST(pow(2, 32 - (${bits})) AS BIGINT) * CAST(pow(2, 32 - (${bits})) AS BIGINT))`;
const dotted = (n: string) => `(CAST((${n}) // 16777216 AS VARCHAR) || '.' || CAST((${n}) // 65536 % 256 AS VARCHAR) || '.' || CAST((${n}) // 256 % 256 AS VARCHAR) || '.' || CAST((${n}) % 256 AS VARCHAR))`;

/** The address masked to min(its own /bits, mask): dotted, with "/bits" when `withMask`; '' when invalid. */
function formatIpv4(withMask: boolean): FnTemplate {
  return {
    sql: (a, raw) => {
      // the address as text (with an optional /bits) or as a number
      const numeric = ['long', 'int', 'real', 'decimal'].includes(raw[0]!.t);
      const n = numeric ? `(CASE WHEN ${a[0]} BETWEEN 0 AND 4294967295 THEN CAST(${a[0]} AS BIGINT) END)` : ipToLong(a[0]!);
      const bits = `least(${numeric ? '32' : ownBits(a[0]!)}, ${a[1] ?? '32'})`;
      const text = `${dotted(masked(n, bits))}${withMask ? ` || '/' || CAST(${bits} AS VARCHAR)` : ''}`;
      return `coalesce(CASE WHEN ${a[1] ?? '32'} BETWEEN 0 AND 32 THEN ${text} END, '')`;
    },
    args: [null, 'long'],
  };
}

/**
 * replace_strings(text, lookups, replacements): each lookup in turn is replaced in the text the
 * earlier ones left untouched (a replacement is never searched again).
 */
function replaceStrings(a: string[], raw: RenderedArg[]): string {
  const lookups = raw[1]!.literal, repl = raw[2]!.literal;
  if (!raw[1]!.isLiteral || !raw[2]!.isLiteral || !Array.isArray(lookups) || !Array.isArray(repl)) throw new Unsupported('replace_strings() with lookups that are not constants', { start: 0, length: 0 });
  const pairs = lookups.map((l, i) => [String(l), repl[i] == null ? '' : String(repl[i])] as const).filter(([l]) => l !== '');
  const build = (x: string, k: number): string => {
    if (k === pairs.length) return x;
    const [l, r] = pairs[k]!;
    return `array_to_string(list_transform(string_split(${x}, ${q(l)}), p${k} -> ${build(`p${k}`, k + 1)}), ${q(r)})`;
  };
  return `(CASE WHEN ${a[0]} IS NULL THEN NULL ELSE ${build(a[0]!, 0)} END)`;
}

export const IP_STRING_FUNCTIONS: Record<string, FnTemplate> = {
  has_ipv4: hasIp(false, false, 'has_ipv4'),
  has_ipv4_prefix: hasIp(true, false, 'has_ipv4_prefix'),
  has_any_ipv4: hasIp(false, true, 'has_any_ipv4'),
  has_any_ipv4_prefix: hasIp(true, true, 'has_any_ipv4_prefix'),
  format_ipv4: formatIpv4(false),
  format_ipv4_mask: formatIpv4(true),
  // -1, 0 or 1 comparing both addresses masked to the shortest prefix (theirs, and the optional third argument)
  ipv4_compare: {
    sql: (a) => {
      const bits = `least(${ownBits(a[0]!)}, ${ownBits(a[1]!)}${a[2] ? `, ${a[2]}` : ''})`;
      return `CAST(sign(${masked(ipToLong(a[0]!), bits)} - ${masked(ipToLong(a[1]!), bits)}) AS BIGINT)`;
    },
    args: ['string', 'string', 'long'],
  },
  replace_strings: { sql: replaceStrings, args: ['string', 'dynamic', 'dynamic'] },
};
