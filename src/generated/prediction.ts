import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { BatchStatus as _grove_v1_BatchStatus, BatchStatus__Output as _grove_v1_BatchStatus__Output } from './grove/v1/BatchStatus.js';
import type { DenseMatrix as _grove_v1_DenseMatrix, DenseMatrix__Output as _grove_v1_DenseMatrix__Output } from './grove/v1/DenseMatrix.js';
import type { PredictRequest as _grove_v1_PredictRequest, PredictRequest__Output as _grove_v1_PredictRequest__Output } from './grove/v1/PredictRequest.js';
import type { PredictResponse as _grove_v1_PredictResponse, PredictResponse__Output as _grove_v1_PredictResponse__Output } from './grove/v1/PredictResponse.js';
import type { PredictionServiceClient as _grove_v1_PredictionServiceClient, PredictionServiceDefinition as _grove_v1_PredictionServiceDefinition } from './grove/v1/PredictionService.js';
import type { Record as _grove_v1_Record, Record__Output as _grove_v1_Record__Output } from './grove/v1/Record.js';
import type { Records as _grove_v1_Records, Records__Output as _grove_v1_Records__Output } from './grove/v1/Records.js';
import type { RowError as _grove_v1_RowError, RowError__Output as _grove_v1_RowError__Output } from './grove/v1/RowError.js';
import type { Value as _grove_v1_Value, Value__Output as _grove_v1_Value__Output } from './grove/v1/Value.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  grove: {
    v1: {
      BatchStatus: MessageTypeDefinition<_grove_v1_BatchStatus, _grove_v1_BatchStatus__Output>
      DenseMatrix: MessageTypeDefinition<_grove_v1_DenseMatrix, _grove_v1_DenseMatrix__Output>
      PredictRequest: MessageTypeDefinition<_grove_v1_PredictRequest, _grove_v1_PredictRequest__Output>
      PredictResponse: MessageTypeDefinition<_grove_v1_PredictResponse, _grove_v1_PredictResponse__Output>
      PredictionService: SubtypeConstructor<typeof grpc.Client, _grove_v1_PredictionServiceClient> & { service: _grove_v1_PredictionServiceDefinition }
      Record: MessageTypeDefinition<_grove_v1_Record, _grove_v1_Record__Output>
      Records: MessageTypeDefinition<_grove_v1_Records, _grove_v1_Records__Output>
      RowError: MessageTypeDefinition<_grove_v1_RowError, _grove_v1_RowError__Output>
      Value: MessageTypeDefinition<_grove_v1_Value, _grove_v1_Value__Output>
    }
  }
}

