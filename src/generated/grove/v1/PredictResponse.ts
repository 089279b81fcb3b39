// Original file: proto/grove/v1/prediction.proto

import type { RowError as _grove_v1_RowError, RowError__Output as _grove_v1_RowError__Output } from '../../grove/v1/RowError.js';
import type { BatchStatus as _grove_v1_BatchStatus, BatchStatus__Output as _grove_v1_BatchStatus__Output } from '../../grove/v1/BatchStatus.js';

export interface PredictResponse {
  'model'?: (string);
  /**
   * The version that answered.
   */
  'version'?: (number);
  'request_id'?: (string);
  'rows'?: (number);
  /**
   * Outputs per row; `values` holds rows * num_outputs numbers, row-major (NaN for rows in `errors`).
   */
  'num_outputs'?: (number);
  'values'?: (number | string)[];
  /**
   * With `partial`: one entry per violation of an invalid row.
   */
  'errors'?: (_grove_v1_RowError)[];
  /**
   * PredictStream only: set when this batch failed as a whole.
   */
  'status'?: (_grove_v1_BatchStatus | null);
  /**
   * How the version was chosen: "live", "pinned", later "canary".
   */
  'role'?: (string);
}

export interface PredictResponse__Output {
  'model': (string);
  /**
   * The version that answered.
   */
  'version': (number);
  'request_id': (string);
  'rows': (number);
  /**
   * Outputs per row; `values` holds rows * num_outputs numbers, row-major (NaN for rows in `errors`).
   */
  'num_outputs': (number);
  'values': (number)[];
  /**
   * With `partial`: one entry per violation of an invalid row.
   */
  'errors': (_grove_v1_RowError__Output)[];
  /**
   * PredictStream only: set when this batch failed as a whole.
   */
  'status': (_grove_v1_BatchStatus__Output | null);
  /**
   * How the version was chosen: "live", "pinned", later "canary".
   */
  'role': (string);
}
