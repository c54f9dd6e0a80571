// Small regex facts shared by the lowering and the dialects.

/** The capturing groups of a regex in order: their names ('' when unnamed). */
export function captureGroups(pat: string): string[] {
  const out: string[] = [];
  let inClass = false;
  for (let i = 0; i < pat.length; i++) {
    const ch = pat[i];
    if (ch === '\\') { i++; continue; }
    if (inClass) { if (ch === ']') inClass = false; continue; }
    if (ch === '[') { inClass = true; continue; }
    if (ch !== '(') continue;
    if (pat[i + 1] !== '?') { out.push(''); continue; }
    const m = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(pat.slice(i));
    if (m) out.push(m[1]!);
  }
  return out;
}
