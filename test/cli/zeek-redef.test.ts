import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/wirehunt.js', import.meta.url));
const corpus = fileURLToPath(new URL('../../../../shared/corpus/zeek/', import.meta.url));
const compare = fileURLToPath(new URL('../../../../shared/tools/zeek-compare.mjs', import.meta.url));

function caseMeta(c: string): { pcap: string; test_script: string } {
  return JSON.parse(readFileSync(join(corpus, c, 'case.json'), 'utf8'));
}

function exact(caseDir: string, out: string, log: string): { expected: number; exact: number } {
  const r = spawnSync(process.execPath, [compare, '--case', join(corpus, caseDir), '--ours', out, '--json'], { encoding: 'utf8' });
  const res = JSON.parse(r.stdout) as { results: { log: string; expected: number; exact: number }[] };
  return res.results.find((x) => x.log === log)!;
}

// The corpus cases whose tests redef what FTP and HTTP log: with the same redefs, Zeek's rows exactly.
test('--redef and --script apply the Zeek redefs that change ftp.log and http.log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-redef-'));
  try {
    const ftp = caseMeta('ftp/password-pass-command');
    const redefs = ftp.test_script.split('\n').filter((l) => l.startsWith('redef '));
    assert.equal(redefs.length, 2);
    const out1 = join(dir, 'ftp');
    const without = join(dir, 'ftp-stock');
    const args = [bin, 'zeek', join(corpus, 'ftp/password-pass-command', ftp.pcap), '-C', '--analyzers', 'conn,ftp'];
    assert.equal(spawnSync(process.execPath, [...args, '--out', without]).status, 0);
    const r = spawnSync(process.execPath, [...args, '--out', out1, ...redefs.flatMap((x) => ['--redef', x])], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const stock = exact('ftp/password-pass-command', without, 'ftp.log');
    const withRedef = exact('ftp/password-pass-command', out1, 'ftp.log');
    assert.ok(stock.exact < stock.expected, 'stock settings cannot give the USER/PASS rows');
    assert.equal(withRedef.exact, withRedef.expected);

    const http = caseMeta('http/basic-auth-colon');
    const script = join(dir, 'test.zeek');
    writeFileSync(script, http.test_script);
    const out2 = join(dir, 'http');
    const r2 = spawnSync(process.execPath, [bin, 'zeek', join(corpus, 'http/basic-auth-colon', http.pcap), '--analyzers', 'conn,http', '--script', script, '--out', out2], { encoding: 'utf8' });
    assert.equal(r2.status, 0, r2.stderr);
    const h = exact('http/basic-auth-colon', out2, 'http.log');
    assert.equal(h.exact, h.expected);

    const bad = spawnSync(process.execPath, [bin, 'zeek', join(corpus, 'http/basic-auth-colon', http.pcap), '--out', join(dir, 'x'), '--redef', 'redef Foo::bar = T'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^wirehunt: --redef\/--script: no redef wirehunt understands/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
