/** grove.v1.ModelService handlers: registry status and reload, translated to the contract. */
import type { Logger } from 'pino';
import { GroveError } from '../errors.js';
import type { ModelServiceHandlers } from '../generated/grove/v1/ModelService.js';
import type { ModelInfo } from '../generated/grove/v1/ModelInfo.js';
import type { VersionInfo } from '../generated/grove/v1/VersionInfo.js';
import type { ModelStatus, Registry } from '../registry/registry.js';
import type { RoutingChange, Router } from '../routing/router.js';
import type { Routing } from '../routing/state.js';
import type { RoutingInfo } from '../generated/grove/v1/RoutingInfo.js';
import type { SetRoutingRequest__Output } from '../generated/grove/v1/SetRoutingRequest.js';
import type { ShadowRunner } from '../service/shadow-runner.js';
import type { DriftMonitor } from '../monitoring/drift.js';
import { toServiceError } from './status.js';

export interface ModelHandlerDeps {
  registry: Registry;
  router: Router;
  shadow: ShadowRunner | null;
  drift?: DriftMonitor | null;
  logger: Logger;
}

function quantiles(q: Record<string, number>): { level: string; value: number }[] {
  return Object.entries(q).map(([level, value]) => ({ level, value }));
}

export function routingInfo(deps: ModelHandlerDeps, model: string, r: Routing): RoutingInfo {
  const summary = deps.shadow && r.live !== null && r.candidate !== null ? deps.shadow.comparison(model, r.live, r.candidate) : null;
  const qs = deps.shadow?.stats();
  return {
    live: r.live ?? 0,
    candidate: r.candidate ?? 0,
    mode: r.mode,
    weight: r.weight,
    sample_rate: r.sample_rate,
    previous_live: r.previous_live ?? 0,
    audit: r.audit,
    problem: deps.router.problem(model) ?? '',
    shadow: summary
      ? {
          live_version: summary.liveVersion,
          candidate_version: summary.candidateVersion,
          pairs: summary.pairs,
          window: summary.window,
          mean_abs_diff: summary.meanAbsDiff,
          mean_rel_diff: summary.meanRelDiff,
          abs_diff_quantiles: quantiles(summary.absDiffQuantiles),
          rel_diff_quantiles: quantiles(summary.relDiffQuantiles),
          agreement: summary.agreement,
          rel_tolerance: summary.tolerance.rel,
          abs_tolerance: summary.tolerance.abs,
          live_quantiles: quantiles(summary.liveQuantiles),
          candidate_quantiles: quantiles(summary.candidateQuantiles),
          dropped: qs?.dropped ?? 0,
          queue_rows: qs?.depthRows ?? 0,
        }
      : null,
  };
}

function routingChange(req: SetRoutingRequest__Output): RoutingChange {
  switch (req.action) {
    case 'candidate':
      if (!req.candidate) throw new GroveError('INVALID_ARGUMENT', 'candidate: a version number is required', [{ row: null, field: 'candidate', reason: 'must be a positive version' }]);
      return { action: 'candidate', version: req.candidate };
    case 'shadow':
      return { action: 'shadow', sampleRate: req.shadow?.sample_rate ?? undefined };
    case 'canary':
      return { action: 'canary', weight: req.canary ?? 0 };
    case 'promote':
      return { action: 'promote' };
    case 'rollback':
      return { action: 'rollback' };
    case 'off':
      return { action: 'off' };
    default:
      throw new GroveError('INVALID_ARGUMENT', 'an action is required: candidate, shadow, canary, promote, rollback or off', [{ row: null, field: 'action', reason: 'not set' }]);
  }
}

function timestamp(d: Date | null): string {
  return d ? d.toISOString() : '';
}

export function modelInfo(deps: ModelHandlerDeps, status: ModelStatus): ModelInfo {
  const { registry } = deps;
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
          const d = deps.drift?.report(status.name, v.version);
          if (d) {
            info.drift = {
              window_rows: d.windowRows,
              threshold: d.threshold,
              features: d.features.map((f) => ({
                feature: f.feature,
                type: f.type,
                psi: f.psi,
                missing_rate_reference: f.missingRateReference,
                missing_rate_live: f.missingRateLive,
                flagged: f.flagged,
              })),
              prediction_psi: d.prediction?.psi ?? 0,
              prediction_flagged: d.prediction?.flagged ?? false,
            };
          }
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
    routing: routingInfo(deps, status.name, deps.router.routing(status.name)),
  };
}

export function modelHandlers(deps: ModelHandlerDeps): ModelServiceHandlers {
  const { registry, logger, router } = deps;
  return {
    SetRouting(call, callback) {
      const req = call.request;
      let change: RoutingChange;
      try {
        if (!req.model) throw new GroveError('INVALID_ARGUMENT', 'model is required', [{ row: null, field: 'model', reason: 'empty' }]);
        change = routingChange(req);
      } catch (err) {
        callback(toServiceError(err));
        return;
      }
      const actor = req.actor || call.getPeer();
      router.change(req.model, change, actor).then(
        (r) => callback(null, routingInfo(deps, req.model, r)),
        (err: unknown) => callback(toServiceError(err)),
      );
    },
    ListModels(_call, callback) {
      try {
        callback(null, { models: registry.listModels().map((s) => modelInfo(deps, s)) });
      } catch (err) {
        callback(toServiceError(err));
      }
    },
    GetModel(call, callback) {
      try {
        if (!call.request.name) throw new GroveError('INVALID_ARGUMENT', 'name is required', [{ row: null, field: 'name', reason: 'empty' }]);
        callback(null, modelInfo(deps, registry.getModel(call.request.name)));
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
