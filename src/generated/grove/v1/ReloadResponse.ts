// Original file: proto/grove/v1/model.proto

import type { ReloadResult as _grove_v1_ReloadResult, ReloadResult__Output as _grove_v1_ReloadResult__Output } from '../../grove/v1/ReloadResult.js';

export interface ReloadResponse {
  'results'?: (_grove_v1_ReloadResult)[];
}

export interface ReloadResponse__Output {
  'results': (_grove_v1_ReloadResult__Output)[];
}
