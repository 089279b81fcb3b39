// Original file: proto/grove/v1/prediction.proto


/**
 * One raw input value. An unset `kind` (or a field left out of the record) means missing.
 * (No well-known types are imported, so reflection-based clients of any language build the
 * descriptors without google/protobuf files.)
 */
export interface Value {
  'number'?: (number | string);
  'text'?: (string);
  'flag'?: (boolean);
  'kind'?: "number"|"text"|"flag";
}

/**
 * One raw input value. An unset `kind` (or a field left out of the record) means missing.
 * (No well-known types are imported, so reflection-based clients of any language build the
 * descriptors without google/protobuf files.)
 */
export interface Value__Output {
  'number'?: (number);
  'text'?: (string);
  'flag'?: (boolean);
  'kind'?: "number"|"text"|"flag";
}
