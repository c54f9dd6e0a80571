// End-to-end tests of the advanced-hunting page: Debian's Chromium driven by playwright-core against
// `wirehunt serve`'s server on the seed fixture store. Screenshots go to test-artifacts/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { runQuery } from '../../src/kql/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { seedStore, NOW } from '../kql/fixture.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const artifacts = join(repo, 'test-artifacts', 'e2e');
const seedText = readFileSync(new URL('../../../../shared/seed/queries.kql', import.meta.url), 'utf8');
const seed = new Map<string, string>();
{
  const parts = seedText.split(/^\/\/ (Q\d+):.*$/m).slice(1);
  for (let i = 0; i < parts.length; i += 2) seed.set(parts[i]!, parts[i + 1]!.trim());
}

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let store: Store;
let srv: RunningServer;
let ctx: BrowserContext;
let page: Page;
let profile: string;
const external: string[] = [];

async function launch(): Promise<BrowserContext> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  profile = mkdtempSync(join(tmpdir(), 'wirehunt-e2e-'));
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 }, acceptDownloads: true });
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(artifacts, name + '.png') });
}

/** Replaces the editor's text the way a user types it (insertText: no auto-closing quotes). */
async function typeQuery(p: Page, q: string): Promise<void> {
  await p.click('#editor .view-lines');
  await p.keyboard.press('Control+A');
  await p.keyboard.press('Delete');
  await p.keyboard.insertText(q);
}

async function runAndWait(p: Page): Promise<void> {
  const before = Number((await p.getAttribute('body', 'data-runs')) ?? '0');
  await p.keyboard.press('Shift+Enter');
  await p.waitForFunction((n) => Number(document.body.dataset['runs'] ?? '0') > n || !document.getElementById('error')!.hidden, before, { timeout: 60_000 });
}

/** The grid's visible rows as arrays of cell text. */
async function gridRows(p: Page): Promise<string[][]> {
  return p.$$eval('#grid .row', (rows) => rows
    .filter((r) => (r as HTMLElement).style.display !== 'none')
    .sort((a, b) => Number((a as HTMLElement).dataset['r']) - Number((b as HTMLElement).dataset['r']))
    .map((r) => [...r.children].map((c) => c.textContent ?? '')));
}
async function gridHeader(p: Page): Promise<string[]> {
  return p.$$eval('#grid .hname .nm', (els) => els.map((e) => e.textContent ?? ''));
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  if (!existsSync(join(repo, 'web', 'dist', 'index.html'))) {
    const r = spawnSync('npm', ['run', 'build:web'], { cwd: repo, stdio: 'inherit' });
    assert.equal(r.status, 0, 'npm run build:web failed');
  }
  store = await seedStore();
  srv = await startServer({ store, port: 0, now: NOW, ratePerMinute: 0 });
  ctx = await launch();
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(srv.url) && !u.startsWith('data:') && !u.startsWith('blob:')) external.push(u); });
  await page.goto(srv.url + '/');
  await page.waitForSelector('body[data-editor=monaco]', { timeout: 120_000 });
  await page.waitForSelector('body[data-schema=set]', { timeout: 120_000 });
});

after(async () => {
  await ctx?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await srv?.close();
  store?.close();
});

test('the page loads Monaco with the Kusto language service, all from this server', async () => {
  assert.equal(await page.title(), 'Advanced hunting · wirehunt');
  // Live diagnostics know the store's schema: an unknown column is flagged, a known one is not.
  await typeQuery(page, 'DeviceNetworkEvents\n| where NoSuchColumn == 1');
  await page.waitForFunction(() => (window as any).__monaco.monaco.editor.getModelMarkers({}).some((m: any) => /NoSuchColumn/.test(m.message)), null, { timeout: 60_000 });
  await typeQuery(page, 'DeviceNetworkEvents\n| where RemotePort == 22');
  await page.waitForFunction(() => (window as any).__monaco.monaco.editor.getModelMarkers({}).length === 0, null, { timeout: 60_000 });
  // Schema-aware completion offers the table's columns.
  await typeQuery(page, 'DeviceNetworkEvents\n| where Remote');
  await page.keyboard.press('Control+Space');
  await page.waitForSelector('.suggest-widget .monaco-list-row', { timeout: 60_000 });
  const suggestions = await page.$$eval('.suggest-widget .monaco-list-row', (rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
  assert.ok(suggestions.some((s) => s.includes('RemoteIP')), `completion lists RemoteIP: ${suggestions.join(' | ')}`);
  await shot(page, '01-completion');
  await page.keyboard.press('Escape');
  assert.deepEqual(external, [], 'no request leaves the machine');
});

test('a seed query typed and run with Shift+Enter shows the rows the engine returns', async () => {
  const q = seed.get('Q7')!;
  await typeQuery(page, q);
  await runAndWait(page);
  assert.ok(await page.isHidden('#error'), await page.textContent('#error') ?? '');
  const expected = await runQuery(store, q, { now: NOW });
  assert.ok(expected.rows.length > 0);
  assert.deepEqual(await gridHeader(page), expected.schema.map((s) => s.Name));
  const shown = await gridRows(page);
  assert.deepEqual(shown, expected.rows.map((r) => expected.schema.map((s) => (r[s.Name] === null ? '' : String(r[s.Name])))));
  assert.match((await page.textContent('#status')) ?? '', new RegExp(`^${expected.rows.length} items`));
  await shot(page, '02-seed-q7');
});

test('clicking a row opens the inspector with AdditionalFields parsed and described', async () => {
  await typeQuery(page, seed.get('Q2')!);
  await runAndWait(page);
  // The quick filter searches every column (AdditionalFields is far to the right, out of view).
  await page.fill('#quickFilter', 'Cssh0');
  await page.waitForFunction(() => /1 shown/.test(document.getElementById('status')!.textContent!));
  await page.locator('#grid .row:visible').first().click();
  await page.waitForSelector('#afTable');
  const pairs = await page.$$eval('#afTable tr', (trs) => trs.map((tr) => ({ k: tr.querySelector('.k')!.firstChild!.textContent, d: tr.querySelector('.fd')?.textContent ?? '', v: tr.querySelector('.v')!.textContent })));
  const byKey = new Map(pairs.map((p) => [p.k, p]));
  assert.equal(byKey.get('direction')?.v, 'Out');
  assert.equal(byKey.get('auth_success')?.v, 'false');
  assert.equal(byKey.get('auth_attempts')?.v, '5');
  assert.match(byKey.get('auth_attempts')!.d, /attempts/i);
  assert.match(byKey.get('server')!.d, /version string/i);
  const pivots = await page.$$eval('#inspBody .pivots button', (b) => b.map((x) => x.textContent));
  assert.deepEqual(pivots, ['Same uid', 'Same RemoteIP', 'Same device']);
  await shot(page, '03-inspector');
  // Pivot: same uid opens a new tab with the one row of that connection.
  await page.click('#inspBody .pivots button >> text=Same uid');
  await page.waitForFunction(() => document.querySelectorAll('#tabs .tab').length >= 2 && !!document.body.dataset['runs']);
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('1 items'), null, { timeout: 60_000 });
  await page.keyboard.press('Escape');
});

test('filter in / filter out on a cell appends the where clause and reruns', async () => {
  await typeQuery(page, 'DeviceNetworkEvents\n| where ActionType == "HttpConnectionInspected"\n| project Timestamp, DeviceId, RemoteIP');
  await runAndWait(page);
  const all = await gridRows(page);
  const d1 = all.filter((r) => r[1] === 'D1').length;
  assert.ok(d1 > 0 && d1 < all.length);
  const cell = page.locator('#grid .row:visible', { hasText: 'D1' }).first().locator('.cell').nth(1);
  await cell.click({ button: 'right' });
  await page.click('#menu button >> text=Filter out');
  await page.waitForFunction((n) => document.getElementById('status')!.textContent!.startsWith(`${n} items`), all.length - d1, { timeout: 60_000 });
  const text = await page.evaluate(() => (window as any).__monaco.editor.getValue() as string);
  assert.ok(text.endsWith('\n| where DeviceId != "D1"'), text);
  assert.ok((await gridRows(page)).every((r) => r[1] !== 'D1'));
  await shot(page, '04-filter-out');
});

test('keyboard: rows, inspector, cell menu; export CSV; saving and history', async () => {
  const q = 'DeviceNetworkEvents\n| where ActionType == "DnsConnectionInspected"\n| project Timestamp, DeviceId, RemoteIP, AdditionalFields\n| order by Timestamp asc';
  await typeQuery(page, q);
  await runAndWait(page);
  const rows = await gridRows(page);
  await page.focus('#grid');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#inspector:not([hidden]) #afTable');
  const query = await page.$eval('#afTable', (t) => [...t.querySelectorAll('tr')].find((tr) => tr.querySelector('.k')!.firstChild!.textContent === 'query')?.querySelector('.v')?.textContent);
  assert.equal(query, JSON.parse(rows[1]![3]!).query, 'the second row is inspected');
  await page.keyboard.press('Escape');
  assert.ok(await page.isHidden('#inspector'));
  await page.focus('#grid');
  await page.keyboard.press('ContextMenu');
  await page.waitForSelector('#menu:not([hidden])');
  assert.match((await page.textContent('#menu button')) ?? '', /^Filter in: /);
  await page.keyboard.press('Escape');
  const download = page.waitForEvent('download');
  await page.click('#csvBtn');
  const csv = readFileSync((await (await download).path())!, 'utf8').trimEnd().split('\r\n');
  assert.equal(csv[0], 'Timestamp,DeviceId,RemoteIP,AdditionalFields');
  assert.equal(csv.length, rows.length + 1);
  assert.equal(csv[1]!.split(',')[1], rows[0]![1]);
  page.once('dialog', (d) => void d.accept('dns lookups'));
  await page.click('#editor .view-lines');
  await page.keyboard.press('Control+s');
  await page.click('.side-tabs button[data-side=queries]');
  await page.waitForSelector('#sideBody .q .qt >> text=dns lookups');
  const hist = await page.$$eval('#sideBody .q .qt', (e) => e.map((x) => x.textContent ?? ''));
  assert.ok(hist.some((h) => h.includes(`${rows.length} rows`)), hist.join(' | '));
  await shot(page, '05a-queries-panel');
  await page.click('.side-tabs button[data-side=schema]');
});

test('render timechart draws a chart', async () => {
  await typeQuery(page, 'DeviceNetworkEvents\n| summarize Events = count() by bin(Timestamp, 1h), ActionType\n| render timechart');
  await runAndWait(page);
  await page.waitForSelector('#chart[data-chart=timechart] svg path.line', { state: 'attached' });
  const lines = await page.$$eval('#chart svg path.line', (p) => p.length);
  const expected = await runQuery(store, 'DeviceNetworkEvents | distinct ActionType', { now: NOW });
  assert.equal(lines, expected.rows.length, 'one line per ActionType');
  const legend = await page.$$eval('#chart .legend span', (s) => s.map((x) => x.textContent));
  assert.ok(legend.includes('SshConnectionInspected'));
  await shot(page, '05-timechart');
  // Column chart from the same page.
  await typeQuery(page, 'DeviceNetworkEvents\n| summarize Events = count() by ActionType\n| render columnchart');
  await runAndWait(page);
  await page.waitForSelector('#chart[data-chart=columnchart] svg rect.bar', { state: 'attached' });
  assert.equal(await page.$$eval('#chart svg rect.bar', (r) => r.length), expected.rows.length);
});

test('the time range applies unless the query filters Timestamp itself', async () => {
  await page.selectOption('#timeRange', 'PT1H');
  await typeQuery(page, 'DeviceNetworkEvents\n| count');
  await runAndWait(page);
  const lastHour = await runQuery(store, 'DeviceNetworkEvents | where Timestamp > ago(1h) | count', { now: NOW });
  assert.deepEqual(await gridRows(page), [[String(lastHour.rows[0]!['Count'])]]);
  await typeQuery(page, 'DeviceNetworkEvents\n| where Timestamp > ago(1d)\n| count');
  assert.equal(await page.textContent('#trNote'), 'Set in query');
  await runAndWait(page);
  const day = await runQuery(store, 'DeviceNetworkEvents | where Timestamp > ago(1d) | count', { now: NOW });
  assert.notEqual(day.rows[0]!['Count'], lastHour.rows[0]!['Count']);
  assert.deepEqual(await gridRows(page), [[String(day.rows[0]!['Count'])]]);
  await page.selectOption('#timeRange', 'P30D');
});

test('a query link opens the query in the editor', async () => {
  const q = seed.get('Q13')!;
  const b64 = Buffer.from(q, 'utf8').toString('base64url');
  const p2 = await ctx.newPage();
  await p2.goto(`${srv.url}/#query=${b64}&timeRange=P7D`);
  await p2.waitForSelector('body[data-editor=monaco]', { timeout: 120_000 });
  assert.equal(await p2.evaluate(() => (window as any).__monaco.editor.getValue()), q);
  assert.equal(await p2.inputValue('#timeRange'), 'P7D');
  await p2.click('#editor .view-lines');
  await runAndWait(p2);
  const expected = await runQuery(store, q, { now: NOW });
  assert.equal((await gridRows(p2)).length, expected.rows.length);
  await shot(p2, '06-query-link');
  // The page's own Share link round-trips.
  await p2.click('#linkBtn');
  const link = await p2.getAttribute('#linkBtn', 'data-link');
  assert.ok(link && link.startsWith(srv.url + '/#query='), String(link));
  await p2.close();
});

test('beyond loopback the page and the API answer 401 without the token', async () => {
  const open = await startServer({ store, host: '0.0.0.0', port: 0, token: 'e2e-secret-token', now: NOW, ratePerMinute: 0 });
  try {
    const port = new URL(open.url).port;
    const p2 = await ctx.newPage();
    const res = await p2.goto(`http://127.0.0.1:${port}/`);
    assert.equal(res?.status(), 401);
    assert.match(await p2.textContent('body') ?? '', /Unauthorized|token/);
    await shot(p2, '07-unauthorized');
    await p2.close();
    const api = await fetch(`http://127.0.0.1:${port}/api/web/run`, { method: 'POST', body: '{"Query":"DeviceNetworkEvents | count"}' });
    assert.equal(api.status, 401);
    const ok = await fetch(`http://127.0.0.1:${port}/api/web/run`, { method: 'POST', headers: { authorization: 'Bearer e2e-secret-token' }, body: '{"Query":"DeviceNetworkEvents | count"}' });
    assert.equal(ok.status, 200);
  } finally {
    await open.close();
  }
});
