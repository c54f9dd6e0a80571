// Serves the web page: the Vite build in web/dist when there is one, else the plain page in web/basic.

import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../http.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const ROOTS = [join(repoRoot, 'web', 'dist'), join(repoRoot, 'web', 'basic')];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.ttf': 'font/ttf',
  '.map': 'application/json', '.wasm': 'application/wasm',
};

const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.map', '.ttf', '.wasm']);

// The page's scripts are large (the Kusto worker alone is ~8 MB): compress each once, keep it.
const gzipped = new Map<string, { mtimeMs: number; body: Buffer }>();

function gzipOf(file: string, mtimeMs: number): Buffer {
  const hit = gzipped.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.body;
  const body = gzipSync(readFileSync(file), { level: 6 });
  gzipped.set(file, { mtimeMs, body });
  return body;
}

function webRoot(): string | undefined {
  return ROOTS.find((r) => existsSync(join(r, 'index.html')));
}

export async function serveStatic(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const root = webRoot();
  if (!root) throw new HttpError(404, 'NotFound', 'the web page is not built');
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, 'BadRequest', 'bad URL encoding');
  }
  const file = normalize(join(root, rel === '/' ? 'index.html' : rel));
  if (!file.startsWith(root + sep)) throw new HttpError(404, 'NotFound', 'not found');
  const target = existsSync(file) && statSync(file).isFile() ? file : join(root, 'index.html');
  const type = TYPES[extname(target)] ?? 'application/octet-stream';
  const st = statSync(target);
  if (COMPRESSIBLE.has(extname(target)) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    const body = gzipOf(target, st.mtimeMs);
    res.writeHead(200, { 'content-type': type, 'content-encoding': 'gzip', 'content-length': body.length, vary: 'accept-encoding', 'cache-control': 'no-cache' });
    return void res.end(req.method === 'HEAD' ? undefined : body);
  }
  res.writeHead(200, { 'content-type': type, 'content-length': st.size, 'cache-control': 'no-cache' });
  if (req.method === 'HEAD') return void res.end();
  await new Promise<void>((resolve, reject) => {
    createReadStream(target).on('error', reject).on('end', resolve).pipe(res);
  });
}
