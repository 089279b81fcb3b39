// Original file: proto/grove/v1/prediction.proto

import type { Record as _grove_v1_Record, Record__Output as _grove_v1_Record__Output } from '../../grove/v1/Record.js';

export interface Records {
  'rows'?: (_grove_v1_Record)[];
}

export interface Records__Output {
  'rows': (_grove_v1_Record__Output)[];
}
