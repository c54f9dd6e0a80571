// Routes for the advanced-hunting page: GET /api/schema (tables, columns, types, descriptions, and the
// Zeek ActionTypes with their AdditionalFields fields) and POST /api/web/run (a query with the page's
// time range, answering with render metadata and timings besides the rows).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { KqlError, compileQuery, formatDiagnostic } from '../../kql/index.js';
import { TABLES } from '../../store/types.js';
import { QueryTimeoutError, type QueryService } from '../query-service.js';
import { HttpError, prop, readJsonBody, sendJson } from '../http.js';
import { ZEEK_ACTION_TYPES } from './zeek-fields.js';

const TABLE_DOCS: Record<string, string> = {
  DeviceNetworkEvents: 'Network connections and related events; the Zeek-inspected ActionTypes carry Zeek fields in AdditionalFields.',
  DeviceInfo: 'Devices seen on the network: names, addresses, platform.',
  DeviceNetworkInfo: 'Network adapters of devices: addresses, MAC, gateways.',
};

const COLUMN_DOCS: Record<string, string> = {
  Timestamp: 'Date and time when the event was recorded',
  DeviceId: 'Unique identifier for the device',
  DeviceName: 'Fully qualified domain name (FQDN) of the device',
  ActionType: 'Type of activity that triggered the event',
  RemoteIP: 'IP address that was being connected to',
  RemotePort: 'TCP port on the remote device that was being connected to',
  RemoteUrl: 'URL or fully qualified domain name (FQDN) that was being connected to',
  LocalIP: 'IP address assigned to the local machine used during communication',
  LocalPort: 'TCP port on the local machine used during communication',
  Protocol: 'Protocol used during the communication',
  LocalIPType: 'Type of IP address, for example Public, Private, Reserved, Loopback, Teredo, FourToSixMapping, and Broadcast',
  RemoteIPType: 'Type of IP address, for example Public, Private, Reserved, Loopback, Teredo, FourToSixMapping, and Broadcast',
  ReportId: 'Event identifier based on a repeating counter; use with DeviceName and Timestamp to identify an event',
  AdditionalFields: 'Additional information about the event in JSON array format; for Zeek-inspected events, the Zeek fields',
};

let schemaText: string | null = null;
function schemaJson(): string {
  if (schemaText) return schemaText;
  schemaText = JSON.stringify({
    tables: TABLES.map((t) => ({
      name: t.name,
      description: TABLE_DOCS[t.name] ?? '',
      columns: t.columns.map((c) => ({ name: c.name, type: c.kustoType, description: COLUMN_DOCS[c.name] ?? '' })),
    })),
    actionTypes: ZEEK_ACTION_TYPES,
  });
  return schemaText;
}

export async function getSchema(_service: QueryService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = schemaJson();
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/** ISO 8601 durations the page offers (and any simple PnD / PTnH / PTnM). */
const TIMESPAN = /^P(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?)?$/;

export function timespanToKql(ts: string): string | null {
  const m = TIMESPAN.exec(ts);
  if (!m || (!m[1] && !m[2] && !m[3])) return null;
  const minutes = Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return minutes % 1440 === 0 ? `${minutes / 1440}d` : minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
}

/** Whether the query sets its own time range (then the picker does not apply, as in the portal). */
export function queryFiltersTime(query: string): boolean {
  const noStrings = query.replace(/\/\/[^\n]*/g, '').replace(/@?"(?:[^"\\\n]|\\.)*"|@?'(?:[^'\\\n]|\\.)*'/g, '""');
  return /\bTimestamp\s*(?:[<>]=?|==|!=|!?between\b|!?in\s*\()/.test(noStrings) || /\b(?:ago|now|startofday|datetime)\s*\([^)]*\)\s*(?:[<>]=?|==)\s*Timestamp\b/.test(noStrings);
}

/**
 * The query with the time range applied: each store table it names that has a Timestamp column is
 * shadowed, on one first line, by `let T = T | where Timestamp > ago(span);`.
 */
export function applyTimeRange(query: string, span: string): { text: string; applied: boolean } {
  if (queryFiltersTime(query)) return { text: query, applied: false };
  const lets: string[] = [];
  for (const t of TABLES) {
    if (!t.columns.some((c) => c.name === 'Timestamp' && c.kustoType === 'datetime')) continue;
    if (!new RegExp(`\\b${t.name}\\b`).test(query)) continue;
    lets.push(`let ${t.name} = ${t.name} | where Timestamp > ago(${span});`);
  }
  if (!lets.length) return { text: query, applied: false };
  return { text: lets.join(' ') + '\n' + query, applied: true };
}

function kqlMessage(err: KqlError): string {
  return err.diagnostics.length ? err.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n') : err.message;
}

export async function webRun(service: QueryService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req);
  const query = prop(body, 'Query');
  if (typeof query !== 'string' || !query.trim()) throw new HttpError(400, 'BadRequest', 'missing "Query": the KQL text to run');
  const range = prop(body, 'TimeRange');
  let text = query;
  let applied = false;
  if (range !== undefined && range !== null && range !== '') {
    const span = typeof range === 'string' ? timespanToKql(range) : null;
    if (!span) throw new HttpError(400, 'BadRequest', `"TimeRange" must be an ISO 8601 duration such as P7D or PT1H, got ${JSON.stringify(range)}`);
    ({ text, applied } = applyTimeRange(query, span));
  }
  const t0 = performance.now();
  try {
    const r = await service.run(text);
    // Rows as arrays in schema order: a third of the bytes of keyed objects for wide tables, so
    // less to encode here and to parse in the browser.
    const names = r.schema.map((s) => s.Name);
    const rows = new Array<unknown[]>(r.rows.length);
    for (let i = 0; i < rows.length; i++) {
      const o = r.rows[i]!;
      const a = new Array<unknown>(names.length);
      for (let k = 0; k < names.length; k++) a[k] = o[names[k]!];
      rows[i] = a;
    }
    sendJson(res, 200, {
      Schema: r.schema,
      Rows: rows,
      Render: r.render,
      Truncated: r.truncated,
      TimeRangeApplied: applied,
      Stats: { bindMs: r.stats.bindMs, compileMs: r.stats.compileMs, execMs: r.stats.execMs, serverMs: performance.now() - t0, rowCount: r.stats.rowCount },
    });
  } catch (err) {
    if (err instanceof QueryTimeoutError) throw new HttpError(504, 'Timeout', err.message);
    if (err instanceof KqlError) {
      // Report positions in the user's text, not in the text with the time-range line.
      const own = applied ? compileQuery(query) : null;
      const message = own && own.diagnostics.some((d) => d.severity === 'error') ? kqlMessage(new KqlError(own.diagnostics)) : kqlMessage(err);
      throw new HttpError(400, 'BadRequest', message || 'the query failed');
    }
    throw err;
  }
}
