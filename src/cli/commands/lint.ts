// `wirehunt lint (<kql> | -f <file.kql>) [--rule] [--fix] [--json]`: findings with code, line:column and message.
import { readFileSync } from 'node:fs';
import { UserError, type Command } from '../types.js';
import { lint, formatFinding } from '../../lint/index.js';
import { parseAndAnalyze, formatDiagnostic } from '../../kql/frontend/kusto.js';

const USAGE = `usage: wirehunt lint [--rule [<lookback>]] [--fix] [--json] (<kql> | -f <file.kql>)

Checks a query for constructs Defender retired or that silently do the wrong thing (and reports the
query's syntax and binding errors, as query does):
  WHL001  NetworkSignatureInspected with a retired SignatureName (SSH, FTP_*, HTTP_*, HTTPS_Client,
          DNS_Request): names the replacement ActionType; the rewrite is printed where it is mechanical
  WHL002  a member of AdditionalFields (JSON text) read without todynamic()/parse_json()
  WHL003  a scheduled detection rule without a Timestamp filter (with --rule)

  -f <file>         read the query from a file ('-' reads standard input)
  --rule [<lb>]     lint as a scheduled rule (lookback for the suggestion, default 4h)
  --fix             print only the rewritten query (exit 1 when there is no mechanical rewrite)
  --json            print {"findings":[…],"rewrite":…}

Exit status: 0 without findings, 1 with findings or errors, 2 on a usage error.`;

export const command: Command = {
  name: 'lint',
  summary: 'check a KQL query for retired or risky constructs',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    let text: string | undefined;
    let file: string | undefined;
    let scheduled = false;
    let lookback = '4h';
    let fix = false;
    let json = false;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '-f' || a === '--file') {
        const v = argv[++i];
        if (v === undefined) throw new UserError(`${a} needs a file`);
        file = v;
      } else if (a === '--rule') {
        scheduled = true;
        const v = argv[i + 1];
        if (v !== undefined && /^\d+[hd]$/.test(v)) { lookback = v; i++; }
      } else if (a === '--fix') fix = true;
      else if (a === '--json') json = true;
      else if (a.startsWith('-') && a.length > 1) throw new UserError(`lint: unknown option ${a}\n${USAGE}`);
      else if (text === undefined) text = a;
      else throw new UserError('lint: give one query (quote it), or -f <file>');
    }
    if (file !== undefined) {
      if (text !== undefined) throw new UserError('lint: give a query or -f <file>, not both');
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (err) {
        throw new UserError(`lint: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    if (text === undefined || !text.trim()) throw new UserError(`lint: no query\n${USAGE}`);
    const r = lint(text, { scheduled, lookback });
    // the query's own errors (syntax, unknown names), but not those a finding already explains (WHL002's member
    // access on a string column is also a binding error at the same place)
    const errors = parseAndAnalyze(text).diagnostics.filter((d) => d.severity === 'error' && !r.findings.some((f) => d.start < f.start + f.length && f.start < d.start + Math.max(d.length, 1)));
    if (fix) {
      if (r.rewrite === undefined) {
        console.error('wirehunt: lint: no mechanical rewrite for this query');
        return 1;
      }
      process.stdout.write(r.rewrite.endsWith('\n') ? r.rewrite : r.rewrite + '\n');
      return 0;
    }
    if (json) {
      console.log(JSON.stringify({ findings: r.findings, errors, rewrite: r.rewrite ?? null }, null, 2));
    } else {
      for (const d of errors) console.log(formatDiagnostic(d));
      for (const f of r.findings) console.log(formatFinding(f, file && file !== '-' ? file : undefined));
      if (r.rewrite !== undefined) console.log(`\nrewritten:\n${r.rewrite}`);
      if (!r.findings.length && !errors.length) console.log('no findings');
    }
    return r.findings.length || errors.length ? 1 : 0;
  },
};
