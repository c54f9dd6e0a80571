// HTTP/1.1 request and response bytes.

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
