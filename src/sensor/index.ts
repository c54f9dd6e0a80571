// The sensor: capture reader → decoder → (capture filter) → flow table → analyzers → Zeek logs.
// One pass, bounded memory (connections expire as network time advances, as Zeek's timers do),
// every remaining connection flushed at the end of the input (Zeek's end-of-trace behaviour).

import type { Readable } from 'node:stream';
import { CaptureError, openCapture, type RawPacket } from '../capture/index.js';
import { isDecodedLinkType, type DecodedPacket } from '../decode/index.js';
import { likelyServerPorts } from '../analyzers/framework/ports.js';
import { allSpecs, serviceFactories } from '../analyzers/registry.js';
import type { AnalyzerSpec } from '../analyzers/types.js';
import type { LogSchema, LogSink, ZeekRecord } from '../zeek/types.js';
import { openLogDirectory } from '../zeek/sink.js';
import { createPipeline as createBarePipeline, type BadChecksums, type Pipeline, type PipelineOptions, type Selection } from './pipeline.js';

export type { BadChecksums, Pipeline, PipelineOptions, Selection };

/** Script names `--analyzers` knows besides the protocol analyzers' own (Zeek's base scripts). */
export const ZEEK_SCRIPT_NAMES = ['conn', 'http', 'dns', 'ssl', 'x509', 'ssh', 'ftp', 'ntlm', 'smb', 'dce-rpc', 'ldap',
  'smtp', 'xmpp', 'websocket', 'dhcp', 'ntp', 'tunnels', 'weird', 'files'];

export interface SensorProgress {
  packets: number;
  /** Capture bytes read so far. */
  bytes: number;
  connections: number;
  active: number;
}

export interface SensorOptions {
  /** A capture file path, '-' for standard input, or a stream. */
  input: string | Readable;
  /** Where records go: a log folder (`out`, with `json`) or any LogSink. */
  out?: string;
  json?: boolean;
  sink?: LogSink;
  /** Zeek's bare mode: only these scripts (conn, http, dns, …, tunnels); null/undefined = default scripts. */
  analyzers?: readonly string[] | null;
  /** Zeek's -C. */
  ignoreChecksums?: boolean;
  /** A capture filter predicate (compileFilter) applied to each frame's outer packet. */
  filter?: (p: DecodedPacket) => boolean;
  /** Called every ~`progressEvery` packets and at the end. */
  onProgress?: (p: SensorProgress) => void;
  progressEvery?: number;
  /** Analyzer specs to use instead of the registry (tests). */
  specs?: readonly AnalyzerSpec[];
  /**
   * Worker threads for conn-level analysis (no protocol analyzers): the flows are sharded by address
   * pair. 0 or 1 = one thread. Output is the same either way (uids included).
   */
  workers?: number;
  /** Per-run services beside the registry's (e.g. 'http.options' and 'ftp.options' from Zeek redefs). */
  services?: Record<string, () => unknown>;
}

export interface SensorStats {
  packets: number;
  bytes: number;
  ipPackets: number;
  connections: number;
  truncated: boolean;
  /** The reader's warnings (truncation, bad blocks), then the sensor's (checksum offloading, link types). */
  warnings: string[];
  badChecksums: BadChecksums;
  /** Log paths written. */
  logs: string[];
}


export function selectAnalyzers(names: readonly string[] | null | undefined, specs: readonly AnalyzerSpec[] = allSpecs): Selection {
  if (!names) {
    return { specs: [...specs], conn: true, tunnel: true, weird: true, logs: null, unknown: [], likely: likelyServerPorts(null) };
  }
  const set = new Set(names.map((n) => n.trim().toLowerCase()).filter(Boolean));
  const chosen = specs.filter((s) => s.scripts.some((x) => set.has(x)));
  const logs = new Set<string>();
  for (const s of chosen) for (const l of s.logs) logs.add(l.path);
  const conn = set.has('conn'), tunnel = set.has('tunnels'), weird = set.has('weird');
  if (conn) logs.add('conn');
  logs.add('analyzer'); // base/frameworks/analyzer is loaded in bare mode too
  if (tunnel) logs.add('tunnel');
  if (weird) logs.add('weird');
  const provided = new Set<string>(['conn', 'tunnels', 'weird']);
  for (const s of specs) for (const x of s.scripts) provided.add(x);
  for (const s of specs) for (const l of s.logs) provided.add(l.path);
  const unknown = [...set].filter((n) => !provided.has(n));
  return { specs: chosen, conn, tunnel, weird, logs, unknown, likely: likelyServerPorts([...set]) };
}

class FilteringSink implements LogSink {
  constructor(private readonly inner: LogSink, private readonly allowed: Set<string> | null) {}
  write(schema: LogSchema, rec: ZeekRecord): void {
    if (this.allowed && !this.allowed.has(schema.path)) return;
    this.inner.write(schema, rec);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The sensor's pipeline, with the registry's service factories (see pipeline.ts). */
export function createPipeline(sel: Selection, sink: LogSink, opts: PipelineOptions): Pipeline {
  return createBarePipeline(sel, sink, { serviceFactories, ...opts });
}

function openSink(opts: SensorOptions, sel: Selection): { sink: LogSink; written: Set<string> } {
  const baseSink = opts.sink ?? openLogDirectory(opts.out ?? '.', { json: opts.json });
  const written = new Set<string>();
  const sink = new FilteringSink({
    write: (s, r) => { written.add(s.path); baseSink.write(s, r); },
    close: () => baseSink.close(),
  }, sel.logs);
  return { sink, written };
}

/** How `input` is named in messages (as the capture reader names it). */
function inputName(input: SensorOptions['input']): string {
  return typeof input === 'string' && input !== '-' ? input : 'stdin';
}

/**
 * Zeek's base/misc/find-checksum-offloading.zeek: warns when more than 5% of the packets had a bad IP,
 * TCP or UDP checksum (captures taken on the capturing host, whose NIC fills in checksums after the
 * capture point). Zeek counts the weird events; we count packets before weird sampling.
 */
export function checksumWarning(name: string, packets: number, bad: BadChecksums): string | undefined {
  if (packets <= 0 || Math.max(bad.ip, bad.tcp, bad.udp) / packets <= 0.05) return undefined;
  const kinds = [bad.ip && 'IP', bad.tcp && 'TCP', bad.udp && 'UDP'].filter(Boolean).join(' and ');
  const n = bad.ip + bad.tcp + bad.udp;
  return `${name}: the capture likely has invalid ${kinds} checksums (${n} of ${packets} packets, ${Math.round((100 * n) / packets)}%), ` +
    'most likely from NIC checksum offloading; as Zeek does without -C, those packets were skipped, so connections ' +
    'may lack bytes and application details (HTTP, DNS, TLS …). Use -C to ignore checksums';
}

/** Counts the frames of link types the decoder has no layer for (read as raw IP, as Zeek does). */
class LinkTypes {
  private known = -1;
  readonly unknown = new Map<number, number>();
  see(raw: RawPacket): void {
    const lt = raw.linkType;
    if (lt === this.known) return;
    if (isDecodedLinkType(lt)) this.known = lt;
    else this.unknown.set(lt, (this.unknown.get(lt) ?? 0) + 1);
  }
  warnings(name: string): string[] {
    return [...this.unknown].map(([lt, n]) => `${name}: ${n} packet(s) of link type ${lt}, which wirehunt has no decoder for; read as raw IP, as Zeek does`);
  }
}

/** The sensor's own warnings after a run. */
function sensorWarnings(opts: SensorOptions, packets: number, bad: BadChecksums, links: LinkTypes): string[] {
  const name = inputName(opts.input);
  const w = links.warnings(name);
  const cw = checksumWarning(name, packets, bad);
  if (cw) w.push(cw);
  return w;
}

/**
 * Checks that a capture file can be analysed, from its first packet: throws a CaptureError (one line)
 * when it is empty, not a pcap/pcapng, cut short before its first packet, or of a link type the decoder
 * has no layer for. The reader's own checks, as `wirehunt zeek` meets them.
 */
export async function probeCapture(file: string): Promise<void> {
  const reader = openCapture(file);
  let linkType: number | undefined;
  const st = await reader.run((raw) => {
    linkType = raw.linkType;
    reader.stop();
  });
  if (linkType === undefined) {
    if (st.warnings.length) throw new CaptureError(`${st.warnings[0]!}; no packets to read`);
    return; // a capture without packets: nothing to do, nothing wrong
  }
  if (!isDecodedLinkType(linkType)) {
    throw new CaptureError(`${file}: link type ${linkType} is not one wirehunt can decode (Ethernet, Linux cooked, raw IP, loopback, PPP, 802.11, NFLOG …)`);
  }
}

/** Whether a run can be split over worker threads: conn-level analysis only (no protocol analyzers). */
export function canParallelize(sel: Selection): boolean {
  return sel.specs.length === 0 && !sel.weird;
}

export async function analyzeCapture(opts: SensorOptions): Promise<SensorStats> {
  const sel = selectAnalyzers(opts.analyzers, opts.specs ?? allSpecs);
  const workers = opts.workers ?? 0;
  if (workers > 1 && canParallelize(sel)) {
    const { analyzeParallel } = await import('./parallel.js');
    return analyzeParallel(opts, sel, workers);
  }
  const { sink, written } = openSink(opts, sel);
  const reader = openCapture(opts.input);
  const pipe = createPipeline(sel, sink, { ignoreChecksums: opts.ignoreChecksums, filter: opts.filter, services: opts.services });
  const every = opts.progressEvery ?? 1 << 16;
  let untilProgress = every;
  const progress = (): void => {
    opts.onProgress?.({ packets: reader.stats.packets, bytes: reader.stats.bytes, connections: pipe.connections(), active: pipe.active() });
  };
  let index = 0;
  let stats;
  const links = new LinkTypes();
  try {
    stats = await reader.run((raw) => {
      links.see(raw);
      pipe.packet(raw, index++);
      if (--untilProgress === 0) {
        untilProgress = every;
        progress();
      }
    });
  } finally {
    pipe.finish();
    await sink.close();
  }
  progress();
  return {
    packets: stats.packets,
    bytes: stats.bytes,
    ipPackets: pipe.ipPackets(),
    connections: pipe.connections(),
    truncated: stats.truncated,
    warnings: [...stats.warnings, ...sensorWarnings(opts, stats.packets, pipe.badChecksums(), links)],
    badChecksums: pipe.badChecksums(),
    logs: [...written],
  };
}

export { openSink, LinkTypes, sensorWarnings };
