/** A small typed client for grove.v1, used by the CLI and the tests (and a model for callers). */
import * as grpc from '@grpc/grpc-js';
import type { PredictionServiceClient } from '../generated/grove/v1/PredictionService.js';
import type { ModelServiceClient } from '../generated/grove/v1/ModelService.js';
import type { PredictRequest } from '../generated/grove/v1/PredictRequest.js';
import type { PredictResponse__Output } from '../generated/grove/v1/PredictResponse.js';
import type { Value } from '../generated/grove/v1/Value.js';
import { loadGroveProto } from '../server/proto.js';
import type { RawRecord } from '../service/records.js';

export interface GroveClients {
  prediction: PredictionServiceClient;
  models: ModelServiceClient;
  close(): void;
}

export function connect(address: string, options: grpc.ChannelOptions = {}): GroveClients {
  const proto = loadGroveProto();
  const creds = grpc.credentials.createInsecure();
  const channelOptions: grpc.ChannelOptions = { 'grpc.max_receive_message_length': 64 * 1024 * 1024, ...options };
  const prediction = new proto.grove.v1.PredictionService(address, creds, channelOptions);
  // Share one channel: the second client reuses the first one's connection.
  const models = new proto.grove.v1.ModelService(address, creds, { ...channelOptions, channelOverride: prediction.getChannel() });
  return {
    prediction,
    models,
    close() {
      prediction.close();
      models.close();
    },
  };
}

/** A raw value as the wire type. */
export function toValue(v: RawRecord[string]): Value {
  if (v === null || v === undefined) return {}; // no kind: missing
  if (typeof v === 'number') return { number: v };
  if (typeof v === 'boolean') return { flag: v };
  return { text: v };
}

export function recordsInput(records: readonly RawRecord[]): Pick<PredictRequest, 'records'> {
  return {
    records: {
      rows: records.map((r) => ({
        fields: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toValue(v)])),
      })),
    },
  };
}

export function predictUnary(
  client: PredictionServiceClient,
  req: PredictRequest,
  options: grpc.CallOptions = {},
): Promise<PredictResponse__Output> {
  return new Promise((resolve, reject) => {
    client.Predict(req, options, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}
