// Original file: proto/grove/v1/prediction.proto


/**
 * A dense row-major matrix in the model's feature order (skips the pipeline). NaN = missing.
 */
export interface DenseMatrix {
  'rows'?: (number);
  'cols'?: (number);
  'values'?: (number | string)[];
}

/**
 * A dense row-major matrix in the model's feature order (skips the pipeline). NaN = missing.
 */
export interface DenseMatrix__Output {
  'rows': (number);
  'cols': (number);
  'values': (number)[];
}
