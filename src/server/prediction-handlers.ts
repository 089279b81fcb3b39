/** grove.v1.PredictionService handlers: decode -> PredictService -> encode. Nothing else. */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { GroveError } from '../errors.js';
import type { PredictionServiceHandlers } from '../generated/grove/v1/PredictionService.js';
import type { PredictRequest__Output } from '../generated/grove/v1/PredictRequest.js';
import type { PredictResponse } from '../generated/grove/v1/PredictResponse.js';
import type { Value__Output } from '../generated/grove/v1/Value.js';
import type { CancelSignal, PredictCall, PredictInput, PredictResult, PredictService } from '../service/predict.js';
import type { RawRecord, RawValue } from '../service/records.js';
import { grpcCode, toServiceError, violationField } from './status.js';
import type { ServerState } from './state.js';
import type { GroveMetrics } from '../monitoring/metrics.js';

function decodeValue(v: Value__Output | undefined): RawValue {
  switch (v?.kind) {
    case 'number':
      return v.number ?? null;
    case 'text':
      return v.text ?? null;
    case 'flag':
      return v.flag ?? null;
    default:
      return null;
  }
}

function decodeInput(req: PredictRequest__Output): PredictInput | null {
  if (req.input === 'records' && req.records) {
    const records: RawRecord[] = req.records.rows.map((row) => {
      const rec: Record<string, RawValue> = {};
      for (const [k, v] of Object.entries(row.fields)) rec[k] = decodeValue(v);
      return rec;
    });
    return { kind: 'records', records };
  }
  if (req.input === 'dense' && req.dense) {
    return { kind: 'dense', rows: req.dense.rows, cols: req.dense.cols, values: req.dense.values };
  }
  return null;
}

/** Deadline and cancellation, read when the service asks (no timer per request). */
function callSignal(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): CancelSignal {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return {
    get aborted() {
      return call.cancelled || (Number.isFinite(ms) && Date.now() >= ms);
    },
    get reason() {
      return call.cancelled
        ? new GroveError('CANCELLED', 'request cancelled by the client')
        : new GroveError('DEADLINE_EXCEEDED', 'deadline exceeded before the request was scored');
    },
  };
}

export function toCall(req: PredictRequest__Output, signal?: CancelSignal): PredictCall {
  return {
    model: req.model,
    version: req.version,
    requestId: req.request_id,
    routingKey: req.routing_key,
    input: decodeInput(req),
    partial: req.partial,
    outputMargin: req.output_margin,
    signal,
  };
}

function encodeResult(r: PredictResult): PredictResponse {
  return {
    model: r.model,
    version: r.version,
    request_id: r.requestId,
    rows: r.rows,
    num_outputs: r.numOutputs,
    // proto-loader's serializer runs fromObject, which insists on a plain array.
    values: Array.from(r.values),
    errors: r.errors.map((e) => ({ row: e.row ?? 0, field: e.field, reason: e.reason })),
    role: r.role,
  };
}

export function predictionHandlers(service: PredictService, state: ServerState, logger: Logger, metrics?: GroveMetrics): PredictionServiceHandlers {
  return {
    Predict(call, callback) {
      const started = process.hrtime.bigint();
      if (!state.accepting()) {
        callback(toServiceError(new GroveError('UNAVAILABLE', `server is ${state.phase}`)));
        return;
      }
      const done = state.begin();
      if (logger.isLevelEnabled('debug')) {
        logger.debug({ requestId: call.request.request_id, model: call.request.model }, 'predict received');
      }
      service.predict(toCall(call.request, callSignal(call))).then(
        (result) => {
          done();
          callback(null, encodeResult(result));
          result.followUp();
          if (logger.isLevelEnabled('debug')) {
            logger.debug({ requestId: result.requestId, model: result.model, version: result.version, rows: result.rows, us: Number(process.hrtime.bigint() - started) / 1e3 }, 'predict');
          }
        },
        (err: unknown) => {
          done();
          const e = GroveError.from(err);
          metrics?.observeRefused(call.request.model, e.code);
          if (e.code === 'INTERNAL') logger.error({ err, requestId: call.request.request_id, model: call.request.model }, 'predict failed');
          else logger.debug({ code: e.code, reason: e.message, requestId: call.request.request_id, model: call.request.model }, 'predict refused');
          callback(toServiceError(e));
        },
      );
    },

    PredictStream(call) {
      // One batch at a time: read, score, write, and only then read the next. Responses stay in
      // order, and a slow reader pauses the stream instead of making the server buffer.
      const queue: PredictRequest__Output[] = [];
      let busy = false;
      let ended = false;
      const signal = callSignal(call);
      const finishIfDone = (): void => {
        if (ended && !busy && queue.length === 0) call.end();
      };
      const pump = async (): Promise<void> => {
        if (busy) return;
        busy = true;
        while (queue.length > 0 && !call.cancelled) {
          const req = queue.shift()!;
          let response: PredictResponse;
          if (!state.accepting()) {
            response = { request_id: req.request_id, status: { code: grpc.status.UNAVAILABLE, message: `server is ${state.phase}`, violations: [] } };
          } else {
            const done = state.begin();
            let followUp: (() => void) | null = null;
            try {
              const result = await service.predict(toCall(req, signal));
              response = encodeResult(result);
              followUp = result.followUp;
            } catch (err) {
              const e = GroveError.from(err);
              metrics?.observeRefused(req.model, e.code);
              if (e.code === 'INTERNAL') logger.error({ err, model: req.model }, 'stream batch failed');
              response = {
                model: req.model,
                request_id: req.request_id,
                status: {
                  code: grpcCode(e.code),
                  message: e.code === 'INTERNAL' ? 'internal error' : e.message,
                  violations: e.violations.map((v) => ({ row: v.row ?? 0, field: violationField(v), reason: v.reason })),
                },
              };
            } finally {
              done();
            }
            if (followUp && !call.cancelled) {
              const f = followUp;
              setImmediate(f);
            }
          }
          if (call.cancelled) break;
          if (!call.write(response)) {
            await new Promise<void>((resolve) => {
              const go = (): void => {
                call.off('drain', go);
                call.off('cancelled', go);
                resolve();
              };
              call.on('drain', go);
              call.on('cancelled', go);
            });
          }
        }
        busy = false;
        if (queue.length === 0) call.resume();
        finishIfDone();
      };
      call.on('data', (req: PredictRequest__Output) => {
        queue.push(req);
        call.pause();
        void pump();
      });
      call.on('end', () => {
        ended = true;
        finishIfDone();
      });
      call.on('error', (err) => logger.debug({ err }, 'stream error'));
    },
  };
}
