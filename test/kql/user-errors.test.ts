// Mistakes in a query that the binder lets through but Kusto refuses when it runs: a diagnostic with
// code and position instead of DuckDB's words (or a made-up value).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQuery } from '../../src/kql/index.js';
import { printStore } from './print-row.js';
const { row, store } = printStore(new Date('2024-05-01T12:00:00Z'));

function diagnostic(q: string): string {
  const d = compileQuery(q).diagnostics.find((x) => x.severity === 'error');
  return d ? `${d.code} ${d.line}:${d.column} ${d.message}` : 'none';
}

test('a datetime literal that is not a date is an error at its position; spaced dates and MinValue are read', async () => {
  assert.equal(diagnostic('print d = datetime(garbage)'), 'WH002 1:11 datetime(garbage) is not a date and time Kusto can read');
  assert.match(diagnostic('print x = 1\n| extend d = datetime(2024-13-45)'), /^WH002 2:14 /);
  assert.deepEqual(await row('print a = datetime(2017 - 08 - 01), b = datetime(0001-01-01)'), { a: '2017-08-01T00:00:00.0000000Z', b: '0001-01-01T00:00:00.0000000Z' });
});

test('a constant regular expression no engine reads is an error at its position; RE2-only syntax is not', async () => {
  assert.equal(diagnostic('print x = "abc" | where x matches regex "("'), 'WH002 1:41 invalid regular expression "(": Unterminated group');
  assert.match(diagnostic('print extract("[a", 1, "abc")'), /^WH002 1:15 invalid regular expression "\[a": /);
  assert.match(diagnostic('print x = "a" | where x matches regex "a{2,1}"'), /^WH002 /);
  assert.deepEqual(await row('print a = "ABC" matches regex "(?i)b", b = extract("(?s:(b))", 1, "abc"), c = extract(@"([\\x{41}-\\x{5A}])", 1, "xQz")'), { a: true, b: 'b', c: 'Q' });
});

test('an integer constant past its type is null, as a converted column value is', async () => {
  assert.deepEqual(await row('print a = toint(9999999999), b = toint("99999999999"), c = tolong(1e30), d = toint(-2147483648)'), { a: null, b: null, c: null, d: -2147483648 });
});

test('long constants past 2^53 reach DuckDB exactly', async () => {
  // the text of the value shows every digit (the number itself is a JavaScript number in the result rows)
  assert.deepEqual(await row('print a = tostring(9007199254740993), b = tostring(tolong("9223372036854775807")), c = tostring(9223372036854775807 - 1)'),
    { a: '9007199254740993', b: '9223372036854775807', c: '9223372036854775806' });
});

test('take, top and sample refuse a negative count where it is written; sample n picks n of the rows', async () => {
  assert.equal(diagnostic('print x = 1 | take -1'), 'WH002 1:20 take: the row count must be 0 or more');
  assert.match(diagnostic('print x = 1 | top -2 by x'), /^WH002 1:19 top: /);
  const { rows } = await import('../../src/kql/index.js').then(async (k) => ({ rows: (await k.runQuery(store(), 'range x from 1 to 100 step 1 | sample 5')).rows }));
  const xs = rows.map((r) => r.x as number);
  assert.equal(new Set(xs).size, 5);
  assert.ok(xs.every((x) => Number.isInteger(x) && x >= 1 && x <= 100), JSON.stringify(xs));
});
