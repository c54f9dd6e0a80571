// Synthesized sessions read back through the sensor come out as the connection outcomes they were built
// to be (Zeek's conn_state and history), with the payload sizes given: the generator's TCP is sound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { IcmpEchoSeries, PcapWriter, Scheduler, TcpSession, UdpExchange, type TcpSessionOptions } from '../../src/synth/index.js';
import { analyzeCapture } from '../../src/sensor/index.js';
import type { LogSchema, ZeekRecord } from '../../src/zeek/types.js';

test('TCP/UDP/ICMP sessions have the intended conn_state, history and byte counts', async () => {
  const w = PcapWriter.toMemory();
  const s = new Scheduler(w);
  const t = 1_700_000_000_000_000;
  const req = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const resp = Buffer.alloc(5000, 0x41);
  const tcp = (i: number, o: Partial<TcpSessionOptions>): TcpSession => new TcpSession({
    client: { ip: `10.0.0.${i + 1}`, port: 40000 + i }, server: { ip: '93.184.216.34', port: 8000 + i }, start: t + i * 1000, seed: i,
    messages: [{ from: 'client', data: req }, { from: 'server', data: resp }], ...o,
  });
  s.add(tcp(0, {}));
  s.add(tcp(1, { close: 'rst' }));
  s.add(tcp(2, { close: 'rst', closer: 'server' }));
  s.add(tcp(3, { handshake: 'rejected', messages: [] }));
  s.add(tcp(4, { handshake: 'unanswered', messages: [] }));
  s.add(tcp(5, { close: 'none' }));
  s.add(tcp(6, { closer: 'server' }));
  s.add(tcp(7, { messages: [{ from: 'server', data: Buffer.alloc(60 * 1460) }], retransmitRate: 0.2, seed: 5 }));
  s.add(new UdpExchange({ client: { ip: '10.0.0.9', port: 5353 }, server: { ip: '10.0.0.53', port: 53 }, start: t,
    messages: [{ from: 'client', data: Buffer.alloc(30) }, { from: 'server', data: Buffer.alloc(90) }] }));
  s.add(new IcmpEchoSeries({ client: { ip: '10.0.0.10' }, server: { ip: '8.8.8.8' }, start: t, count: 3 }));
  s.run();
  const rows: ZeekRecord[] = [];
  const sink = { write(sc: LogSchema, r: ZeekRecord) { if (sc.path === 'conn') rows.push(r); }, async close() {} };
  await analyzeCapture({ input: Readable.from([w.close()!]), sink, analyzers: ['conn'] });
  const by = (h: string, p?: number): ZeekRecord => {
    const r = rows.find((x) => x['id.orig_h'] === h && (p === undefined || x['id.resp_p'] === p));
    assert.ok(r, `no conn.log row for ${h}`);
    return r;
  };
  const st = (h: string): [unknown, unknown] => [by(h)['conn_state'], by(h)['history']];
  assert.equal(rows.length, 10);
  assert.deepEqual(st('10.0.0.1'), ['SF', 'ShADadFf']);
  assert.equal(by('10.0.0.1')['orig_bytes'], req.length);
  assert.equal(by('10.0.0.1')['resp_bytes'], resp.length);
  assert.deepEqual(st('10.0.0.2'), ['RSTO', 'ShADadR']);
  assert.deepEqual(st('10.0.0.3'), ['RSTR', 'ShADadr']);
  assert.deepEqual(st('10.0.0.4'), ['REJ', 'Sr']);
  assert.deepEqual(st('10.0.0.5'), ['S0', 'S']);
  assert.equal(by('10.0.0.5')['orig_pkts'], 3);
  assert.deepEqual(st('10.0.0.6'), ['S1', 'ShADad']);
  assert.deepEqual(st('10.0.0.7'), ['SF', 'ShADadfF']);
  assert.equal(by('10.0.0.8')['conn_state'], 'SF');
  assert.match(String(by('10.0.0.8')['history']), /t/, 'server retransmissions show as t');
  assert.equal(by('10.0.0.8')['resp_bytes'], 60 * 1460);
  assert.deepEqual([by('10.0.0.9')['proto'], by('10.0.0.9')['conn_state'], by('10.0.0.9')['orig_bytes'], by('10.0.0.9')['resp_bytes']], ['udp', 'SF', 30, 90]);
  assert.deepEqual([by('10.0.0.10')['proto'], by('10.0.0.10')['orig_pkts'], by('10.0.0.10')['resp_pkts'], by('10.0.0.10')['id.orig_p']], ['icmp', 3, 3, 8]);
});
