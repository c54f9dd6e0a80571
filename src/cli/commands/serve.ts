// `wirehunt serve`: the hunting page and the HTTP API over the store.

import { join, dirname } from 'node:path';
import { UserError, type Command } from '../types.js';
import { openStore, resolveStorePath, announceHolder, type Store } from '../../store/index.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { isLoopbackHost, loadOrCreateToken } from '../../server/guard.js';
import { Scheduler, holdHook } from '../../detect/scheduler.js';

const USAGE = `usage: wirehunt serve [--db <file>] [--port 8080] [--host 127.0.0.1] [--rate <calls/min>] [--timeout <s>]

Serves the advanced-hunting page and the HTTP API:
  POST /api/advancedqueries/run       {"Query": "..."} → {"Schema":[…],"Results":[…]} (Defender's API)
  POST /api/security/runHuntingQuery  {"Query": "..."} → {"schema":[…],"results":[…]} (Microsoft Graph)

  --db <file>     store file (default: $WIREHUNT_DB, else the per-user data folder)
  --port <n>      TCP port (default 8080; 0 picks a free one)
  --host <addr>   address to listen on (default 127.0.0.1). Anything but loopback requires a bearer
                  token: $WIREHUNT_TOKEN, else one generated on first start, printed, and kept in
                  api-token beside the store
  --rate <n>      API calls a minute per client before 429 (default 45, as Defender; 0 = no limit)
  --timeout <s>   per-query timeout (default 120)`;

export interface ServeArgs { db?: string; port: number; host: string; rate: number; timeoutS: number }

function parse(argv: string[]): ServeArgs {
  const a: ServeArgs = { port: 8080, host: '127.0.0.1', rate: 45, timeoutS: 120 };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UserError(`${f} needs a value`);
      return v;
    };
    const num = (name: string, v: string, min: number, max: number): number => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max) throw new UserError(`${name}: expected a whole number from ${min} to ${max}, got '${v}'`);
      return n;
    };
    switch (f) {
      case '--db': a.db = val(); break;
      case '--port': a.port = num('--port', val(), 0, 65535); break;
      case '--host': a.host = val(); break;
      case '--rate': a.rate = num('--rate', val(), 0, 1_000_000); break;
      case '--timeout': a.timeoutS = num('--timeout', val(), 1, 86_400); break;
      default: throw new UserError(`unknown option ${f}\n${USAGE}`);
    }
  }
  return a;
}

/** Starts the server on an open store and prints where it listens (shared with `wirehunt demo`). */
export async function serveStore(store: Store, a: Omit<ServeArgs, 'db'>): Promise<RunningServer> {
  let token: string | undefined;
  if (!isLoopbackHost(a.host)) {
    const tokenFile = store.path === ':memory:' ? join(process.cwd(), '.wirehunt-api-token') : join(dirname(store.path), 'api-token');
    const t = loadOrCreateToken(tokenFile);
    token = t.token;
    if (t.created) console.error(`wirehunt: listening beyond loopback; API token (saved in ${tokenFile}):\n  ${token}`);
    else console.error(`wirehunt: listening beyond loopback; requests need "Authorization: Bearer <token>" (${process.env.WIREHUNT_TOKEN ? '$WIREHUNT_TOKEN' : tokenFile})`);
  }
  let running: RunningServer;
  try {
    running = await startServer({ store, host: a.host, port: a.port, token, ratePerMinute: a.rate, timeoutMs: a.timeoutS * 1000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UserError(`port ${a.port} on ${a.host} is in use (pick another with --port)`);
    if (e.code === 'EADDRNOTAVAIL') throw new UserError(`cannot listen on ${a.host}: no such local address`);
    if (e.code === 'EACCES') throw new UserError(`not allowed to listen on ${a.host}:${a.port}`);
    throw err;
  }
  console.log(`wirehunt: serving ${store.path} at ${running.url}/  (Ctrl+C stops)`);
  announceHolder(store.path, running.url);
  if (token) console.log(`wirehunt: open the page once with ${running.url}/?token=<token> to sign this browser in`);
  // Detection rules run on their schedules while serving (WIREHUNT_NO_DETECT=1 turns this off).
  const detect = store.readOnly || process.env.WIREHUNT_NO_DETECT ? null : await Scheduler.start(store, {
    beforeCommit: holdHook(),
    onRun: (runs) => {
      for (const r of runs) {
        if (r.alerts.length) console.error(`detect: ${r.ruleId} raised ${r.alerts.length} alert${r.alerts.length === 1 ? '' : 's'}`);
        if (r.error) console.error(`detect: ${r.ruleId} failed: ${r.error}`);
      }
    },
    onError: (err) => console.error(`detect: ${(err as Error).message ?? err}`),
  });
  const stop = () => {
    running.close().then(() => detect?.stop()).finally(() => {
      store.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return running;
}

export const command: Command = {
  name: 'serve',
  summary: 'serve the web UI and the HTTP API',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const a = parse(argv);
    const store = await openStore(resolveStorePath(a.db));
    await serveStore(store, a);
    await new Promise(() => {}); // until a signal stops it
    return 0;
  },
};
