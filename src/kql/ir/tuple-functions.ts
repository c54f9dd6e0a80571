// Functions that return several columns (`extend series_stats(x)` adds series_stats_x_min, …;
// `extend (a, b) = series_stats(x)` names the first ones): each is lowered as a bag-valued catalog
// function and one column per field of the bag.
export const TUPLE_FUNCTIONS: Record<string, { bag: string; fields: string[] }> = {
  series_stats: { bag: 'series_stats_dynamic', fields: ['min', 'min_idx', 'max', 'max_idx', 'avg', 'stdev', 'variance'] },
  series_fit_line: { bag: 'series_fit_line_dynamic', fields: ['rsquare', 'slope', 'variance', 'rvariance', 'interception', 'line_fit'] },
};
