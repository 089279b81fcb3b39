/**
 * The grove gRPC server: wires the registry and services to grpc-js, health and reflection,
 * and owns the lifecycle (start -> serving -> draining -> stopped).
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import type { Logger } from 'pino';
import { Registry } from '../registry/registry.js';
import { Router } from '../routing/router.js';
import { PredictService, type PredictLimits } from '../service/predict.js';
import { ShadowRunner } from '../service/shadow-runner.js';
import { openPredictionLog, type PredictionLog } from '../monitoring/prediction-log.js';
import { GroveMetrics } from '../monitoring/metrics.js';
import type { ReferenceStats } from '../monitoring/reference-stats.js';
import type { ReloadOutcome, ServedVersion } from '../registry/registry.js';
import { startHttp } from './http.js';
import { fixMapEntryDescriptors } from './reflection-descriptors.js';
import { DriftMonitor, passthroughFields } from '../monitoring/drift.js';
import { renderStatusPage, shadowHistograms, type StatusData } from '../monitoring/status-page.js';
import type { Server as HttpServer } from 'node:http';
import { loadGroveProto, loadPackageDefinition } from './proto.js';
import { predictionHandlers } from './prediction-handlers.js';
import { modelHandlers } from './model-handlers.js';
import { ServerState } from './state.js';

export interface ServerConfig {
  host: string;
  port: number;
  modelRoot: string;
  engine: 'native' | 'reference';
  maxMessageBytes: number;
  maxRows: number;
  pollIntervalMs: number;
  /** How long shutdown waits for in-flight requests before cancelling them. */
  drainTimeoutMs: number;
  /** Prediction log URL: 'sqlite:PATH', 'postgres://...', or 'none'. */
  predictionLog: string;
  /** Store raw inputs in the prediction log (false: only their hash). */
  logInputs: boolean;
  /** Delete prediction-log rows older than this many days (0 = keep). */
  logRetentionDays: number;
  /** Rows the shadow queue may hold before it drops jobs. */
  shadowQueueRows: number;
  /** HTTP port for /metrics and the status page (0 = any free port, -1 = off). */
  metricsPort: number;
  logger: Logger;
}

/** Health service name for the server as a whole (besides the empty name, which means the same). */
export const OVERALL_SERVICE = 'grove.v1.PredictionService';

export class GroveServer {
  readonly state = new ServerState();
  readonly registry: Registry;
  readonly router: Router;
  predictionLog: PredictionLog | null = null;
  shadow: ShadowRunner | null = null;
  readonly metrics = new GroveMetrics();
  readonly drift = new DriftMonitor();
  #http: HttpServer | null = null;
  metricsPort = 0;
  readonly health = new HealthImplementation({ '': 'NOT_SERVING', [OVERALL_SERVICE]: 'NOT_SERVING' });
  #server: grpc.Server;
  #port = 0;
  #knownModels = new Set<string>();

  constructor(private readonly config: ServerConfig) {
    const logger = config.logger;
    this.registry = new Registry({
      root: config.modelRoot,
      logger,
      engine: config.engine,
      pollIntervalMs: config.pollIntervalMs,
      // routing.json is re-read at every reload, and the versions it names stay loaded.
      pinnedVersions: (m) => this.router.pinnedVersions(m),
      beforeReload: () => this.router.loadAll(),
    });
    this.router = new Router(this.registry, config.modelRoot, logger.child({ component: 'routing' }));
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': config.maxMessageBytes,
      'grpc.max_send_message_length': config.maxMessageBytes,
    });
    this.registry.on('change', () => this.#updateHealth());
    this.#wireRegistryMetrics();
  }

  #wireRegistryMetrics(): void {
    const m = this.metrics;
    this.registry.on('reloaded', (outcomes: ReloadOutcome[], seconds: number) => {
      m.reloadSeconds.observe(seconds);
      for (const o of outcomes) {
        m.loads.inc({ model: o.name, version: String(o.version), outcome: o.outcome });
        if (o.outcome === 'unloaded') {
          m.untrackVersion(o.name, o.version);
          this.drift.untrack(o.name, o.version);
        }
      }
    });
    this.registry.on('loaded', (served: ServedVersion, seconds: number) => {
      m.loadSeconds.observe({ model: served.name, version: String(served.version) }, seconds);
      const ref = served.manifest.reference_stats as ReferenceStats | undefined;
      m.trackVersion(served.name, served.version, ref);
      if (ref) {
        try {
          const { pipeline, pipelineSpec } = served.scorer;
          const split = pipeline && pipelineSpec ? passthroughFields(pipelineSpec, pipeline.features) : undefined;
          this.drift.track(served.name, served.version, ref, served.model.ir, split);
        } catch (err) {
          this.config.logger.warn({ model: served.name, version: served.version, err: (err as Error).message }, 'drift monitoring not started for this version');
        }
      }
    });
    m.beforeScrape(() => {
      m.loaded.reset();
      for (const model of this.registry.listModels()) {
        for (const v of model.versions) {
          let format = '';
          if (v.state === 'ready') {
            try {
              const lease = this.registry.acquire(model.name, String(v.version));
              format = lease.served.model.formatDetail;
              lease.release();
            } catch {
              // unloaded in between: no format
            }
          }
          m.loaded.set({ model: model.name, version: String(v.version), state: v.state, format }, 1);
        }
      }
      if (this.shadow) {
        const st = this.shadow.stats();
        m.shadowQueueRows.set(st.depthRows);
        m.shadowDropped.set(st.dropped);
        for (const c of this.shadow.comparisons()) {
          m.shadowAgreement.set({ model: c.model, live: String(c.liveVersion), candidate: String(c.candidateVersion) }, c.agreement);
        }
      }
      m.featurePsi.reset();
      m.predictionPsi.reset();
      m.driftWindowRows.reset();
      for (const d of this.drift.reports()) {
        const labels = { model: d.model, version: String(d.version) };
        m.driftWindowRows.set(labels, d.windowRows);
        for (const f of d.features) m.featurePsi.set({ ...labels, feature: f.feature }, f.psi);
        if (d.prediction) m.predictionPsi.set(labels, d.prediction.psi);
      }
      if (this.predictionLog) {
        const st = this.predictionLog.stats();
        m.logBuffered.set(st.buffered);
        m.logDropped.set(st.dropped);
        m.logWritten.set(st.written);
      }
    });
  }

  /** The status page's data: registry, routing, traffic from the metrics, shadow and drift. */
  async statusData(): Promise<StatusData> {
    const traffic = await this.metrics.versionTraffic();
    return {
      generatedAt: new Date().toISOString(),
      refreshSeconds: 5,
      models: this.registry.listModels().map((m) => {
        const r = this.router.routing(m.name);
        const versions = m.versions.map((v) => {
          const t = traffic.get(`${m.name}\0${v.version}`);
          let format = '';
          if (v.state === 'ready') {
            try {
              const lease = this.registry.acquire(m.name, String(v.version));
              format = lease.served.model.formatDetail;
              lease.release();
            } catch {
              // unloaded in between
            }
          }
          return { version: v.version, state: v.state, error: v.error, format, requests: t?.requests ?? 0, errors: t?.errors ?? 0, latencyP50Ms: t?.p50 ?? null, latencyP99Ms: t?.p99 ?? null };
        });
        const split = m.versions.flatMap((v) => [...(traffic.get(`${m.name}\0${v.version}`)?.byRole ?? new Map<string, number>())].map(([role, requests]) => ({ version: v.version, role, requests })));
        let shadow: StatusData['models'][number]['shadow'] = null;
        if (this.shadow && r.live !== null && r.candidate !== null) {
          const summary = this.shadow.comparison(m.name, r.live, r.candidate);
          const w = this.shadow.windowValues(m.name, r.live, r.candidate);
          if (summary && w) shadow = { ...summary, ...shadowHistograms(w.live, w.candidate) };
        }
        return {
          name: m.name,
          defaultVersion: r.live ?? m.defaultVersion ?? 0,
          routing: { live: r.live, candidate: r.candidate, mode: r.mode, weight: r.weight, sampleRate: r.sample_rate },
          versions,
          traffic: split,
          shadow,
          drift: m.versions.map((v) => this.drift.report(m.name, v.version)).filter((d): d is NonNullable<typeof d> => d !== null),
        };
      }),
    };
  }

  /** What /status.json shows. */
  statusJson(): unknown {
    return {
      generatedAt: new Date().toISOString(),
      phase: this.state.phase,
      models: this.registry.listModels().map((m) => ({
        ...m,
        routing: this.router.routing(m.name),
        shadow: (() => {
          const r = this.router.routing(m.name);
          return this.shadow && r.live !== null && r.candidate !== null ? this.shadow.comparison(m.name, r.live, r.candidate) : null;
        })(),
      })),
      drift: this.drift.reports(),
      shadowQueue: this.shadow?.stats() ?? null,
      predictionLog: this.predictionLog ? { url: this.predictionLog.url, ...this.predictionLog.stats() } : null,
    };
  }
  /** Services need the prediction log, which opens asynchronously: wire them in start(). */
  #addServices(): void {
    const { logger, maxRows, shadowQueueRows } = this.config;
    this.shadow = new ShadowRunner(this.registry, this.predictionLog, logger.child({ component: 'shadow' }), { capacityRows: shadowQueueRows, metrics: this.metrics });
    const limits: PredictLimits = { maxRows, asyncRows: 256 };
    const service = new PredictService({ registry: this.registry, router: this.router, shadow: this.shadow, predictionLog: this.predictionLog, metrics: this.metrics, drift: this.drift, limits });
    const def = loadPackageDefinition();
    const proto = loadGroveProto(def);
    this.#server.addService(proto.grove.v1.PredictionService.service, predictionHandlers(service, this.state, logger, this.metrics));
    this.#server.addService(proto.grove.v1.ModelService.service, modelHandlers({ registry: this.registry, router: this.router, shadow: this.shadow, drift: this.drift, logger }));
    this.health.addToServer(this.#server);
    new ReflectionService(fixMapEntryDescriptors(loadPackageDefinition())).addToServer(this.#server);
  }

  get port(): number {
    return this.#port;
  }

  /** Health: SERVING per model with a ready version; overall SERVING while serving and anything is loaded. */
  #updateHealth(): void {
    const serving = this.state.phase === 'serving';
    const names = new Set(this.registry.listModels().map((m) => m.name));
    for (const name of names) {
      this.health.setStatus(name, serving && this.registry.hasReadyVersion(name) ? 'SERVING' : 'NOT_SERVING');
    }
    for (const gone of this.#knownModels) if (!names.has(gone)) this.health.setStatus(gone, 'NOT_SERVING');
    this.#knownModels = names;
    const overall: ServingStatus = serving && this.registry.hasReadyVersion() ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', overall);
    this.health.setStatus(OVERALL_SERVICE, overall);
  }

  /** Loads the registry, binds the port and starts serving. Returns the bound port. */
  async start(): Promise<number> {
    const { logger, host, port } = this.config;
    if (this.config.predictionLog !== 'none') {
      this.predictionLog = await openPredictionLog(this.config.predictionLog, {
        logger: logger.child({ component: 'prediction-log' }),
        logInputs: this.config.logInputs,
        retentionDays: this.config.logRetentionDays,
      });
    }
    this.#addServices();
    const outcomes = await this.registry.start();
    for (const o of outcomes) {
      if (o.outcome === 'failed') logger.warn({ model: o.name, version: o.version, reason: o.reason }, 'version refused');
    }
    this.#port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      );
    });
    if (this.config.metricsPort >= 0) {
      const http = await startHttp(host, this.config.metricsPort, {
        metrics: () => this.metrics.render(),
        metricsContentType: this.metrics.registry.contentType,
        statusHtml: async () => renderStatusPage(await this.statusData()),
        statusJson: () => this.statusJson(),
      }, logger);
      this.#http = http.server;
      this.metricsPort = http.port;
    }
    this.state.phase = 'serving';
    this.#updateHealth();
    const loaded = this.registry.listModels().flatMap((m) => m.versions.filter((v) => v.state === 'ready').map((v) => `${m.name}/${v.version}`));
    logger.info({ host, port: this.#port, metricsPort: this.metricsPort, models: loaded }, 'grove serving');
    return this.#port;
  }

  /**
   * Graceful stop: health NOT_SERVING, refuse new requests, let in-flight ones finish (up to the
   * drain timeout), then close the transport and release every model.
   */
  async shutdown(): Promise<void> {
    if (this.state.phase === 'draining' || this.state.phase === 'stopped') return;
    const { logger, drainTimeoutMs } = this.config;
    this.state.phase = 'draining';
    this.#updateHealth();
    logger.info({ inFlight: this.state.inFlight }, 'draining');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.state.idle().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) logger.warn({ inFlight: this.state.inFlight }, 'drain timeout: cancelling remaining requests');
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, timedOut ? 0 : 2000);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    await new Promise<void>((resolve) => (this.#http ? this.#http.close(() => resolve()) : resolve()));
    await this.shadow?.queue.idle();
    await this.registry.close();
    await this.predictionLog?.close();
    this.state.phase = 'stopped';
    logger.info('stopped');
  }
}
