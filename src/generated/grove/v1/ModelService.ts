// Original file: proto/grove/v1/model.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetModelRequest as _grove_v1_GetModelRequest, GetModelRequest__Output as _grove_v1_GetModelRequest__Output } from '../../grove/v1/GetModelRequest.js';
import type { ListModelsRequest as _grove_v1_ListModelsRequest, ListModelsRequest__Output as _grove_v1_ListModelsRequest__Output } from '../../grove/v1/ListModelsRequest.js';
import type { ListModelsResponse as _grove_v1_ListModelsResponse, ListModelsResponse__Output as _grove_v1_ListModelsResponse__Output } from '../../grove/v1/ListModelsResponse.js';
import type { ModelInfo as _grove_v1_ModelInfo, ModelInfo__Output as _grove_v1_ModelInfo__Output } from '../../grove/v1/ModelInfo.js';
import type { ReloadRequest as _grove_v1_ReloadRequest, ReloadRequest__Output as _grove_v1_ReloadRequest__Output } from '../../grove/v1/ReloadRequest.js';
import type { ReloadResponse as _grove_v1_ReloadResponse, ReloadResponse__Output as _grove_v1_ReloadResponse__Output } from '../../grove/v1/ReloadResponse.js';
import type { RoutingInfo as _grove_v1_RoutingInfo, RoutingInfo__Output as _grove_v1_RoutingInfo__Output } from '../../grove/v1/RoutingInfo.js';
import type { SetRoutingRequest as _grove_v1_SetRoutingRequest, SetRoutingRequest__Output as _grove_v1_SetRoutingRequest__Output } from '../../grove/v1/SetRoutingRequest.js';

/**
 * Registry administration: what is loaded, and reloading from disk.
 */
export interface ModelServiceClient extends grpc.Client {
  GetModel(argument: _grove_v1_GetModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ModelInfo__Output>): grpc.ClientUnaryCall;
  GetModel(argument: _grove_v1_GetModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_ModelInfo__Output>): grpc.ClientUnaryCall;
  GetModel(argument: _grove_v1_GetModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ModelInfo__Output>): grpc.ClientUnaryCall;
  GetModel(argument: _grove_v1_GetModelRequest, callback: grpc.requestCallback<_grove_v1_ModelInfo__Output>): grpc.ClientUnaryCall;
  getModel(argument: _grove_v1_GetModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ModelInfo__Output>): grpc.ClientUnaryCall;
  getModel(argument: _grove_v1_GetModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_ModelInfo__Output>): grpc.ClientUnaryCall;
  getModel(argument: _grove_v1_GetModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ModelInfo__Output>): grpc.ClientUnaryCall;
  getModel(argument: _grove_v1_GetModelRequest, callback: grpc.requestCallback<_grove_v1_ModelInfo__Output>): grpc.ClientUnaryCall;
  
  ListModels(argument: _grove_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _grove_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _grove_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _grove_v1_ListModelsRequest, callback: grpc.requestCallback<_grove_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _grove_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _grove_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _grove_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _grove_v1_ListModelsRequest, callback: grpc.requestCallback<_grove_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Rescans the model root and loads what changed, for all models, one model or one version.
   */
  Reload(argument: _grove_v1_ReloadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ReloadResponse__Output>): grpc.ClientUnaryCall;
  Reload(argument: _grove_v1_ReloadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_ReloadResponse__Output>): grpc.ClientUnaryCall;
  Reload(argument: _grove_v1_ReloadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ReloadResponse__Output>): grpc.ClientUnaryCall;
  Reload(argument: _grove_v1_ReloadRequest, callback: grpc.requestCallback<_grove_v1_ReloadResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Rescans the model root and loads what changed, for all models, one model or one version.
   */
  reload(argument: _grove_v1_ReloadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ReloadResponse__Output>): grpc.ClientUnaryCall;
  reload(argument: _grove_v1_ReloadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_ReloadResponse__Output>): grpc.ClientUnaryCall;
  reload(argument: _grove_v1_ReloadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_ReloadResponse__Output>): grpc.ClientUnaryCall;
  reload(argument: _grove_v1_ReloadRequest, callback: grpc.requestCallback<_grove_v1_ReloadResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Changes a model's routing: set the candidate, start shadow, start or change a canary,
   * promote, roll back, or turn candidate traffic off. Validated (the version must be loaded and
   * ready: FAILED_PRECONDITION otherwise), written to models/<name>/routing.json, audited.
   */
  SetRouting(argument: _grove_v1_SetRoutingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_RoutingInfo__Output>): grpc.ClientUnaryCall;
  SetRouting(argument: _grove_v1_SetRoutingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_RoutingInfo__Output>): grpc.ClientUnaryCall;
  SetRouting(argument: _grove_v1_SetRoutingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_RoutingInfo__Output>): grpc.ClientUnaryCall;
  SetRouting(argument: _grove_v1_SetRoutingRequest, callback: grpc.requestCallback<_grove_v1_RoutingInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Changes a model's routing: set the candidate, start shadow, start or change a canary,
   * promote, roll back, or turn candidate traffic off. Validated (the version must be loaded and
   * ready: FAILED_PRECONDITION otherwise), written to models/<name>/routing.json, audited.
   */
  setRouting(argument: _grove_v1_SetRoutingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_RoutingInfo__Output>): grpc.ClientUnaryCall;
  setRouting(argument: _grove_v1_SetRoutingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_grove_v1_RoutingInfo__Output>): grpc.ClientUnaryCall;
  setRouting(argument: _grove_v1_SetRoutingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_grove_v1_RoutingInfo__Output>): grpc.ClientUnaryCall;
  setRouting(argument: _grove_v1_SetRoutingRequest, callback: grpc.requestCallback<_grove_v1_RoutingInfo__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Registry administration: what is loaded, and reloading from disk.
 */
export interface ModelServiceHandlers extends grpc.UntypedServiceImplementation {
  GetModel: grpc.handleUnaryCall<_grove_v1_GetModelRequest__Output, _grove_v1_ModelInfo>;
  
  ListModels: grpc.handleUnaryCall<_grove_v1_ListModelsRequest__Output, _grove_v1_ListModelsResponse>;
  
  /**
   * Rescans the model root and loads what changed, for all models, one model or one version.
   */
  Reload: grpc.handleUnaryCall<_grove_v1_ReloadRequest__Output, _grove_v1_ReloadResponse>;
  
  /**
   * Changes a model's routing: set the candidate, start shadow, start or change a canary,
   * promote, roll back, or turn candidate traffic off. Validated (the version must be loaded and
   * ready: FAILED_PRECONDITION otherwise), written to models/<name>/routing.json, audited.
   */
  SetRouting: grpc.handleUnaryCall<_grove_v1_SetRoutingRequest__Output, _grove_v1_RoutingInfo>;
  
}

export interface ModelServiceDefinition extends grpc.ServiceDefinition {
  GetModel: MethodDefinition<_grove_v1_GetModelRequest, _grove_v1_ModelInfo, _grove_v1_GetModelRequest__Output, _grove_v1_ModelInfo__Output>
  ListModels: MethodDefinition<_grove_v1_ListModelsRequest, _grove_v1_ListModelsResponse, _grove_v1_ListModelsRequest__Output, _grove_v1_ListModelsResponse__Output>
  Reload: MethodDefinition<_grove_v1_ReloadRequest, _grove_v1_ReloadResponse, _grove_v1_ReloadRequest__Output, _grove_v1_ReloadResponse__Output>
  SetRouting: MethodDefinition<_grove_v1_SetRoutingRequest, _grove_v1_RoutingInfo, _grove_v1_SetRoutingRequest__Output, _grove_v1_RoutingInfo__Output>
}
