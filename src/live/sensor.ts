// The live sensor: tcpdump's pcap stream → the ordinary sensor pipeline (decoder, flow table,
// analyzers) → DeviceNetworkEvents rows for this host, with the owning process, into the store in
// batches every `flushMs`. Network time advances with packets and, when the interface is quiet, with
// the wall clock, so Zeek's timers (TCP close delay, inactivity) still fire and connections still
// reach the store. tcpdump is restarted when it or the interface goes away; stop() flushes everything.

import { openLiveCapture, type LiveCapture, type LiveCaptureOptions } from '../capture/live.js';
import { CaptureError } from '../capture/types.js';
import { createPipeline, selectAnalyzers, type Pipeline } from '../sensor/index.js';
import { Transport, type Conn } from '../flow/conn.js';
import { wordsToString } from '../flow/addr.js';
import { DeviceRegistry, DEVICE_INFO_COLUMNS, DEVICE_NETWORK_INFO_COLUMNS, deviceInfoRow, deviceNetworkInfoRow, type Device } from '../events/devices.js';
import { DNE_COLUMNS, Col } from '../events/model.js';
import { hash53 } from '../events/hash.js';
import { ipType } from '../events/ip.js';
import type { BatchWriter, Cell, Store } from '../store/store.js';
import { RemoteAttributor } from './remote.js';
import { hostAddresses, hostDevices, snapshotHost, snapshotKey, type HostSnapshot } from './host.js';
import { LIVE_COLUMNS, LiveSink } from './sink.js';
import { applyRetention, type RetentionOptions } from './retention.js';
import type { SocketEntry } from './procnet.js';
import type { ProcessInfo } from './process.js';

export interface LiveSensorOptions {
  iface: string;
  store: Store;
  filter?: string;
  snaplen?: number;
  /** Run tcpdump in this network namespace (tests, containers). */
  netns?: string;
  tcpdump?: string;
  /** Kernel capture buffer (KiB, tcpdump -B); default 32768: libpcap's 2 MiB drops packets on a busy host. */
  bufferKiB?: number;
  /** Batch period (ms); default 2000. */
  flushMs?: number;
  retention?: RetentionOptions;
  /** Retention check period (ms); default 60000. */
  retentionMs?: number;
  /**
   * Also onboard the private, loopback and link-local addresses seen in traffic (a sensor on a span
   * port or a router watching a network), as `wirehunt ingest` does without an inventory.
   */
  discover?: boolean;
  /**
   * Zeek's tcp_close_delay for this sensor (seconds): how long a closed TCP connection waits for late
   * packets before its conn.log record (ConnectionSuccess …) and ssh.log record are written. Default
   * 2 (Zeek's is 5, a `redef` away), so that closed connections are queryable within seconds.
   */
  closeDelay?: number;
  /** Host (device) refresh period (ms); default 30000. */
  hostMs?: number;
  /** Fill InitiatingProcess* from /proc (default: on Linux). */
  attribution?: boolean;
  /** Wait before restarting tcpdump (ms, doubled per failure up to 30 s); default 1000. */
  restartMs?: number;
  /** Lines for a log (JSON-able objects: started, restarted, error, stopped, retention). */
  log?: (event: Record<string, unknown>) => void;
  /** Host snapshot source (tests). */
  snapshot?: () => HostSnapshot;
}

export interface LiveStatus {
  packets: number;
  /** Packets tcpdump reported dropped (kernel + interface), over every tcpdump run. */
  drops: number;
  /** Packets tcpdump reported captured (its last statistics), over every run: minus `packets`, the backlog. */
  captured: number;
  /** Open connections. */
  flows: number;
  /** Connections seen. */
  connections: number;
  /** DeviceNetworkEvents rows committed to the store. */
  rows: number;
  restarts: number;
  /** Local connection ends asked about / attributed to a process. */
  attributionRequested: number;
  attributed: number;
  /** ms since the epoch of the last committed batch (0 = none yet). */
  lastFlush: number;
  running: boolean;
}

export class LiveSensor {
  private pipe!: Pipeline;
  private sink!: LiveSink;
  private writer!: BatchWriter;
  private attr: RemoteAttributor | null = null;
  private host!: HostSnapshot;
  private hostKey = '';
  private device!: Device;
  private cap: LiveCapture | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private index = 0;
  private packets = 0;
  private dropsDone = 0;
  private capturedDone = 0;
  private restarts = 0;
  private lastFlush = 0;
  private lastRetention = 0;
  private lastHost = 0;
  private packetsAtTick = 0;
  private readonly flushMs: number;

  constructor(private readonly o: LiveSensorOptions) {
    this.flushMs = Math.max(100, o.flushMs ?? 2000);
  }

  private log(e: Record<string, unknown>): void {
    this.o.log?.({ time: new Date().toISOString(), ...e });
  }

  /** Starts capturing; rejects with a one-line CaptureError when tcpdump cannot start at all. */
  async start(): Promise<void> {
    const store = this.o.store;
    this.host = (this.o.snapshot ?? snapshotHost)();
    this.hostKey = snapshotKey(this.host);
    const useAttr = this.o.attribution ?? process.platform === 'linux';
    const { device } = hostDevices(this.host);
    this.device = device;
    if (useAttr) {
      this.attr = new RemoteAttributor(hostAddresses(this.host), (s, p) => this.listening(s, p));
    }
    this.writer = await store.writer('DeviceNetworkEvents', LIVE_COLUMNS);
    this.sink = new LiveSink(new DeviceRegistry([device], !!this.o.discover), this.writer, this.attr, this.host.hostname);
    await this.writeDevices();
    const attr = this.attr;
    this.pipe = createPipeline(selectAnalyzers(null), this.sink, {
      // Checksum offload: a host's own outgoing packets are captured before the NIC fills their
      // checksums, so live capture ignores them (as Zeek users run it on live interfaces, -C).
      ignoreChecksums: true,
      closeDelay: this.o.closeDelay ?? 2,
      connCreated: attr ? (c: Conn) => {
        if (c.transport !== Transport.TCP && c.transport !== Transport.UDP) return;
        attr.request(c.uid, c.transport === Transport.TCP ? 'tcp' : 'udp',
          wordsToString(c.o0, c.o1, c.o2, c.o3), c.oPort, wordsToString(c.r0, c.r1, c.r2, c.r3), c.rPort, c.startTime * 1000);
      } : undefined,
    });
    // Listening sockets that exist already.
    await this.attr?.sync(false, true);
    const first = this.openCapture();
    try {
      await first.ready; // a clear error when tcpdump cannot start
    } catch (err) {
      this.cap = undefined;
      await this.writer.close().catch(() => undefined);
      await this.attr?.close();
      throw err;
    }
    this.log({ event: 'started', iface: this.o.iface, link: first.linkTypeName, device: this.device.DeviceName, deviceId: this.device.DeviceId });
    this.loop = this.captureLoop(first);
    this.timer = setInterval(() => { void this.tick(); }, this.flushMs);
  }

  private openCapture(): LiveCapture {
    const opts: LiveCaptureOptions = { iface: this.o.iface, filter: this.o.filter, snaplen: this.o.snaplen, netns: this.o.netns, tcpdump: this.o.tcpdump,
      bufferKiB: this.o.bufferKiB ?? 32768 };
    this.cap = openLiveCapture(opts);
    return this.cap;
  }

  private async captureLoop(first: LiveCapture): Promise<void> {
    let cap: LiveCapture | undefined = first;
    let delay = this.o.restartMs ?? 1000;
    const pipe = this.pipe;
    const onPacket = (raw: Parameters<Parameters<LiveCapture['run']>[0]>[0]): void => {
      pipe.packet(raw, this.index++);
      this.packets++;
    };
    while (!this.stopping) {
      if (!cap) {
        cap = this.openCapture();
        this.restarts++;
      }
      let reason = 'tcpdump exited';
      try {
        await cap.ready;
        delay = this.o.restartMs ?? 1000;
        await cap.run(onPacket);
      } catch (err) {
        reason = err instanceof CaptureError ? err.message : String((err as Error)?.message ?? err);
      }
      const t = cap.tcpdumpStats;
      this.dropsDone += (t.droppedByKernel ?? 0) + (t.droppedByInterface ?? 0);
      this.capturedDone += t.captured ?? 0;
      this.cap = undefined;
      cap = undefined;
      if (this.stopping) break;
      this.log({ event: 'capture-ended', reason, retryInMs: delay });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }

  /** One batch: advance network time on the wall clock, attribute, move rows, commit. */
  private tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.doTick().catch((err) => this.log({ event: 'error', message: String((err as Error)?.message ?? err) }))
      .finally(() => { this.ticking = undefined; });
    return this.ticking;
  }

  private async doTick(final = false): Promise<void> {
    const now = Date.now();
    this.cap?.requestStats?.();
    if (!final && this.packets === this.packetsAtTick) {
      // Quiet interface: network time follows the wall clock (tcpdump stamps packets with it), a
      // quarter second behind so that a packet still in the pipe is not older than network time.
      this.pipe.advance?.(now / 1000 - 0.25);
    }
    this.packetsAtTick = this.packets;
    if (this.attr) await this.attr.sync(final, !final);
    this.sink.drain(final);
    await this.writer.flush();
    await this.writer.settled();
    this.lastFlush = Date.now();
    if (!final && now - this.lastHost >= (this.o.hostMs ?? 30_000)) {
      this.lastHost = now;
      await this.refreshHost();
    }
    const r = this.o.retention;
    if (!final && r && (r.maxAgeSeconds || r.maxBytes) && now - this.lastRetention >= (this.o.retentionMs ?? 60_000)) {
      this.lastRetention = now;
      const res = await applyRetention(this.o.store, r);
      if (res.deletedByAge || res.deletedBySize) this.log({ event: 'retention', ...res });
    }
  }

  private async refreshHost(): Promise<void> {
    const snap = (this.o.snapshot ?? snapshotHost)();
    const key = snapshotKey(snap);
    if (key === this.hostKey) return;
    this.host = snap;
    this.hostKey = key;
    this.device = hostDevices(snap).device;
    this.sink.setDevices(new DeviceRegistry([this.device], !!this.o.discover));
    this.attr?.setLocalAddresses(hostAddresses(snap));
    await this.writeDevices();
    this.log({ event: 'host-changed', addresses: this.device.IPAddresses });
  }

  private async writeDevices(): Promise<void> {
    const micros = Date.now() * 1000;
    const { device, adapters } = hostDevices(this.host);
    const info = await this.o.store.writer('DeviceInfo', DEVICE_INFO_COLUMNS);
    const row = deviceInfoRow(device, micros);
    // Where this device's facts come from: the host itself.
    row[DEVICE_INFO_COLUMNS.indexOf('AdditionalFields')] = JSON.stringify({ Source: 'wirehunt live sensor' });
    row[DEVICE_INFO_COLUMNS.indexOf('DiscoverySources')] = '["LocalSensor"]';
    info.appendRow(row);
    await info.close();
    const net = await this.o.store.writer('DeviceNetworkInfo', DEVICE_NETWORK_INFO_COLUMNS);
    for (const a of adapters) net.appendRow(deviceNetworkInfoRow(a, micros));
    await net.close();
  }

  /** A new TCP listening socket: ListeningConnectionCreated for this device. */
  private listening(s: SocketEntry, p: ProcessInfo | undefined): void {
    if (!this.sink) return;
    const d = this.device;
    const micros = Date.now() * 1000;
    const row: Cell[] = new Array(DNE_COLUMNS.length).fill('');
    row[Col.Timestamp] = micros;
    row[Col.DeviceId] = d.DeviceId;
    row[Col.DeviceName] = d.DeviceName;
    row[Col.ActionType] = 'ListeningConnectionCreated';
    row[Col.RemoteIP] = '';
    row[Col.RemotePort] = null;
    row[Col.LocalIP] = s.localIP;
    row[Col.LocalPort] = s.localPort;
    row[Col.Protocol] = 'Tcp';
    row[Col.LocalIPType] = ipType(s.localIP);
    row[Col.RemoteIPType] = '';
    row[Col.AdditionalFields] = '';
    row[Col.ReportId] = hash53(`ListeningConnectionCreated|${d.DeviceId}|${s.localIP}|${s.localPort}|${s.inode}|${micros}`);
    this.sink.appendOwnRow(row, p);
  }

  get status(): LiveStatus {
    const t = this.cap?.tcpdumpStats;
    return {
      packets: this.packets,
      drops: this.dropsDone + (t ? (t.droppedByKernel ?? 0) + (t.droppedByInterface ?? 0) : 0),
      captured: this.capturedDone + (t?.captured ?? 0),
      flows: this.pipe ? this.pipe.active() : 0,
      connections: this.pipe ? this.pipe.connections() : 0,
      rows: this.writer ? this.writer.inserted : 0,
      restarts: this.restarts,
      attributionRequested: this.attr?.stats.requested ?? 0,
      attributed: this.attr?.stats.attributed ?? 0,
      lastFlush: this.lastFlush,
      running: !!this.cap && !this.stopping,
    };
  }

  /** The attributor (tests and benchmarks read its statistics). */
  get attribution(): RemoteAttributor | null {
    return this.attr;
  }

  /** Forces a batch now (tests): rows seen so far become queryable. */
  async flushNow(): Promise<void> {
    await this.tick();
  }

  /** Stops tcpdump, drains what it wrote, ends every connection (as at the end of a trace) and commits. */
  async stop(): Promise<LiveStatus> {
    if (this.stopping) {
      await this.loop;
      return this.status;
    }
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.cap?.stop();
    await this.loop;
    if (this.ticking) await this.ticking;
    this.pipe.finish();
    await this.doTick(true);
    await this.writer.close();
    await this.attr?.close();
    const s = this.status;
    this.log({ event: 'stopped', ...s });
    return s;
  }
}
