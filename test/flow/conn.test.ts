import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, icmp, tcp, udp, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './helpers.js';

const C = '10.0.0.1', S = '93.184.216.34';
const SA = TCP_SYN | TCP_ACK, FA = TCP_FIN | TCP_ACK;

test('full TCP session: SF, history ShADdFf, bytes from sequence numbers, packets and IP bytes', () => {
  const h = harness();
  h.run([
    tcp({ ts: 1.0, src: C, dst: S, sport: 40000, dport: 80, flags: TCP_SYN, seq: 1000 }),
    tcp({ ts: 1.1, src: S, dst: C, sport: 80, dport: 40000, flags: SA, seq: 5000, ack: 1001 }),
    tcp({ ts: 1.2, src: C, dst: S, sport: 40000, dport: 80, seq: 1001, ack: 5001 }),
    tcp({ ts: 1.3, src: C, dst: S, sport: 40000, dport: 80, seq: 1001, ack: 5001, payload: 100 }),
    tcp({ ts: 1.4, src: S, dst: C, sport: 80, dport: 40000, seq: 5001, ack: 1101, payload: 300 }),
    tcp({ ts: 1.5, src: C, dst: S, sport: 40000, dport: 80, flags: FA, seq: 1101, ack: 5301 }),
    tcp({ ts: 1.6, src: S, dst: C, sport: 80, dport: 40000, flags: FA, seq: 5301, ack: 1102 }),
    tcp({ ts: 1.7, src: C, dst: S, sport: 40000, dport: 80, seq: 1102, ack: 5302 }),
  ]);
  const [r] = h.end();
  assert.ok(r);
  assert.equal(r['id.orig_h'], C);
  assert.equal(r['id.resp_p'], 80);
  assert.equal(r.proto, 'tcp');
  assert.equal(r.history, 'ShADdFf'); // the server never sends a pure ACK here
  assert.equal(r.conn_state, 'SF');
  assert.equal(r.orig_bytes, 100);
  assert.equal(r.resp_bytes, 300);
  assert.ok(Math.abs((r.duration as number) - 0.6) < 1e-9, 'the ACK after both FINs does not extend the duration');
  assert.equal(r.orig_pkts, 5);
  assert.equal(r.orig_ip_bytes, 300);
  assert.equal(r.resp_pkts, 3);
  assert.equal(r.resp_ip_bytes, 420);
  assert.equal(r.local_orig, true);
  assert.equal(r.local_resp, false);
  assert.equal(r.missed_bytes, 0);
  assert.equal(r.ip_proto, 6);
  assert.match(r.uid as string, /^C[0-9A-Za-z]{12,24}$/);
});

test('a lone SYN is S0 without duration or byte counts; a RST answer makes REJ', () => {
  const h = harness();
  h.run([tcp({ ts: 1, src: C, dst: S, sport: 40001, dport: 80, flags: TCP_SYN, seq: 7 })]);
  h.run([
    tcp({ ts: 2, src: C, dst: S, sport: 40002, dport: 81, flags: TCP_SYN, seq: 9 }),
    tcp({ ts: 2.01, src: S, dst: C, sport: 81, dport: 40002, flags: TCP_RST | TCP_ACK, seq: 0, ack: 10 }),
  ]);
  const rows = h.end();
  const s0 = rows.find((r) => r['id.orig_p'] === 40001)!;
  assert.equal(s0.conn_state, 'S0');
  assert.equal(s0.history, 'S');
  assert.equal(s0.duration, undefined);
  assert.equal(s0.orig_bytes, undefined);
  const rej = rows.find((r) => r['id.orig_p'] === 40002)!;
  assert.equal(rej.conn_state, 'REJ');
  assert.equal(rej.history, 'Sr');
});

test('SYN-ACK seen first from a likely server port: roles flip, history starts with ^h', () => {
  const h = harness();
  h.run([
    tcp({ ts: 1, src: S, dst: C, sport: 80, dport: 40003, flags: SA, seq: 5000, ack: 1001 }),
    tcp({ ts: 1.1, src: C, dst: S, sport: 40003, dport: 80, seq: 1001, ack: 5001 }),
    tcp({ ts: 1.2, src: C, dst: S, sport: 40003, dport: 80, seq: 1001, ack: 5001, payload: 10 }),
  ]);
  const [r] = h.end();
  assert.equal(r!['id.orig_h'], C);
  assert.equal(r!['id.orig_p'], 40003);
  assert.equal(r!.history, '^hAD');
  assert.equal(r!.orig_pkts, 2);
  assert.equal(r!.resp_pkts, 1);
});

test('SYN-ACK first on an unknown port: the pure ACK from the other side flips (^h, then A)', () => {
  const h = harness();
  h.run([
    tcp({ ts: 1, src: S, dst: C, sport: 9999, dport: 40004, flags: SA, seq: 5000, ack: 1001 }),
    tcp({ ts: 1.1, src: C, dst: S, sport: 40004, dport: 9999, seq: 1001, ack: 5001 }),
  ]);
  const [r] = h.end();
  assert.equal(r!['id.orig_h'], C);
  assert.equal(r!['id.resp_p'], 9999);
  assert.equal(r!.history, '^hA');
  assert.equal(r!.orig_pkts, 1);
  assert.equal(r!.resp_pkts, 1);
});

test('a hole acknowledged by the peer is a content gap: missed_bytes and G in the history', () => {
  const h = harness();
  h.run([
    tcp({ ts: 1.0, src: C, dst: S, sport: 40005, dport: 80, flags: TCP_SYN, seq: 1000 }),
    tcp({ ts: 1.1, src: S, dst: C, sport: 80, dport: 40005, flags: SA, seq: 5000, ack: 1001 }),
    tcp({ ts: 1.2, src: C, dst: S, sport: 40005, dport: 80, seq: 1001, ack: 5001, payload: 100 }),
    tcp({ ts: 1.3, src: C, dst: S, sport: 40005, dport: 80, seq: 1201, ack: 5001, payload: 100 }),
    tcp({ ts: 1.4, src: S, dst: C, sport: 80, dport: 40005, seq: 5001, ack: 1301 }),
  ]);
  const [r] = h.end();
  assert.equal(r!.missed_bytes, 100);
  assert.equal(r!.history, 'ShDaG');
  assert.equal(r!.orig_bytes, 300);
  assert.equal(r!.conn_state, 'S1');
});

test('sequence numbers wrapping around 2^32 still give the right byte count', () => {
  const h = harness();
  const isn = 0xffffff00;
  h.run([
    tcp({ ts: 1.0, src: C, dst: S, sport: 40006, dport: 80, flags: TCP_SYN, seq: isn }),
    tcp({ ts: 1.1, src: S, dst: C, sport: 80, dport: 40006, flags: SA, seq: 5000, ack: isn + 1 }),
    tcp({ ts: 1.2, src: C, dst: S, sport: 40006, dport: 80, seq: isn + 1, ack: 5001, payload: 1000 }),
    tcp({ ts: 1.3, src: C, dst: S, sport: 40006, dport: 80, seq: (isn + 1001) >>> 0, ack: 5001, payload: 1000 }),
    tcp({ ts: 1.4, src: S, dst: C, sport: 80, dport: 40006, seq: 5001, ack: (isn + 2001) >>> 0 }),
    tcp({ ts: 1.5, src: C, dst: S, sport: 40006, dport: 80, flags: FA, seq: (isn + 2001) >>> 0, ack: 5001 }),
    tcp({ ts: 1.6, src: S, dst: C, sport: 80, dport: 40006, flags: FA, seq: 5001, ack: (isn + 2002) >>> 0 }),
  ]);
  const [r] = h.end();
  assert.equal(r!.orig_bytes, 2000);
  assert.equal(r!.resp_bytes, 0);
  assert.equal(r!.conn_state, 'SF');
  assert.equal(r!.missed_bytes, 0);
});

test('a retransmitted segment sets T once and does not count twice', () => {
  const h = harness();
  h.run([
    tcp({ ts: 1.0, src: C, dst: S, sport: 40007, dport: 80, flags: TCP_SYN, seq: 1 }),
    tcp({ ts: 1.1, src: S, dst: C, sport: 80, dport: 40007, flags: SA, seq: 100, ack: 2 }),
    tcp({ ts: 1.2, src: C, dst: S, sport: 40007, dport: 80, seq: 2, ack: 101, payload: 50 }),
    tcp({ ts: 1.3, src: C, dst: S, sport: 40007, dport: 80, seq: 2, ack: 101, payload: 50 }),
  ]);
  const [r] = h.end();
  assert.equal(r!.history, 'ShDT');
  assert.equal(r!.orig_bytes, 50);
  assert.equal(r!.orig_pkts, 3);
});

test('UDP: request/reply is SF with Dd; a reply-first flow from a likely server port flips', () => {
  const h = harness();
  h.run([
    udp(1, C, '8.8.8.8', 5555, 53, 30),
    udp(1.01, '8.8.8.8', C, 53, 5555, 120),
    udp(2, '8.8.4.4', C, 53, 5556, 80),
  ]);
  const rows = h.end();
  const a = rows.find((r) => r['id.orig_p'] === 5555)!;
  assert.equal(a.conn_state, 'SF');
  assert.equal(a.history, 'Dd');
  assert.equal(a.orig_bytes, 30);
  assert.equal(a.resp_bytes, 120);
  assert.equal(a.orig_ip_bytes, 58);
  const b = rows.find((r) => r['id.orig_p'] === 5556)!;
  assert.equal(b['id.orig_h'], C);
  assert.equal(b['id.resp_h'], '8.8.4.4');
  assert.equal(b.history, '^d');
  assert.equal(b.conn_state, 'SHR');
});

test('ICMP: echo request and reply pair into one connection with type/counterpart as ports; unreachables are one-way', () => {
  const h = harness();
  h.run([
    icmp(1, C, S, 8, 0, 56),
    icmp(1.01, S, C, 0, 0, 56),
    icmp(2, S, C, 3, 1, 28),
  ]);
  const rows = h.end();
  assert.equal(rows.length, 2);
  const echo = rows.find((r) => r['id.orig_p'] === 8)!;
  assert.equal(echo['id.resp_p'], 0);
  assert.equal(echo.proto, 'icmp');
  assert.equal(echo.orig_bytes, 56);
  assert.equal(echo.resp_bytes, 56);
  assert.equal(echo.conn_state, 'OTH');
  assert.equal(echo.history, undefined);
  const unreach = rows.find((r) => r['id.orig_p'] === 3)!;
  assert.equal(unreach['id.resp_p'], 1);
  assert.equal(unreach['id.orig_h'], S);
});

test('inactivity: a UDP flow silent for more than 60 s is logged and a later packet makes a new uid', () => {
  const h = harness();
  h.run([udp(1, C, S, 6000, 7000, 10), udp(30, C, S, 6000, 7000, 10)]);
  assert.equal(h.rows.length, 0);
  h.run([udp(95, C, S, 6000, 7000, 10)]);
  assert.equal(h.rows.length, 1, 'first flow expired when network time passed 30 + 60');
  assert.equal(h.rows[0]!.orig_pkts, 2);
  const rows = h.end();
  assert.equal(rows.length, 2);
  assert.notEqual(rows[0]!.uid, rows[1]!.uid);
});

test('a closed TCP connection is removed 5 s after its last packet; a new SYN then starts a new connection', () => {
  const h = harness();
  h.run([
    tcp({ ts: 1.0, src: C, dst: S, sport: 40008, dport: 80, flags: TCP_SYN, seq: 1 }),
    tcp({ ts: 1.1, src: S, dst: C, sport: 80, dport: 40008, flags: SA, seq: 100, ack: 2 }),
    tcp({ ts: 1.2, src: C, dst: S, sport: 40008, dport: 80, flags: FA, seq: 2, ack: 101 }),
    tcp({ ts: 1.3, src: S, dst: C, sport: 80, dport: 40008, flags: FA, seq: 101, ack: 3 }),
  ]);
  h.run([tcp({ ts: 5.0, src: C, dst: S, sport: 9, dport: 9, flags: TCP_SYN, seq: 1 })]);
  assert.equal(h.rows.length, 0);
  h.run([tcp({ ts: 6.4, src: C, dst: S, sport: 40008, dport: 80, flags: TCP_SYN, seq: 77 })]);
  assert.equal(h.rows.length, 1);
  assert.equal(h.rows[0]!.conn_state, 'SF');
  assert.equal(h.rows[0]!.history, 'ShFf');
  const rows = h.end();
  const again = rows.filter((r) => r['id.orig_p'] === 40008);
  assert.equal(again.length, 2);
  assert.equal(again[1]!.history, 'S');
});

test('unknown IP protocols are unknown_transport connections with ports 0', () => {
  const h = harness();
  const p = udp(1, C, S, 0, 0, 20);
  p.ipProto = 132;
  h.run([p]);
  const [r] = h.end();
  assert.equal(r!.proto, 'unknown_transport');
  assert.equal(r!['id.orig_p'], 0);
  assert.equal(r!.ip_proto, 132);
  assert.equal(r!.conn_state, 'OTH');
  assert.equal(r!.orig_pkts, 1);
});

test('thousands of flows: each 5-tuple gets its own connection (bucket growth keeps them apart)', () => {
  const h = harness();
  const pkts = [];
  for (let i = 0; i < 5000; i++) pkts.push(udp(1 + i * 1e-4, `10.1.${i >> 8}.${i & 255}`, S, 1024 + (i % 7), 9000, 4));
  for (let i = 0; i < 5000; i++) pkts.push(udp(2 + i * 1e-4, S, `10.1.${i >> 8}.${i & 255}`, 9000, 1024 + (i % 7), 4));
  h.run(pkts);
  assert.equal(h.flow.size, 5000);
  const rows = h.end();
  assert.equal(rows.length, 5000);
  assert.ok(rows.every((r) => r.conn_state === 'SF' && r.orig_pkts === 1 && r.resp_pkts === 1));
  assert.equal(new Set(rows.map((r) => r.uid)).size, 5000);
});

test('a clock jump of years does not make the timers spin (they reschedule from the current time)', { timeout: 5000 }, () => {
  const h = harness();
  const t0 = Date.now();
  h.run([
    tcp({ ts: 1, src: C, dst: S, sport: 41000, dport: 80, flags: TCP_SYN, seq: 1 }),
    tcp({ ts: 1.1, src: S, dst: C, sport: 80, dport: 41000, flags: SA, seq: 100, ack: 2 }),
    tcp({ ts: 1.2, src: C, dst: S, sport: 41000, dport: 80, seq: 2, ack: 101, payload: 5 }),
    udp(1.3, C, S, 5000, 6000, 10),
    tcp({ ts: 1.7e9, src: C, dst: S, sport: 41001, dport: 80, flags: TCP_SYN, seq: 1 }),
    tcp({ ts: 2, src: C, dst: S, sport: 41002, dport: 80, flags: TCP_SYN, seq: 1 }),
    tcp({ ts: 3.4e9, src: C, dst: S, sport: 41003, dport: 80, flags: TCP_SYN, seq: 1 }),
  ]);
  assert.ok(Date.now() - t0 < 2000);
  const rows = h.end();
  assert.equal(rows.length, 5);
  assert.ok(rows.some((r) => r['id.orig_p'] === 41000 && r.history === 'ShD'));
});
