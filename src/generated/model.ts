import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AuditRecord as _grove_v1_AuditRecord, AuditRecord__Output as _grove_v1_AuditRecord__Output } from './grove/v1/AuditRecord.js';
import type { DriftInfo as _grove_v1_DriftInfo, DriftInfo__Output as _grove_v1_DriftInfo__Output } from './grove/v1/DriftInfo.js';
import type { FeatureDrift as _grove_v1_FeatureDrift, FeatureDrift__Output as _grove_v1_FeatureDrift__Output } from './grove/v1/FeatureDrift.js';
import type { GetModelRequest as _grove_v1_GetModelRequest, GetModelRequest__Output as _grove_v1_GetModelRequest__Output } from './grove/v1/GetModelRequest.js';
import type { ListModelsRequest as _grove_v1_ListModelsRequest, ListModelsRequest__Output as _grove_v1_ListModelsRequest__Output } from './grove/v1/ListModelsRequest.js';
import type { ListModelsResponse as _grove_v1_ListModelsResponse, ListModelsResponse__Output as _grove_v1_ListModelsResponse__Output } from './grove/v1/ListModelsResponse.js';
import type { ModelInfo as _grove_v1_ModelInfo, ModelInfo__Output as _grove_v1_ModelInfo__Output } from './grove/v1/ModelInfo.js';
import type { ModelServiceClient as _grove_v1_ModelServiceClient, ModelServiceDefinition as _grove_v1_ModelServiceDefinition } from './grove/v1/ModelService.js';
import type { Quantile as _grove_v1_Quantile, Quantile__Output as _grove_v1_Quantile__Output } from './grove/v1/Quantile.js';
import type { ReloadRequest as _grove_v1_ReloadRequest, ReloadRequest__Output as _grove_v1_ReloadRequest__Output } from './grove/v1/ReloadRequest.js';
import type { ReloadResponse as _grove_v1_ReloadResponse, ReloadResponse__Output as _grove_v1_ReloadResponse__Output } from './grove/v1/ReloadResponse.js';
import type { ReloadResult as _grove_v1_ReloadResult, ReloadResult__Output as _grove_v1_ReloadResult__Output } from './grove/v1/ReloadResult.js';
import type { RoutingInfo as _grove_v1_RoutingInfo, RoutingInfo__Output as _grove_v1_RoutingInfo__Output } from './grove/v1/RoutingInfo.js';
import type { SetRoutingRequest as _grove_v1_SetRoutingRequest, SetRoutingRequest__Output as _grove_v1_SetRoutingRequest__Output } from './grove/v1/SetRoutingRequest.js';
import type { ShadowAction as _grove_v1_ShadowAction, ShadowAction__Output as _grove_v1_ShadowAction__Output } from './grove/v1/ShadowAction.js';
import type { ShadowSummary as _grove_v1_ShadowSummary, ShadowSummary__Output as _grove_v1_ShadowSummary__Output } from './grove/v1/ShadowSummary.js';
import type { VersionInfo as _grove_v1_VersionInfo, VersionInfo__Output as _grove_v1_VersionInfo__Output } from './grove/v1/VersionInfo.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  grove: {
    v1: {
      AuditRecord: MessageTypeDefinition<_grove_v1_AuditRecord, _grove_v1_AuditRecord__Output>
      DriftInfo: MessageTypeDefinition<_grove_v1_DriftInfo, _grove_v1_DriftInfo__Output>
      FeatureDrift: MessageTypeDefinition<_grove_v1_FeatureDrift, _grove_v1_FeatureDrift__Output>
      GetModelRequest: MessageTypeDefinition<_grove_v1_GetModelRequest, _grove_v1_GetModelRequest__Output>
      ListModelsRequest: MessageTypeDefinition<_grove_v1_ListModelsRequest, _grove_v1_ListModelsRequest__Output>
      ListModelsResponse: MessageTypeDefinition<_grove_v1_ListModelsResponse, _grove_v1_ListModelsResponse__Output>
      ModelInfo: MessageTypeDefinition<_grove_v1_ModelInfo, _grove_v1_ModelInfo__Output>
      /**
       * Registry administration: what is loaded, and reloading from disk.
       */
      ModelService: SubtypeConstructor<typeof grpc.Client, _grove_v1_ModelServiceClient> & { service: _grove_v1_ModelServiceDefinition }
      Quantile: MessageTypeDefinition<_grove_v1_Quantile, _grove_v1_Quantile__Output>
      ReloadRequest: MessageTypeDefinition<_grove_v1_ReloadRequest, _grove_v1_ReloadRequest__Output>
      ReloadResponse: MessageTypeDefinition<_grove_v1_ReloadResponse, _grove_v1_ReloadResponse__Output>
      ReloadResult: MessageTypeDefinition<_grove_v1_ReloadResult, _grove_v1_ReloadResult__Output>
      RoutingInfo: MessageTypeDefinition<_grove_v1_RoutingInfo, _grove_v1_RoutingInfo__Output>
      SetRoutingRequest: MessageTypeDefinition<_grove_v1_SetRoutingRequest, _grove_v1_SetRoutingRequest__Output>
      ShadowAction: MessageTypeDefinition<_grove_v1_ShadowAction, _grove_v1_ShadowAction__Output>
      ShadowSummary: MessageTypeDefinition<_grove_v1_ShadowSummary, _grove_v1_ShadowSummary__Output>
      VersionInfo: MessageTypeDefinition<_grove_v1_VersionInfo, _grove_v1_VersionInfo__Output>
    }
  }
}

