// Renders ZeekRecords as Zeek's ASCII (TSV) writer and its JSON writer do, from the log's schema.

import type { LogField, LogSchema, ZeekRecord, ZeekValue } from './types.js';
import { escapeAsciiField, escapeUtf8, hexByte } from './escape.js';

export const SEPARATOR = '\t';
export const SET_SEPARATOR = ',';
export const EMPTY_FIELD = '(empty)';
export const UNSET_FIELD = '-';

/** time and interval: fixed, 6 decimals (Formatter::Render(double)). */
export function renderTime(v: number): string {
  const s = v.toFixed(6);
  return s === '-0.000000' ? '0.000000' : s;
}

/** double: up to 6 decimals without trailing zeros, and `.0` on whole numbers (ODesc::Add(double, true)). */
export function renderDouble(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  let s = Math.abs(v).toFixed(6);
  s = s.replace(/0+$/, '');
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (v < 0 && s !== '0') s = '-' + s;
  if (Math.abs(v - Math.round(v)) <= 1e-9 && !s.includes('.')) s += '.0';
  return s;
}

function reserved(s: string): string | undefined {
  if (s === UNSET_FIELD || s === EMPTY_FIELD) return hexByte(s.charCodeAt(0)) + s.slice(1);
  return undefined;
}

function renderScalar(type: string, v: string | number | boolean, inContainer: boolean): string {
  switch (type) {
    case 'time':
    case 'interval':
      return renderTime(v as number);
    case 'double':
      return renderDouble(v as number);
    case 'bool':
      return v ? 'T' : 'F';
    case 'count':
    case 'int':
    case 'port':
      return String(v);
    default: {
      const s = String(v);
      if (s.length === 0) return inContainer ? '' : EMPTY_FIELD;
      return reserved(s) ?? escapeAsciiField(s, inContainer ? [SEPARATOR, SET_SEPARATOR] : [SEPARATOR]);
    }
  }
}

function elementType(type: string): string {
  const m = /^(?:set|vector)\[(.+)\]$/.exec(type);
  return m ? m[1] : type;
}

export function renderAsciiValue(field: LogField, v: ZeekValue): string {
  if (v === undefined || v === null) return UNSET_FIELD;
  if (Array.isArray(v)) {
    if (v.length === 0) return EMPTY_FIELD;
    const et = elementType(field.type);
    return v.map((e) => renderScalar(et, e, true)).join(SET_SEPARATOR);
  }
  return renderScalar(field.type, v as string | number | boolean, false);
}

export function renderAsciiRow(schema: LogSchema, rec: ZeekRecord): string {
  let line = '';
  const fields = schema.fields;
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += SEPARATOR;
    line += renderAsciiValue(fields[i], rec[fields[i].name]);
  }
  // a line must not start like a header line
  if (line.charCodeAt(0) === 35) line = hexByte(35) + line.slice(1);
  return line + '\n';
}

/** `#open` / `#close` stamps: local time, %Y-%m-%d-%H-%M-%S. */
export function headerStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

export function asciiHeader(schema: LogSchema, opened: Date): string {
  const esc = (s: string) => [...s].map((c) => (/[\s\x00-\x1f\x7f-\xff]/.test(c) ? hexByte(c.charCodeAt(0)) : c)).join('');
  return (
    `#separator ${esc(SEPARATOR)}\n` +
    `#set_separator${SEPARATOR}${esc(SET_SEPARATOR)}\n` +
    `#empty_field${SEPARATOR}${esc(EMPTY_FIELD)}\n` +
    `#unset_field${SEPARATOR}${esc(UNSET_FIELD)}\n` +
    `#path${SEPARATOR}${esc(schema.path)}\n` +
    `#open${SEPARATOR}${headerStamp(opened)}\n` +
    `#fields${SEPARATOR}${schema.fields.map((f) => f.name).join(SEPARATOR)}\n` +
    `#types${SEPARATOR}${schema.fields.map((f) => f.type).join(SEPARATOR)}\n`
  );
}

export function asciiFooter(closed: Date): string {
  return `#close${SEPARATOR}${headerStamp(closed)}\n`;
}

// --- JSON (LogAscii::use_json=T, TS_EPOCH, STRING_ESCAPE_POLICY_HEX) ---

/** rapidjson's shortest round-trip doubles, which keep `.0` on whole numbers. */
export function jsonDouble(v: number): string {
  if (!Number.isFinite(v)) return 'null';
  const s = String(v);
  return /[.eE]/.test(s) ? s : s + '.0';
}

function jsonString(s: string): string {
  const t = escapeUtf8(s, false);
  let out = '"';
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += '\\\\';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c < 32) out += '\\u00' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
    else out += t[i];
  }
  return out + '"';
}

function jsonScalar(type: string, v: string | number | boolean): string {
  switch (type) {
    case 'time':
    case 'interval':
    case 'double':
      return jsonDouble(v as number);
    case 'bool':
      return v ? 'true' : 'false';
    case 'count':
    case 'int':
    case 'port':
      return String(v);
    default:
      return jsonString(String(v));
  }
}

export function renderJsonRow(schema: LogSchema, rec: ZeekRecord): string {
  let out = '{';
  let first = true;
  for (const f of schema.fields) {
    const v = rec[f.name];
    if (v === undefined || v === null) continue;
    out += (first ? '' : ',') + jsonString(f.name) + ':';
    first = false;
    if (Array.isArray(v)) {
      const et = elementType(f.type);
      out += '[' + v.map((e) => jsonScalar(et, e)).join(',') + ']';
    } else out += jsonScalar(f.type, v as string | number | boolean);
  }
  return out + '}\n';
}
