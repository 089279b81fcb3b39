// Original file: proto/grove/v1/model.proto


export interface ListModelsRequest {
}

export interface ListModelsRequest__Output {
}
