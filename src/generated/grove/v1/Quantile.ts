// Original file: proto/grove/v1/model.proto


/**
 * One quantile: level "p50", "p90", ...
 */
export interface Quantile {
  'level'?: (string);
  'value'?: (number | string);
}

/**
 * One quantile: level "p50", "p90", ...
 */
export interface Quantile__Output {
  'level': (string);
  'value': (number);
}
