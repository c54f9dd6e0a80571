// Unit tests of the live sensor's parsers: /proc/net socket tables, os-release, resolv.conf, routes,
// tcpdump's statistics, and the sensor command's arguments.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcAddress, parseProcNet, TCP_LISTEN } from '../../src/live/procnet.js';
import { parseOsRelease, parseResolvConf, parseRoutes, hostDevices, type HostSnapshot } from '../../src/live/host.js';
import { lastTcpdumpStats } from '../../src/capture/live.js';
import { parseSensorArgs, parseDuration, parseSize } from '../../src/cli/commands/sensor.js';
import { Attributor } from '../../src/live/attribution.js';
import { UserError } from '../../src/cli/types.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
   1: 0101A8C0:C350 0201A8C0:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 5678 1 0000000000000000 20 4 30 10 -1
   2: garbage
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 42 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000101A8C0:1F90 0000000000000000FFFF00000201A8C0:D431 01 00000000:00000000 00:00000000 00000000     0        0 43 1 0000000000000000 20 4 30 10 -1
   2: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 44 1
`;

test('/proc/net/tcp and tcp6 lines: addresses, ports, state, uid, inode; v4-mapped addresses as IPv4', () => {
  const t = parseProcNet(TCP, 'tcp');
  assert.equal(t.length, 2);
  assert.deepEqual(t[0], { proto: 'tcp', localIP: '127.0.0.1', localPort: 53, remoteIP: '0.0.0.0', remotePort: 0, state: TCP_LISTEN, uid: 0, inode: 1234 });
  assert.equal(t[1]!.localIP, '192.168.1.1');
  assert.equal(t[1]!.localPort, 50000);
  assert.equal(t[1]!.remoteIP, '192.168.1.2');
  assert.equal(t[1]!.remotePort, 8080);
  assert.equal(t[1]!.uid, 1000);
  const t6 = parseProcNet(TCP6, 'tcp');
  assert.equal(t6[0]!.localIP, '::1');
  assert.equal(t6[0]!.localPort, 22);
  assert.equal(t6[1]!.localIP, '192.168.1.1');
  assert.equal(t6[1]!.remotePort, 0xd431);
  assert.equal(t6[2]!.localIP, '2001:db8::1');
  assert.equal(parseProcAddress('zz:0035'), undefined);
  assert.equal(parseProcAddress('0100007F:FFFFF'), undefined);
});

test('os-release, resolv.conf and /proc/net/route', () => {
  const os = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n# comment\n');
  assert.equal(os.PRETTY_NAME, 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(os.ID, 'debian');
  assert.deepEqual(parseResolvConf('# x\nnameserver 10.0.0.2\nsearch lan\nnameserver fe80::1%eth0\n nameserver 1.1.1.1\n'), ['10.0.0.2', 'fe80::1', '1.1.1.1']);
  const routes = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n';
  assert.deepEqual(parseRoutes(routes), ['192.168.0.1']);
});

test('the host device carries every address; one adapter device per interface with its MAC', () => {
  const snap: HostSnapshot = {
    hostname: 'Box1', osPlatform: 'Linux', osVersion: 'Debian GNU/Linux 12', osArchitecture: 'x64', dns: ['10.0.0.2'], gateways: ['10.0.0.1'],
    adapters: [{ name: 'eth0', mac: '02:00:00:00:00:01', addresses: [{ ip: '10.0.0.5', prefix: 24 }] }, { name: 'lo', mac: '', addresses: [{ ip: '127.0.0.1', prefix: 8 }] }],
  };
  const { device, adapters } = hostDevices(snap);
  assert.equal(device.DeviceName, 'box1');
  assert.deepEqual(device.IPAddresses, ['10.0.0.5', '127.0.0.1']);
  assert.equal(device.MacAddress, '02:00:00:00:00:01');
  assert.deepEqual(device.DnsAddresses, ['10.0.0.2']);
  assert.equal(adapters.length, 2);
  assert.equal(adapters[0]!.NetworkAdapterName, 'eth0');
  assert.equal(adapters[1]!.NetworkAdapterType, 'SoftwareLoopback');
  assert.equal(adapters[0]!.DeviceId, device.DeviceId);
  // Stable across runs, different for another host.
  assert.equal(hostDevices(snap).device.DeviceId, device.DeviceId);
  assert.notEqual(hostDevices({ ...snap, hostname: 'box2' }).device.DeviceId, device.DeviceId);
});

test("tcpdump's statistics: the SIGUSR1 one-liner and the exit block; the last one wins", () => {
  const s = lastTcpdumpStats('listening on eth0\ntcpdump: 10 packets captured, 12 packets received by filter, 2 packets dropped by kernel\n'
    + 'tcpdump: 30 packets captured, 35 packets received by filter, 5 packets dropped by kernel\n');
  assert.deepEqual(s, { captured: 30, receivedByFilter: 35, droppedByKernel: 5, droppedByInterface: undefined });
  const e = lastTcpdumpStats('tcpdump: 1 packets captured, 1 packets received by filter, 0 packets dropped by kernel\n50 packets captured\n51 packets received by filter\n1 packet dropped by kernel\n3 packets dropped by interface\n');
  assert.deepEqual(e, { captured: 50, receivedByFilter: 51, droppedByKernel: 1, droppedByInterface: 3 });
});

test('sensor arguments: durations, sizes, required interface, one-line errors', () => {
  assert.equal(parseDuration('2s', 'x'), 2000);
  assert.equal(parseDuration('500ms', 'x'), 500);
  assert.equal(parseDuration('30d', 'x'), 30 * 86_400_000);
  assert.equal(parseSize('10GB', 'x'), 10 * 1024 ** 3);
  assert.equal(parseSize('512k', 'x'), 512 * 1024);
  const a = parseSensorArgs(['-i', 'eth0', '--flush', '500ms', '--filter', 'tcp port 80', '--max-size', '1GB', '--json', '--buffer', '64MB']);
  assert.equal(a.iface, 'eth0');
  assert.equal(a.flushMs, 500);
  assert.equal(a.filter, 'tcp port 80');
  assert.equal(a.maxBytes, 1024 ** 3);
  assert.equal(a.bufferKiB, 65536);
  assert.equal(a.json, true);
  assert.throws(() => parseSensorArgs([]), UserError);
  assert.throws(() => parseSensorArgs(['-i', 'eth0', '--flush', 'soon']), /not a duration/);
  assert.throws(() => parseSensorArgs(['-i', 'eth0', '--flush', '10ms']), /100ms/);
  assert.throws(() => parseSensorArgs(['-i', 'bad if']), /bad interface/);
  assert.throws(() => parseSensorArgs(['-i', 'eth0', '--bogus']), /unknown option/);
});

test('attribution over a fake /proc: connected TCP by 5-tuple, UDP by binding, inbound by the listener; unknown stays unattributed', () => {
  const root = mkdtempSync(join(tmpdir(), 'wirehunt-proc-'));
  try {
    mkdirSync(join(root, 'net'));
    writeFileSync(join(root, 'stat'), 'cpu 1 2 3\nbtime 1700000000\n');
    writeFileSync(join(root, 'net', 'tcp'), TCP);
    writeFileSync(join(root, 'net', 'udp'), `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  7: 00000000:A000 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 777 2 0000000000000000 0
`);
    const proc = (pid: number, ppid: number, comm: string, inodes: number[]): void => {
      const d = join(root, String(pid));
      mkdirSync(join(d, 'fd'), { recursive: true });
      writeFileSync(join(d, 'stat'), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 500 1000 100`);
      writeFileSync(join(d, 'cmdline'), `${comm}\0--flag\0`);
      writeFileSync(join(d, 'status'), `Name:\t${comm}\nUid:\t1000\t1000\t1000\t1000\n`);
      symlinkSync(`/usr/bin/${comm}`, join(d, 'exe'));
      inodes.forEach((i, n) => symlinkSync(`socket:[${i}]`, join(d, 'fd', String(n + 3))));
    };
    proc(100, 1, 'init', []);
    proc(200, 100, 'client', [5678]);
    proc(300, 100, 'resolver', [777, 1234]);
    const passwd = join(root, 'passwd');
    writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    const a = new Attributor(new Set(['192.168.1.1', '127.0.0.1', '10.0.0.9']), { root, passwd });
    a.request('C1', 'tcp', '192.168.1.1', 50000, '192.168.1.2', 8080);
    a.request('C2', 'udp', '10.0.0.9', 40960, '10.0.0.53', 53);
    a.request('C3', 'tcp', '10.1.1.1', 40000, '127.0.0.1', 53); // inbound to the listener
    a.request('C4', 'tcp', '192.168.1.1', 50001, '192.168.1.2', 8080); // no such socket
    a.request('C5', 'tcp', '8.8.8.8', 1, '8.8.4.4', 2); // not local: nothing asked
    a.resolveNow(true);
    const c1 = a.lookup('C1', '192.168.1.1', 50000);
    assert.equal(c1?.pid, 200);
    assert.equal(c1?.fileName, 'client');
    assert.equal(c1?.commandLine, 'client --flag');
    assert.equal(c1?.accountName, 'alice');
    assert.equal(c1?.ppid, 100);
    assert.equal(c1?.parentFileName, 'init');
    assert.equal(c1?.creationTime, 1700000000e6 + 5e6); // starttime 500 ticks at 100 Hz after boot
    assert.equal(a.lookup('C2', '10.0.0.9', 40960)?.fileName, 'resolver');
    assert.equal(a.lookup('C3', '127.0.0.1', 53)?.pid, 300);
    assert.equal(a.lookup('C4', '192.168.1.1', 50001), undefined);
    assert.equal(a.stats.requested, 4);
    assert.equal(a.stats.attributed, 3);
    assert.equal(a.isPending('C4'), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
