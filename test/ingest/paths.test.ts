// The two ingest paths agree: a capture ingested directly (sensor → StoreSink) and the Zeek logs of
// the same capture ingested (sensor → log files → reader) give the same DeviceNetworkEvents rows;
// and wherever the sensor reproduces Zeek's own baseline records, ingesting those baseline logs
// gives the same rows as ingesting the sensor's (timestamps aside: the baselines mask them).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusCases as cases } from './helpers.js';
import { openStore } from '../../src/store/store.js';
import { ingestPaths } from '../../src/events/ingest.js';
import { readZeekLog } from '../../src/zeek/reader.js';
import type { ZeekRecord } from '../../src/zeek/types.js';

const LOG_ACTIONS: Record<string, string[]> = {
  http: ['HttpConnectionInspected'], ssh: ['SshConnectionInspected'], ssl: ['SslConnectionInspected'], dns: ['DnsConnectionInspected'],
  ftp: ['FtpConnectionInspected'], ntlm: ['NtlmAuthenticationInspected'],
  conn: ['ConnectionSuccess', 'ConnectionFailed', 'ConnectionAttempt', 'InboundConnectionAccepted', 'IcmpConnectionInspected'],
};

/** Rows of the given ActionTypes, uids and file ids renamed by first appearance, Timestamp and ReportId left out. */
async function rows(paths: string[], actions: string[], maskedTime?: 'zero'): Promise<{ rows: string[]; ts: number[] }> {
  const s = await openStore(':memory:');
  try {
    await ingestPaths(s, paths, { maskedTime, warn: () => {} });
    const r = (await s.connection.runAndReadAll(
      `SELECT epoch_us(Timestamp) AS us, DeviceId, DeviceName, ActionType, LocalIP, LocalPort, RemoteIP, RemotePort, Protocol, LocalIPType, RemoteIPType, RemoteUrl, AdditionalFields
         FROM DeviceNetworkEvents WHERE list_contains(${JSON.stringify(actions).replace(/"/g, "'")}, ActionType)`,
    )).getRowObjectsJS() as Record<string, unknown>[];
    const objs = r.map((o) => ({ ...o, us: Number(o.us), AdditionalFields: JSON.parse(o.AdditionalFields as string) as Record<string, unknown> }) as Record<string, unknown> & { us: number; AdditionalFields: Record<string, unknown> });
    // order by content (uids and file ids aside), so that relabelling them is the same on both sides
    const key = (o: (typeof objs)[number]) => {
      const af = { ...o.AdditionalFields };
      delete af.uid;
      for (const k of Object.keys(af)) if (/fuids?$/.test(k)) delete af[k];
      const { us: _us, AdditionalFields: _af, ...rest } = o;
      return `${String(rest.ActionType)}|${JSON.stringify(rest)}|${JSON.stringify(af)}`;
    };
    const keys = new Map(objs.map((o) => [o, key(o)]));
    objs.sort((a, b) => (keys.get(a)! < keys.get(b)! ? -1 : keys.get(a)! > keys.get(b)! ? 1 : a.us - b.us));
    const ids = new Map<string, string>();
    const id = (v: unknown, p: string) => {
      const k = String(v);
      if (!ids.has(k)) ids.set(k, p + ids.size);
      return ids.get(k)!;
    };
    for (const o of objs) {
      const af = o.AdditionalFields;
      if (af.uid !== undefined) af.uid = id(af.uid, 'U');
      for (const k of Object.keys(af)) if (/fuids?$/.test(k)) af[k] = Array.isArray(af[k]) ? (af[k] as unknown[]).map((v) => id(v, 'F')) : id(af[k], 'F');
    }
    const ts = objs.map((o) => o.us);
    return { rows: objs.map(({ us: _us, ...o }) => JSON.stringify(o)).sort(), ts };
  } finally {
    s.close();
  }
}

async function records(file: string): Promise<string[]> {
  const out: string[] = [];
  await readZeekLog(file, (_s, rec: ZeekRecord) => {
    const { ts: _ts, uid: _uid, ...rest } = rec;
    for (const k of Object.keys(rest)) if (/fuids?$/.test(k)) delete rest[k];
    out.push(JSON.stringify(rest, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v)));
  }, { maskedTime: 'zero', onMalformed: () => {} });
  return out.sort();
}

test('capture → store and capture → Zeek logs → store give the same rows, for every corpus capture', async (t) => {
  const { analyzeCapture } = await import('../../src/sensor/index.js');
  const all = cases();
  assert.ok(all.length >= 40);
  const tmp = mkdtempSync(join(tmpdir(), 'wh-paths-'));
  try {
    let compared = 0;
    for (const c of all) {
      const out = join(tmp, c.name.replace('/', '_'));
      await analyzeCapture({ input: c.pcap, out });
      const logs = existsSync(out) ? readdirSync(out).map((f) => join(out, f)) : [];
      const actions = Object.values(LOG_ACTIONS).flat();
      const direct = await rows([c.pcap], actions);
      const viaLogs = logs.length ? await rows(logs, actions) : { rows: [], ts: [] };
      assert.deepEqual(viaLogs.rows, direct.rows, c.name);
      // timestamps: the ASCII log keeps 6 decimals, so they agree to the microsecond
      assert.equal(viaLogs.ts.length, direct.ts.length);
      direct.ts.forEach((us, i) => assert.ok(Math.abs(us - viaLogs.ts[i]!) <= 1, `${c.name}: ${us} vs ${viaLogs.ts[i]}`));
      if (direct.rows.length) compared++;
    }
    t.diagnostic(`${compared} of ${all.length} captures produced rows; all agreed`);
    assert.ok(compared >= 40);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('capture and Zeek baseline logs agree (timestamps aside) wherever the sensor reproduces the baseline records', async (t) => {
  const { analyzeCapture } = await import('../../src/sensor/index.js');
  const tmp = mkdtempSync(join(tmpdir(), 'wh-base-'));
  let agreed = 0;
  let faithful = 0;
  const all = cases();
  try {
    for (const c of all) {
      const out = join(tmp, c.name.replace('/', '_'));
      await analyzeCapture({ input: c.pcap, out });
      const relevant = c.logs.filter((l) => LOG_ACTIONS[l.split('/').pop()!.replace('.log', '')]);
      if (!relevant.length) continue;
      // Does the sensor reproduce this case's baseline records (ts, uids and file ids aside)?
      let same = true;
      for (const l of c.logs.filter((x) => /\/(conn|http|dns|ssl|x509|ssh|ftp|ntlm|dhcp)\.log$/.test(x))) {
        const mine = join(out, l.split('/').pop()!);
        if (!existsSync(mine) || JSON.stringify(await records(mine)) !== JSON.stringify(await records(l))) same = false;
      }
      const actions = relevant.flatMap((l) => LOG_ACTIONS[l.split('/').pop()!.replace('.log', '')]!);
      // the sensor's logs of the same names as the case's baselines (a case may lack, e.g., x509.log)
      const names = c.logs.map((l) => l.split('/').pop()!);
      const mineLogs = names.map((n) => join(out, n)).filter((f) => existsSync(f));
      const a = mineLogs.length ? await rows(mineLogs, actions) : { rows: [], ts: [] };
      const b = await rows(c.logs, actions, 'zero');
      const eq = JSON.stringify(a.rows) === JSON.stringify(b.rows);
      if (eq) agreed++;
      if (same) {
        faithful++;
        assert.deepEqual(b.rows, a.rows, `${c.name}: same records, different rows`);
      }
    }
    t.diagnostic(`rows agree for ${agreed} cases; the sensor reproduces the baseline records in ${faithful}, and those all agree`);
    assert.ok(faithful > 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
