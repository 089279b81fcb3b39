// Original file: proto/grove/v1/prediction.proto

import type { RowError as _grove_v1_RowError, RowError__Output as _grove_v1_RowError__Output } from '../../grove/v1/RowError.js';

/**
 * Transport status of a failed batch in PredictStream (code = google.rpc.Code value).
 */
export interface BatchStatus {
  'code'?: (number);
  'message'?: (string);
  'violations'?: (_grove_v1_RowError)[];
}

/**
 * Transport status of a failed batch in PredictStream (code = google.rpc.Code value).
 */
export interface BatchStatus__Output {
  'code': (number);
  'message': (string);
  'violations': (_grove_v1_RowError__Output)[];
}
