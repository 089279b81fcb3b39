// Original file: proto/grove/v1/prediction.proto

import type { Records as _grove_v1_Records, Records__Output as _grove_v1_Records__Output } from '../../grove/v1/Records.js';
import type { DenseMatrix as _grove_v1_DenseMatrix, DenseMatrix__Output as _grove_v1_DenseMatrix__Output } from '../../grove/v1/DenseMatrix.js';

export interface PredictRequest {
  /**
   * Model name, as in the registry (models/<name>/).
   */
  'model'?: (string);
  /**
   * Empty: routed (the model's default/live version). A number ("3") pins that version; any other
   * text is an alias or label ("stable", "candidate", ...).
   */
  'version'?: (string);
  /**
   * Echoed in the response and logs; generated when empty.
   */
  'request_id'?: (string);
  /**
   * Sticky routing key (e.g. a customer id) for canary assignment.
   */
  'routing_key'?: (string);
  'records'?: (_grove_v1_Records | null);
  'dense'?: (_grove_v1_DenseMatrix | null);
  /**
   * Score the valid rows and report invalid rows one by one instead of failing the request.
   */
  'partial'?: (boolean);
  /**
   * Raw margins instead of transformed predictions.
   */
  'output_margin'?: (boolean);
  'input'?: "records"|"dense";
}

export interface PredictRequest__Output {
  /**
   * Model name, as in the registry (models/<name>/).
   */
  'model': (string);
  /**
   * Empty: routed (the model's default/live version). A number ("3") pins that version; any other
   * text is an alias or label ("stable", "candidate", ...).
   */
  'version': (string);
  /**
   * Echoed in the response and logs; generated when empty.
   */
  'request_id': (string);
  /**
   * Sticky routing key (e.g. a customer id) for canary assignment.
   */
  'routing_key': (string);
  'records'?: (_grove_v1_Records__Output | null);
  'dense'?: (_grove_v1_DenseMatrix__Output | null);
  /**
   * Score the valid rows and report invalid rows one by one instead of failing the request.
   */
  'partial': (boolean);
  /**
   * Raw margins instead of transformed predictions.
   */
  'output_margin': (boolean);
  'input'?: "records"|"dense";
}
