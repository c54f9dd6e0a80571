import { UserError, type Command } from '../types.js';
import { openStore, resolveStorePath } from '../../store/store.js';
import { STORE_ENV } from '../../store/types.js';
import { LiveSensor, type LiveSensorOptions, type LiveStatus } from '../../live/sensor.js';

const usage = `usage: wirehunt sensor --interface <if> [--db <file>] [--filter "<bpf>"] [--flush 2s] [--json]
                      [--retention 30d] [--max-size 10GB] [--snaplen <n>] [--buffer 32MB] [--no-process]
                      [--close-delay <dur>] [--discover] [--status-every 10s]

Turns this host into an onboarded device: captures on the interface through tcpdump (Debian:
apt-get install tcpdump; run as root or give tcpdump cap_net_raw), analyses the traffic as it flows
and writes DeviceNetworkEvents rows (with the process that owns each local socket, from /proc),
DeviceInfo and DeviceNetworkInfo into the store in batches. tcpdump is restarted when it or the
interface goes away; SIGINT/SIGTERM flush every open connection and stop.

options:
  -i, --interface <if>  the interface (as 'ip link' names it; 'any' for all)
  --db <file>           the store (default: $${STORE_ENV}, else ~/.local/share/wirehunt/wirehunt.duckdb)
  -f, --filter <bpf>    a capture filter (pcap-filter(7), compiled by tcpdump)
  --flush <duration>    batch period (default 2s; e.g. 500ms, 5s)
  --retention <dur>     delete rows older than this (default 30d; 0 keeps everything)
  --max-size <size>     keep the store's used space under this (e.g. 500MB, 10GB; default unlimited)
  --snaplen <n>         bytes captured per packet (default tcpdump's)
  --buffer <size>       kernel capture buffer (default 32MB; tcpdump -B)
  --no-process          do not attribute connections to processes
  --close-delay <dur>   Zeek's tcp_close_delay: how long a closed connection waits for late packets
                        before it is logged (default 2s; Zeek's default is 5s)
  --discover            also onboard private/loopback/link-local addresses seen in the traffic (span port)
  --json                log JSON lines (status every 10 s) instead of a status line
  --status-every <dur>  status period for --json (default 10s)`;

/** `2s`, `500ms`, `5m`, `1h`, `30d`, or plain seconds → milliseconds. */
export function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new UserError(`${what}: '${s}' is not a duration (e.g. 500ms, 2s, 5m, 1h, 30d)`);
  const n = Number(m[1]);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms'];
  return n * mult;
}

/** `500MB`, `10GB`, `1.5G`, or bytes. */
export function parseSize(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb|t|tb)?$/i.exec(s.trim());
  if (!m) throw new UserError(`${what}: '${s}' is not a size (e.g. 500MB, 10GB)`);
  const u = (m[2] ?? 'b').toLowerCase()[0]!;
  const mult = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[u as 'b'];
  return Math.round(Number(m[1]) * mult);
}

interface Args {
  iface: string;
  db?: string;
  filter?: string;
  flushMs: number;
  json: boolean;
  retentionMs: number;
  maxBytes: number;
  snaplen?: number;
  bufferKiB?: number;
  attribution: boolean;
  discover: boolean;
  closeDelayMs: number;
  statusMs: number;
}

export function parseSensorArgs(argv: string[]): Args {
  const a: Partial<Args> = { flushMs: 2000, json: false, retentionMs: 30 * 86_400_000, maxBytes: 0, attribution: true, discover: false, closeDelayMs: 2000, statusMs: 10_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v === '') throw new UserError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--interface': case '-i': a.iface = value(); break;
      case '--db': a.db = value(); break;
      case '--filter': case '-f': a.filter = value(); break;
      case '--flush': {
        const ms = parseDuration(value(), '--flush');
        if (ms < 100 || ms > 600_000) throw new UserError('--flush takes a period from 100ms to 10m');
        a.flushMs = ms;
        break;
      }
      case '--retention': a.retentionMs = parseDuration(value(), '--retention'); break;
      case '--max-size': a.maxBytes = parseSize(value(), '--max-size'); break;
      case '--snaplen': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0 || n > 262144) throw new UserError('--snaplen takes a whole number from 0 to 262144');
        a.snaplen = n;
        break;
      }
      case '--buffer': {
        const kib = Math.round(parseSize(value(), '--buffer') / 1024);
        if (kib < 1 || kib > 4 * 1024 * 1024) throw new UserError('--buffer takes a size from 1KB to 4GB');
        a.bufferKiB = kib;
        break;
      }
      case '--no-process': a.attribution = false; break;
      case '--discover': a.discover = true; break;
      case '--close-delay': {
        const ms = parseDuration(value(), '--close-delay');
        if (ms > 600_000) throw new UserError('--close-delay takes at most 10m');
        a.closeDelayMs = ms;
        break;
      }
      case '--json': a.json = true; break;
      case '--status-every': a.statusMs = Math.max(1000, parseDuration(value(), '--status-every')); break;
      default:
        throw new UserError(`unknown option '${arg}' (see 'wirehunt sensor --help')`);
    }
  }
  if (!a.iface) throw new UserError(`which interface? give --interface <if> (see 'ip link')`);
  if (!/^[A-Za-z0-9_.:@-]{1,64}$/.test(a.iface)) throw new UserError(`bad interface name '${a.iface}'`);
  return a as Args;
}

function statusLine(s: LiveStatus): string {
  const pct = s.attributionRequested ? ` · process ${((100 * s.attributed) / s.attributionRequested).toFixed(0)}%` : '';
  return `packets ${s.packets} · drops ${s.drops} · flows ${s.flows} (${s.connections} seen) · rows ${s.rows}${pct}`
    + (s.restarts ? ` · restarts ${s.restarts}` : '') + (s.running ? '' : ' · capture down');
}

export const command: Command = {
  name: 'sensor',
  summary: 'capture live traffic on this host into the store',
  usage,
  async run(argv: string[]): Promise<number> {
    const args = parseSensorArgs(argv);
    const store = await openStore(resolveStorePath(args.db));
    const tty = !args.json && !!process.stderr.isTTY;
    const log = (e: Record<string, unknown>): void => {
      if (args.json) process.stdout.write(JSON.stringify(e) + '\n');
      else if (e.event !== 'stopped') process.stderr.write(`${tty ? '\r\x1b[K' : ''}wirehunt sensor: ${e.event}${e.reason ? `: ${e.reason}` : ''}${e.message ? `: ${e.message}` : ''}\n`);
    };
    const opts: LiveSensorOptions = {
      iface: args.iface, store, filter: args.filter, flushMs: args.flushMs, snaplen: args.snaplen, bufferKiB: args.bufferKiB, attribution: args.attribution, discover: args.discover, closeDelay: args.closeDelayMs / 1000,
      retention: { maxAgeSeconds: args.retentionMs / 1000, maxBytes: args.maxBytes }, log,
    };
    const sensor = new LiveSensor(opts);
    try {
      await sensor.start();
    } catch (err) {
      store.close();
      throw err;
    }
    let stopping: Promise<LiveStatus> | undefined;
    const done = new Promise<LiveStatus>((resolve) => {
      const stop = (): void => {
        if (!stopping) {
          stopping = sensor.stop();
          stopping.then(resolve, (err: unknown) => { log({ event: 'error', message: String((err as Error)?.message ?? err) }); resolve(sensor.status); });
        }
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    const statusTimer = setInterval(() => {
      const s = sensor.status;
      if (args.json) log({ event: 'status', ...s });
      else if (tty) process.stderr.write(`\r\x1b[K${statusLine(s)}`);
    }, tty ? 1000 : args.statusMs);
    const final = await done;
    clearInterval(statusTimer);
    if (tty) process.stderr.write('\r\x1b[K');
    if (!args.json) process.stderr.write(`wirehunt sensor: stopped: ${statusLine(final)}\n`);
    store.close();
    return 0;
  },
};
