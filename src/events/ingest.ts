// `wirehunt ingest` as a library: captures (through the sensor), Zeek logs and Defender exports into
// the store, with devices from an inventory, an earlier ingest or discovery.

import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, constants as zc } from 'node:zlib';
import { UserError } from '../cli/types.js';
import { CaptureError } from '../capture/types.js';
import { availableParallelism } from 'node:os';
import { listZeekLogFiles, planTsvChunks, readZeekLog, ReaderError, type ReadStats, type TsvChunks } from '../zeek/reader.js';
import type { LogSink } from '../zeek/types.js';
import { storageTable, type BatchWriter, type Store } from '../store/store.js';
import {
  DeviceRegistry, DEVICE_INFO_COLUMNS, DEVICE_NETWORK_INFO_COLUMNS, deviceInfoRow, deviceNetworkInfoRow, devicesFromRows, loadInventory,
  type Device,
} from './devices.js';
import { DNE_COLUMNS, EventModel, type EventStats } from './model.js';
import { StoreSink } from './sink.js';
import { importDefenderFile, type ImportStats } from './import.js';
import { IngestPool, JobError, LEARNING_PATHS, type JobResult } from './pool.js';
import { latestTimeInSql, mapLogInSql, NotForSql, planSqlLog, type SqlLogPlan } from './sql-map.js';

export type InputKind = 'capture' | 'zeek' | 'defender';

export interface IngestOptions {
  /** Inventory file (docs/devices.md); without it devices come from the store and discovery. */
  devicesFile?: string;
  /** Devices given directly (tests, the demo); wins over devicesFile. */
  devices?: Device[];
  /** Defender import: the table for rows whose table cannot be inferred. Forces Defender import. */
  table?: string;
  /** Shift times so the input's last event lands at `now`. */
  rebaseTime?: boolean;
  /** Zeek's -C for captures: analyse packets whose checksums are wrong (NIC checksum offloading). */
  ignoreChecksums?: boolean;
  /** Emit the deprecated NetworkSignatureInspected rows too. */
  legacySignatures?: boolean;
  /** btest-masked ts in Zeek logs: skip the record (default) or read it as time 0. */
  maskedTime?: 'skip' | 'zero';
  batchSize?: number;
  /** "Now" in ms since the epoch for --rebase-time (default Date.now()). */
  now?: number;
  /**
   * Worker threads mapping Zeek logs to rows while this thread inserts them (default: defaultWorkers(),
   * $WIREHUNT_INGEST_WORKERS overrides; 0: all in this thread). By default used only when the Zeek
   * logs that can go to workers hold at least 32 MiB (starting workers costs more on small inputs).
   */
  workers?: number;
  /**
   * Where Zeek TSV logs become rows (events/sql-map.ts): 'auto' (default; $WIREHUNT_INGEST_SQL
   * overrides) maps a log of at least 4 MiB inside DuckDB when it can, 'always' whatever its size,
   * 'never' always in JavaScript.
   */
  sqlMapping?: 'auto' | 'always' | 'never';
  /** Smallest byte range of one log a worker reads (default 16 MiB); tests make it small. */
  chunkBytes?: number;
  onProgress?: (p: IngestProgress) => void;
  /** One-line warnings (malformed lines, skipped masked records, the sensor's). Default: stderr. */
  warn?: (line: string) => void;
}

export interface IngestProgress {
  file: string;
  /** Rows handed to the store so far (all tables). */
  rows: number;
  /** Input bytes read so far and in total (Zeek logs and Defender files; captures count by file). */
  bytesDone: number;
  bytesTotal: number;
}

export interface IngestResult {
  /** The inputs read. */
  inputs: { file: string; kind: InputKind }[];
  /** Inputs left out, with why in one line: captures that are empty, not captures, cut short before a packet, of an unknown link type. */
  failed: { file: string; error: string }[];
  events: EventStats;
  /** DeviceNetworkEvents rows staged and actually added (duplicates of earlier ingests excluded). */
  networkRows: number;
  networkInserted: number;
  deviceRows: number;
  devices: number;
  imports: ImportStats[];
  zeek: ReadStats[];
  malformed: number;
  masked: number;
  shiftSeconds: number;
  /** Zeek log records mapped to rows inside DuckDB (the rest went through the JavaScript model). */
  sqlMapped: number;
}

let jobSeq = 0;

/** Smallest Zeek log mapped inside DuckDB by default (below it, JavaScript is as fast: fewer queries). */
const SQL_MIN_BYTES = 4 << 20;

/**
 * Workers by default: one per CPU beyond two (one CPU for DuckDB's insert, one for this thread).
 * Measured on a 2-CPU machine (load average 7 from other work): two workers made the 1M-record
 * bench 0.82x as fast as one thread (0.91x per CPU second), so such a machine uses none.
 */
export function defaultWorkers(): number {
  return Math.max(0, availableParallelism() - 2);
}

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a]);

function readHead(file: string, n = 65536): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** First bytes of a file as text, decompressed when gzip. */
export function headText(file: string): string {
  let b = readHead(file);
  if (b[0] === 0x1f && b[1] === 0x8b) {
    try {
      b = gunzipSync(b, { finishFlush: zc.Z_SYNC_FLUSH });
    } catch {
      return '';
    }
  }
  return b.toString('utf8');
}

/** Names of capture files (a folder's captures are found by them too). */
const CAPTURE_NAME = /\.(pcap|pcapng|cap)$/i;

/**
 * What a file holds: a capture (pcap/pcapng magic, or a capture's name: the capture reader then says
 * what is wrong with it), a Zeek log, or Defender rows.
 */
export function classifyFile(file: string, tableFlag?: string): InputKind {
  const b = readHead(file, 4);
  if (b.length === 4 && (PCAP_MAGICS.has(b.readUInt32BE(0)) || PCAP_MAGICS.has(b.readUInt32LE(0)))) return 'capture';
  if (CAPTURE_NAME.test(file)) return 'capture';
  if (tableFlag) return 'defender';
  const head = headText(file).replace(/^\uFEFF/, '');
  if (head.startsWith('#separator') || head.startsWith('### BTest') || head.startsWith('#fields')) return 'zeek';
  const first = head.split('\n', 1)[0]!.trim();
  if (first.startsWith('{')) {
    try {
      const o = JSON.parse(first) as Record<string, unknown>;
      if ('Timestamp' in o || 'Schema' in o || 'schema' in o) return 'defender';
      if ('ts' in o || '_path' in o || 'uid' in o) return 'zeek';
    } catch {
      /* a pretty-printed document */
    }
    return 'defender';
  }
  if (first.startsWith('[')) return 'defender';
  if (/\.log(\.gz)?$/.test(file)) return 'zeek';
  return 'defender';
}

/** Expands the command-line paths into classified input files (a folder: its Zeek logs, or its captures when it has no logs). */
export function collectInputs(paths: readonly string[], tableFlag?: string): { file: string; kind: InputKind }[] {
  const out: { file: string; kind: InputKind }[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UserError(`cannot read ${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const logs = listZeekLogFiles([p]);
      for (const f of logs) out.push({ file: f, kind: 'zeek' });
      const caps = logs.length ? [] : listCaptures(p); // a folder of Zeek logs often holds their capture too
      for (const f of caps) out.push({ file: f, kind: 'capture' });
      if (!logs.length && !caps.length) throw new UserError(`${p}: no Zeek logs (*.log, *.log.gz) or captures (*.pcap, *.pcapng) in this folder`);
    } else out.push({ file: p, kind: classifyFile(p, tableFlag) });
  }
  // Zeek logs in dependency order across all inputs (x509 before ssl, dhcp early).
  const zeek = listZeekLogFiles(out.filter((x) => x.kind === 'zeek').map((x) => x.file));
  const others = out.filter((x) => x.kind !== 'zeek');
  return [...others.filter((x) => x.kind === 'capture'), ...zeek.map((file) => ({ file, kind: 'zeek' as const })), ...others.filter((x) => x.kind === 'defender')];
}

/** Capture files (*.pcap, *.pcapng, *.cap) under a folder, recursively, sorted. */
function listCaptures(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (CAPTURE_NAME.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Devices recorded by earlier ingests into this store. */
export async function loadStoredDevices(store: Store): Promise<Device[]> {
  const net = await store.connection.runAndReadAll(
    `SELECT DeviceId, arg_max(DeviceName, Timestamp) AS DeviceName, arg_max(MacAddress, Timestamp) AS MacAddress,
            arg_max(IPAddresses, Timestamp) AS IPAddresses, arg_max(DnsAddresses, Timestamp) AS DnsAddresses,
            arg_max(DefaultGateways, Timestamp) AS DefaultGateways
       FROM DeviceNetworkInfo GROUP BY DeviceId ORDER BY DeviceId`,
  );
  const info = await store.connection.runAndReadAll(
    `SELECT DeviceId, arg_max(IsInternetFacing, Timestamp) AS IsInternetFacing, arg_max(OSPlatform, Timestamp) AS OSPlatform,
            arg_max(OSVersion, Timestamp) AS OSVersion, arg_max(DeviceType, Timestamp) AS DeviceType,
            arg_max(AdditionalFields, Timestamp) AS AdditionalFields
       FROM DeviceInfo GROUP BY DeviceId`,
  );
  return devicesFromRows(
    net.getRowObjectsJS() as unknown as Parameters<typeof devicesFromRows>[0],
    info.getRowObjectsJS() as unknown as Parameters<typeof devicesFromRows>[1],
  );
}

interface SensorModule {
  analyzeCapture(opts: Record<string, unknown>): Promise<{ warnings: string[] }>;
  probeCapture(file: string): Promise<void>;
}

async function loadSensor(): Promise<SensorModule> {
  try {
    const mod = (await import(new URL('../sensor/index.js', import.meta.url).href)) as Partial<SensorModule>;
    if (typeof mod.analyzeCapture === 'function') return mod as SensorModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  throw new UserError('ingesting captures needs the sensor, which is not in this build yet; ingest Zeek logs of the capture instead', 1);
}

/** Runs the sensor over a capture, records into `sink`; returns its warnings (truncation, checksum offloading …). */
async function analyzeInto(file: string, sink: LogSink, ignoreChecksums: boolean): Promise<string[]> {
  const sensor = await loadSensor();
  return (await sensor.analyzeCapture({ input: file, sink, ignoreChecksums })).warnings;
}

/** Leaves out the captures the sensor cannot read (one line each in `failed`), before anything is written. */
async function usableInputs(inputs: { file: string; kind: InputKind }[], failed: IngestResult['failed']): Promise<{ file: string; kind: InputKind }[]> {
  if (!inputs.some((x) => x.kind === 'capture')) return inputs;
  const sensor = await loadSensor();
  const out: { file: string; kind: InputKind }[] = [];
  for (const x of inputs) {
    if (x.kind === 'capture') {
      try {
        await sensor.probeCapture(x.file);
      } catch (err) {
        if (!(err instanceof CaptureError)) throw err;
        failed.push({ file: x.file, error: err.message });
        continue;
      }
    }
    out.push(x);
  }
  return out;
}

/** Last packet time of a capture (seconds), for --rebase-time. */
async function captureLastTs(file: string): Promise<number> {
  const { openCapture } = await import('../capture/index.js');
  let last = NaN;
  await openCapture(file).run((p) => {
    if (!(p.ts <= last)) last = p.ts;
  });
  return last;
}

export async function ingestPaths(store: Store, paths: readonly string[], opts: IngestOptions = {}): Promise<IngestResult> {
  const restore = await store.limitThreadsForIngest();
  try {
    return await ingestPathsWith(store, paths, opts);
  } finally {
    await restore();
  }
}

async function ingestPathsWith(store: Store, paths: readonly string[], opts: IngestOptions): Promise<IngestResult> {
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`wirehunt: ${line}\n`));
  const failed: IngestResult['failed'] = [];
  const inputs = await usableInputs(collectInputs(paths, opts.table), failed);
  const bytesTotal = inputs.reduce((a, x) => a + statSync(x.file).size, 0);
  let bytesDone = 0;
  let rowsHanded = 0;
  let currentFile = '';
  const progress = () => opts.onProgress?.({ file: currentFile, rows: rowsHanded, bytesDone, bytesTotal });

  // Devices.
  const inventory: Device[] | undefined = opts.devices ?? (opts.devicesFile ? loadInventory(opts.devicesFile) : undefined);
  const registry = inventory ? new DeviceRegistry(inventory, false) : new DeviceRegistry(await loadStoredDevices(store), true);

  // Zeek TSV logs mapped inside DuckDB (not with --legacy-signatures: those rows are the model's).
  const envSql = process.env.WIREHUNT_INGEST_SQL;
  const sqlMode = opts.sqlMapping ?? (envSql === 'always' || envSql === 'never' || envSql === 'auto' ? envSql : 'auto');
  const sqlPlans = new Map<string, SqlLogPlan>();
  if (sqlMode !== 'never' && !opts.legacySignatures) {
    for (const x of inputs) {
      if (x.kind !== 'zeek' || (sqlMode === 'auto' && statSync(x.file).size < SQL_MIN_BYTES)) continue;
      const p = planSqlLog(x.file, () => headText(x.file));
      if (p) sqlPlans.set(x.file, p);
    }
  }
  // --rebase-time: find the input's last event first.
  let shiftSeconds = 0;
  const maskedTime = opts.maskedTime ?? 'skip';
  const traffic = inputs.filter((x) => x.kind !== 'defender');
  if (opts.rebaseTime && traffic.length) {
    let last = NaN;
    for (const x of traffic) {
      let t: number;
      const plan = sqlPlans.get(x.file);
      if (x.kind === 'capture') t = await captureLastTs(x.file);
      else if (plan) t = await latestTimeInSql(plan, store.connection, maskedTime).catch(() => readZeekLog(x.file, () => {}, { maskedTime, onMalformed: () => {} }).then((st) => st.maxTs));
      else {
        const st = await readZeekLog(x.file, () => {}, { maskedTime, onMalformed: () => {} });
        t = st.maxTs;
        // conn records end at ts + duration; close enough for rebasing: use ts.
      }
      if (!(t <= last)) last = t;
    }
    if (Number.isFinite(last)) shiftSeconds = ((opts.now ?? Date.now()) / 1000) - last;
  }

  const result: IngestResult = {
    inputs, failed, events: undefined as unknown as EventStats, networkRows: 0, networkInserted: 0, deviceRows: 0, devices: 0,
    imports: [], zeek: [], malformed: 0, masked: 0, shiftSeconds, sqlMapped: 0,
  };

  let writer: BatchWriter | undefined;
  let model: EventModel | undefined;
  const modelOpts = { legacySignatures: opts.legacySignatures, shiftSeconds };
  if (traffic.length) {
    writer = await store.writer('DeviceNetworkEvents', DNE_COLUMNS, { batchSize: opts.batchSize });
    model = new EventModel(registry, writer, modelOpts);
  }
  const flush = async () => {
    const n = writer!.pending;
    await writer!.flush();
    rowsHanded += n;
    progress();
  };

  // Rows of the logs mapped in DuckDB; Zeek logs read by the JavaScript model (and the lines DuckDB leaves to it).
  let sqlStaged = 0;
  let sqlInserted = 0;
  const readWithModel = async (file: string): Promise<ReadStats> => {
    try {
      return await readZeekLog(
        file,
        (schema, rec) => {
          model!.write(schema, rec);
          if (writer!.full) return flush();
        },
        { maskedTime, onMalformed: (f, l, r) => warn(`${f}:${l}: ${r}; line skipped`) },
      );
    } catch (err) {
      if (err instanceof ReaderError) throw new UserError(err.message, 1);
      throw err;
    }
  };

  // Zeek logs that teach nothing (no dns, dhcp, x509) go to worker threads, split in byte ranges
  // when large; each gets the devices and certificates known where it stands in the input order.
  // Logs that teach, and every other input, wait for the workers' earlier files (a barrier) and
  // are read here, in order: the rows are the ones a single thread writes.
  const plans = new Map<string, TsvChunks>();
  let pool: IngestPool | undefined;
  const envWorkers = process.env.WIREHUNT_INGEST_WORKERS ? Number(process.env.WIREHUNT_INGEST_WORKERS) : NaN;
  const chosen = opts.workers ?? (Number.isInteger(envWorkers) && envWorkers >= 0 ? envWorkers : undefined);
  const workers = Math.min(64, chosen ?? defaultWorkers());
  if (writer && workers > 0) {
    const chunkBytes = opts.chunkBytes ?? 16 << 20;
    let bytes = 0;
    for (const x of inputs) {
      if (x.kind !== 'zeek' || sqlPlans.has(x.file)) continue;
      const plan = planTsvChunks(x.file, workers, chunkBytes);
      if (plan && !LEARNING_PATHS.has(plan.path)) {
        plans.set(x.file, plan);
        bytes += statSync(x.file).size;
      }
    }
    if (plans.size && (chosen !== undefined || bytes >= 32 << 20)) {
      pool = new IngestPool(workers, writer, (n) => {
        rowsHanded += n;
        progress();
      });
    } else plans.clear();
  }
  let snapshot: Device[] | undefined;
  let pending: { file: string; jobs: Promise<JobResult>[] }[] = [];
  const barrier = async () => {
    const done = pending;
    pending = [];
    for (const p of done) mergeJobs(p.file, await Promise.all(p.jobs));
    snapshot = undefined;
  };
  const mergeJobs = (file: string, parts: JobResult[]) => {
    const st: ReadStats = { ...parts[0]!.stats, records: 0, malformed: 0, masked: 0, maxTs: NaN, bytes: 0, lines: 0 };
    for (const r of parts) {
      for (const w of r.warnings) warn(`${file}:${st.lines + w.line}: ${w.reason}; line skipped`);
      st.records += r.stats.records;
      st.malformed += r.stats.malformed;
      st.masked += r.stats.masked;
      st.bytes += r.stats.bytes;
      st.lines += r.stats.lines;
      if (!(r.stats.maxTs <= st.maxTs)) st.maxTs = r.stats.maxTs;
      mergeStats(model!.stats, r.events);
      for (const ip of r.discovered) registry.lookup(ip);
      if (r.seen.length) {
        const byId = new Map(registry.devices.map((d) => [d.DeviceId, d]));
        for (const id of r.seen) {
          const d = byId.get(id);
          if (d) registry.markSeen(d);
        }
      }
    }
    zeekDone(file, st);
    bytesDone += statSync(file).size;
    progress();
  };
  const zeekDone = (file: string, st: ReadStats) => {
    result.zeek.push(st);
    result.malformed += st.malformed;
    result.masked += st.masked;
    if (st.masked && maskedTime === 'skip') {
      warn(`${file}: ${st.masked} record(s) with a masked timestamp (XXXXXXXXXX.XXXXXX, a btest baseline) skipped; --masked-time zero keeps them at 1970-01-01`);
    }
  };

  // On an error the batch being staged is dropped (committed batches stay; re-running completes).
  try {
    for (const x of inputs) {
      currentFile = x.file;
      progress();
      const plan = plans.get(x.file);
      if (plan && pool) {
        snapshot ??= registry.devices.map((d) => ({ ...d, IPAddresses: [...d.IPAddresses], seenMark: undefined }));
        const base = {
          file: x.file, devices: snapshot, discover: registry.discover, certs: model!.exportCerts(), modelOpts, maskedTime,
          batchSize: writer!.batchSize,
        };
        const p = pool;
        const jobs = plan.ranges.map((r, k) => p.run({ ...base, id: ++jobSeq, start: r.start, end: r.end, preamble: k ? plan.preamble : undefined }));
        for (const j of jobs) j.catch(() => {}); // awaited at the barrier
        pending.push({ file: x.file, jobs });
        continue;
      }
      await barrier();
      const sqlPlan = sqlPlans.get(x.file);
      if (sqlPlan) {
        // earlier rows committed first: one writer at a time
        await flush();
        await writer!.settled();
        try {
          const r = await mapLogInSql(sqlPlan, { conn: store.connection, model: model!, maskedTime, readWithModel });
          zeekDone(x.file, r.stats);
          sqlStaged += r.staged;
          sqlInserted += r.inserted;
          result.sqlMapped += r.mapped;
          rowsHanded += r.staged;
          bytesDone += statSync(x.file).size;
          progress();
          continue;
        } catch (err) {
          if (!(err instanceof NotForSql)) throw err;
          // read by JavaScript below, which reports what is wrong with the file
        }
      }
      if (x.kind === 'zeek') {
        zeekDone(x.file, await readWithModel(x.file));
      } else if (x.kind === 'capture') {
        const sink = new StoreSink(registry, writer!, modelOpts, false, (n) => {
          rowsHanded += n;
          progress();
        });
        // share device/cert state with the log path: same registry; the sink has its own model
        const warnings = await analyzeInto(x.file, sink, !!opts.ignoreChecksums);
        await sink.close();
        for (const w of warnings) warn(`warning: ${w}`);
        mergeStats(model!.stats, sink.model.stats);
      } else {
        const st = await importDefenderFile(store, x.file, headText(x.file), {
          table: opts.table,
          batchSize: opts.batchSize,
          onMalformed: (f, l, r) => warn(`${f}:${l}: ${r}; row skipped`),
          onBatch: (n) => {
            rowsHanded += n;
            progress();
          },
        });
        result.imports.push(st);
        result.malformed += st.malformed;
      }
      bytesDone += statSync(x.file).size;
      progress();
    }
    await barrier();
    if (writer) {
      const n = writer.pending;
      await writer.close();
      rowsHanded += n;
      result.networkRows = writer.staged + sqlStaged;
      result.networkInserted = writer.inserted + sqlInserted;
    }
  } catch (err) {
    if (err instanceof JobError) throw err.user ? new UserError(err.message, 1) : new Error(err.message);
    throw err;
  } finally {
    await pool?.close();
  }
  result.events = model?.stats ?? { records: 0, rows: 0, skipped: 0, byAction: {}, maxTs: NaN, minTs: NaN };

  // Devices: names learned late, then DeviceInfo / DeviceNetworkInfo rows.
  if (traffic.length || inventory) {
    const devs = inventory ? registry.devices : registry.devices.filter((d) => registry.seen.has(d));
    await fixDeviceNames(store, devs);
    const maxTs = result.events.maxTs;
    const micros = Number.isFinite(maxTs) ? Math.round(maxTs * 1e6) : Math.floor((opts.now ?? Date.now()) / 86_400_000) * 86_400_000_000;
    const info = await store.writer('DeviceInfo', DEVICE_INFO_COLUMNS);
    const net = await store.writer('DeviceNetworkInfo', DEVICE_NETWORK_INFO_COLUMNS);
    for (const d of devs) {
      info.appendRow(deviceInfoRow(d, micros));
      net.appendRow(deviceNetworkInfoRow(d, micros));
    }
    await info.close();
    await net.close();
    result.deviceRows = info.inserted + net.inserted;
    result.devices = devs.length;
    rowsHanded += devs.length * 2;
    progress();
  }
  return result;
}

function mergeStats(into: EventStats, from: EventStats): void {
  into.records += from.records;
  into.rows += from.rows;
  into.skipped += from.skipped;
  for (const [k, v] of Object.entries(from.byAction)) into.byAction[k] = (into.byAction[k] ?? 0) + v;
  if (!(from.maxTs <= into.maxTs)) into.maxTs = from.maxTs;
  if (!(from.minTs >= into.minTs)) into.minTs = from.minTs;
}

/** Rows written before a discovered device's name was learned get the name (DeviceName '' only). */
async function fixDeviceNames(store: Store, devices: readonly Device[]): Promise<void> {
  const named = devices.filter((d) => d.DeviceName && d.source !== 'inventory');
  if (!named.length) return;
  const conn = store.connection;
  await conn.run(`CREATE OR REPLACE TEMP TABLE __device_names (DeviceId VARCHAR, DeviceName VARCHAR)`);
  const ap = await conn.createAppender('__device_names', 'main', 'temp');
  for (const d of named) {
    ap.appendVarchar(d.DeviceId);
    ap.appendVarchar(d.DeviceName);
    ap.endRow();
  }
  ap.flushSync();
  ap.closeSync();
  const t = storageTable('DeviceNetworkEvents');
  await conn.run(
    `UPDATE ${t} SET DeviceName = n.DeviceName FROM temp.main.__device_names n WHERE ${t}.DeviceId = n.DeviceId AND ${t}.DeviceName IS NULL`,
  );
  await conn.run(`DROP TABLE temp.main.__device_names`);
}
