/** The grove.v1 contract loaded at run time from proto/, with the generated TypeScript types. */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { ProtoGrpcType as PredictionProto } from '../generated/prediction.js';
import type { ProtoGrpcType as ModelProto } from '../generated/model.js';

/** proto/ sits at the package root: two levels above src/server and dist/server alike. */
export const PROTO_DIR = join(import.meta.dirname, '..', '..', 'proto');

/** Must match scripts/gen-proto.sh so the generated types describe what is decoded. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export const PROTO_FILES = ['grove/v1/prediction.proto', 'grove/v1/model.proto'];

export function loadPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
}

export type GroveProto = PredictionProto & ModelProto;

export function loadGroveProto(def = loadPackageDefinition()): GroveProto {
  return grpc.loadPackageDefinition(def) as unknown as GroveProto;
}

/** protobufjs types for google.rpc.Status / BadRequest, encoded into `grpc-status-details-bin`. */
export function loadRpcTypes(): { Status: protobuf.Type; BadRequest: protobuf.Type } {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(PROTO_DIR, target));
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
  return { Status: root.lookupType('google.rpc.Status'), BadRequest: root.lookupType('google.rpc.BadRequest') };
}
