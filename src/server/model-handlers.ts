/** grove.v1.ModelService handlers: registry status and reload, translated to the contract. */
import type { Logger } from 'pino';
import { GroveError } from '../errors.js';
import type { ModelServiceHandlers } from '../generated/grove/v1/ModelService.js';
import type { ModelInfo } from '../generated/grove/v1/ModelInfo.js';
import type { VersionInfo } from '../generated/grove/v1/VersionInfo.js';
import type { ModelStatus, Registry } from '../registry/registry.js';
import { toServiceError } from './status.js';

function timestamp(d: Date | null): { seconds: string; nanos: number } | null {
  if (!d) return null;
  const ms = d.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

export function modelInfo(registry: Registry, status: ModelStatus): ModelInfo {
  const versions: VersionInfo[] = status.versions.map((v) => {
    const info: VersionInfo = {
      version: v.version,
      state: v.state,
      labels: v.labels,
      error: v.error ?? '',
      loaded_at: timestamp(v.loadedAt),
      fingerprint: v.fingerprint ?? '',
      in_flight: v.inFlight,
    };
    if (v.state === 'ready') {
      try {
        const lease = registry.acquire(status.name, String(v.version));
        try {
          const { model, manifest } = lease.served;
          Object.assign(info, {
            format: model.formatDetail,
            objective: model.objective,
            num_features: model.numFeatures,
            num_outputs: model.numOutputs,
            feature_names: [...model.featureNames],
            description: manifest.description ?? '',
          });
        } finally {
          lease.release();
        }
      } catch {
        // Unloaded between the status snapshot and now: report what the snapshot had.
      }
    }
    return info;
  });
  return {
    name: status.name,
    versions,
    labels: status.labels,
    problems: status.problems,
    default_version: status.defaultVersion ?? 0,
  };
}

export function modelHandlers(registry: Registry, logger: Logger): ModelServiceHandlers {
  return {
    ListModels(_call, callback) {
      try {
        callback(null, { models: registry.listModels().map((s) => modelInfo(registry, s)) });
      } catch (err) {
        callback(toServiceError(err));
      }
    },
    GetModel(call, callback) {
      try {
        if (!call.request.name) throw new GroveError('INVALID_ARGUMENT', 'name is required', [{ row: null, field: 'name', reason: 'empty' }]);
        callback(null, modelInfo(registry, registry.getModel(call.request.name)));
      } catch (err) {
        callback(toServiceError(err));
      }
    },
    Reload(call, callback) {
      const { model, version } = call.request;
      if (version && !model) {
        callback(toServiceError(new GroveError('INVALID_ARGUMENT', 'a version to reload needs its model', [{ row: null, field: 'model', reason: 'empty while version is set' }])));
        return;
      }
      logger.info({ model: model || '*', version: version || '*' }, 'reload requested');
      registry
        .reload({ model: model || undefined, version: version || undefined })
        .then(
          (outcomes) =>
            callback(null, {
              results: outcomes.map((o) => ({ model: o.name, version: o.version, outcome: o.outcome, reason: o.reason ?? '' })),
            }),
          (err: unknown) => callback(toServiceError(err)),
        );
    },
  };
}
