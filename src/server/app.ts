// The HTTP server of `wirehunt serve`: the hunting API routes, access control, and the web page.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, sendError } from './http.js';
import { hasToken, isLoopbackHost, RateLimiter, sameToken, TOKEN_COOKIE } from './guard.js';
import { QueryService, type QueryServiceOptions } from './query-service.js';
import { advancedQueriesRun, graphRunHuntingQuery } from './routes/hunting.js';
import { serveStatic } from './routes/static.js';
import { getSchema, webRun } from './routes/web.js';
import type { Store } from '../store/index.js';
import { detectRoutes, closeDetectApi } from '../detect/http.js';

export interface ServerOptions extends QueryServiceOptions {
  store: Store;
  host?: string;
  port?: number;
  /** Required when host is not loopback. */
  token?: string;
  /** API calls per minute per client; 0 turns the limit off. */
  ratePerMinute?: number;
}

type Handler = (service: QueryService, req: IncomingMessage, res: ServerResponse) => Promise<void>;

const API_ROUTES: Record<string, Handler> = {
  '/api/advancedqueries/run': advancedQueriesRun,
  '/api/advancedhunting/run': advancedQueriesRun,
  '/api/security/runHuntingQuery': graphRunHuntingQuery,
  '/v1.0/security/runHuntingQuery': graphRunHuntingQuery,
  '/beta/security/runHuntingQuery': graphRunHuntingQuery,
  '/api/web/run': webRun,
};

export interface RunningServer {
  server: Server;
  url: string;
  service: QueryService;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const needToken = !isLoopbackHost(host);
  if (needToken && !opts.token) throw new Error('a token is required when listening beyond loopback');
  const service = new QueryService(opts.store, opts);
  const limiter = new RateLimiter(opts.ratePerMinute ?? 45);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const linkToken = url.searchParams.get('token');
    if (needToken && linkToken !== null && req.method === 'GET' && sameToken(linkToken, opts.token!)) {
      // a browser opened the printed link: keep the token in a cookie and drop it from the address bar
      url.searchParams.delete('token');
      res.writeHead(303, {
        location: url.pathname + url.search,
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(linkToken)}; HttpOnly; SameSite=Strict; Path=/`,
      });
      return void res.end();
    }
    if (needToken && !hasToken(req, opts.token!)) {
      throw new HttpError(401, 'Unauthorized', 'missing or wrong bearer token (Authorization: Bearer <token>)');
    }
    if (await detectRoutes(opts.store, url, req, res)) return; // /api/detect/*, /api/lint, /detections
    const route = API_ROUTES[url.pathname];
    if (route) {
      if (req.method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', `${url.pathname} takes POST`);
      const wait = limiter.take(req.socket.remoteAddress ?? '?');
      if (wait > 0) throw Object.assign(new HttpError(429, 'TooManyRequests', `rate limit of ${limiter.perMinute} calls a minute exceeded; retry in ${wait} s`), { retryAfter: wait });
      return route(service, req, res);
    }
    if (url.pathname === '/api/schema' && (req.method === 'GET' || req.method === 'HEAD')) return getSchema(service, req, res);
    // the page's client-side routes fall back to index.html, API paths do not
    if ((req.method === 'GET' || req.method === 'HEAD') && !url.pathname.startsWith('/api/')) return serveStatic(url.pathname, req, res);
    throw new HttpError(404, 'NotFound', `no such resource: ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      if (err instanceof HttpError) {
        const retry = (err as HttpError & { retryAfter?: number }).retryAfter;
        return sendError(res, err, retry ? { 'retry-after': String(retry) } : {});
      }
      console.error('wirehunt serve: internal error:', err);
      sendError(res, new HttpError(500, 'InternalServerError', 'internal error; see the server log'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${shownHost}:${addr.port}`,
    service,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        service.close();
        void closeDetectApi(opts.store);
      }),
  };
}
