import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/store.js';

export const bin = fileURLToPath(new URL('../../../bin/wirehunt.js', import.meta.url));
export const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));

export function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

/** A fingerprint of a table's full content (order-independent), and its row count. */
export async function tableDigest(db: string, table: string): Promise<{ rows: number; digest: string }> {
  const s = await openStore(db, { readOnly: true });
  try {
    const r = await s.connection.runAndReadAll(
      `SELECT count(*)::BIGINT, coalesce(md5(string_agg(to_json(t)::VARCHAR, '\n' ORDER BY to_json(t)::VARCHAR)), '') FROM "${table}" t`,
    );
    const [n, d] = r.getRows()[0] as [bigint, string];
    return { rows: Number(n), digest: d };
  } finally {
    s.close();
  }
}

export async function query(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const s = await openStore(db, { readOnly: true });
  try {
    return (await s.connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    s.close();
  }
}

export interface CorpusCase { name: string; dir: string; pcap: string; logs: string[] }

/** The cases of shared/corpus/zeek: each one's capture and Zeek's baseline logs of it. */
export function corpusCases(): CorpusCase[] {
  const root = join(shared, 'corpus/zeek');
  const out: CorpusCase[] = [];
  for (const proto of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const c of readdirSync(join(root, proto.name), { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const dir = join(root, proto.name, c.name);
      const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { pcap: string; logs: string[] };
      out.push({ name: `${proto.name}/${c.name}`, dir, pcap: join(dir, meta.pcap), logs: meta.logs.filter((l) => l.endsWith('.log')).map((l) => join(dir, l)) });
    }
  }
  return out;
}

/** A Zeek TSV log header as the ASCII writer writes it. */
export const zeekHeader = (path: string, fields: string[], types: string[]): string =>
  ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', `#path\t${path}`, '#open\t2026-01-05-09-00-00',
    `#fields\t${fields.join('\t')}`, `#types\t${types.join('\t')}`].join('\n') + '\n';
export const ID_FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p'];
export const ID_TYPES = ['time', 'string', 'addr', 'port', 'addr', 'port'];

/** A test body run in a fresh temporary folder, removed afterwards. */
export function withTempDir(prefix: string) {
  return (fn: (dir: string) => Promise<void>) => async () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
