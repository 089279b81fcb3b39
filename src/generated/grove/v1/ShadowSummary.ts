// Original file: proto/grove/v1/model.proto


/**
 * Live vs candidate on the same requests (shadow mode), over the most recent pairs.
 */
export interface ShadowSummary {
  'live_version'?: (number);
  'candidate_version'?: (number);
  'pairs'?: (number | string);
  'window'?: (number);
  'mean_abs_diff'?: (number | string);
  'mean_rel_diff'?: (number | string);
  'abs_diff_quantiles'?: ({[key: string]: number | string});
  'rel_diff_quantiles'?: ({[key: string]: number | string});
  /**
   * Share of pairs within the tolerance: |candidate - live| <= abs + rel * |live|.
   */
  'agreement'?: (number | string);
  'rel_tolerance'?: (number | string);
  'abs_tolerance'?: (number | string);
  'live_quantiles'?: ({[key: string]: number | string});
  'candidate_quantiles'?: ({[key: string]: number | string});
  /**
   * Shadow queue: jobs dropped because it was full, and rows waiting.
   */
  'dropped'?: (number | string);
  'queue_rows'?: (number);
}

/**
 * Live vs candidate on the same requests (shadow mode), over the most recent pairs.
 */
export interface ShadowSummary__Output {
  'live_version': (number);
  'candidate_version': (number);
  'pairs': (number);
  'window': (number);
  'mean_abs_diff': (number);
  'mean_rel_diff': (number);
  'abs_diff_quantiles': ({[key: string]: number});
  'rel_diff_quantiles': ({[key: string]: number});
  /**
   * Share of pairs within the tolerance: |candidate - live| <= abs + rel * |live|.
   */
  'agreement': (number);
  'rel_tolerance': (number);
  'abs_tolerance': (number);
  'live_quantiles': ({[key: string]: number});
  'candidate_quantiles': ({[key: string]: number});
  /**
   * Shadow queue: jobs dropped because it was full, and rows waiting.
   */
  'dropped': (number);
  'queue_rows': (number);
}
