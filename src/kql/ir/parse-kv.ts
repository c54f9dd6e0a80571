// parse-kv: each requested key's value as a string IR expression, found by a regular expression
// built from the operator's options (pair_delimiter, kv_delimiter, quote, escape, greedy, regex).
//
// With delimiters, a key starts a pair (at the start or after a pair delimiter) and its value runs
// to the next pair delimiter; greedy=true extends it to the next "delimiter key kv_delimiter" (or the
// end), so values may hold the pair delimiter. A value or key between quotes may hold delimiters; the
// escape character makes the next character literal. Without delimiters (Kusto's automatic mode)
// pairs are separated by white space, ',' or ';' and keys from values by ':' or '='.
// With regex=, group 1 of each match is a key and group 2 its value; the first pair of a key wins.
import type { Column } from '../frontend/ast.js';
import type { IRExpr } from './plan.js';

function esc(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** A bracket expression excluding `chars` (escaped for RE2). */
function notIn(chars: string): string {
  return '[^' + [...new Set(chars)].map((c) => (c === '\\' || c === ']' || c === '^' || c === '-' || c === '[' ? '\\' + c : c === '\t' ? '\\t' : c)).join('') + ']';
}

const str = (v: string): IRExpr => ({ e: 'lit', t: 'string', v });

export function parseKvValues(src: IRExpr, keys: Column[], params: Record<string, string>): Map<string, IRExpr> {
  const out = new Map<string, IRExpr>();
  if (params['regex']) {
    for (const k of keys) out.set(k.name, { e: 'fn', f: 'kv_lookup', args: [src, str(params['regex']), str(k.name)], t: 'string' });
    return out;
  }
  const pair = params['pair_delimiter'] ?? '';
  const kv = params['kv_delimiter'] ?? '';
  const quote = params['quote'] ?? '';
  const escape = params['escape'] ?? '';
  const greedy = /^true$/i.test(params['greedy'] ?? '');
  const open = quote[0] ?? '', close = quote[1] ?? quote[0] ?? '';
  const PD = pair ? esc(pair) : '[\\s,;]';
  const KD = kv ? esc(kv) : '[:=]';
  const quoted = open ? `${esc(open)}(?:${escape ? `${esc(escape)}.|` : ''}${notIn(close + escape)})*${esc(close)}` : null;
  const keyToken = `(?:${quoted ? quoted + '|' : ''}${notIn((pair || ' ,;') + (kv || ':=') + ' \t')}+)`;
  const end = greedy ? `(?:${PD}\\s*${keyToken}\\s*${KD}|$)` : `(?:${PD}|$)`;
  const unquoted = pair || greedy ? '.*?' : `${notIn(' \t,;')}*`;
  for (const k of keys) {
    const key = open ? `(?:${esc(open)}${esc(k.name)}${esc(close)}|${esc(k.name)})` : esc(k.name);
    const re = `(?s)(?:^|${PD})\\s*${key}\\s*${KD}\\s*(${quoted ? quoted + '|' : ''}${unquoted})\\s*${end}`;
    const raw: IRExpr = { e: 'fn', f: 'regex_group', args: [src, str(re), { e: 'lit', t: 'long', v: 1 }], t: 'string' };
    out.set(k.name, { e: 'fn', f: 'kv_unquote', args: [raw, str(open), str(close), str(escape)], t: 'string' });
  }
  return out;
}
