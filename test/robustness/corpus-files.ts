import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/corpus/pcaps relative to the repository root (this file runs from dist/test/robustness/). */
export const pcapsDir = fileURLToPath(new URL('../../../../shared/corpus/pcaps/', import.meta.url));

/** Every capture of the robustness corpus (sorted), optionally only those up to maxBytes. */
export function corpusCaptures(maxBytes = Infinity): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (d !== pcapsDir.replace(/\/$/, '') && st.size <= maxBytes) out.push(p);
    }
  };
  walk(pcapsDir.replace(/\/$/, ''));
  return out;
}

/** ../shared/corpus/zeek: the conformance captures (every link type and tunnel the decoders know). */
export const zeekCorpusDir = fileURLToPath(new URL('../../../../shared/corpus/zeek/', import.meta.url));

function zeekCorpusCaptures(maxBytes: number): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|trace)$/.test(name) && st.size <= maxBytes) out.push(p);
    }
  };
  walk(zeekCorpusDir.replace(/\/$/, ''));
  return out;
}

/**
 * The fuzz test's inputs: a deterministic spread of the small captures of the robustness corpus (five
 * repositories, many formats and link types) plus the small conformance captures (tunnels, VLAN, MPLS,
 * PPPoE, SLL, 802.11, FabricPath, …).
 */
export function fuzzInputs(): string[] {
  const small = corpusCaptures(24 * 1024);
  const step = Math.max(1, Math.floor(small.length / 160));
  return [...small.filter((_, i) => i % step === 0), ...zeekCorpusCaptures(24 * 1024)];
}
