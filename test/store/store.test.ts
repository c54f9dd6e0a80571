import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TABLES, KUSTO_TO_DUCKDB, getTable, findTable, type KustoType } from '../../src/store/types.js';
import { openStore, resolveStorePath, defaultStorePath, shreddedKeys, shreddedColumn, withShreddedColumns } from '../../src/store/store.js';
import { UserError } from '../../src/cli/types.js';

const shared = new URL('../../../../shared/', import.meta.url);
const schemaJson = JSON.parse(readFileSync(new URL('schema/defender-tables.json', shared), 'utf8')) as {
  tables: Record<string, { name: string; type: string }[]>;
  aliases: Record<string, string>;
};

test('the generated schema is exactly shared/schema/defender-tables.json (names, types, order)', () => {
  assert.deepEqual(TABLES.map((t) => t.name), Object.keys(schemaJson.tables));
  for (const t of TABLES) {
    assert.deepEqual(
      t.columns.map((c) => [c.name, c.kustoType]),
      schemaJson.tables[t.name]!.map((c) => [c.name, c.type]),
      t.name,
    );
    for (const c of t.columns) assert.equal(c.duckType, KUSTO_TO_DUCKDB[c.kustoType as KustoType]);
  }
  assert.equal(getTable('GraphApiAuditEvents')?.name, 'GraphAPIAuditEvents');
  assert.equal(findTable('devicenetworkevents')?.name, 'DeviceNetworkEvents');
  const dpe = getTable('DeviceProcessEvents')!;
  assert.deepEqual(dpe.columns.filter((c) => c.name.toLowerCase() === 'logonid').map((c) => c.sqlName), ['LogonId', 'LogonID_2']);
  assert.deepEqual(getTable('DeviceNetworkEvents')!.keyColumns, ['ReportId', 'DeviceId', 'Timestamp']);
});

test('openStore creates every table with the mapped DuckDB types; strings default to empty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-store-'));
  try {
    const path = join(dir, 's.duckdb');
    const s = await openStore(path);
    const r = await s.connection.runAndReadAll(`SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name='main' AND database_name = current_database() ORDER BY table_name, column_index`);
    const got = new Map<string, string[]>();
    for (const [t, c, ty] of r.getRows() as [string, string, string][]) {
      if (!got.has(t)) got.set(t, []);
      got.get(t)!.push(`${c}:${ty}`);
    }
    assert.equal(got.size, TABLES.length);
    for (const t of TABLES) assert.deepEqual(got.get(t.name), t.columns.map((c) => `${c.sqlName}:${c.duckType}`), t.name);
    const w = await s.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'ReportId', 'RemotePort', 'AdditionalFields']);
    w.appendRow([1_700_000_000_123_456, 'd1', 42, 443, '{"a":1}']);
    w.appendRow([1_700_000_000_123_456, 'd1', 42, 443, '{"a":1}']); // same key in one batch
    w.appendRow([1_700_000_001_000_000, 'd1', 43, null, undefined]);
    assert.equal(await w.close(), 2);
    const rows = (await s.connection.runAndReadAll(`SELECT strftime(Timestamp, '%Y-%m-%dT%H:%M:%S.%f') t, DeviceName, ActionType, RemotePort, ReportId FROM DeviceNetworkEvents ORDER BY ReportId`)).getRows();
    assert.deepEqual(rows, [['2023-11-14T22:13:20.123456', '', '', 443, 42n], ['2023-11-14T22:13:21.000000', '', '', null, 43n]]);
    s.close();
    const ro = await openStore(path, { readOnly: true });
    assert.equal(await ro.count('DeviceNetworkEvents'), 2);
    await assert.rejects(ro.writer('DeviceInfo', ['DeviceId']), UserError);
    ro.close();
    await assert.rejects(openStore(join(dir, 'missing.duckdb'), { readOnly: true }), (e: unknown) => e instanceof UserError && /no store at/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('store path: --db wins, then WIREHUNT_DB, then the XDG data folder', () => {
  assert.equal(resolveStorePath('/x/y.duckdb', { WIREHUNT_DB: '/a.duckdb' }), '/x/y.duckdb');
  assert.equal(resolveStorePath(undefined, { WIREHUNT_DB: '/a.duckdb' }), '/a.duckdb');
  assert.equal(defaultStorePath({ XDG_DATA_HOME: '/data' }), '/data/wirehunt/wirehunt.duckdb');
  assert.equal(resolveStorePath(':memory:', {}), ':memory:');
});

test('batches keep awkward values intact: tabs, newlines, NUL, \\x01, quotes in strings; NaN/inf reals; bools; big longs; JSON; cold columns', async () => {
  const s = await openStore(':memory:');
  try {
    const odd = ['a\tb', 'line1\nline2\r\n', 'nul\x00byte', '\x01starts', 'quote " and \\ back', 'ünïcødé ✓', '"leading quote'];
    const w = await s.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'DeviceName', 'ReportId', 'RemoteUrl', 'AdditionalFields', 'InitiatingProcessFileName', 'InitiatingProcessId']);
    odd.forEach((v, i) => w.appendRow([1_700_000_000_000_000 + i, `d${i}`, v, i, v, JSON.stringify({ v, nl: 'x\ny' }), v, 2 ** 40]));
    w.appendRow([1_700_000_000_000_100, 'd9', '', 9, '', 'not json', '', null]);
    assert.equal(await w.close(), odd.length + 1);
    const r = (await s.connection.runAndReadAll(
      `SELECT DeviceName, RemoteUrl, AdditionalFields, InitiatingProcessFileName, InitiatingProcessId FROM DeviceNetworkEvents ORDER BY ReportId`,
    )).getRows();
    odd.forEach((v, i) => assert.deepEqual(r[i], [v, v, JSON.stringify({ v, nl: 'x\ny' }), v, 2n ** 40n], JSON.stringify(v)));
    assert.deepEqual(r[odd.length], ['', '', 'not json', '', null]); // AdditionalFields is a string column here

    const d = await s.writer('DeviceTvmSecureConfigurationAssessment', ['DeviceId', 'Timestamp', 'ConfigurationImpact', 'IsCompliant', 'Context']);
    d.appendRow(['a', 1, NaN, true, '[1,2]']);
    d.appendRow(['b', 2, Infinity, false, '{"k":\n"v"}']);
    d.appendRow(['c', 3, -1.5e300, 1, null]);
    d.appendRow(['e', 4, 0.1, null, '']);
    assert.equal(await d.close(), 4);
    const t = (await s.connection.runAndReadAll(
      `SELECT DeviceId, CAST(ConfigurationImpact AS VARCHAR), IsCompliant, CAST(Context AS VARCHAR) FROM DeviceTvmSecureConfigurationAssessment ORDER BY DeviceId`,
    )).getRows();
    assert.deepEqual(t, [['a', 'nan', true, '[1,2]'], ['b', 'inf', false, '{"k":\n"v"}'], ['c', '-1.5e+300', true, null], ['e', '0.1', null, null]]);
  } finally {
    s.close();
  }
});

test('JSON text (AdditionalFields, __cold) is stored uncompressed; other strings as DuckDB chooses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-store-'));
  try {
    const s = await openStore(join(dir, 's.duckdb'));
    const w = await s.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'ReportId', 'RemoteUrl', 'AdditionalFields', 'InitiatingProcessFileName']);
    // repetitive text, which DuckDB would otherwise compress (FSST or a dictionary)
    for (let i = 0; i < 5000; i++) w.appendRow([1_700_000_000_000_000 + i, 'dev1', i, `host${i % 7}.example.com`, JSON.stringify({ direction: 'Out', uid: `C${i}`, query: `q${i % 50}.example.net` }), 'chrome.exe']);
    await w.close();
    await s.connection.run('CHECKPOINT');
    const r = await s.connection.runAndReadAll(`SELECT column_name, string_agg(DISTINCT compression, ',') FROM pragma_storage_info('store.DeviceNetworkEvents')
      WHERE segment_type <> 'VALIDITY' AND column_name IN ('AdditionalFields', '__cold', 'RemoteUrl') GROUP BY ALL ORDER BY 1`);
    const got = Object.fromEntries(r.getRows().map(([c, l]) => [String(c), String(l)]));
    assert.equal(got.AdditionalFields, 'Uncompressed');
    assert.equal(got.__cold, 'Uncompressed');
    assert.notEqual(got.RemoteUrl, 'Uncompressed'); // the rule is for JSON text only
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('re-running the same rows in other batch sizes adds only what is missing', async () => {
  const s = await openStore(':memory:');
  try {
    const w = await s.writer('DeviceInfo', ['Timestamp', 'DeviceId', 'ReportId', 'OSBuild'], { batchSize: 2 });
    for (let i = 0; i < 5; i++) {
      w.appendRow([i * 1e6, 'dev', i, i]);
      if (w.full) await w.flush();
    }
    assert.equal(await w.close(), 5);
    const again = await s.writer('DeviceInfo', ['Timestamp', 'DeviceId', 'ReportId', 'OSBuild'], { batchSize: 3 });
    for (let i = 0; i < 7; i++) {
      again.appendRow([i * 1e6, 'dev', i, i]);
      if (again.full) await again.flush();
    }
    assert.equal(await again.close(), 2);
    assert.equal(await s.count('DeviceInfo'), 7);
  } finally {
    s.close();
  }
});

test('long columns: integers around the 10^8 split and at the edges of the safe range come back exactly', async () => {
  const s = await openStore(':memory:');
  try {
    const vals = [0, -5, 99_999_999, 100_000_000, 100_000_007, 12_300_000_045, 1_767_603_600_029_600, 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 60];
    const w = await s.writer('DeviceInfo', ['Timestamp', 'DeviceId', 'ReportId', 'OSBuild']);
    vals.forEach((v, i) => w.appendRow([i, `d${i}`, i, v]));
    assert.equal(await w.close(), vals.length);
    const got = (await s.connection.runAndReadAll(`SELECT OSBuild FROM DeviceInfo ORDER BY ReportId`)).getRows().map((r) => r[0]);
    assert.deepEqual(got, vals.map((v) => BigInt(v)));
  } finally {
    s.close();
  }
});

test('an ingest limits DuckDB to one thread fewer than the machine has, and restores the setting after', async () => {
  const s = await openStore(':memory:');
  const threads = async () => Number((await s.connection.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0]![0]);
  const prev = process.env.WIREHUNT_INGEST_THREADS;
  try {
    await s.connection.run('SET threads = 3');
    process.env.WIREHUNT_INGEST_THREADS = '1';
    const restore = await s.limitThreadsForIngest();
    assert.equal(await threads(), 1);
    await restore();
    assert.equal(await threads(), 3);
  } finally {
    if (prev === undefined) delete process.env.WIREHUNT_INGEST_THREADS;
    else process.env.WIREHUNT_INGEST_THREADS = prev;
    s.close();
  }
});

test('key checks: one ReportId on two devices is two rows; a later batch outside the stored time range and one overlapping it', async () => {
  const s = await openStore(':memory:');
  try {
    const cols = ['Timestamp', 'DeviceId', 'ReportId', 'ActionType'];
    const w = await s.writer('DeviceNetworkEvents', cols, { batchSize: 4 });
    const rows: [number, string, number, string][] = [
      [10, 'a', 1, 'x'], [10, 'b', 1, 'x'], [10, 'a', 1, 'dup of the first'], [20, 'a', 2, 'x'], // batch 1: repeats
      [1000, 'a', 3, 'x'], [1001, 'a', 4, 'x'], [1002, 'a', 5, 'x'], [1003, 'a', 6, 'x'], // batch 2: after the stored range
      [20, 'a', 2, 'stored already'], [30, 'a', 7, 'x'], // batch 3: overlaps batch 1
    ];
    for (const r of rows) {
      w.appendRow(r);
      if (w.full) await w.flush();
    }
    assert.equal(await w.close(), 8);
    const got = (await s.connection.runAndReadAll(`SELECT DeviceId, ReportId, ActionType FROM DeviceNetworkEvents ORDER BY ReportId, DeviceId`)).getRows();
    assert.deepEqual(got.map((r) => `${r[0]}${r[1]}`), ['a1', 'b1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    assert.ok(!got.some((r) => r[2] === 'stored already'));
  } finally {
    s.close();
  }
});

test('staging files of ingests that no longer run are removed; those of running processes are kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-stage-'));
  const prev = process.env.WIREHUNT_STAGE_DIR;
  const { spawnSync } = await import('node:child_process');
  const { writeFileSync, existsSync, readdirSync } = await import('node:fs');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited by now
  const stale = join(dir, `wirehunt-${dead}-x-__stage_DeviceInfo_1_0.tsv`);
  const live = join(dir, `wirehunt-${process.ppid}-x-__stage_DeviceInfo_1_0.tsv`);
  const other = join(dir, 'unrelated.tsv');
  for (const f of [stale, live, other]) writeFileSync(f, 'x\n');
  process.env.WIREHUNT_STAGE_DIR = dir;
  const s = await openStore(':memory:');
  try {
    const w = await s.writer('DeviceInfo', ['DeviceId']);
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(live), true);
    assert.equal(existsSync(other), true);
    w.appendRow(['d']);
    assert.equal(await w.close(), 1);
    assert.deepEqual(readdirSync(dir).sort(), [live, other].map((f) => f.slice(dir.length + 1)).sort()); // its own files are gone after close
  } finally {
    if (prev === undefined) delete process.env.WIREHUNT_STAGE_DIR;
    else process.env.WIREHUNT_STAGE_DIR = prev;
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unwritable staging folder is one clear UserError, not a stack trace', async () => {
  const prev = process.env.WIREHUNT_STAGE_DIR;
  process.env.WIREHUNT_STAGE_DIR = join(tmpdir(), 'wh-no-such-folder', 'deeper');
  const s = await openStore(':memory:');
  try {
    const w = await s.writer('DeviceInfo', ['DeviceId']);
    w.appendRow(['d']);
    await assert.rejects(w.close(), (e: unknown) => e instanceof UserError && /cannot write the batch staging file .*WIREHUNT_STAGE_DIR/.test(e.message));
    assert.equal(await s.count('DeviceInfo'), 0);
  } finally {
    if (prev === undefined) delete process.env.WIREHUNT_STAGE_DIR;
    else process.env.WIREHUNT_STAGE_DIR = prev;
    s.close();
  }
});

// AdditionalFields texts whose keys DuckDB extracts in every way it can: strings (escaped too), numbers,
// booleans, null, objects, arrays, a missing key, duplicates, whitespace, not JSON, JSON that is not an object.
const AF_TEXTS = [
  '{"direction":"Out","uri":"/a.exe","user_agent":"curl/8.4.0","status_code":200,"method":null}',
  '{"direction":"In","query":"a\\"b\\\\c\\u00e9\\n","qtype_name":"TXT","rcode_name":"NOERROR"}',
  '{"uri":0.000123,"user_agent":false,"qtype_name":12345678901234567890,"query":3}',
  '{"uri":{"name":"x","v":[1,2]},"user_agent":[1,"two",{"3":4}],"issuer":true}',
  '{"direction":"Out","direction":"In"}',
  ' { "direction" : "Out" , "host" : "h.example" } ',
  '{"issuer":"CN=R3,O=Let\'s Encrypt","subject":"","server_name":"\\/x"}',
  '{"issuer":"SSH","query":"\\u0000nul"}',
  '{"other":"no shredded key here"}',
  'not json at all',
  '["direction","Out"]',
  '"direction"',
  '{}',
  '',
];

test('the keys the store keeps as columns hold exactly what json_extract_string gives for every row', async () => {
  const s = await openStore(':memory:');
  try {
    const w = await s.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'ReportId', 'AdditionalFields']);
    AF_TEXTS.forEach((af, i) => w.appendRow([1_700_000_000_000_000 + i, 'd1', i, af]));
    assert.equal(await w.close(), AF_TEXTS.length);
    const keys = shreddedKeys('DeviceNetworkEvents', 'AdditionalFields');
    assert.ok(keys.includes('direction') && keys.includes('qtype_name'), keys.join());
    const col = (k: string) => `"${shreddedColumn('AdditionalFields', k)}"`;
    const live = (k: string) => `try(json_extract_string(NULLIF("AdditionalFields", ''), '$."${k}"'))`;
    const r = await s.connection.runAndReadAll(`SELECT ReportId, ${keys.map((k) => `${col(k)} IS NOT DISTINCT FROM ${live(k)}, ${col(k)}`).join(', ')} FROM store."DeviceNetworkEvents" ORDER BY ReportId`);
    let filled = 0;
    for (const row of r.getRows()) {
      keys.forEach((k, i) => {
        assert.equal(row[1 + 2 * i], true, `row ${String(row[0])} key ${k}: stored ${String(row[2 + 2 * i])}`);
        if (row[2 + 2 * i] !== null) filled++;
      });
    }
    assert.ok(filled >= 18, `${filled} values filled`);
    const one = (await s.connection.runAndReadAll(`SELECT ${col('direction')}, ${col('uri')}, ${col('query')} FROM store."DeviceNetworkEvents" WHERE ReportId IN (0, 1) ORDER BY ReportId`)).getRows();
    assert.deepEqual(one, [['Out', '/a.exe', null], ['In', null, 'a"b\\cé\n']]);
    // rows made in SQL may hold the text as DuckDB's JSON type (bench:query generates them so)
    const made = withShreddedColumns(getTable('DeviceNetworkEvents')!, ['"AdditionalFields"'], `SELECT json_object('direction', 'Out', 'n', 1) AS "AdditionalFields"`);
    const fromJson = (await s.connection.runAndReadAll(`SELECT ${col('direction')} FROM (${made.rows})`)).getRows();
    assert.deepEqual(fromJson, [['Out']]);
  } finally {
    s.close();
  }
});

test('a store made before the keys were kept as columns is upgraded once, filled from its rows, also when opened read-only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-store-'));
  try {
    const path = join(dir, 'old.duckdb');
    const s = await openStore(path);
    const w = await s.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'ReportId', 'AdditionalFields']);
    AF_TEXTS.forEach((af, i) => w.appendRow([1_700_000_000_000_000 + i, 'd1', i, af]));
    await w.close();
    // the layout of an older wirehunt: no such columns
    for (const k of shreddedKeys('DeviceNetworkEvents', 'AdditionalFields')) await s.connection.run(`ALTER TABLE store."DeviceNetworkEvents" DROP COLUMN "${shreddedColumn('AdditionalFields', k)}"`);
    assert.equal((await s.outdatedTables()).map((t) => t.name).join(), 'DeviceNetworkEvents');
    s.close();
    const ro = await openStore(path, { readOnly: true });
    try {
      assert.deepEqual(await ro.outdatedTables(), []);
      const keys = shreddedKeys('DeviceNetworkEvents', 'AdditionalFields');
      const bad = await ro.connection.runAndReadAll(`SELECT count(*) FROM store."DeviceNetworkEvents" WHERE ${keys.map((k) => `"${shreddedColumn('AdditionalFields', k)}" IS DISTINCT FROM try(json_extract_string(NULLIF("AdditionalFields", ''), '$."${k}"'))`).join(' OR ')}`);
      assert.equal(bad.getRows()[0]![0], 0n);
      const dirs = await ro.connection.runAndReadAll(`SELECT count(*) FROM store."DeviceNetworkEvents" WHERE "${shreddedColumn('AdditionalFields', 'direction')}" IS NOT NULL`);
      assert.equal(dirs.getRows()[0]![0], 4n);
    } finally {
      ro.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
