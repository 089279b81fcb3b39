// Original file: proto/grove/v1/prediction.proto


/**
 * A reason one row could not be scored.
 */
export interface RowError {
  'row'?: (number);
  'field'?: (string);
  'reason'?: (string);
}

/**
 * A reason one row could not be scored.
 */
export interface RowError__Output {
  'row': (number);
  'field': (string);
  'reason': (string);
}
