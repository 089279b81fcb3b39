// Original file: proto/grove/v1/prediction.proto

import type { Value as _grove_v1_Value, Value__Output as _grove_v1_Value__Output } from '../../grove/v1/Value.js';

/**
 * A raw record: field name -> value. Goes through the version's feature pipeline (when it has
 * one); otherwise fields are matched to the model's features by name.
 */
export interface Record {
  'fields'?: ({[key: string]: _grove_v1_Value});
}

/**
 * A raw record: field name -> value. Goes through the version's feature pipeline (when it has
 * one); otherwise fields are matched to the model's features by name.
 */
export interface Record__Output {
  'fields': ({[key: string]: _grove_v1_Value__Output});
}
