import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainTcpdumpError, openLiveCapture, parseTcpdumpStats } from '../../src/capture/live.js';
import { CaptureError } from '../../src/capture/types.js';
import { analyzeCapture } from '../../src/sensor/index.js';
import type { LogSchema, ZeekRecord } from '../../src/zeek/types.js';

const isRoot = process.getuid?.() === 0;

async function failsWith(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CaptureError, `expected CaptureError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

test('tcpdump missing: one clear line naming the package', async () => {
  const live = openLiveCapture({ iface: 'lo', tcpdump: '/nonexistent/bin/tcpdump' });
  await failsWith(live.run(() => undefined), /^\/nonexistent\/bin\/tcpdump not found: apt-get install tcpdump$/);
  await failsWith(live.ready, /not found/);
});

test('an interface that does not exist', async () => {
  const live = openLiveCapture({ iface: 'whnosuch0' });
  await failsWith(live.run(() => undefined), /no such network interface 'whnosuch0'/);
});

test('a filter tcpdump rejects', async () => {
  const live = openLiveCapture({ iface: 'lo', filter: 'tcp and and' });
  await failsWith(live.run(() => undefined), /tcpdump rejected the capture filter/);
});

test('no privilege to capture', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-live-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let tcpdump = 'tcpdump';
  if (isRoot) {
    // Run the real tcpdump as nobody: exactly what an unprivileged user sees.
    tcpdump = join(dir, 'tcpdump-as-nobody');
    writeFileSync(tcpdump, '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups tcpdump "$@"\n');
    chmodSync(tcpdump, 0o755);
  }
  const live = openLiveCapture({ iface: 'lo', tcpdump });
  await failsWith(live.run(() => undefined), /tcpdump lacks the privilege to capture on 'lo'/);
});

test('stderr parsing: statistics and known failures', () => {
  const s = parseTcpdumpStats('tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n'
    + '12 packets captured\n14 packets received by filter\n2 packets dropped by kernel\n');
  assert.deepEqual(s, { captured: 12, receivedByFilter: 14, droppedByKernel: 2, droppedByInterface: undefined });
  assert.match(explainTcpdumpError('tcpdump: eth9: No such device exists\n(No such device exists)\n', 'eth9')!, /no such network interface 'eth9'/);
  assert.match(explainTcpdumpError("tcpdump: eth0: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)\n", 'eth0')!, /privilege/);
  assert.equal(explainTcpdumpError('something else entirely', 'x'), undefined);
});

/**
 * Waits until tcpdump captures. Without root (and without capture rights on tcpdump) the only correct
 * outcome is the one-line privilege error; then the caller has nothing more to check and gets false.
 */
async function started(live: ReturnType<typeof openLiveCapture>): Promise<boolean> {
  try {
    await live.ready;
    return true;
  } catch (err) {
    if (isRoot || !(err instanceof CaptureError) || !/lacks the privilege/.test(err.message)) throw err;
    return false;
  }
}

/** A network namespace of our own (traffic stays inside it), or undefined when we cannot make one. */
function makeNetns(): string | undefined {
  if (!isRoot) return undefined;
  const name = `whtest${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', name]).status !== 0) return undefined;
  spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

test('captures real packets (in a private network namespace), applies the filter, reports tcpdump statistics', async (t) => {
  const ns = makeNetns();
  t.after(() => { if (ns) spawnSync('ip', ['netns', 'del', ns]); });
  const live = openLiveCapture({ iface: 'lo', netns: ns, filter: 'udp and dst port 39999', snaplen: 1000 });
  const seen: { len: number; payload: string; linkType: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const done = live.run((p) => {
    const d = p.data.subarray(p.offset, p.offset + p.capLen);
    seen.push({ len: p.wireLen, payload: d.subarray(d.length - 12).toString('latin1'), linkType: p.linkType });
    if (seen.length === 5) live.stop();
  });
  if (!(await started(live))) {
    await failsWith(done, /lacks the privilege/);
    return;
  }
  assert.equal(live.linkTypeName, 'EN10MB');
  // Send 5 datagrams to the filtered port and 5 elsewhere, from inside the namespace.
  const sender = `const s=require('dgram').createSocket('udp4');let i=0;const go=()=>{if(i===10){s.close();return;}`
    + `const port=i%2?39998:39999;s.send(Buffer.from('wirehunt-'+String(i).padStart(3,'0')),port,'127.0.0.1',()=>{i++;setTimeout(go,20);});};go();`;
  const cmd = ns ? ['ip', ['netns', 'exec', ns, process.execPath, '-e', sender]] as const : [process.execPath, ['-e', sender]] as const;
  const r = spawnSync(cmd[0], [...cmd[1]], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 0, r.stderr);
  timer = setTimeout(() => live.stop(), 5000);
  const stats = await done;
  clearTimeout(timer);
  assert.equal(seen.length, 5);
  assert.deepEqual(seen.map((s) => s.payload), ['wirehunt-000', 'wirehunt-002', 'wirehunt-004', 'wirehunt-006', 'wirehunt-008']);
  assert.ok(seen.every((s) => s.linkType === 1 && s.len === 14 + 20 + 8 + 12));
  assert.equal(stats.packets, 5);
  assert.equal(live.tcpdumpStats.captured, 5);
  assert.equal(live.tcpdumpStats.droppedByKernel, 0);
  assert.equal(stats.truncated, false);
});

test('live capture feeds the sensor: conn.log rows for traffic sent while capturing', async (t) => {
  const ns = makeNetns();
  t.after(() => { if (ns) spawnSync('ip', ['netns', 'del', ns]); });
  const live = openLiveCapture({ iface: 'lo', netns: ns, filter: 'udp port 39997' });
  if (!(await started(live))) return;
  const rows: ZeekRecord[] = [];
  const sink = { write(s: LogSchema, r: ZeekRecord) { if (s.path === 'conn') rows.push(r); }, async close() {} };
  // Loopback traffic carries unfinished checksums (offload), so -C as a Zeek user would on a live interface.
  const analysis = analyzeCapture({ input: live.stdout, sink, analyzers: ['conn'], ignoreChecksums: true });
  // Three client sockets, two datagrams each, to 127.0.0.1:39997 (nobody listens: ICMP unreachable is filtered out).
  const sender = `const d=require('dgram');let left=3;for(let k=0;k<3;k++){const s=d.createSocket('udp4');`
    + `s.send('a'+k,39997,'127.0.0.1',()=>s.send('bb'+k,39997,'127.0.0.1',()=>{s.close();if(--left===0)process.exit(0);}));}`;
  const cmd = ns ? ['ip', ['netns', 'exec', ns, process.execPath, '-e', sender]] as const : [process.execPath, ['-e', sender]] as const;
  const r = spawnSync(cmd[0], [...cmd[1]], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 0, r.stderr);
  await new Promise((res) => setTimeout(res, 300));
  live.stop();
  const stats = await analysis;
  const tcpdump = await live.exited;
  assert.equal(stats.packets, 6);
  assert.equal(tcpdump.captured, 6);
  assert.equal(rows.length, 3);
  for (const row of rows) {
    assert.equal(row['proto'], 'udp');
    assert.equal(row['id.resp_p'], 39997);
    assert.equal(row['orig_pkts'], 2, JSON.stringify(row));
    assert.equal(row['id.orig_h'], '127.0.0.1');
    assert.equal(row['history'], 'D');
  }
});
