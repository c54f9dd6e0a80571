// HTTP API of detections and lint, mounted by the server (src/server/app.ts):
//   GET    /api/detect/rules                 {"value":[rule + enabled, builtin, lastRun, lastAlerts, lastError]}
//   POST   /api/detect/rules/validate        {"rule":{…}} → {"ok","errors","warnings","columns"} (live validation)
//   POST   /api/detect/rules                 {"rule":{…}} → saved rule (400 with the refusal when invalid)
//   POST   /api/detect/rules/<id>/run        run now → {"alerts":[…],"duplicates","error"}
//   POST   /api/detect/rules/<id>/enable|disable
//   DELETE /api/detect/rules/<id>
//   GET    /api/detect/alerts?severity=&rule=&device=   {"value":[alert summaries, newest first]}
//   GET    /api/detect/alerts/<AlertId>       {"alert":{…},"evidence":[AlertEvidence rows],"evidenceQuery","huntingLink"}
//   POST   /api/lint                          {"Query","Scheduled"?} → {"findings":[…],"rewrite"}
//   GET    /detections                        the rules and alerts page
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, prop, readJsonBody, sendJson } from '../server/http.js';
import type { Store } from '../store/index.js';
import { runQuery, KqlError } from '../kql/index.js';
import { lint } from '../lint/index.js';
import { parseRule, refusal, validateRule, RuleError, FREQUENCIES } from './rules.js';
import { DetectState } from './state.js';
import { runRule, evidenceQuery } from './engine.js';

const states = new WeakMap<Store, Promise<DetectState>>();
function stateFor(store: Store): Promise<DetectState> {
  let p = states.get(store);
  if (!p) {
    p = DetectState.open(store);
    states.set(store, p);
  }
  return p;
}

/** Closes the API's detection state of a store (when the server stops). */
export async function closeDetectApi(store: Store): Promise<void> {
  const p = states.get(store);
  states.delete(store);
  if (p) (await p).close();
}

function kqlString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `/#query=…` link that opens a query in the hunting page. */
export function huntingLink(query: string): string {
  return `/#query=${Buffer.from(query, 'utf8').toString('base64url')}`;
}

function ruleFromBody(body: Record<string, unknown>) {
  const raw = prop(body, 'rule') ?? body;
  try {
    return parseRule(raw);
  } catch (err) {
    if (err instanceof RuleError) throw new HttpError(400, 'InvalidRule', err.message);
    throw err;
  }
}

const PAGE = new URL('../../../src/detect/detections.html', import.meta.url);

/** Handles the detection routes; returns false for any other path. */
export async function detectRoutes(store: Store, url: URL, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = url.pathname;
  const m = req.method ?? 'GET';
  if (path === '/detections' && (m === 'GET' || m === 'HEAD')) {
    let html: string;
    try {
      html = readFileSync(PAGE, 'utf8');
    } catch {
      throw new HttpError(404, 'NotFound', 'the detections page is not in this build');
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(m === 'HEAD' ? undefined : html);
    return true;
  }
  if (path === '/api/lint') {
    if (m !== 'POST') throw new HttpError(405, 'MethodNotAllowed', `${path} takes POST`);
    const body = await readJsonBody(req);
    const q = prop(body, 'Query');
    if (typeof q !== 'string') throw new HttpError(400, 'BadRequest', 'expected {"Query": "..."}');
    const freq = prop(body, 'Frequency');
    const scheduled = prop(body, 'Scheduled') === true || (typeof freq === 'string' && freq !== 'continuous');
    const lookback = typeof freq === 'string' && freq in FREQUENCIES ? FREQUENCIES[freq as keyof typeof FREQUENCIES].lookback : undefined;
    const r = lint(q, { scheduled, lookback });
    sendJson(res, 200, { findings: r.findings, rewrite: r.rewrite ?? null });
    return true;
  }
  if (!path.startsWith('/api/detect/')) return false;
  if (store.readOnly) throw new HttpError(409, 'ReadOnly', 'the store is open read-only: detections need write access');
  const state = await stateFor(store);
  const parts = path.slice('/api/detect/'.length).split('/').map((p) => decodeURIComponent(p));

  if (parts[0] === 'rules') {
    if (parts.length === 1) {
      if (m === 'GET') {
        const rows = await state.rules();
        sendJson(res, 200, { value: rows.map((r) => ({ ...r.rule, builtin: r.builtin, lastRun: r.lastRun?.toISOString() ?? null, lastAlerts: r.lastAlerts, lastError: r.lastError })) });
        return true;
      }
      if (m === 'POST') {
        const rule = ruleFromBody(await readJsonBody(req));
        const v = validateRule(rule);
        if (!v.ok) throw new HttpError(400, 'InvalidRule', refusal(rule, v));
        await state.saveRule(rule);
        sendJson(res, 200, { rule, warnings: v.warnings });
        return true;
      }
      throw new HttpError(405, 'MethodNotAllowed', `${path} takes GET or POST`);
    }
    if (parts[1] === 'validate' && parts.length === 2) {
      if (m !== 'POST') throw new HttpError(405, 'MethodNotAllowed', `${path} takes POST`);
      const body = await readJsonBody(req);
      let rule;
      try {
        rule = parseRule(prop(body, 'rule') ?? body);
      } catch (err) {
        if (!(err instanceof RuleError)) throw err;
        sendJson(res, 200, { ok: false, errors: [err.message], warnings: [], columns: [] });
        return true;
      }
      sendJson(res, 200, validateRule(rule));
      return true;
    }
    const id = parts[1]!;
    const row = await state.rule(id);
    if (!row) throw new HttpError(404, 'NotFound', `no rule '${id}'`);
    if (parts.length === 2) {
      if (m === 'GET') return sendJson(res, 200, { ...row.rule, builtin: row.builtin }), true;
      if (m === 'DELETE') {
        await state.remove(id);
        res.writeHead(204).end();
        return true;
      }
      throw new HttpError(405, 'MethodNotAllowed', `${path} takes GET or DELETE`);
    }
    if (m !== 'POST' || parts.length !== 3) throw new HttpError(404, 'NotFound', `no such resource: ${path}`);
    if (parts[2] === 'enable' || parts[2] === 'disable') {
      await state.setEnabled(id, parts[2] === 'enable');
      sendJson(res, 200, { id, enabled: parts[2] === 'enable' });
      return true;
    }
    if (parts[2] === 'run') {
      const run = await runRule(state, row.rule, { now: new Date() });
      sendJson(res, 200, { alerts: run.alerts.map((a) => ({ ...a, huntingLink: huntingLink(a.EvidenceQuery) })), duplicates: run.duplicates, outsideLookback: run.outsideLookback, error: run.error ?? null });
      return true;
    }
    throw new HttpError(404, 'NotFound', `no such resource: ${path}`);
  }

  if (parts[0] === 'alerts' && m === 'GET') {
    const evidence = 'AlertEvidence | where EntityType == "Machine" | extend p = todynamic(AdditionalFields) | project AlertId, DeviceId, DeviceName, RuleId = tostring(p.RuleId), ReportId = tostring(p.ReportId), EventTable = tostring(p.Table)';
    try {
      if (parts.length === 1) {
        const where: string[] = [];
        const sev = url.searchParams.get('severity');
        const rule = url.searchParams.get('rule');
        const dev = url.searchParams.get('device');
        if (sev) where.push(`Severity =~ ${kqlString(sev)}`);
        if (rule) where.push(`RuleId == ${kqlString(rule)}`);
        if (dev) where.push(`(DeviceName =~ ${kqlString(dev)} or DeviceId == ${kqlString(dev)} or DeviceName startswith ${kqlString(dev + '.')})`);
        const q = `AlertInfo | join kind=inner (${evidence}) on AlertId${where.length ? ` | where ${where.join(' and ')}` : ''} | project Timestamp, AlertId, Title, Category, Severity, AttackTechniques, RuleId, DeviceId, DeviceName, ReportId, EventTable | sort by Timestamp desc | take 1000`;
        const r = await runQuery(store, q, { timeoutMs: 30_000 });
        sendJson(res, 200, { value: r.rows.map((a) => ({ ...a, huntingLink: huntingLink(evidenceQuery(String(a.EventTable), String(a.ReportId), String(a.DeviceId), String(a.Timestamp))) })) });
        return true;
      }
      if (parts.length === 2) {
        const id = kqlString(parts[1]!);
        const info = await runQuery(store, `AlertInfo | where AlertId == ${id} | join kind=inner (${evidence}) on AlertId | project-away AlertId1`);
        if (!info.rows.length) throw new HttpError(404, 'NotFound', `no alert '${parts[1]}'`);
        const a = info.rows[0]!;
        const ev = await runQuery(store, `AlertEvidence | where AlertId == ${id} | sort by EntityType asc`);
        const eq = evidenceQuery(String(a.EventTable), String(a.ReportId), String(a.DeviceId), String(a.Timestamp));
        sendJson(res, 200, { alert: a, evidence: ev.rows, evidenceQuery: eq, huntingLink: huntingLink(eq) });
        return true;
      }
    } catch (err) {
      if (err instanceof KqlError) throw new HttpError(500, 'InternalServerError', `alerts query failed: ${err.message}`);
      throw err;
    }
  }
  throw new HttpError(404, 'NotFound', `no such resource: ${path}`);
}
