// Webhook delivery from the outbox (written with the alerts, in their transaction): an HTTP POST of
// the alert's JSON, retried with backoff; what is still undelivered is retried on the next run.
import { DETECT_SCHEMA, lit, type DetectState } from './state.js';

export interface DeliveryOptions {
  /** Attempts per delivery round (default 3), the first retry after `backoffMs` (default 250), doubling. */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  /** Give up on an alert after this many failed attempts in all (default 20). */
  maxAttempts?: number;
}

export interface DeliveryReport { delivered: number; failed: number; errors: string[] }

async function postOnce(url: string, body: string, timeoutMs: number): Promise<void> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'wirehunt-detect' }, body, signal: ac.signal });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    if (ac.signal.aborted) throw new Error(`no answer in ${timeoutMs} ms`);
    const e = err as Error & { cause?: { code?: string } };
    throw new Error(e.cause?.code ?? e.message);
  } finally {
    clearTimeout(t);
  }
}

/** Delivers every pending outbox entry. */
export async function deliverPending(state: DetectState, o: DeliveryOptions = {}): Promise<DeliveryReport> {
  const attempts = o.attempts ?? 3, backoff = o.backoffMs ?? 250, timeoutMs = o.timeoutMs ?? 5000, max = o.maxAttempts ?? 20;
  const r = await state.conn.runAndReadAll(`SELECT alert_id, url, body, attempts FROM ${DETECT_SCHEMA}.outbox WHERE NOT delivered AND attempts < ${max} ORDER BY alert_id`);
  const report: DeliveryReport = { delivered: 0, failed: 0, errors: [] };
  for (const [id, url, body, prev] of r.getRows() as [string, string, string, number][]) {
    let tries = 0;
    let error: string | null = null;
    for (; tries < attempts; tries++) {
      if (tries > 0) await new Promise((res) => setTimeout(res, backoff * 2 ** (tries - 1)));
      try {
        await postOnce(url, body, timeoutMs);
        error = null;
        tries++;
        break;
      } catch (err) {
        error = (err as Error).message;
      }
    }
    const where = `alert_id = ${lit(id)} AND url = ${lit(url)}`;
    if (error === null) {
      report.delivered++;
      await state.conn.run(`UPDATE ${DETECT_SCHEMA}.outbox SET delivered = true, attempts = ${Number(prev) + tries}, last_error = NULL WHERE ${where}`);
    } else {
      report.failed++;
      report.errors.push(`${url}: ${error}`);
      await state.conn.run(`UPDATE ${DETECT_SCHEMA}.outbox SET attempts = ${Number(prev) + tries}, last_error = ${lit(error)} WHERE ${where}`);
    }
  }
  return report;
}
