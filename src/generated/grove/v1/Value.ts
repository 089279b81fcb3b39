// Original file: proto/grove/v1/prediction.proto

import type { NullValue as _google_protobuf_NullValue, NullValue__Output as _google_protobuf_NullValue__Output } from '../../google/protobuf/NullValue.js';

/**
 * One raw input value. Unset `kind` (or null_value) means missing.
 */
export interface Value {
  'number'?: (number | string);
  'text'?: (string);
  'flag'?: (boolean);
  'null_value'?: (_google_protobuf_NullValue);
  'kind'?: "number"|"text"|"flag"|"null_value";
}

/**
 * One raw input value. Unset `kind` (or null_value) means missing.
 */
export interface Value__Output {
  'number'?: (number);
  'text'?: (string);
  'flag'?: (boolean);
  'null_value'?: (_google_protobuf_NullValue__Output);
  'kind'?: "number"|"text"|"flag"|"null_value";
}
