// UI end to end (Debian's Chromium via playwright-core): a hunt becomes a rule on /detections, it is
// validated live, run, its alert shows (filterable), and its evidence opens in the hunting page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { openStore, type Store } from '../../src/store/index.js';
import { startServer, type RunningServer } from '../../src/server/app.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let store: Store;
let srv: RunningServer;
let ctx: BrowserContext;
let page: Page;
let profile: string;
const now = Date.now();

before(async () => {
  store = await openStore(':memory:');
  const w = await store.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'DeviceName', 'ActionType', 'RemoteIP', 'LocalIP', 'ReportId', 'AdditionalFields']);
  w.appendRow([(now - 120_000) * 1000, 'dev-a', 'ws-a.corp', 'SshConnectionInspected', '203.0.113.45', '10.0.0.5', 4242, '{"direction":"In","auth_success":false,"auth_attempts":6}']);
  w.appendRow([(now - 60_000) * 1000, 'dev-b', 'ws-b.corp', 'SshConnectionInspected', '198.51.100.1', '10.0.0.6', 4343, '{"direction":"In","auth_success":true,"auth_attempts":1}']);
  await w.close();
  srv = await startServer({ store, port: 0, ratePerMinute: 0 });
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  profile = mkdtempSync(join(tmpdir(), 'wirehunt-detect-ui-'));
  ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
  page = ctx.pages()[0] ?? (await ctx.newPage());
});

after(async () => {
  await ctx?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await srv?.close();
  store?.close();
});

const hunt = 'DeviceNetworkEvents\n| where Timestamp > ago(4h)\n| where ActionType == "SshConnectionInspected"\n| extend j = todynamic(AdditionalFields)\n| where tobool(j.auth_success) == false';

test('create a rule from a hunt, see it validated, run it, see its alert and open the evidence', async () => {
  // The hunt arrives as the hunting page's query link would carry it, projected too thin at first.
  const thin = hunt + '\n| project Timestamp, RemoteIP';
  await page.goto(`${srv.url}/detections#query=${Buffer.from(thin, 'utf8').toString('base64url')}`);
  assert.equal(await page.inputValue('#f_query'), thin);
  await page.fill('#f_id', 'ssh-failed-auth');
  await page.fill('#f_name', 'Failed SSH authentication');
  await page.selectOption('#f_severity', 'High');
  await page.fill('#f_category', 'CredentialAccess');
  await page.fill('#f_techniques', 'T1110');
  await page.fill('#f_entities', 'Machine=DeviceId, Ip=RemoteIP');
  await page.waitForFunction(() => /lacks ReportId/.test(document.getElementById('validation')!.textContent ?? ''), null, { timeout: 60_000 });
  assert.equal(await page.getAttribute('#validation', 'data-ok'), 'false');

  // Fixed: every column of the event is returned, the rule validates.
  await page.fill('#f_query', hunt);
  await page.waitForSelector('#validation .ok', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#validation', 'data-ok'), 'true');
  assert.match(await page.innerText('#validation'), /valid: returns Timestamp, DeviceId/);

  await page.click('#runNow');
  await page.waitForFunction(() => /saved and ran ssh-failed-auth: 1 new alert/.test(document.getElementById('saveMsg')!.textContent ?? ''), null, { timeout: 60_000 });
  await page.waitForSelector('#rules tr[data-id="ssh-failed-auth"]');
  await page.waitForSelector('#alerts tr[data-id]');
  const rows = await page.$$eval('#alerts tbody tr[data-id]', (trs) => trs.map((t) => [...t.children].map((c) => c.textContent ?? '')));
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0]![1], rows[0]![2], rows[0]![3]], ['High', 'Failed SSH authentication', 'ws-a.corp']);

  // Filters: another severity hides it, the rule's own shows it.
  await page.selectOption('#a_sev', 'Low');
  await page.waitForFunction(() => !document.querySelector('#alerts tr[data-id]'), null, { timeout: 30_000 });
  await page.selectOption('#a_sev', '');
  await page.selectOption('#a_rule', 'ssh-failed-auth');
  await page.waitForSelector('#alerts tr[data-id]', { timeout: 30_000 });

  await page.click('#alerts a.ev');
  await page.waitForSelector('#openEvidence');
  const evidence = await page.innerText('#evidence');
  assert.match(evidence, /Machine\s+Impacted\s+ws-a\.corp/);
  assert.match(evidence, /203\.0\.113\.45/);
  assert.match(evidence, /ReportId == 4242/);

  // The evidence opens in the hunting page, with the query that finds exactly the event.
  await page.click('#openEvidence');
  await page.waitForSelector('body[data-editor=monaco]', { timeout: 120_000 });
  const q = await page.evaluate(() => (window as any).__monaco.editor.getValue() as string);
  assert.match(q, /^DeviceNetworkEvents\n\| where Timestamp == datetime\(.+\) and DeviceId == "dev-a" and ReportId == 4242$/);
});
