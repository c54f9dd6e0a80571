// IPv6 functions: parse_ipv6, parse_ipv6_mask, ipv6_compare, ipv6_is_match, ipv6_is_in_range,
// ipv6_is_in_any_range (and the range ends ipv6_lookup joins on). An address (IPv6, or IPv4 taken as ::ffff:a.b.c.d) becomes, through the TEMP macros
// below, {w: its 8 words, p: its prefix length in bits}, or NULL when it does not parse.
//
// As Kusto does (Microsoft's examples in parse-ipv6-mask-function.md and ipv6-is-match-function.md): an IPv4
// address, also written ::a.b.c.d or ::ffff:a.b.c.d, is mapped to ::ffff:a.b.c.d and its /n counts IPv4 bits
// (n + 96 of the IPv6 address); a dotted quad after other words is just the last two words.
import type { FnTemplate, RenderedArg } from '../dialect.js';
import { bindValue as bind } from './bind.js';

const QUAD = String.raw`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`;
// The macros bind intermediate values with bind() (a lambda): a macro parameter repeats its argument at every
// use, and nested macros that did so took DuckDB minutes to plan.
export const IPV6_MACROS = [
  // hex groups separated by ':' → integers, or NULL when one is not 1-4 hex digits
  `CREATE OR REPLACE TEMP MACRO kql_ipv6_groups(s) AS ${bind(`CASE WHEN s = '' THEN []::VARCHAR[] ELSE string_split(s, ':') END`, 'gs',
    `CASE WHEN coalesce(list_bool_and(list_transform(gs, g -> regexp_matches(g, '^[0-9A-Fa-f]{1,4}$'))), TRUE) THEN list_transform(gs, g -> CAST('0x' || g AS INTEGER)) END`)}`,
  // the 8 words of hex notation; "::" stands for one or more zero words
  `CREATE OR REPLACE TEMP MACRO kql_ipv6_hex_words(s) AS ${bind('s', 'a', `CASE
     WHEN NOT regexp_matches(a, '^[0-9A-Fa-f:]{2,39}$') OR length(a) - length(replace(a, '::', '')) > 2 THEN NULL
     WHEN contains(a, '::') THEN ${bind(`[kql_ipv6_groups(split_part(a, '::', 1)), kql_ipv6_groups(split_part(a, '::', 2))]`, 'lr',
       `CASE WHEN len(lr[1]) + len(lr[2]) <= 7 THEN lr[1] || list_transform(range(8 - len(lr[1]) - len(lr[2])), z -> 0) || lr[2] END`)}
     WHEN len(string_split(a, ':')) = 8 THEN kql_ipv6_groups(a) END`)}`,
  // {w, v4}: v4 when the address is IPv4 (its /n then counts IPv4 bits)
  `CREATE OR REPLACE TEMP MACRO kql_ipv6_addr(s) AS ${bind('s', 'a', `CASE WHEN contains(a, '.') THEN ${bind(`regexp_extract(a, '^(.*?)(${QUAD})$', ['head', 'quad'])`, 'hq',
    bind(`list_transform(string_split(hq.quad, '.'), x -> TRY_CAST(x AS INTEGER))`, 'o', `CASE WHEN hq.quad = '' OR list_max(o) > 255 THEN NULL
       WHEN hq.head IN ('', '::') OR lower(hq.head) = '::ffff:' THEN {'w': [0, 0, 0, 0, 0, 65535, o[1] * 256 + o[2], o[3] * 256 + o[4]], 'v4': true}
       ELSE {'w': kql_ipv6_hex_words(hq.head || lower(hex(o[1] * 256 + o[2])) || ':' || lower(hex(o[3] * 256 + o[4]))), 'v4': false} END`))}
     ELSE {'w': kql_ipv6_hex_words(a), 'v4': false} END`)}`,
  // {w: 8 words, p: prefix length of the IPv6 address}, or NULL
  `CREATE OR REPLACE TEMP MACRO kql_ipv6(s) AS ${bind(`{'a': kql_ipv6_addr(split_part(trim(s), '/', 1)), 'parts': string_split(trim(s), '/')}`, 't', `CASE
     WHEN t.a.w IS NULL OR len(t.parts) > 2 THEN NULL
     WHEN len(t.parts) = 1 THEN {'w': t.a.w, 'p': 128}
     WHEN NOT regexp_matches(t.parts[2], '^\\d{1,3}$') THEN NULL
     WHEN CAST(t.parts[2] AS INTEGER) <= CASE WHEN t.a.v4 THEN 32 ELSE 128 END THEN {'w': t.a.w, 'p': CAST(t.parts[2] AS INTEGER) + CASE WHEN t.a.v4 THEN 96 ELSE 0 END} END`)}`,
  // the words with every bit past the first p cleared
  `CREATE OR REPLACE TEMP MACRO kql_ipv6_mask(w, p) AS ${bind('p', 'n', `list_transform(w, (x, i) -> CAST(x & ((CAST(65535 AS BIGINT) << (16 - greatest(0, least(16, n - 16 * (i - 1))))) & 65535) AS INTEGER))`)}`,
  // the words with every bit past the first p set (the last address of the prefix)
  `CREATE OR REPLACE TEMP MACRO kql_ipv6_fill(w, p) AS ${bind('p', 'n', `list_transform(w, (x, i) -> CAST(x | ((CAST(1 AS BIGINT) << (16 - greatest(0, least(16, n - 16 * (i - 1))))) - 1) AS INTEGER))`)}`,
  `CREATE OR REPLACE TEMP MACRO kql_ipv6_text(w) AS array_to_string(list_transform(w, x -> lpad(lower(hex(x)), 4, '0')), ':')`,
  // -1, 0 or 1: two addresses compared on the first m bits, or fewer where either has a shorter prefix; NULL
  // when either does not parse or m is NULL
  `CREATE OR REPLACE TEMP MACRO kql_ipv6_cmp(a, b, m) AS ${bind(`{'x': kql_ipv6(a), 'y': kql_ipv6(b)}`, 't', bind(`CASE WHEN m IS NOT NULL THEN least(t.x.p, t.y.p, m) END`, 'p',
    bind(`{'x': kql_ipv6_mask(t.x.w, p), 'y': kql_ipv6_mask(t.y.w, p)}`, 'k', `CASE WHEN p IS NULL OR k.x IS NULL OR k.y IS NULL THEN NULL WHEN k.x < k.y THEN -1 WHEN k.x > k.y THEN 1 ELSE 0 END`)))}`,
  // the canonical text (8 words of 4 hex digits) of the address masked to its prefix and m bits (its first
  // address), or with every later bit set (its last, when `last`); NULL when it does not parse or m is NULL
  `CREATE OR REPLACE TEMP MACRO kql_ipv6_end(s, m, last) AS ${bind('kql_ipv6(s)', 'x', `CASE WHEN m IS NOT NULL
     THEN kql_ipv6_text(CASE WHEN last THEN kql_ipv6_fill(x.w, least(x.p, m)) ELSE kql_ipv6_mask(x.w, least(x.p, m)) END) END`)}`,
];

/** A prefix argument: 0 to 128, else NULL (the result is then null). */
const bits = (x: string) => `(CASE WHEN ${x} BETWEEN 0 AND 128 THEN CAST(${x} AS INTEGER) END)`;
/** The address in the range: equal on the range's prefix (or the address's own, where shorter). */
const inRange = (ip: string, range: string) => `(kql_ipv6_cmp(${ip}, ${range}, 128) = 0)`;

export const IPV6_FUNCTIONS: Record<string, FnTemplate> = {
  // "" when it does not parse
  parse_ipv6: { sql: (a) => `coalesce(kql_ipv6_end(${a[0]}, 128, false), '')`, args: ['string'] },
  parse_ipv6_mask: { sql: (a) => `coalesce(kql_ipv6_end(${a[0]}, ${bits(a[1]!)}, false), '')`, args: ['string', 'long'] },
  ipv6_compare: { sql: (a) => `CAST(kql_ipv6_cmp(${a[0]}, ${a[1]}, ${a[2] ? bits(a[2]) : '128'}) AS BIGINT)`, args: ['string', 'string', 'long'] },
  ipv6_is_match: { sql: (a) => `(kql_ipv6_cmp(${a[0]}, ${a[1]}, ${a[2] ? bits(a[2]) : '128'}) = 0)`, args: ['string', 'string', 'long'] },
  ipv6_is_in_range: { sql: (a) => inRange(a[0]!, a[1]!), args: ['string', 'string'] },
  // internal (ipv6_lookup's range): the first and last address of a prefix as canonical text, whose order is the
  // addresses' order; NULL when it does not parse
  ipv6_range_first: { sql: (a) => `kql_ipv6_end(${a[0]}, 128, false)`, args: ['string'] },
  ipv6_range_last: { sql: (a) => `kql_ipv6_end(${a[0]}, 128, true)`, args: ['string'] },
  ipv6_is_in_any_range: {
    // ranges: several strings or one dynamic array of them
    sql: (a, raw: RenderedArg[]) => `coalesce(${a.slice(1).map((x, i) => (raw[i + 1]!.t === 'dynamic'
      ? `list_bool_or(list_transform(json_extract_string(${x}, '$[*]'), r -> ${inRange(a[0]!, 'r')}))`
      : inRange(a[0]!, x))).join(' OR ') || 'FALSE'}, FALSE)`,
    args: ['string'], rest: null,
  },
};
