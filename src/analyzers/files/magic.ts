// MIME type sniffing by content signatures, the way Zeek's file analysis does it (file-magic
// signatures matched at the start of a file's first bytes, the match with the highest strength
// wins; on equal strength the alphabetically first type). The table below covers the common
// types of Zeek's base/frameworks/files/magic signature set; patterns are written for JS over
// latin1 strings (`.` of Zeek's syntax is "any byte but newline", written here as N).

interface Sig { mime: string; strength: number; re: RegExp }

const N = '[^\\n]';
const WS = '[\\x0d\\x0a \\t]';
const BOM = '(?:\\xef\\xbb\\xbf|\\xff\\xfe|\\xfe\\xff)?';
// whitespace and comments (an unambiguous form: no nested quantifiers to backtrack over)
const CMT = `(?:[\\x0d\\x0a \\t]|<!--${N}*?-->)*`;
const XMLDECL = `(?:<\\?xml ${N}*\\?>)?`;
const PRE = `${BOM}${CMT}(?:${XMLDECL.slice(0, -1)}${CMT})?`;

function s(mime: string, strength: number, pattern: string): Sig {
  return { mime, strength, re: new RegExp('^(?:' + pattern + ')') };
}

const SIGS: Sig[] = [
  // text
  s('text/plain', -20, `(?:\\xef\\xbb\\xbf|(?:\\x00\\x00)?\\xfe\\xff|\\xff\\xfe(?:\\x00\\x00)?)?[\\t\\n\\x0b\\x0c\\r\\x20-\\x7e]{10}`),
  s('text/json', 1, `${BOM}${WS}*\\{${WS}*(?:"[^"]+"|[a-zA-Z][a-zA-Z0-9\\\\_]*)${WS}*:${WS}*(?:"|\\[|\\{|[0-9]|true|false)`),
  s('text/json', 1, `${BOM}${WS}*\\[${WS}*(?:(?:(?:"[^"]+"|[0-9]+(?:\\.[0-9]+)?|true|false)${WS}*,)|\\{|\\[)`),
  s('text/json', 0, `${BOM}${WS}*(?:\\[\\]|\\{\\})${WS}*$`),
  s('application/xml', 10, `${BOM}${CMT}\\x00?<\\x00?\\?\\x00?x\\x00?m\\x00?l\\x00? \\x00?`),
  s('text/html', 100, `${PRE}<(?:![dD][oO][cC][tT][yY][pP][eE] +[hH][tT][mM][lL]|[hH][tT][mM][lL]|[mM][eE][tT][aA] +[hH][tT][tT][pP]-[eE][qQ][uU][iI][vV])`),
  s('text/html', 49, `${PRE}<![dD][oO][cC][tT][yY][pP][eE] +[hH][tT][mM][lL]`),
  s('text/html', 20, `${PRE}<(?:[hH][eE][aA][dD]|[hH][tT][mM][lL]|[tT][iI][tT][lL][eE]|[bB][oO][dD][yY])`),
  s('text/rss', 90, `${PRE}<[rR][sS][sS]`),
  s('application/soap+xml', 49, `${PRE}<[sS][oO][aA][pP](?:-[eE][nN][vV])?:[eE][nN][vV][eE][lL][oO][pP][eE]`),
  s('text/x-cross-domain-policy', 49, `${CMT}(?:${XMLDECL.slice(0, -1)}${CMT})?<(?:![dD][oO][cC][tT][yY][pP][eE] +)?[cC][rR][oO][sS][sS]-[dD][oO][mM][aA][iI][nN]-[pP][oO][lL][iI][cC][yY]`),
  s('text/ini', 20, `${BOM}[\\x00\\x0d\\x0a \\t]*\\[[^\\x0d\\x0a]+\\][ \\t\\x00]*[\\x0d\\x0a]`),
  s('application/x-pem', 0, `-----BEGIN CERTIFICATE-----`),
  s('text/x-shellscript', 250, `#![^\\n]{1,15}bin\\/(?:env[\\t\\n\\x0b\\x0c\\r ]+)?(?:ba|tc|c|z|fa|ae|k)?sh`),
  s('text/x-perl', 60, `#![^\\n]{1,15}bin\\/(?:env[\\t\\n\\x0b\\x0c\\r ]+)?perl`),
  s('text/x-python', 60, `#![^\\n]{1,15}bin\\/(?:env[\\t\\n\\x0b\\x0c\\r ]+)?python`),
  s('text/x-ruby', 60, `#![^\\n]{1,15}bin\\/(?:env[\\t\\n\\x0b\\x0c\\r ]+)?ruby`),
  s('application/javascript', 60, `[\\x0d\\x0a \\t]*for \\(;;\\);`),
  s('application/javascript', 60, `[\\x0d\\x0a \\t]*document\\.write(?:ln)?[ \\t:]?\\(`),
  s('application/javascript', 60, `\\(function\\(\\)[ \\t\\n]*\\{`),
  s('application/javascript', 60, `[\\x0d\\x0a \\t]*<script>[\\x0d\\x0a \\t]*(?:var|function) `),
  s('text/x-php', 40, `${N}*<\\?php`),
  s('text/x-msdos-batch', 110, `@ *[eE][cC][hH][oO] +[oO][fF][fF]`),
  s('text/rtf', 80, `\\{\\\\rtf`),
  s('application/pdf', 80, `%PDF-`),
  s('application/postscript', 50, `%!`),
  // images
  s('image/gif', 70, `GIF8`),
  s('image/jpeg', 52, `\\xff\\xd8`),
  s('image/png', 110, `\\x89PNG`),
  s('image/x-ms-bmp', 50, `BM[\\s\\S]{12}[\\x0c\\x28\\x40\\x6c\\x7c\\x80]\\x00`),
  s('image/x-icon', 70, `\\x00\\x00\\x01\\x00`),
  s('image/tiff', 70, `MM\\x00[\\x2a\\x2b]|II[\\x2a\\x2b]\\x00`),
  s('image/vnd.adobe.photoshop', 70, `8BPS`),
  s('image/webp', 70, `RIFF[\\s\\S]{4}WEBP`),
  // archives and executables
  s('application/zip', 10, `PK\\x03\\x04${N}{2}`),
  s('application/vnd.openxmlformats-officedocument', 50, `PK\\x03\\x04\\x14\\x00\\x06\\x00`),
  s('application/java-archive', 100, `PK\\x03\\x04${N}{1,200}\\x14\\x00${N}{2}META-INF\\/MANIFEST\\.MF`),
  s('application/x-rar', 70, `Rar!`),
  s('application/x-gzip', 100, `\\x1f\\x8b`),
  s('application/vnd.ms-cab-compressed', 110, `MSCF\\x00\\x00\\x00\\x00`),
  s('application/x-7z-compressed', 50, `7z\\xbc\\xaf\\x27\\x1c`),
  s('application/x-xz', 90, `\\xfd7zXZ\\x00`),
  s('application/x-bzip2', 60, `BZh`),
  s('application/x-dosexec', 51, `MZ`),
  s('application/x-executable', 50, `\\x7fELF[\\x01\\x02](?:\\x01${N}{10}\\x02\\x00|\\x02${N}{10}\\x00\\x02)`),
  s('application/x-sharedlib', 50, `\\x7fELF[\\x01\\x02](?:\\x01${N}{10}\\x03\\x00|\\x02${N}{10}\\x00\\x03)`),
  s('application/x-object', 50, `\\x7fELF[\\x01\\x02](?:\\x01${N}{10}\\x01\\x00|\\x02${N}{10}\\x00\\x01)`),
  s('application/x-mach-o-executable', 100, `[\\xce\\xcf]\\xfa\\xed\\xfe`),
  s('application/x-java-applet', 71, `\\xca\\xfe\\xba\\xbe${N}{3}[\\x2d-\\x34]`),
  s('application/msword', 50, `\\xd0\\xcf\\x11\\xe0\\xa1\\xb1\\x1a\\xe1`),
  s('application/x-shockwave-flash', 60, `[FCZ]WS`),
  s('application/vnd.tcpdump.pcap', 70, `\\xa1\\xb2\\xc3\\xd4|\\xd4\\xc3\\xb2\\xa1`),
  s('application/vnd.tcpdump.pcap', 100, `\\x0a\\x0d\\x0d\\x0a${N}{4}(?:\\x1a\\x2b\\x3c\\x4d|\\x4d\\x3c\\x2b\\x1a)`),
  s('application/ogg', 70, `OggS`),
  // audio / video / fonts
  s('audio/mpeg', 20, `ID3|\\xff[\\xe2\\xe3\\xf2\\xf3\\xf6\\xf7\\xfa\\xfb\\xfc\\xfd]`),
  s('audio/x-wav', 70, `RIFF${N}{4}WAVE`),
  s('video/x-flv', 60, `FLV`),
  s('video/mp4', 70, `${N}{4}ftyp(?:isom|mp4[12])`),
  s('video/quicktime', 70, `${N}{4}(?:mdat|moov)`),
  s('application/font-woff', 70, `wOFF`),
  s('application/font-woff2', 70, `wOF2`),
  s('application/x-font-ttf', 80, `\\x00\\x01\\x00\\x00\\x00`),
  s('application/vnd.ms-opentype', 70, `OTTO`),
  s('application/ocsp-request', 71, `[\\s\\S]{11,19}\\x06\\x05\\x2b\\x0e\\x03\\x02\\x1a`),
  s('application/ocsp-response', 71, `[\\s\\S]{11,19}\\x06\\x09\\x2b\\x06\\x01\\x05\\x05\\x07\\x30\\x01\\x01`),
];

/** The MIME type Zeek's signatures would give the first bytes of a file, or undefined. */
export function sniffMime(data: Buffer, off = 0, len = data.length - off): string | undefined {
  if (len <= 0) return undefined;
  const text = data.toString('latin1', off, off + len);
  let best: string | undefined;
  let bestStrength = -Infinity;
  for (const sig of SIGS) {
    if (sig.strength < bestStrength) continue;
    if (sig.strength === bestStrength && best !== undefined && sig.mime >= best) continue;
    if (sig.re.test(text)) { best = sig.mime; bestStrength = sig.strength; }
  }
  return best;
}
