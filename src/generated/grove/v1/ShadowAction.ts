// Original file: proto/grove/v1/model.proto


export interface ShadowAction {
  /**
   * Share of live requests the candidate also scores, in [0, 1]; absent = 1.
   */
  'sample_rate'?: (number | string);
  '_sample_rate'?: "sample_rate";
}

export interface ShadowAction__Output {
  /**
   * Share of live requests the candidate also scores, in [0, 1]; absent = 1.
   */
  'sample_rate'?: (number);
  '_sample_rate'?: "sample_rate";
}
