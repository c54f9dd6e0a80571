// Zeek's string escaping, byte for byte. Strings are byte strings (one char code per byte, see
// types.ts). The rules mirror Zeek's ODesc with escaping and UTF-8 enabled (LogAscii::enable_utf_8=T,
// the default) and util::escape_utf8: printable ASCII stays, valid UTF-8 stays when the run holds
// nothing else to escape, and otherwise every non-ASCII or control byte of the run becomes \xNN.

const HEX = '0123456789abcdef';

export function hexByte(b: number): string {
  return '\\x' + HEX[(b >> 4) & 15] + HEX[b & 15];
}

/** Length of the UTF-8 sequence a lead byte announces (1 for ASCII and stray continuation bytes). */
function utf8Length(lead: number): number {
  if (lead < 0xc0) return 1;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf8) return 4;
  return 1;
}

/**
 * The code point of a well-formed UTF-8 sequence at s[i..i+n) that Zeek accepts (not a control,
 * private-use or U+FFF0..FFFF character), or -1.
 */
function acceptedCodePoint(s: string, i: number, n: number): number {
  const b0 = s.charCodeAt(i);
  if (n === 1) return -1; // an ASCII byte here is a control or DEL
  let cp = b0 & (n === 2 ? 0x1f : n === 3 ? 0x0f : 0x07);
  for (let k = 1; k < n; k++) {
    const b = s.charCodeAt(i + k);
    if ((b & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  // overlong forms, surrogates and out-of-range values are not legal UTF-8
  if ((n === 2 && cp < 0x80) || (n === 3 && cp < 0x800) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff))) return -1;
  if (cp >= 0xd800 && cp <= 0xdfff) return -1;
  if (cp <= 0x1f || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) return -1;
  if ((cp >= 0xe000 && cp <= 0xf8ff) || (cp >= 0xfff0 && cp <= 0xffff)) return -1;
  return cp;
}

/**
 * util::escape_utf8. With `escapeControls` (the ASCII writer) \b \f \n \r \t are escaped too; without
 * (the JSON writer) they are kept for JSON's own escaping.
 */
export function escapeUtf8(s: string, escapeControls: boolean): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c >= 127) { plain = false; break; }
  }
  if (plain) return s;

  let kept = '';
  let escaped = '';
  let bad = false;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    const isSoftControl = c === 8 || c === 12 || c === 10 || c === 13 || c === 9;
    if ((c >= 32 && c < 127) || (!escapeControls && isSoftControl)) {
      if (!bad) kept += s[i];
      escaped += s[i];
      i++;
      continue;
    }
    if (bad) {
      escaped += hexByte(c);
      i++;
      continue;
    }
    const n = utf8Length(c);
    if (i + n > s.length || acceptedCodePoint(s, i, n) < 0) {
      bad = true;
      escaped += hexByte(c);
      i++;
      continue;
    }
    for (let k = 0; k < n; k++) escaped += hexByte(s.charCodeAt(i + k));
    kept += s.slice(i, i + n);
    i += n;
  }
  return bad ? escaped : kept;
}

/**
 * A string value as the ASCII writer prints it: runs between escape points go through escapeUtf8,
 * backslashes become `\\`, and each separator sequence (the field separator, and inside sets and
 * vectors the set separator) becomes \xNN bytes.
 */
export function escapeAsciiField(s: string, separators: readonly string[]): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c >= 127 || c === 92) { needs = true; break; }
  }
  if (!needs) {
    for (const sep of separators) if (s.includes(sep)) { needs = true; break; }
    if (!needs) return s;
  }
  let out = '';
  let runStart = 0;
  let i = 0;
  outer: while (i < s.length) {
    if (s.charCodeAt(i) === 92) {
      out += escapeUtf8(s.slice(runStart, i), true) + '\\\\';
      i++;
      runStart = i;
      continue;
    }
    for (const sep of separators) {
      if (sep.length && s.startsWith(sep, i)) {
        out += escapeUtf8(s.slice(runStart, i), true);
        for (let k = 0; k < sep.length; k++) out += hexByte(sep.charCodeAt(k));
        i += sep.length;
        runStart = i;
        continue outer;
      }
    }
    i++;
  }
  return out + escapeUtf8(s.slice(runStart), true);
}

/** A byte string as proper Unicode text: valid UTF-8 decoded, anything else escaped as Zeek's JSON does. */
export function byteStringToText(s: string): string {
  const escaped = escapeUtf8(s, false);
  let ascii = true;
  for (let i = 0; i < escaped.length; i++) if (escaped.charCodeAt(i) >= 128) { ascii = false; break; }
  return ascii ? escaped : Buffer.from(escaped, 'latin1').toString('utf8');
}
