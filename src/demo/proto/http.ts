// HTTP/1.1 request and response bytes, and bodies that look like what they claim to be.

import { crc32, deflateSync } from 'node:zlib';

export interface HttpRequest {
  method?: string;
  uri: string;
  host: string;
  userAgent?: string;
  headers?: readonly (readonly [string, string])[];
  body?: Buffer;
}

export function httpRequest(r: HttpRequest): Buffer {
  const lines = [`${r.method ?? 'GET'} ${r.uri} HTTP/1.1`, `Host: ${r.host}`];
  if (r.userAgent !== undefined) lines.push(`User-Agent: ${r.userAgent}`);
  lines.push('Accept: */*');
  for (const [k, v] of r.headers ?? []) lines.push(`${k}: ${v}`);
  if (r.body) lines.push(`Content-Length: ${r.body.length}`);
  lines.push('Connection: keep-alive', '', '');
  const head = Buffer.from(lines.join('\r\n'), 'latin1');
  return r.body ? Buffer.concat([head, r.body]) : head;
}

export interface HttpResponse {
  status?: number;
  reason?: string;
  contentType?: string;
  body: Buffer;
  server?: string;
  /** RFC 7231 date text, e.g. from `new Date(ms).toUTCString()`. */
  date?: string;
}

export function httpResponse(r: HttpResponse): Buffer {
  const status = r.status ?? 200;
  const lines = [`HTTP/1.1 ${status} ${r.reason ?? (status === 200 ? 'OK' : status === 404 ? 'Not Found' : 'Status')}`];
  if (r.date) lines.push(`Date: ${r.date}`);
  lines.push(`Server: ${r.server ?? 'nginx'}`);
  lines.push(`Content-Type: ${r.contentType ?? 'text/html; charset=utf-8'}`);
  lines.push(`Content-Length: ${r.body.length}`, '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), r.body]);
}

/** A small HTML page of about `size` bytes. */
export function htmlBody(title: string, size: number): Buffer {
  const head = `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body>\n`;
  const tail = '</body></html>\n';
  const para = '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>\n';
  let s = head;
  while (s.length + para.length + tail.length < size) s += para;
  return Buffer.from(s + tail, 'latin1');
}

/** A Windows PE-looking body: "MZ" header, the DOS stub text, then `filler` bytes. */
export function peBody(filler: Buffer): Buffer {
  const h = Buffer.alloc(128);
  h.write('MZ', 0, 'latin1');
  h.writeUInt16LE(0x90, 2);
  h.writeUInt32LE(0x80, 0x3c);
  h.write('This program cannot be run in DOS mode.', 0x4e, 'latin1');
  const pe = Buffer.from('PE\0\0', 'latin1');
  return Buffer.concat([h, pe, filler]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(data.length, 0);
  h.write(type, 4, 'latin1');
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc32(Buffer.concat([h.subarray(4), data])) >>> 0);
  return Buffer.concat([h, data, c]);
}

/** A valid PNG of `w`×`h` grey pixels whose values come from `noise` (each row: filter byte 0 + w bytes). */
export function pngBody(w: number, h: number, noise: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) noise.copy(raw, y * (w + 1) + 1, (y * w) % Math.max(1, noise.length - w), (y * w) % Math.max(1, noise.length - w) + w);
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 1 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
