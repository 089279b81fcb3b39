// Original file: proto/grove/v1/model.proto


export interface FeatureDrift {
  'feature'?: (string);
  /**
   * numeric | categorical
   */
  'type'?: (string);
  /**
   * Population stability index over the reference bins (deciles or categories, plus missing).
   */
  'psi'?: (number | string);
  'missing_rate_reference'?: (number | string);
  'missing_rate_live'?: (number | string);
  /**
   * psi over the drift threshold
   */
  'flagged'?: (boolean);
}

export interface FeatureDrift__Output {
  'feature': (string);
  /**
   * numeric | categorical
   */
  'type': (string);
  /**
   * Population stability index over the reference bins (deciles or categories, plus missing).
   */
  'psi': (number);
  'missing_rate_reference': (number);
  'missing_rate_live': (number);
  /**
   * psi over the drift threshold
   */
  'flagged': (boolean);
}
