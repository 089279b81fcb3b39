// Original file: proto/grove/v1/model.proto


export interface GetModelRequest {
  'name'?: (string);
}

export interface GetModelRequest__Output {
  'name': (string);
}
