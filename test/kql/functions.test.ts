// Scalar functions and aggregates against hand-computed values (Kusto's documented semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printStore } from './print-row.js';

const now = new Date('2024-05-01T12:00:00Z');
const { row, rows } = printStore(now);

test('hex literals keep their value', async () => {
  const r = await row('datatable(n:long)[0xFFFFFFFF, 0xCFFFFFFD, 0xFAFEFFFF] | summarize a = binary_all_and(n), x = binary_all_xor(n)');
  assert.equal(r.a, Number(0xffffffffn & 0xcffffffdn & 0xfafeffffn));
  assert.equal(r.x, Number(0xffffffffn ^ 0xcffffffdn ^ 0xfafeffffn));
  assert.deepEqual(await row('print a = 0x10 + 1, b = -0x10'), { a: 17, b: -16 });
});

test('tohex: 64-bit long, 32-bit int, minimum length', async () => {
  assert.deepEqual(await row('print a = tohex(256), b = tohex(-256), c = tohex(toint(-256), 8), d = tohex(256, 8), e = tohex(256, 2)'),
    { a: '100', b: 'ffffffffffffff00', c: 'ffffff00', d: '00000100', e: '100' });
});

test('array_slice: negative bounds count from the end', async () => {
  assert.deepEqual(await row('print a = array_slice(dynamic([1,2,3,4,5]), -3, -2), b = array_slice(dynamic([1,2,3,4,5]), 1, 2), c = array_slice(dynamic([1,2,3,4,5]), 2, -1)'),
    { a: [3, 4], b: [2, 3], c: [3, 4, 5] });
});

test('indexof: start, length, occurrence', async () => {
  const r = await row(`print a = indexof("abcdefg","cde"), b = indexof("abcdefg","cde",1,4), c = indexof("abcdefg","cde",1,2), d = indexof("abcdefg","cde",3,4),
    e = indexof("abcdefg","cde",-5), f = indexof("abcdefg","cde",2,-1), g = indexof("abcdefgabcdefg","cde",1,10,2), h = indexof("abcdefgabcdefg","cde",1,-1,3), i = indexof("abcabc","c",0,-1,2)`);
  assert.deepEqual(r, { a: 2, b: 2, c: -1, d: -1, e: 2, f: 2, g: 9, h: -1, i: 5 });
});

test('make_set keeps first-seen order, make_set_if filters', async () => {
  const r = await row('datatable(name:string)["Ringo","John","Paul","George","Ringo","John"] | summarize s = make_set(name), si = make_set_if(name, strlen(name) > 4), s2 = make_set(name, 2)');
  assert.deepEqual(r, { s: ['Ringo', 'John', 'Paul', 'George'], si: ['Ringo', 'George'], s2: ['Ringo', 'John'] });
});

test('x != literal is true when x is null; == is not', async () => {
  const q = 'datatable(i:int, s:string)[5, "a", int(null), "b", 6, "c"]';
  assert.deepEqual((await rows(`${q} | where i != 5 | project s`)).map((x) => x.s).sort(), ['b', 'c']);
  assert.deepEqual((await rows(`${q} | where i == 5 | project s`)).map((x) => x.s), ['a']);
});

test('url_encode as .NET UrlEncode: lowercase escapes, + for space', async () => {
  assert.deepEqual(await row('print e = url_encode("https://www.bing.com/hello world/€"), d = url_decode("a%20b")'),
    { e: 'https%3a%2f%2fwww.bing.com%2fhello+world%2f%e2%82%ac', d: 'a b' });
});

test('todatetime parses MM-DD-YYYY like the datetime literal', async () => {
  assert.deepEqual(await row('print a = todatetime("12-02-2022"), b = todatetime("12-02-2022") == datetime("12-02-2022")'),
    { a: '2022-12-02T00:00:00.0000000Z', b: true });
});

test('arg_max / arg_min: a group whose keys are all null gives its first row', async () => {
  const q = 'datatable(F:string, C:string, V:int)["A","Red",1, "A","Green",int(null), "B","Yellow",int(null), "B","Green",int(null), "P","Brown",1, "P","Green",2]';
  const mx = Object.fromEntries((await rows(`${q} | summarize arg_max(V, *) by F`)).map((r) => [r.F, [r.V, r.C]]));
  assert.deepEqual(mx, { A: [1, 'Red'], B: [null, 'Yellow'], P: [2, 'Green'] });
  const mn = Object.fromEntries((await rows(`${q} | summarize arg_min(V, C) by F`)).map((r) => [r.F, [r.V, r.C]]));
  assert.deepEqual(mn, { A: [1, 'Red'], B: [null, 'Yellow'], P: [1, 'Brown'] });
});

test('extract_all: capture groups picked by number or name; brackets and escapes do not count as groups', async () => {
  const r = await row(`print a = extract_all(@"(\\w)(\\w+)(\\w)", dynamic([1,3]), "ab1-cd2x"), b = extract_all(@"(?P<f>\\w)(?P<m>\\w+)(?P<l>\\w)", dynamic(["l",2]), "ab1-cd2x"),
    c = extract_all(@"(\\w)\\w", "ab-cd"), d = extract_all(@"[(](\\w)\\(", "(a((b(")`);
  assert.deepEqual(r, { a: [['a', '1'], ['c', 'x']], b: [['1', 'b'], ['x', 'd2']], c: ['a', 'c'], d: ['a', 'b'] });
});

test('timespan literals in d.hh:mm:ss.fffffff form keep their value; format_timespan with .NET custom formats', async () => {
  assert.deepEqual(await row('print a = time(29.09:00:05.12345), b = timespan(-1.02:03:04), c = time(1.5h), d = time(00:10)'),
    { a: '29.09:00:05.1234500', b: '-1.02:03:04', c: '01:30:00', d: '00:10:00' });
  const r = await row(`let t = time(29.09:00:05.12345); print a = format_timespan(t, 'dd.hh:mm:ss:FF'), b = format_timespan(t, 'ddd.h:mm:ss [fffffff]'), c = format_timespan(90s, "m'min' s'sec'"), d = format_timespan(1h, 'hh:mm:ss.FFF')`);
  assert.deepEqual(r, { a: '29.09:00:05:12', b: '029.9:00:05 [1234500]', c: '1min 30sec', d: '01:00:00.' });
});

test('user functions: named arguments bind by name, the rest in order, defaults fill the gaps', async () => {
  const r = await rows(`let f = (a:long, b:string = "b.default", c:long = 0) { strcat(a, "-", b, "-", c) };
    union (print n=1, x=f(c=7, a=12)), (print n=2, x=f(12, c=7)), (print n=3, x=f(1, "z", 3)), (print n=4, x=f(5)) | order by n asc`);
  assert.deepEqual(r.map((x) => x.x), ['12-b.default-7', '12-b.default-7', '1-z-3', '5-b.default-0']);
});

test('pack_array keeps each element its own type (strings unparsed, timespan and datetime as Kusto prints them)', async () => {
  const r = await row('print p = pack_array(1, tostring(2), 2s, dynamic({"a":[1]}), datetime(2020-01-01), 1.5, true, "[3]")');
  assert.deepEqual(r.p, [1, '2', '00:00:02', { a: [1] }, '2020-01-01T00:00:00.0000000Z', 1.5, true, '[3]']);
});

test('parse kind=regex: capturing groups inside the pattern text do not shift the columns', async () => {
  const r = await row(`print s = "Event: x (name=Sched, n=27, id=15)" | parse kind=regex s with "(.*?)[a-z]*=" name @", n=\\s*\\d+\\s*.*?id=" id: long "\\\\)" | project name, id`);
  assert.deepEqual(r, { name: 'Sched', id: 15 });
});

test('parse kind=regex flags: s lets . cross line ends, i ignores case, U swaps greedy and lazy; other flags are a diagnostic', async () => {
  const r = await row(`print s = "Name=a\\nb;N=1;n=2" | parse kind=regex flags=s s with "Name=" name ";" * | parse kind=regex flags=si s with * "n=" fromFirst | parse kind=regex flags=Usi s with * "n=" fromLast | project name, fromFirst, fromLast`);
  // s: the name spans the line end; i: "n=" also matches "N="; U: the leading * (lazy) turns greedy and runs to the last "n="
  assert.deepEqual(r, { name: 'a\nb', fromFirst: '1;n=2', fromLast: '2' });
  const plain = await row(`print s = "Name=a\\nb;" | parse kind=regex s with "Name=" name ";" | project name`);
  assert.deepEqual(plain, { name: '' }, 'without s the pattern does not match across the line end');
  await assert.rejects(row('print s = "x" | parse kind=regex flags=x s with "x" a'), /parse flags=x/);
});

test('extract with typeof(T): the matched text converted to T, null where there is no match or it does not convert', async () => {
  // Microsoft's example (extract-function.md): "07" as typeof(int) is 7, a number in the result
  assert.deepEqual(await rows('datatable(DateString:string)["15-12-2024","21-07-2023"] | extend Month = extract(@"-(\\d{2})-", 1, DateString, typeof(int)) | project Month'),
    [{ Month: 12 }, { Month: 7 }]);
  const r = await row(`print a = extract(@"x(\\d+)", 1, "x12y", typeof(long)), b = extract(@"x(\\d+)", 1, "nope", typeof(int)), c = extract(@"(\\d+\\.\\d+)", 1, "v 2.50", typeof(real)),
    d = extract(@"(\\w+)", 1, "abc", typeof(int)), e = extract("(.*)", 1, "2024-01-02", typeof(datetime)), f = extract(@"x(\\d+)", 1, "x12y") | extend g = a + 1`);
  assert.deepEqual(r, { a: 12, b: null, c: 2.5, d: null, e: '2024-01-02T00:00:00.0000000Z', f: '12', g: 13 });
});

test('datetime_part: ISO week_of_year, dayOfYear, sub-second parts within the second (to the microsecond DuckDB keeps)', async () => {
  // Microsoft's example (datetime-part-function.md); its nanosecond is 765432100, a tick finer than DuckDB's microseconds
  const r = await row(`let dt = datetime(2017-10-30 01:02:03.7654321); print y = datetime_part("year", dt), q = datetime_part("quarter", dt), mo = datetime_part("month", dt),
    w = datetime_part("week_of_year", dt), d = datetime_part("day", dt), doy = datetime_part("dayOfYear", dt), h = datetime_part("hour", dt), mi = datetime_part("minute", dt),
    s = datetime_part("second", dt), ms = datetime_part("millisecond", dt), us = datetime_part("microsecond", dt), ns = datetime_part("nanosecond", dt),
    w1 = datetime_part("week_of_year", datetime(2021-01-03)), w53 = datetime_part("week_of_year", datetime(2020-12-31))`);
  assert.deepEqual(r, { y: 2017, q: 4, mo: 10, w: 44, d: 30, doy: 303, h: 1, mi: 2, s: 3, ms: 765, us: 765432, ns: 765432000, w1: 53, w53: 53 });
});

test('datetime_local_to_utc and datetime_utc_to_local: IANA zones with daylight saving, whatever the process zone; null for an unknown zone', async () => {
  const r = await row(`print a = datetime_local_to_utc(datetime(2020-02-02 20:02:20), 'US/Pacific'), b = datetime_local_to_utc(datetime(2020-02-02 20:02:20), 'Europe/Paris'),
    c = datetime_local_to_utc(datetime(2020-07-02 20:02:20), 'Europe/Paris'), d = datetime_utc_to_local(datetime(2020-02-03 04:02:20), 'US/Pacific'),
    e = datetime_utc_to_local(datetime(2022-03-27 01:00:00), 'Europe/Brussels'), f = datetime_local_to_utc(datetime(2020-02-02 20:02:20), 'Nowhere/City'),
    g = datetime_local_to_utc(datetime(2022-03-27 02:30:00), 'Europe/Brussels'), h = datetime_local_to_utc(datetime(2022-03-27 03:00:00), 'Europe/Brussels')`);
  // g: 02:30 does not exist there that day (clocks went 02:00 → 03:00): the offset after the change, as Kusto's example
  assert.deepEqual(r, { a: '2020-02-03T04:02:20.0000000Z', b: '2020-02-02T19:02:20.0000000Z', c: '2020-07-02T18:02:20.0000000Z', d: '2020-02-02T20:02:20.0000000Z',
    e: '2022-03-27T03:00:00.0000000Z', f: null, g: '2022-03-27T00:30:00.0000000Z', h: '2022-03-27T01:00:00.0000000Z' });
  assert.deepEqual(await row('print t = unixtime_nanoseconds_todatetime(1546300800000000000), u = unixtime_nanoseconds_todatetime(1546300800123456789)'),
    { t: '2019-01-01T00:00:00.0000000Z', u: '2019-01-01T00:00:00.1234560Z' });
});

test('isascii, regex_quote, unicode_codepoints_from_string, bitset_count_ones, base64 of guids in .NET byte order', async () => {
  const r = await row(`print a = isascii('some string'), b = isascii('é'), c = regex_quote('(so$me.Te^xt)'), d = regex_quote(@'a\\b[c]{1}|d+*?'),
    e = unicode_codepoints_from_string('⒦⒰⒮⒯⒪'), f = unicode_codepoints_to_string(unicode_codepoints_from_string('Kusto')), g = unicode_codepoints_from_string('a\\n😀'),
    h = bitset_count_ones(42), i = bitset_count_ones(-1), j = base64_encode_fromguid(toguid('ae3133f2-6e22-49ae-b06a-16e6a9b212eb')),
    k = base64_decode_toguid('8jMxriJurkmwahbmqbIS6w=='), l = base64_decode_toguid('JpbpECu8dUy7Pv5gbeJXAA=='), m = base64_decode_toguid('c2hvcnQ=')`);
  assert.deepEqual(r, {
    a: true, b: false, c: '\\(so\\$me\\.Te\\^xt\\)', d: 'a\\\\b\\[c\\]\\{1\\}\\|d\\+\\*\\?',
    e: [9382, 9392, 9390, 9391, 9386], f: 'Kusto', g: [97, 10, 128512], h: 3, i: 64,
    // Microsoft's base64_encode_fromguid example; its inverse; a guid whose bytes were worked out with .NET's order
    j: '8jMxriJurkmwahbmqbIS6w==', k: 'ae3133f2-6e22-49ae-b06a-16e6a9b212eb', l: '10e99626-bc2b-4c75-bb3e-fe606de25700', m: '',
  });
});

test('bag_pack_columns is bag_pack of the columns\' names and values; datetimes and timespans in a bag as Kusto writes them', async () => {
  const r = await row(`datatable(Id:string, Other:long, T:datetime, S:timespan, D:dynamic)["A", 1, datetime(2024-01-02 03:04:05), 1h, dynamic({"x":[1]})]
    | project P = bag_pack_columns(Id, Other, T, S, D), Q = bag_pack("t", T, "s", S)`);
  assert.deepEqual(r, {
    P: { Id: 'A', Other: 1, T: '2024-01-02T03:04:05.0000000Z', S: '01:00:00', D: { x: [1] } },
    Q: { t: '2024-01-02T03:04:05.0000000Z', s: '01:00:00' },
  });
});

test('parse_path: scheme, root, directory, file name, extension, alternate data stream', async () => {
  const r = await row(`print a = parse_path("https://host/a/b.tar.gz"), b = parse_path(@"D:\\dir\\README"), c = parse_path("f.txt"), d = parse_path(@"C:\\x\\report.docx:Zone.Identifier")`);
  const all = (s: string, root: string, dir: string, name: string, file: string, ext: string, ads: string) =>
    ({ Scheme: s, RootPath: root, DirectoryPath: dir, DirectoryName: name, Filename: file, Extension: ext, AlternateDataStreamName: ads });
  assert.deepEqual(r.a, all('https', '', 'host/a', 'a', 'b.tar.gz', 'gz', ''));
  assert.deepEqual(r.b, all('', 'D:', 'D:\\dir', 'dir', 'README', '', ''));
  assert.deepEqual(r.c, all('', '', '', '', 'f.txt', 'txt', ''));
  assert.deepEqual(r.d, all('', 'C:', 'C:\\x', 'x', 'report.docx', 'docx', 'Zone.Identifier'));
});
