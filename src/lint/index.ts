// Lint for hunting queries and detection rules: retired NetworkSignatureInspected signatures (with a
// mechanical rewrite to the Zeek ActionType that replaced them), member access on the JSON text of
// AdditionalFields without todynamic()/parse_json(), and scheduled rules without a Timestamp filter.
// Works on the Kusto language service's bound syntax tree, so it also runs on queries that do not
// bind (a member access on a string column is exactly such a query).
import { kusto, parseAndAnalyze, lineCol, type Bridged } from '../kql/frontend/kusto.js';

export type LintCode = 'WHL001' | 'WHL002' | 'WHL003';

export interface LintFinding {
  code: LintCode;
  severity: 'warning' | 'error';
  /** Offset and length in the query text; line and column are 1-based. */
  start: number;
  length: number;
  line: number;
  column: number;
  message: string;
  /** The replacement ActionType (WHL001). */
  replacement?: string;
}

export interface LintResult {
  findings: LintFinding[];
  /** The query rewritten to the replacement ActionTypes, when every WHL001 finding is mechanical. */
  rewrite?: string;
}

export interface LintOptions {
  /** The query is a scheduled detection rule (WHL003 applies). */
  scheduled?: boolean;
  /** Rule lookback, for WHL003's suggestion (e.g. '4h'). */
  lookback?: string;
}

/**
 * The retired signatures of NetworkSignatureInspected and the ActionType that replaced each, from the
 * seed document's table (deprecated on July 18, 2023).
 */
export const RETIRED_SIGNATURES: Readonly<Record<string, string>> = {
  SSH: 'SshConnectionInspected',
  FTP_Upload: 'FtpConnectionInspected',
  FTP_Client: 'FtpConnectionInspected',
  HTTP_Client: 'HttpConnectionInspected',
  HTTP_Server: 'HttpConnectionInspected',
  HTTP_RequestBodyParameters: 'HttpConnectionInspected',
  HTTPS_Client: 'SslConnectionInspected',
  DNS_Request: 'DnsConnectionInspected',
};

/** Signatures whose replacement carries more than the signature matched: rewriting them is not mechanical. */
const NARROWER: Readonly<Record<string, string>> = {
  FTP_Upload: 'the new rows are every FTP command; keep uploads with tostring(todynamic(AdditionalFields).command) == "STOR"',
  HTTP_Server: 'the new rows are HTTP in both directions; keep servers with tostring(todynamic(AdditionalFields).direction) == "In"',
  HTTP_RequestBodyParameters: 'the new rows carry no body parameters; request_body_len in AdditionalFields says whether a body was sent',
};

const SIG_LOWER = new Map(Object.keys(RETIRED_SIGNATURES).map((k) => [k.toLowerCase(), k]));

let SK: Bridged = null;
let SystemNs: Bridged = null;
function kind(n: Bridged): string {
  if (!SK) {
    const k = kusto();
    SK = k.Kusto.Language.Syntax.SyntaxKind;
    SystemNs = k.System;
  }
  return String(SystemNs.Enum.toString(SK, n.Kind));
}

function children(n: Bridged): Bridged[] {
  const out: Bridged[] = [];
  const c = n?.ChildCount ?? 0;
  for (let i = 0; i < c; i++) {
    const x = n.GetChild(i);
    if (x) out.push(x);
  }
  return out;
}

/** Non-token children, skipping the List/SeparatedElement wrappers. */
function exprChildren(n: Bridged): Bridged[] {
  const out: Bridged[] = [];
  for (const c of children(n)) {
    if (c.IsToken) continue;
    const k = kind(c);
    if (k === 'List' || k === 'SeparatedElement') out.push(...exprChildren(c));
    else out.push(c);
  }
  return out;
}

function walk(n: Bridged, f: (n: Bridged, parents: Bridged[]) => void, parents: Bridged[] = []): void {
  if (!n || n.IsToken) return;
  f(n, parents);
  parents.push(n);
  for (const c of children(n)) walk(c, f, parents);
  parents.pop();
}

function typeName(n: Bridged): string {
  const t = n?.ResultType;
  return t ? String(t.Name ?? '') : '';
}

function nameRef(n: Bridged): string | null {
  if (!n || kind(n) !== 'NameReference') return null;
  return String(n.SimpleName ?? '');
}

function stringLiteral(n: Bridged): string | null {
  if (!n) return null;
  const k = kind(n);
  if (k === 'StringLiteralExpression' || k === 'CompoundStringLiteralExpression') return String(n.LiteralValue ?? '');
  if (k === 'ParenthesizedExpression') return stringLiteral(exprChildren(n)[0]);
  return null;
}

/** Columns extended from the SignatureName (extend sig = tostring(AdditionalFields.SignatureName)), per lint run. */
let signatureAliases = new Set<string>();

/** Whether an expression reads the SignatureName (a member of AdditionalFields, or a column of that name). */
function isSignatureName(n: Bridged): boolean {
  if (!n) return false;
  const k = kind(n);
  if (k === 'NameReference') return String(n.SimpleName) === 'SignatureName' || signatureAliases.has(String(n.SimpleName));
  if (k === 'PathExpression') return nameRef(exprChildren(n)[1]) === 'SignatureName';
  if (k === 'ElementExpression') {
    const [, sel] = exprChildren(n);
    return stringLiteral(exprChildren(sel)[0] ?? sel) === 'SignatureName';
  }
  if (k === 'FunctionCallExpression') {
    const [fn, args] = exprChildren(n);
    const name = nameRef(fn);
    if (name === 'tostring' || name === 'trim' || name === 'toupper' || name === 'tolower') return isSignatureName(exprChildren(args)[0]);
    return false;
  }
  if (k === 'ParenthesizedExpression') return isSignatureName(exprChildren(n)[0]);
  return false;
}

const EQ = new Set(['EqualExpression', 'EqualTildeExpression', 'HasExpression', 'HasCsExpression', 'ContainsExpression', 'ContainsCsExpression', 'StartsWithExpression', 'StartsWithCsExpression']);
const IN = new Set(['InExpression', 'InCsExpression', 'InTildeExpression', 'HasAnyExpression']);

interface SigUse { node: Bridged; literal: Bridged; signature: string; exact: boolean }

function span(n: Bridged): { start: number; end: number } {
  return { start: Number(n.TextStart ?? 0), end: Number(n.TextStart ?? 0) + Number(n.Width ?? 0) };
}

function finding(text: string, code: LintCode, n: Bridged | { start: number; length: number }, message: string, extra: Partial<LintFinding> = {}): LintFinding {
  const start = 'start' in n && typeof n.start === 'number' ? n.start : Number((n as Bridged).TextStart ?? 0);
  const length = 'length' in n && typeof n.length === 'number' ? n.length : Number((n as Bridged).Width ?? 0);
  const { line, column } = lineCol(text, start);
  return { code, severity: 'warning', start, length, line, column, message, ...extra };
}

export function lint(text: string, opts: LintOptions = {}): LintResult {
  const { code } = parseAndAnalyze(text);
  const root = code.Syntax;
  const findings: LintFinding[] = [];
  const sigUses: SigUse[] = [];
  const actionTypeLits: Bridged[] = [];
  let hasTimestampFilter = false;
  let firstTable: Bridged = null;
  signatureAliases = new Set();
  walk(root, (n) => {
    if (kind(n) !== 'SimpleNamedExpression') return;
    const [decl, value] = exprChildren(n);
    if (value && kind(value) !== 'NameReference' && isSignatureName(value)) signatureAliases.add(nameOfDecl(decl));
  });

  walk(root, (n, parents) => {
    const k = kind(n);
    if (k === 'NameReference' && !firstTable && String(n.ReferencedSymbol?.constructor?.$$name ?? '').endsWith('TableSymbol')) firstTable = n;
    if (EQ.has(k) || IN.has(k)) {
      const kids = exprChildren(n);
      const left = kids[0];
      if (isSignatureName(left)) {
        const lits = IN.has(k) ? exprChildren(kids[1]) : [kids[1]];
        for (const lit of lits) {
          const v = stringLiteral(lit);
          if (v === null) continue;
          const sig = k === 'EqualExpression' || k === 'InCsExpression' ? (v in RETIRED_SIGNATURES ? v : undefined) : SIG_LOWER.get(v.toLowerCase());
          if (sig) sigUses.push({ node: n, literal: lit, signature: sig, exact: k === 'EqualExpression' && lits.length === 1 });
        }
      }
      if (k === 'EqualExpression' && nameRef(left) === 'ActionType' && stringLiteral(kids[1]) === 'NetworkSignatureInspected') actionTypeLits.push(kids[1]);
    }
    if ((k === 'PathExpression' || k === 'ElementExpression')) {
      const target = exprChildren(n)[0];
      const tt = typeName(target);
      if (tt === 'string' && (nameRef(target) === 'AdditionalFields' || isAdditionalFieldsAlias(root, nameRef(target)))) {
        const name = nameRef(target)!;
        findings.push(finding(text, 'WHL002', n,
          `'${text.slice(span(n).start, span(n).end)}' reads a member of ${name === 'AdditionalFields' ? 'AdditionalFields' : `'${name}' (AdditionalFields)`}, which is JSON text (string), not dynamic: ` +
          `parse it first, e.g. extend AdditionalFields = todynamic(AdditionalFields), or parse_json(${name})`));
      }
    }
    if (k === 'NameReference' && String(n.SimpleName) === 'Timestamp' && parents.some((p) => kind(p) === 'FilterOperator' || kind(p) === 'WhereClause')) {
      hasTimestampFilter = true;
    }
  });

  for (const u of sigUses) {
    const repl = RETIRED_SIGNATURES[u.signature]!;
    const narrower = NARROWER[u.signature];
    findings.push(finding(text, 'WHL001', u.literal,
      `NetworkSignatureInspected signature '${u.signature}' was retired on July 18, 2023: use ActionType == "${repl}" (Zeek's fields are in AdditionalFields)` +
      (narrower ? `; ${narrower}` : ''), { replacement: repl }));
  }

  if (opts.scheduled && !hasTimestampFilter) {
    const at = firstTable ?? exprChildren(root)[0] ?? root;
    findings.push(finding(text, 'WHL003', { start: Number(at?.TextStart ?? 0), length: Number(at?.Width ?? 0) },
      `a scheduled rule without a Timestamp filter reads the whole table on every run: add | where Timestamp > ago(${opts.lookback ?? '1h'}) (the rule's lookback)`));
  }

  findings.sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
  const out: LintResult = { findings };
  const rw = rewriteSignatures(text, root, sigUses, actionTypeLits);
  if (rw !== null) out.rewrite = rw;
  return out;
}

/** Whether `name` was extended as a copy of the AdditionalFields string (extend j = AdditionalFields). */
function isAdditionalFieldsAlias(root: Bridged, name: string | null): boolean {
  if (!name) return false;
  let found = false;
  walk(root, (n) => {
    if (found || kind(n) !== 'SimpleNamedExpression') return;
    const [decl, value] = exprChildren(n);
    if (decl && String(decl.SimpleName ?? nameOfDecl(decl)) === name && nameRef(value) === 'AdditionalFields') found = true;
  });
  return found;
}

function nameOfDecl(decl: Bridged): string {
  const tok = children(decl)[0];
  return tok ? String(tok.SimpleName ?? children(tok)[0]?.Text ?? '') : '';
}

/**
 * Q1 → Q2: `| where ActionType == "NetworkSignatureInspected"` becomes the replacement ActionType, the
 * SignatureName comparison goes (its whole `where`, or its `and` term), and an
 * `extend AdditionalFields = todynamic(AdditionalFields)` that nothing else reads any more goes too.
 * Only when there is one retired signature compared with ==, one ActionType filter, and the
 * replacement is exact (not one of NARROWER).
 */
function rewriteSignatures(text: string, root: Bridged, uses: SigUse[], actionLits: Bridged[]): string | null {
  if (uses.length !== 1 || actionLits.length !== 1) return null;
  const u = uses[0]!;
  if (!u.exact || NARROWER[u.signature]) return null;
  const repl = RETIRED_SIGNATURES[u.signature]!;
  const edits: { start: number; end: number; text: string }[] = [];
  const lit = actionLits[0]!;
  const ls = span(lit);
  const quote = text[ls.start] === "'" ? "'" : '"';
  edits.push({ start: ls.start, end: ls.end, text: `${quote}${repl}${quote}` });

  // Where is the SignatureName comparison: a whole where, or a term of a top-level `and`?
  let removed: { start: number; end: number } | null = null;
  walk(root, (n) => {
    if (removed || kind(n) !== 'PipeExpression') return;
    const kids = children(n).filter((c) => c.IsToken ? false : true);
    const op = kids[kids.length - 1];
    const src = kids[0];
    if (!op || kind(op) !== 'FilterOperator') return;
    const cond = exprChildren(op)[0];
    if (cond === u.node || (cond && span(cond).start === span(u.node).start && span(cond).end === span(u.node).end)) {
      removed = { start: span(src).end, end: span(op).end };
    } else if (cond && kind(cond) === 'AndExpression') {
      const [a, b] = exprChildren(cond);
      const same = (x: Bridged) => x && span(x).start === span(u.node).start && span(x).end === span(u.node).end;
      if (same(a) && b) removed = { start: span(a).start, end: span(b).start };
      else if (same(b) && a) removed = { start: span(a).end, end: span(b).end };
    }
  });
  if (!removed) return null;
  const rem: { start: number; end: number } = removed;
  edits.push({ ...rem, text: '' });

  // An extend that only parsed AdditionalFields for the signature: drop it if nothing else reads it.
  let parseExtend: { start: number; end: number } | null = null;
  let extendOp: Bridged = null;
  walk(root, (n) => {
    if (parseExtend || kind(n) !== 'PipeExpression') return;
    const kids = children(n).filter((c) => !c.IsToken);
    const op = kids[kids.length - 1];
    if (!op || kind(op) !== 'ExtendOperator') return;
    const items = exprChildren(op);
    if (items.length !== 1 || kind(items[0]) !== 'SimpleNamedExpression') return;
    const [decl, value] = exprChildren(items[0]);
    if (nameOfDecl(decl) !== 'AdditionalFields' || kind(value) !== 'FunctionCallExpression') return;
    const fn = nameRef(exprChildren(value)[0]);
    if (fn !== 'todynamic' && fn !== 'parse_json') return;
    parseExtend = { start: span(kids[0]).end, end: span(op).end };
    extendOp = op;
  });
  if (parseExtend) {
    const pe: { start: number; end: number } = parseExtend;
    let otherUse = false;
    walk(root, (n) => {
      if (nameRef(n) !== 'AdditionalFields') return;
      const s = span(n);
      const inside = (r: { start: number; end: number }) => s.start >= r.start && s.end <= r.end;
      if (!inside(rem) && !inside(span(extendOp))) otherUse = true;
    });
    if (!otherUse) edits.push({ ...pe, text: '' });
  }

  edits.sort((a, b) => b.start - a.start);
  let out = text;
  let last = Infinity;
  for (const e of edits) {
    if (e.end > last) return null; // overlapping edits: not mechanical
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    last = e.start;
  }
  return out;
}

/** `line:column: CODE message` per finding. */
export function formatFinding(f: LintFinding, file?: string): string {
  return `${file ? `${file}:` : ''}${f.line}:${f.column}: ${f.code} ${f.severity}: ${f.message}`;
}
