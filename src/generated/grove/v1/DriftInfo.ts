// Original file: proto/grove/v1/model.proto

import type { FeatureDrift as _grove_v1_FeatureDrift, FeatureDrift__Output as _grove_v1_FeatureDrift__Output } from '../../grove/v1/FeatureDrift.js';

export interface DriftInfo {
  'window_rows'?: (number);
  'threshold'?: (number | string);
  'features'?: (_grove_v1_FeatureDrift)[];
  'prediction_psi'?: (number | string);
  'prediction_flagged'?: (boolean);
}

export interface DriftInfo__Output {
  'window_rows': (number);
  'threshold': (number);
  'features': (_grove_v1_FeatureDrift__Output)[];
  'prediction_psi': (number);
  'prediction_flagged': (boolean);
}
