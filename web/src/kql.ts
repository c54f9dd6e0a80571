// Text helpers for the page: KQL literals for "filter in / filter out", the time-range rule, query
// titles, and pivot queries. Pure functions (unit-tested through the page in test/e2e).

export interface SchemaField { Name: string; Type: string }

/** A KQL string literal for any text. */
export function kqlString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + '"';
}

/** A column reference, bracketed when the name is not a plain identifier. */
export function kqlName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `['${name.replace(/'/g, "\\'")}']`;
}

/** The `| where` line that keeps (op '==') or drops (op '!=') rows whose column equals the value. */
export function filterClause(col: SchemaField, value: unknown, op: '==' | '!='): string {
  const name = kqlName(col.Name);
  if (value === null || value === undefined) return op === '==' ? `| where isnull(${name})` : `| where isnotnull(${name})`;
  switch (col.Type) {
    case 'Int64': case 'Int32': case 'Double': case 'Decimal':
      return `| where ${name} ${op} ${typeof value === 'number' ? String(value) : `to${col.Type === 'Double' || col.Type === 'Decimal' ? 'real' : 'long'}(${kqlString(String(value))})`}`;
    case 'Boolean':
      return `| where ${name} ${op} ${value === true || value === 'true' ? 'true' : 'false'}`;
    case 'DateTime':
      return `| where ${name} ${op} datetime(${String(value)})`;
    case 'TimeSpan':
      return `| where ${name} ${op} totimespan(${kqlString(String(value))})`;
    case 'Object':
      return `| where tostring(${name}) ${op} ${kqlString(typeof value === 'string' ? value : JSON.stringify(value))}`;
    default:
      return `| where ${name} ${op} ${kqlString(String(value))}`;
  }
}

/** The query with a clause appended on its own line; before a final `| render …`, which must stay last. */
export function appendClause(query: string, clause: string): string {
  const q = query.replace(/\s+$/, '');
  const m = /\n?[ \t]*\|\s*render\s+\w+[^|]*$/.exec(q);
  if (m) return q.slice(0, m.index) + '\n' + clause + (m[0].startsWith('\n') ? m[0] : '\n' + m[0].trimStart());
  return q + '\n' + clause;
}

function stripStringsAndComments(q: string): string {
  return q.replace(/\/\/[^\n]*/g, '').replace(/@?"(?:[^"\\\n]|\\.)*"|@?'(?:[^'\\\n]|\\.)*'/g, '""');
}

/** Same rule as the server (src/server/routes/web.ts): the query filters Timestamp itself. */
export function queryFiltersTime(query: string): boolean {
  const q = stripStringsAndComments(query);
  return /\bTimestamp\s*(?:[<>]=?|==|!=|!?between\b|!?in\s*\()/.test(q) || /\b(?:ago|now|startofday|datetime)\s*\([^)]*\)\s*(?:[<>]=?|==)\s*Timestamp\b/.test(q);
}

/** A short title for a tab or history entry: the first meaningful line. */
export function queryTitle(query: string): string {
  const line = query.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('//')) ?? 'New query';
  return line.length > 40 ? line.slice(0, 39) + '…' : line;
}

/** Pivot queries from one record. */
export function pivotQueries(row: Record<string, unknown>, additional: Record<string, unknown> | null): { label: string; query: string }[] {
  const out: { label: string; query: string }[] = [];
  const uid = additional && typeof additional['uid'] === 'string' ? (additional['uid'] as string) : '';
  if (uid) out.push({ label: 'Same uid', query: `DeviceNetworkEvents\n| where AdditionalFields has ${kqlString(uid)}\n| where tostring(todynamic(AdditionalFields).uid) == ${kqlString(uid)}\n| order by Timestamp asc` });
  const rip = typeof row['RemoteIP'] === 'string' ? (row['RemoteIP'] as string) : '';
  if (rip) out.push({ label: 'Same RemoteIP', query: `DeviceNetworkEvents\n| where RemoteIP == ${kqlString(rip)}\n| order by Timestamp desc` });
  const dev = typeof row['DeviceId'] === 'string' ? (row['DeviceId'] as string) : '';
  if (dev) out.push({ label: 'Same device', query: `DeviceNetworkEvents\n| where DeviceId == ${kqlString(dev)}\n| order by Timestamp desc` });
  return out;
}

/** Query links: the query travels in the URL fragment (never sent to a server), UTF-8 safe base64url. */
export function encodeQueryLink(query: string, timeRange: string): string {
  const bytes = new TextEncoder().encode(query);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  const b64 = btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `#query=${b64}&timeRange=${encodeURIComponent(timeRange)}`;
}

export function decodeQueryLink(hash: string): { query: string; timeRange: string | null } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const q = params.get('query');
  if (!q) return null;
  try {
    const bin = atob(q.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return { query: new TextDecoder('utf-8', { fatal: true }).decode(bytes), timeRange: params.get('timeRange') };
  } catch {
    return null;
  }
}
