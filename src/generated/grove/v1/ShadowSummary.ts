// Original file: proto/grove/v1/model.proto

import type { Quantile as _grove_v1_Quantile, Quantile__Output as _grove_v1_Quantile__Output } from '../../grove/v1/Quantile.js';

/**
 * Live vs candidate on the same requests (shadow mode), over the most recent pairs.
 * (Quantiles are lists of level/value pairs so they keep their order.)
 */
export interface ShadowSummary {
  'live_version'?: (number);
  'candidate_version'?: (number);
  'pairs'?: (number | string);
  'window'?: (number);
  'mean_abs_diff'?: (number | string);
  'mean_rel_diff'?: (number | string);
  'abs_diff_quantiles'?: (_grove_v1_Quantile)[];
  'rel_diff_quantiles'?: (_grove_v1_Quantile)[];
  /**
   * Share of pairs within the tolerance: |candidate - live| <= abs + rel * |live|.
   */
  'agreement'?: (number | string);
  'rel_tolerance'?: (number | string);
  'abs_tolerance'?: (number | string);
  'live_quantiles'?: (_grove_v1_Quantile)[];
  'candidate_quantiles'?: (_grove_v1_Quantile)[];
  /**
   * Shadow queue: jobs dropped because it was full, and rows waiting.
   */
  'dropped'?: (number | string);
  'queue_rows'?: (number);
}

/**
 * Live vs candidate on the same requests (shadow mode), over the most recent pairs.
 * (Quantiles are lists of level/value pairs so they keep their order.)
 */
export interface ShadowSummary__Output {
  'live_version': (number);
  'candidate_version': (number);
  'pairs': (number);
  'window': (number);
  'mean_abs_diff': (number);
  'mean_rel_diff': (number);
  'abs_diff_quantiles': (_grove_v1_Quantile__Output)[];
  'rel_diff_quantiles': (_grove_v1_Quantile__Output)[];
  /**
   * Share of pairs within the tolerance: |candidate - live| <= abs + rel * |live|.
   */
  'agreement': (number);
  'rel_tolerance': (number);
  'abs_tolerance': (number);
  'live_quantiles': (_grove_v1_Quantile__Output)[];
  'candidate_quantiles': (_grove_v1_Quantile__Output)[];
  /**
   * Shadow queue: jobs dropped because it was full, and rows waiting.
   */
  'dropped': (number);
  'queue_rows': (number);
}
