// The sensor as the robustness tests drive it, in-process: the most complete pipeline that exists in
// this build. With src/sensor (analyzeCapture) it is the whole sensor; before it lands, the capture
// reader plus the decoder; at the very least the capture reader alone. Loaded dynamically so that these
// tests build and run whatever stage the other layers are at.

import { Readable } from 'node:stream';
import { openCapture } from '../../src/capture/index.js';
import { CaptureError, type RawPacket } from '../../src/capture/types.js';
import type { DecodedPacket } from '../../src/decode/packet.js';
import { compileFilter } from '../../src/filter/index.js';

export interface Pipeline {
  /** Which stages run: 'sensor', 'capture+decode', or 'capture'. */
  name: string;
  /** Runs one capture (a path or its bytes) through; resolves with a packet count, or throws. */
  run(input: string | Buffer): Promise<number>;
}

type AnyFn = (...args: unknown[]) => unknown;
async function tryImport(rel: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(new URL(rel, import.meta.url).href)) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(rel.replace(/^(\.\.\/)+/, ''))) return undefined;
    throw err;
  }
}

function source(input: string | Buffer): ReturnType<typeof openCapture> {
  return typeof input === 'string' ? openCapture(input) : openCapture(Readable.from([input]), 'fuzz');
}

export async function loadPipeline(): Promise<Pipeline> {
  const sensor = await tryImport('../../src/sensor/index.js');
  if (sensor && typeof sensor.analyzeCapture === 'function') {
    const analyzeCapture = sensor.analyzeCapture as AnyFn;
    const { NullSink } = await import('./null-sink.js');
    // A filter that keeps nearly everything, so that the filter runs on every (fuzzed) packet too.
    const sensorFilter = compileFilter('not (ip6 and net fe80::/10 and icmp6 and ip6 proto 0)');
    return {
      name: 'sensor',
      async run(input) {
        const sink = new NullSink();
        const r = (await analyzeCapture({
          input: typeof input === 'string' ? input : Readable.from([input]),
          sink,
          filter: sensorFilter,
        })) as { packets?: number } | undefined;
        return r?.packets ?? sink.records;
      },
    };
  }
  const decode = await tryImport('../../src/decode/index.js');
  if (decode && typeof decode.Decoder === 'function') {
    type Dec = { decode(raw: RawPacket, out: DecodedPacket): number };
    const Decoder = decode.Decoder as new (o?: { ignoreChecksums?: boolean }) => Dec;
    const DP = decode.DecodedPacket as new () => DecodedPacket;
    // Filters are evaluated on every decoded packet too: they must cope with whatever the decoder fills in.
    const filters = ['tcp port 80 or udp port 53', 'not ip6 and net 10.0.0.0/8', 'icmp or icmp6 or portrange 1-1024'].map(compileFilter);
    return {
      name: 'capture+decode+filter',
      async run(input) {
        const dec = new Decoder();
        const out = new DP();
        let n = 0;
        let bad = '';
        await source(input).run((p) => {
          const st = dec.decode(p, out);
          n++;
          if (st === 0 && !bad) {
            if (out.payloadOffset + out.payloadCapLen > out.buf.length || out.l4Offset + out.l4CapLen > out.buf.length || out.payloadCapLen < 0) {
              bad = `decoded packet ${n} points outside its buffer (l4 ${out.l4Offset}+${out.l4CapLen}, payload ${out.payloadOffset}+${out.payloadCapLen}, buf ${out.buf.length})`;
            }
            for (const f of filters) f(out);
          }
        });
        if (bad) throw new Error(bad);
        return n;
      },
    };
  }
  return {
    name: 'capture',
    async run(input) {
      let n = 0;
      let x = 0;
      const stats = await source(input).run((p) => {
        n++;
        if (p.capLen) x ^= p.data[p.offset]! ^ p.data[p.offset + p.capLen - 1]!;
      });
      if (stats.packets !== n) throw new Error(`stats.packets ${stats.packets} != delivered ${n} (${x})`);
      return n;
    },
  };
}

/** 'ok' (logs), 'error' (a one-line CaptureError), or a description of what went wrong. */
export function classify(err: unknown): 'error' | string {
  if (err instanceof CaptureError) {
    if (/\n/.test(err.message)) return `CaptureError with a multi-line message: ${JSON.stringify(err.message.slice(0, 300))}`;
    if (!err.message.trim()) return 'CaptureError with an empty message';
    return 'error';
  }
  const e = err as Error | undefined;
  return `${e?.name ?? typeof err}: ${e?.message ?? String(err)}\n${(e?.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
}
