// A LogSink that writes each log to <dir>/<path>.log the way Zeek's ASCII writer does: a file appears
// with its first record, rows are buffered and written in large blocks, `#close` ends it.

import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogSchema, LogSink, ZeekRecord } from './types.js';
import { asciiFooter, asciiHeader, renderAsciiRow, renderJsonRow } from './format.js';
import { UserError } from '../cli/types.js';
import { makeDirectory } from '../cli/dirs.js';

const FLUSH_AT = 1 << 18;

interface OpenLog {
  fd: number;
  file: string;
  pending: string;
  schema: LogSchema;
}

export interface LogDirectoryOptions {
  json?: boolean;
}

function writeOut(log: OpenLog, text: string): void {
  try {
    writeSync(log.fd, Buffer.from(text, 'latin1'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC') throw new UserError(`no space left on the device writing ${log.file}`, 1);
    throw new UserError(`cannot write ${log.file}: ${e.message}`, 1);
  }
}

export class LogDirectory implements LogSink {
  private readonly logs = new Map<string, OpenLog>();
  private closed = false;

  constructor(readonly dir: string, private readonly opts: LogDirectoryOptions = {}) {
    try {
      makeDirectory(dir);
    } catch (err) {
      throw new UserError(`cannot create output folder ${dir}: ${(err as Error).message}`);
    }
  }

  /** Paths of the logs written so far. */
  get paths(): string[] {
    return [...this.logs.keys()];
  }

  write(schema: LogSchema, rec: ZeekRecord): void {
    if (this.closed) throw new Error(`log directory ${this.dir} is closed`);
    let log = this.logs.get(schema.path);
    if (!log) {
      const file = join(this.dir, `${schema.path}.log`);
      let fd: number;
      try {
        fd = openSync(file, 'w');
      } catch (err) {
        throw new UserError(`cannot create ${file}: ${(err as Error).message}`, 1);
      }
      log = { fd, file, pending: this.opts.json ? '' : asciiHeader(schema, new Date()), schema };
      this.logs.set(schema.path, log);
    }
    log.pending += this.opts.json ? renderJsonRow(log.schema, rec) : renderAsciiRow(log.schema, rec);
    if (log.pending.length >= FLUSH_AT) {
      writeOut(log, log.pending);
      log.pending = '';
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const log of this.logs.values()) {
      if (!this.opts.json) log.pending += asciiFooter(new Date());
      if (log.pending) writeOut(log, log.pending);
      log.pending = '';
      closeSync(log.fd);
    }
  }
}

export function openLogDirectory(dir: string, opts: LogDirectoryOptions = {}): LogDirectory {
  return new LogDirectory(dir, opts);
}

/** Fans records out to several sinks (e.g. log files and the event store at once). */
export class TeeSink implements LogSink {
  constructor(private readonly sinks: LogSink[]) {}
  write(schema: LogSchema, rec: ZeekRecord): void {
    for (const s of this.sinks) s.write(schema, rec);
  }
  async close(): Promise<void> {
    for (const s of this.sinks) await s.close();
  }
}
