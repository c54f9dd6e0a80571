// The element-wise series_* functions (dynamic arrays of numbers, as make-series produces): each
// array's elements are read as doubles (null when not a number); a scalar argument applies to every
// element; arrays of different lengths are padded with nulls.
import type { FnTemplate, RenderedArg } from '../dialect.js';
import { bindValue } from './bind.js';

const nums = (x: string) => `CAST(json_extract(${x}, '$[*]') AS DOUBLE[])`;

function unary(f: (v: string) => string): FnTemplate {
  return { sql: (a) => `to_json(list_transform(${nums(a[0]!)}, v -> ${f('v')}))`, args: ['dynamic'] };
}

/** The list of f over two series, or a series and a scalar (either side). */
function zipped(a: string[], raw: RenderedArg[], f: (x: string, y: string) => string): string {
  const [l, r] = [raw[0]!.t === 'dynamic', raw[1]!.t === 'dynamic'];
  if (l && r) return `list_transform(list_zip(${nums(a[0]!)}, ${nums(a[1]!)}), p -> ${f('p[1]', 'p[2]')})`;
  if (l) return `list_transform(${nums(a[0]!)}, v -> ${f('v', `CAST(${a[1]} AS DOUBLE)`)})`;
  return `list_transform(${nums(a[1]!)}, v -> ${f(`CAST(${a[0]} AS DOUBLE)`, 'v')})`;
}

function binary(f: (x: string, y: string) => string): FnTemplate {
  return { sql: (a, raw) => `to_json(${zipped(a, raw, f)})`, args: [null, null] };
}

/**
 * What a series_fill_*() call counts as missing: null, or with a placeholder argument (not null) the
 * elements equal to it.
 */
function missing(placeholder: string | undefined): (x: string) => string {
  if (placeholder === undefined) return (x) => `json_type(${x}) = 'NULL'`;
  return (x) => `(CASE WHEN ${placeholder} IS NULL THEN json_type(${x}) = 'NULL' ELSE coalesce(TRY_CAST(CAST(${x} AS VARCHAR) AS DOUBLE) = ${placeholder}, FALSE) END)`;
}

/** fill_forward / fill_backward: each missing value takes the nearest present value before (after) it, if any. */
function fill(forward: boolean): FnTemplate {
  return {
    sql: (a) => {
      const gone = missing(a[1]);
      const l = `json_extract(${a[0]}, '$[*]')`;
      const near = forward ? `list_filter(l[1:i], x -> NOT ${gone('x')})[-1]` : `list_filter(l[i:], x -> NOT ${gone('x')})[1]`;
      return `list_transform([${l}], l -> to_json(list_transform(range(1, len(l) + 1), i -> CASE WHEN ${gone('l[i]')} THEN coalesce(${near}, l[i]) ELSE l[i] END)))[1]`;
    },
    args: ['dynamic', 'real'],
  };
}

/**
 * Least-squares line through the series at x = 1…n: slope, interception, the fitted values, R², the
 * series' variance and the residuals' variance (both divided by n - 1).
 */
function fitLine(y: string): string {
  const xs = 'range(1, len(s.l) + 1)';
  const slope = `list_sum(list_transform(${xs}, i -> (i - s.mx) * (s.l[i] - s.my))) / list_sum(list_transform(${xs}, i -> (i - s.mx) * (i - s.mx)))`;
  const sst = 'list_sum(list_transform(v.s.l, t -> (t - v.s.my) * (t - v.s.my)))';
  const ssr = 'list_sum(list_transform(range(1, len(v.s.l) + 1), i -> (v.s.l[i] - (v.ic + v.slope * i)) * (v.s.l[i] - (v.ic + v.slope * i))))';
  const bag = `json_object('rsquare', 1 - ${ssr} / ${sst}, 'slope', v.slope, 'variance', ${sst} / (len(v.s.l) - 1), 'rvariance', ${ssr} / (len(v.s.l) - 1), `
    + `'interception', v.ic, 'line_fit', to_json(list_transform(range(1, len(v.s.l) + 1), i -> v.ic + v.slope * i)))`;
  return `list_transform([list_filter(${nums(y)}, x -> x IS NOT NULL)], l -> list_transform([{'l': l, 'mx': (len(l) + 1) / 2.0, 'my': list_avg(l)}], s -> `
    + `list_transform([{'s': s, 'slope': ${slope}}], u -> list_transform([{'s': u.s, 'slope': u.slope, 'ic': u.s.my - u.slope * u.s.mx}], v -> ${bag})[1])[1])[1])[1]`;
}

export const SERIES_FUNCTIONS: Record<string, FnTemplate> = {
  series_abs: unary((v) => `abs(${v})`), series_acos: unary((v) => `acos(${v})`), series_asin: unary((v) => `asin(${v})`),
  series_atan: unary((v) => `atan(${v})`), series_cos: unary((v) => `cos(${v})`), series_sin: unary((v) => `sin(${v})`),
  series_tan: unary((v) => `tan(${v})`), series_exp: unary((v) => `exp(${v})`), series_log: unary((v) => `ln(${v})`),
  series_floor: unary((v) => `floor(${v})`), series_ceiling: unary((v) => `ceiling(${v})`),
  series_sign: unary((v) => `CAST(sign(${v}) AS BIGINT)`),
  series_add: binary((x, y) => `${x} + ${y}`), series_subtract: binary((x, y) => `${x} - ${y}`),
  series_multiply: binary((x, y) => `${x} * ${y}`), series_divide: binary((x, y) => `${x} / ${y}`),
  series_pow: binary((x, y) => `pow(${x}, ${y})`),
  series_greater: binary((x, y) => `${x} > ${y}`), series_greater_equals: binary((x, y) => `${x} >= ${y}`),
  series_less: binary((x, y) => `${x} < ${y}`), series_less_equals: binary((x, y) => `${x} <= ${y}`),
  series_equals: binary((x, y) => `${x} = ${y}`), series_not_equals: binary((x, y) => `${x} <> ${y}`),
  series_fill_forward: fill(true), series_fill_backward: fill(false),
  series_fill_const: {
    sql: (a) => `to_json(list_transform(json_extract(${a[0]}, '$[*]'), x -> CASE WHEN ${missing(a[2])('x')} THEN to_json(${a[1] ?? 0}) ELSE x END))`,
    args: ['dynamic', null, 'real'],
  },
  series_magnitude: { sql: (a) => `sqrt(list_sum(list_transform(${nums(a[0]!)}, v -> v * v)))`, args: ['dynamic'] },
  // Σxy / (|x| |y|) over the pairs both series have (the magnitudes may be given)
  series_cosine_similarity: {
    sql: (a) => bindValue(`list_filter(list_zip(${nums(a[0]!)}, ${nums(a[1]!)}), q -> q[1] IS NOT NULL AND q[2] IS NOT NULL)`, 'p',
      `list_sum(list_transform(p, q -> q[1] * q[2])) / (${a[2] ?? 'sqrt(list_sum(list_transform(p, q -> q[1] * q[1])))'} * ${a[3] ?? 'sqrt(list_sum(list_transform(p, q -> q[2] * q[2])))'})`),
    args: ['dynamic', 'dynamic', 'real', 'real'],
  },
  // Pearson's r over the pairs both series have
  series_pearson_correlation: {
    sql: (a) => bindValue(`list_filter(list_zip(${nums(a[0]!)}, ${nums(a[1]!)}), q -> q[1] IS NOT NULL AND q[2] IS NOT NULL)`, 'p',
      bindValue(`{'n': len(p), 'x': list_sum(list_transform(p, q -> q[1])), 'y': list_sum(list_transform(p, q -> q[2])), 'xy': list_sum(list_transform(p, q -> q[1] * q[2])), 'xx': list_sum(list_transform(p, q -> q[1] * q[1])), 'yy': list_sum(list_transform(p, q -> q[2] * q[2]))}`, 's',
        `(s.n * s.xy - s.x * s.y) / sqrt((s.n * s.xx - s.x * s.x) * (s.n * s.yy - s.y * s.y))`)),
    args: ['dynamic', 'dynamic'],
  },
  series_dot_product: { sql: (a, raw) => `list_sum(${zipped(a, raw, (x, y) => `${x} * ${y}`)})`, args: [null, null] },
  series_fit_line_dynamic: { sql: (a) => fitLine(a[0]!), args: ['dynamic'] },
  // min/max and their first index, mean, sample stdev/variance, sum and length, nulls left out
  series_stats_dynamic: {
    sql: (a) => `list_transform([${nums(a[0]!)}], s -> list_transform([list_filter(s, v -> v IS NOT NULL)], l -> json_object('min', list_min(l), 'min_idx', list_position(s, list_min(l)) - 1, 'max', list_max(l), 'max_idx', list_position(s, list_max(l)) - 1, 'avg', list_avg(l), 'stdev', list_stddev_samp(l), 'variance', list_var_samp(l), 'sum', list_sum(l), 'len', len(l)))[1])[1]`,
    args: ['dynamic'],
  },
};
