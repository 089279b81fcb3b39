// Original file: proto/grove/v1/model.proto

import type { ModelInfo as _grove_v1_ModelInfo, ModelInfo__Output as _grove_v1_ModelInfo__Output } from '../../grove/v1/ModelInfo.js';

export interface ListModelsResponse {
  'models'?: (_grove_v1_ModelInfo)[];
}

export interface ListModelsResponse__Output {
  'models': (_grove_v1_ModelInfo__Output)[];
}
