// Zeek fidelity: runs ../shared/tools/zeek-compare.mjs over the Zeek ground-truth corpus with the built
// CLI and pins, per log, the minimum rows found and rows exact at what wirehunt reaches, so the score
// can only go up. Every case must exit 0. The score table is printed in the test output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const tool = `${shared}tools/zeek-compare.mjs`;
const corpus = `${shared}corpus/zeek`;
const bin = `${repo}bin/wirehunt.js`;

// Floors: rows found / rows exact per log, as measured when this test was last raised.
// Raise them when the score improves; never lower them.
const FLOORS: Record<string, { found: number; exact: number }> = {
  'conn.log': { found: 153, exact: 150 },
  'tunnel.log': { found: 9, exact: 9 },
  'dns.log': { found: 18, exact: 18 },
  'ftp.log': { found: 43, exact: 41 },
  'http.log': { found: 63, exact: 62 },
  'ntlm.log': { found: 5, exact: 5 },
  'ssh.log': { found: 47, exact: 47 },
  'ssl.log': { found: 10, exact: 10 },
  'x509.log': { found: 16, exact: 16 },
};

interface Row { log: string; expected: number; matched: number; exact: number; fields: number; equal: number; extra: number }
interface Result { cases: { case: string; exit: number | null; stderr: string; results: Row[] }[]; summary: Row[] }

test('zeek-compare over the Zeek corpus: every case exits 0 and no log scores below its floor', () => {
  const r = spawnSync(process.execPath, [tool, '--corpus', corpus, '--json', '--cmd', `${process.execPath} ${bin} zeek`],
    { encoding: 'utf8', maxBuffer: 256 << 20, cwd: repo });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as Result;
  assert.ok(res.cases.length >= 50, `only ${res.cases.length} cases ran`);

  const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : '-');
  const lines = ['log         rows  found%  exact%  fields%  extra'];
  for (const s of res.summary) {
    lines.push(`${s.log.padEnd(11)} ${String(s.expected).padStart(5)}  ${pct(s.matched, s.expected).padStart(6)}  ${pct(s.exact, s.expected).padStart(6)}  ${pct(s.equal, s.fields).padStart(7)}  ${String(s.extra).padStart(5)}`);
  }
  console.log(lines.join('\n'));

  const failed = res.cases.filter((c) => c.exit !== 0).map((c) => `${c.case.split('/').slice(-2).join('/')}: exit ${c.exit} ${c.stderr.trim().split('\n').pop() ?? ''}`);
  assert.deepEqual(failed, [], 'cases that did not exit 0');

  for (const [log, floor] of Object.entries(FLOORS)) {
    const s = res.summary.find((x) => x.log === log);
    assert.ok(s, `${log} missing from the summary`);
    assert.ok(s.matched >= floor.found, `${log}: ${s.matched} rows found, floor ${floor.found}`);
    assert.ok(s.exact >= floor.exact, `${log}: ${s.exact} rows exact, floor ${floor.exact}`);
  }
  // The bar for tunnel.log: every row found.
  const tun = res.summary.find((x) => x.log === 'tunnel.log')!;
  assert.equal(tun.matched, tun.expected);
});
