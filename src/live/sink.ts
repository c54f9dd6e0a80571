// The live sensor's LogSink: Zeek records → DeviceNetworkEvents rows (the event model), each row
// completed with the InitiatingProcess* columns of the local process that owns its connection. A row
// whose connection is still being attributed waits (a few ms) so it never goes out without a process
// that could be known; drain() moves the rows that are ready into the store's batch writer.

import type { LogSchema, LogSink, ZeekRecord } from '../zeek/types.js';
import type { BatchWriter, Cell } from '../store/store.js';
import { DNE_COLUMNS, EventModel, Col, type RowTarget } from '../events/model.js';
import type { DeviceRegistry } from '../events/devices.js';
import type { AttributionSource } from './attribution.js';
import type { ProcessInfo } from './process.js';

export const PROC_COLUMNS = [
  'InitiatingProcessFileName', 'InitiatingProcessFolderPath', 'InitiatingProcessId', 'InitiatingProcessCommandLine',
  'InitiatingProcessAccountName', 'InitiatingProcessAccountDomain', 'InitiatingProcessParentId', 'InitiatingProcessParentFileName',
  'InitiatingProcessCreationTime', 'InitiatingProcessParentCreationTime', 'InitiatingProcessSHA256', 'InitiatingProcessFileSize',
] as const;

/** The columns the live writer fills: the event model's, then the process's. */
export const LIVE_COLUMNS: readonly string[] = [...DNE_COLUMNS, ...PROC_COLUMNS];

const N = DNE_COLUMNS.length;

/** Writes a process's columns into `row` from index N on (blank when `p` is undefined). */
export function fillProcess(row: Cell[], p: ProcessInfo | undefined, domain: string, sha256: string): void {
  if (!p) {
    for (let i = 0; i < PROC_COLUMNS.length; i++) row[N + i] = null;
    return;
  }
  row[N] = p.fileName;
  row[N + 1] = p.folderPath;
  row[N + 2] = p.pid;
  row[N + 3] = p.commandLine;
  row[N + 4] = p.accountName;
  row[N + 5] = domain;
  row[N + 6] = p.ppid || null;
  row[N + 7] = p.parentFileName;
  row[N + 8] = Number.isFinite(p.creationTime) ? p.creationTime : null;
  row[N + 9] = Number.isFinite(p.parentCreationTime) ? p.parentCreationTime : null;
  row[N + 10] = sha256 || null;
  row[N + 11] = p.fileSize ?? null;
}

interface Queued {
  cells: Cell[];
  uid: string;
  /** drain() calls it has waited through. */
  waits: number;
}

/** A row waits for its process at most this many batches (the attribution thread answers in ms). */
const MAX_WAITS = 4;

const MAX_QUEUE = 1_000_000;

export class LiveSink implements LogSink, RowTarget {
  private model: EventModel;
  private queue: Queued[] = [];
  private curUid = '';
  /** Connections whose conn record (their last) has been written. */
  private finished: string[] = [];
  private readonly row: Cell[] = new Array(LIVE_COLUMNS.length).fill(null);
  /** Rows handed to the writer. */
  rows = 0;

  constructor(devices: DeviceRegistry, private readonly writer: BatchWriter, private readonly attr: AttributionSource | null, private readonly domain: string) {
    this.model = new EventModel(devices, this);
  }

  /** The host's addresses changed: a new registry. */
  setDevices(devices: DeviceRegistry): void {
    this.model = new EventModel(devices, this);
  }

  get stats() {
    return this.model.stats;
  }

  write(schema: LogSchema, rec: ZeekRecord): void {
    const uid = rec.uid;
    this.curUid = typeof uid === 'string' ? uid : '';
    this.model.write(schema, rec);
    if (schema.path === 'conn' && this.curUid) this.finished.push(this.curUid);
    this.curUid = '';
    if (this.queue.length > MAX_QUEUE) this.drain(true);
  }

  appendRow(cells: ArrayLike<Cell>): void {
    this.queue.push({ cells: Array.from(cells), uid: this.curUid, waits: 0 });
  }

  /** A row made outside the event model (ListeningConnectionCreated): DNE cells plus its process. */
  appendOwnRow(cells: ArrayLike<Cell>, p: ProcessInfo | undefined): void {
    const row = this.row;
    for (let i = 0; i < N; i++) row[i] = cells[i];
    fillProcess(row, p, this.domain, p ? p.sha256 || (this.attr?.sha256(p.exeKey) ?? '') : '');
    this.writer.appendRow(row);
    this.rows++;
  }

  /** Moves the rows that are ready (attribution done, or `final`) to the writer. Returns rows moved. */
  drain(final = false): number {
    const attr = this.attr;
    const keep: Queued[] = [];
    const row = this.row;
    let moved = 0;
    for (const q of this.queue) {
      if (!final && attr && q.uid && q.waits++ < MAX_WAITS && attr.isPending(q.uid)) {
        keep.push(q);
        continue;
      }
      const c = q.cells;
      for (let i = 0; i < N; i++) row[i] = c[i];
      const p = attr && q.uid ? attr.lookup(q.uid, String(c[Col.LocalIP] ?? ''), Number(c[Col.LocalPort])) : undefined;
      fillProcess(row, p, this.domain, p ? p.sha256 || attr!.sha256(p.exeKey) : '');
      this.writer.appendRow(row);
      moved++;
    }
    this.queue = keep;
    this.rows += moved;
    if (attr && this.finished.length) {
      const waiting = new Set(keep.map((q) => q.uid));
      const still: string[] = [];
      for (const uid of this.finished) {
        if (waiting.has(uid) || attr.isPending(uid)) still.push(uid);
        else attr.forget(uid);
      }
      this.finished = still;
    } else if (!attr) this.finished = [];
    return moved;
  }

  get queued(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    this.drain(true);
  }
}
