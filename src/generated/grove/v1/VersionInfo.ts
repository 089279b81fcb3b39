// Original file: proto/grove/v1/model.proto

import type { DriftInfo as _grove_v1_DriftInfo, DriftInfo__Output as _grove_v1_DriftInfo__Output } from '../../grove/v1/DriftInfo.js';

export interface VersionInfo {
  'version'?: (number);
  /**
   * loading | ready | failed | unloading
   */
  'state'?: (string);
  'labels'?: (string)[];
  /**
   * Why the version failed to load (empty otherwise).
   */
  'error'?: (string);
  /**
   * RFC 3339 time the serving instance finished loading (empty when not loaded).
   */
  'loaded_at'?: (string);
  'fingerprint'?: (string);
  'in_flight'?: (number);
  /**
   * e.g. "XGBoost 3.4.1 JSON", "binary:logistic".
   */
  'format'?: (string);
  'objective'?: (string);
  'num_features'?: (number);
  'num_outputs'?: (number);
  'feature_names'?: (string)[];
  'description'?: (string);
  /**
   * Input drift of this version: live window vs its training reference statistics.
   */
  'drift'?: (_grove_v1_DriftInfo | null);
}

export interface VersionInfo__Output {
  'version': (number);
  /**
   * loading | ready | failed | unloading
   */
  'state': (string);
  'labels': (string)[];
  /**
   * Why the version failed to load (empty otherwise).
   */
  'error': (string);
  /**
   * RFC 3339 time the serving instance finished loading (empty when not loaded).
   */
  'loaded_at': (string);
  'fingerprint': (string);
  'in_flight': (number);
  /**
   * e.g. "XGBoost 3.4.1 JSON", "binary:logistic".
   */
  'format': (string);
  'objective': (string);
  'num_features': (number);
  'num_outputs': (number);
  'feature_names': (string)[];
  'description': (string);
  /**
   * Input drift of this version: live window vs its training reference statistics.
   */
  'drift': (_grove_v1_DriftInfo__Output | null);
}
