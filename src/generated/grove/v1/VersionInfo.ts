// Original file: proto/grove/v1/model.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';

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
  'loaded_at'?: (_google_protobuf_Timestamp | null);
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
  'loaded_at': (_google_protobuf_Timestamp__Output | null);
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
}
