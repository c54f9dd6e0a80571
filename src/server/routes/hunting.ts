// The two hunting endpoints: Defender's endpoint API (`/api/advancedqueries/run`, also reachable as
// `/api/advancedhunting/run`) and Microsoft Graph's `security/runHuntingQuery`. Same engine, two shapes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { KqlError, formatDiagnostic, type QueryResult } from '../../kql/index.js';
import type { JsonRows } from '../../kql/index.js';
import { QueryTimeoutError, type QueryService } from '../query-service.js';
import { HttpError, prop, readJsonBody } from '../http.js';

async function runFromBody(service: QueryService, req: IncomingMessage, allowTimespan: boolean): Promise<QueryResult> {
  const body = await readJsonBody(req);
  const query = prop(body, 'Query');
  if (typeof query !== 'string' || !query.trim()) throw new HttpError(400, 'BadRequest', 'missing "Query": the KQL text to run');
  const timespan = prop(body, 'Timespan');
  if (timespan !== undefined && timespan !== null) {
    if (!allowTimespan) throw new HttpError(400, 'BadRequest', 'unknown property "Timespan"');
    if (typeof timespan !== 'string' || !/^-?P(?!$)(\d+(\.\d+)?[YMWD])*(T(?=\d)(\d+(\.\d+)?[HMS])*)?$/.test(timespan)) {
      throw new HttpError(400, 'BadRequest', `"Timespan" must be an ISO 8601 duration such as P30D, got ${JSON.stringify(timespan)}`);
    }
    throw new HttpError(400, 'BadRequest', '"Timespan" is not supported yet: filter on Timestamp in the query instead (e.g. | where Timestamp > ago(30d))');
  }
  try {
    return await service.run(query);
  } catch (err) {
    if (err instanceof QueryTimeoutError) throw new HttpError(504, 'Timeout', err.message);
    if (err instanceof KqlError) {
      const message = err.diagnostics.length ? err.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n') : err.message;
      throw new HttpError(400, 'BadRequest', message || 'the query failed');
    }
    throw err;
  }
}

/**
 * Sends `head` with the rows as its last member `key`, the rows written as the engine's JSON text (the same
 * bytes as sendJson would write, without parsing and re-serializing them).
 */
function sendWithRows(res: ServerResponse, head: Record<string, unknown>, key: string, rows: JsonRows, headers: Record<string, string> = {}): void {
  const open = Buffer.from(`${JSON.stringify(head).slice(0, -1)},${JSON.stringify(key)}:`);
  const close = Buffer.from('}');
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': open.length + rows.byteLength + close.length, ...headers });
  res.cork();
  res.write(open);
  for (const p of rows.parts) res.write(p);
  res.end(close);
}

export async function advancedQueriesRun(service: QueryService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const r = await runFromBody(service, req, false);
  const headers: Record<string, string> = r.truncated ? { 'x-wirehunt-truncated': 'true' } : {};
  sendWithRows(res, { Schema: r.schema }, 'Results', r.resultsJson, headers);
}

export async function graphRunHuntingQuery(service: QueryService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const r = await runFromBody(service, req, true);
  sendWithRows(res, {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults',
    schema: r.schema.map((s) => ({ name: s.Name, type: s.Type })),
  }, 'results', r.resultsJson);
}
