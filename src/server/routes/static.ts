// Serves the web page: the Vite build in web/dist when there is one, else the plain page in web/basic.

import { createReadStream, existsSync, statSync } from 'node:fs';
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
  res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
  if (req.method === 'HEAD') return void res.end();
  await new Promise<void>((resolve, reject) => {
    createReadStream(target).on('error', reject).on('end', resolve).pipe(res);
  });
}
