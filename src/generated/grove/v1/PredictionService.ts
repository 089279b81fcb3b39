// Original file: proto/grove/v1/prediction.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { PredictRequest as _grove_v1_PredictRequest, PredictRequest__Output as _grove_v1_PredictRequest__Output } from '../../grove/v1/PredictRequest.js';
import type { PredictResponse as _grove_v1_PredictResponse, PredictResponse__Output as _grove_v1_PredictResponse__Output } from '../../grove/v1/PredictResponse.js';

export interface PredictionServiceClient extends grpc.Client {
  /**
   * Scores one batch of rows. The whole request fails with INVALID_ARGUMENT (with
   * google.rpc.BadRequest details naming each row and field) when any row is invalid, unless
   * `partial` is set: then valid rows are scored and each invalid row carries its own error.
   */
  Predict(argument: _grove_v1_PredictRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  Predict(argument: _grove_v1_PredictRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  Predict(argument: _grove_v1_PredictRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  Predict(argument: _grove_v1_PredictRequest, callback: grpc.requestCallback<_grove_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Scores one batch of rows. The whole request fails with INVALID_ARGUMENT (with
   * google.rpc.BadRequest details naming each row and field) when any row is invalid, unless
   * `partial` is set: then valid rows are scored and each invalid row carries its own error.
   */
  predict(argument: _grove_v1_PredictRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _grove_v1_PredictRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _grove_v1_PredictRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _grove_v1_PredictRequest, callback: grpc.requestCallback<_grove_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Bulk scoring: every request message is a batch, answered by exactly one response, in order.
   * A batch that fails is answered with its `status` set and the stream goes on.
   */
  PredictStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_grove_v1_PredictRequest, _grove_v1_PredictResponse__Output>;
  PredictStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_grove_v1_PredictRequest, _grove_v1_PredictResponse__Output>;
  /**
   * Bulk scoring: every request message is a batch, answered by exactly one response, in order.
   * A batch that fails is answered with its `status` set and the stream goes on.
   */
  predictStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_grove_v1_PredictRequest, _grove_v1_PredictResponse__Output>;
  predictStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_grove_v1_PredictRequest, _grove_v1_PredictResponse__Output>;
  
}

export interface PredictionServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Scores one batch of rows. The whole request fails with INVALID_ARGUMENT (with
   * google.rpc.BadRequest details naming each row and field) when any row is invalid, unless
   * `partial` is set: then valid rows are scored and each invalid row carries its own error.
   */
  Predict: grpc.handleUnaryCall<_grove_v1_PredictRequest__Output, _grove_v1_PredictResponse>;
  
  /**
   * Bulk scoring: every request message is a batch, answered by exactly one response, in order.
   * A batch that fails is answered with its `status` set and the stream goes on.
   */
  PredictStream: grpc.handleBidiStreamingCall<_grove_v1_PredictRequest__Output, _grove_v1_PredictResponse>;
  
}

export interface PredictionServiceDefinition extends grpc.ServiceDefinition {
  Predict: MethodDefinition<_grove_v1_PredictRequest, _grove_v1_PredictResponse, _grove_v1_PredictRequest__Output, _grove_v1_PredictResponse__Output>
  PredictStream: MethodDefinition<_grove_v1_PredictRequest, _grove_v1_PredictResponse, _grove_v1_PredictRequest__Output, _grove_v1_PredictResponse__Output>
}
