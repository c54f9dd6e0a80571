// A LogSink that turns the sensor's Zeek records into store rows. LogSink.write is synchronous, the
// store's batch flush is not: rows go straight into the batch writer, and while a full batch is
// being moved into its table, new rows wait in a queue that is drained when the flush ends.

import type { LogSchema, LogSink, ZeekRecord } from '../zeek/types.js';
import type { BatchWriter, Cell } from '../store/store.js';
import { EventModel, type EventModelOptions, type RowTarget } from './model.js';
import type { DeviceRegistry } from './devices.js';

export class StoreSink implements LogSink, RowTarget {
  readonly model: EventModel;
  private flushing: Promise<void> | undefined;
  private queue: Cell[][] = [];
  private error: unknown;
  private closed = false;

  /**
   * @param writer a DeviceNetworkEvents writer with the model's columns (DNE_COLUMNS)
   * @param closeWriter close the writer on close() (default); false when the caller reuses it
   */
  constructor(
    devices: DeviceRegistry,
    private readonly writer: BatchWriter,
    opts: EventModelOptions = {},
    private readonly closeWriter = true,
    private readonly onBatch?: (rows: number) => void,
  ) {
    this.model = new EventModel(devices, this, opts);
  }

  write(schema: LogSchema, rec: ZeekRecord): void {
    if (this.closed) throw new Error('StoreSink is closed');
    if (this.error) throw this.error;
    this.model.write(schema, rec);
  }

  /** RowTarget: called by the model with its reused row array. */
  appendRow(cells: ArrayLike<Cell>): void {
    if (this.flushing) {
      this.queue.push(Array.from(cells));
      return;
    }
    this.writer.appendRow(cells);
    if (this.writer.full) this.startFlush();
  }

  private startFlush(): void {
    const n = this.writer.pending;
    this.flushing = this.writer.flush().then(
      () => {
        this.onBatch?.(n);
        this.flushing = undefined;
        const q = this.queue;
        this.queue = [];
        for (const row of q) {
          if (this.flushing) this.queue.push(row);
          else {
            this.writer.appendRow(row);
            if (this.writer.full) this.startFlush();
          }
        }
      },
      (err: unknown) => {
        this.error = err;
        this.flushing = undefined;
      },
    );
  }

  /** Waits for any flush in progress (rows appended meanwhile are staged, not yet committed). */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.error) throw this.error;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.settle();
    this.closed = true;
    const n = this.writer.pending;
    if (this.closeWriter) await this.writer.close();
    else await this.writer.flush();
    if (n) this.onBatch?.(n);
  }
}
