/**
 * The registry: the manager that reconciles what the scanner says is on disk with what serves.
 *
 *  - Each version has a state (loading | ready | failed | unloading) published as a 'change' event.
 *  - A version is swapped in only after read -> validate -> build -> warm-up -> self-check passed
 *    (bundle.ts). A failed load never replaces what serves: the previous instance keeps serving
 *    and the reason is reported (GetModel `problems`, the reload outcome, one log line).
 *  - Availability-preserving: a version the policy no longer wants (or that left the disk) is
 *    unloaded only once a wanted version is ready.
 *  - Reference-counted leases: `acquire()` is synchronous and hands out a lease on the instance it
 *    found; a replaced or removed instance is disposed only when its last lease is released, so an
 *    in-flight request finishes on the version it started on.
 *  - Reloads are serialized (concurrent calls queue); an optional poll watcher reloads by itself.
 *
 * JavaScript runs one task at a time, so every swap (and every acquire) is atomic by construction:
 * state only changes between awaits, never while a caller holds a half-updated view.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { GroveError } from '../errors.js';
import type { EngineName, Model } from '../model.js';
import { Fingerprinter, LoadError, loadBundle } from './bundle.js';
import type { VersionScorer } from './version-scorer.js';
import type { Manifest } from './manifest.js';
import {
  aspiredVersions,
  DEFAULT_CONFIG,
  describePolicy,
  labelsOf,
  parseSelector,
  type ModelConfig,
} from './policy.js';
import { scanModel, scanRoot, MODEL_NAME_RE, type ScannedModel } from './scanner.js';

export type VersionState = 'loading' | 'ready' | 'failed' | 'unloading';

export interface ServedVersion {
  readonly name: string;
  readonly version: number;
  readonly model: Model;
  /** Pipeline + model + output stage: how requests to this version are scored. */
  readonly scorer: VersionScorer;
  readonly manifest: Manifest;
  readonly dir: string;
  readonly fingerprint: string;
  readonly loadedAt: Date;
}

/** A reference to a served version; the version's model stays alive until every lease is released. */
export interface Lease {
  readonly served: ServedVersion;
  /** Idempotent. */
  release(): void;
}

export interface VersionStatus {
  version: number;
  state: VersionState;
  labels: string[];
  /** Why the last load of this version failed (also set while older files of it keep serving). */
  error: string | null;
  loadedAt: Date | null;
  fingerprint: string | null;
  /** Leases held on this version (including replaced instances of it still finishing requests). */
  inFlight: number;
}

export interface ModelStatus {
  name: string;
  versions: VersionStatus[];
  /** label -> version, as configured (also labels that point at a missing or failed version). */
  labels: Record<string, number>;
  /** Everything an operator should know: broken labels, failed versions, invalid config.json, ... */
  problems: string[];
  /** What `acquire(name)` serves: label 'stable' if ready, else the highest ready version. */
  defaultVersion: number | null;
  /** The version policy in effect, e.g. "latest 1". */
  policy: string;
}

export type ReloadOutcome = {
  name: string;
  version: number;
  outcome: 'loaded' | 'unchanged' | 'failed' | 'unloaded';
  reason: string | null;
};

export interface RegistryOptions {
  /** Repository root: <root>/<name>/<version>/. */
  root: string;
  logger: Logger;
  /** Scoring engine for every model (default native). */
  engine?: EngineName;
  /** Reload by itself every this many milliseconds (0 or absent: no polling). */
  pollIntervalMs?: number;
  /** Warm-up rounds per load (each scores the samples once sync, once async). Default 2. */
  warmupRounds?: number;
  /** How long close() waits for in-flight leases before disposing anyway. Default 30 s. */
  closeTimeoutMs?: number;
  /**
   * Versions that must stay loaded whatever the policy says (e.g. those named by routing.json);
   * asked at every reload of the model.
   */
  pinnedVersions?: (model: string) => readonly number[];
  /**
   * Runs at the start of every reload (in the reload queue), before the rescan: e.g. the router
   * re-reads routing.json so its pinned versions are current for this reload.
   */
  beforeReload?: () => Promise<void>;
}

export interface ReloadScope {
  model?: string;
  version?: number;
}

/** One loaded model instance of one version. */
interface Instance {
  readonly served: ServedVersion;
  leases: number;
  retired: boolean;
  disposed: boolean;
}

interface VersionEntry {
  readonly version: number;
  dir: string;
  state: VersionState;
  /** The instance that serves (state ready), or drains (state unloading). */
  instance: Instance | null;
  error: string | null;
  /** Fingerprint of the files that failed to load (not retried while unchanged). */
  failedFingerprint: string | null;
  /** Why a version the policy no longer wants is still served, or null. */
  retained: string | null;
  readonly log: Logger;
}

interface ModelEntry {
  readonly name: string;
  dir: string;
  config: ModelConfig;
  /** True when `config` came from a config.json (possibly the last valid one). */
  configFromFile: boolean;
  configError: string | null;
  policyProblems: string[];
  ignored: string[];
  onDisk: Set<number>;
  versions: Map<number, VersionEntry>;
  defaultVersion: number | null;
  /** Problems already logged (so polling does not repeat them). */
  logged: Set<string>;
  readonly log: Logger;
}

const SHORT = 12;

export class Registry extends EventEmitter {
  readonly root: string;
  readonly #log: Logger;
  readonly #engine: EngineName;
  readonly #pollIntervalMs: number;
  readonly #warmupRounds: number;
  readonly #closeTimeoutMs: number;
  readonly #pinned: ((model: string) => readonly number[]) | undefined;
  readonly #beforeReload: (() => Promise<void>) | undefined;
  readonly #models = new Map<string, ModelEntry>();
  /** Retired instances still holding leases. */
  readonly #draining = new Set<Instance>();
  readonly #fingerprinter = new Fingerprinter();
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #pollTimer: NodeJS.Timeout | null = null;
  #started = false;
  #closed = false;
  #drainWaiters: (() => void)[] = [];
  #loggedRootIgnored = new Set<string>();

  constructor(opts: RegistryOptions) {
    super();
    this.root = opts.root;
    this.#log = opts.logger.child({ component: 'registry' });
    this.#engine = opts.engine ?? 'native';
    this.#pollIntervalMs = Math.max(0, opts.pollIntervalMs ?? 0);
    this.#warmupRounds = opts.warmupRounds ?? 2;
    this.#closeTimeoutMs = opts.closeTimeoutMs ?? 30_000;
    this.#pinned = opts.pinnedVersions;
    this.#beforeReload = opts.beforeReload;
  }

  // -------------------------------------------------------------------------------------------
  // Public surface

  /** First scan and load. Never throws for a bad bundle (it is reported); throws if the root is not a directory. */
  async start(): Promise<ReloadOutcome[]> {
    if (this.#started) throw new GroveError('FAILED_PRECONDITION', 'registry already started');
    this.#started = true;
    this.#log.info({ root: this.root, engine: this.#engine }, 'registry starting');
    const outcomes = await this.reload();
    const ready = this.listModels().filter((m) => m.defaultVersion !== null).length;
    this.#log.info({ models: this.#models.size, ready, failed: outcomes.filter((o) => o.outcome === 'failed').length }, 'registry started');
    this.#schedulePoll();
    return outcomes;
  }

  /**
   * Rescans (everything, one model, or one version) and loads what changed. Serialized: a call
   * made while another runs waits for it. Unknown model/version in the scope -> NOT_FOUND.
   */
  reload(scope: ReloadScope = {}): Promise<ReloadOutcome[]> {
    if (this.#closed) return Promise.reject(new GroveError('UNAVAILABLE', 'the model registry is shutting down'));
    if (scope.version !== undefined && (!Number.isSafeInteger(scope.version) || scope.version < 1)) {
      return Promise.reject(new GroveError('INVALID_ARGUMENT', `version must be a positive integer, got ${scope.version}`));
    }
    if (scope.version !== undefined && scope.model === undefined) {
      return Promise.reject(new GroveError('INVALID_ARGUMENT', 'a version to reload needs its model name'));
    }
    this.#pending++;
    const run = this.#queue.then(async () => {
      await this.#beforeReload?.();
      const started = performance.now();
      const outcomes = await this.#reloadNow(scope);
      this.emit('reloaded', outcomes, (performance.now() - started) / 1000);
      return outcomes;
    });
    this.#queue = run.catch(() => undefined).finally(() => this.#pending--);
    return run;
  }

  /**
   * SYNCHRONOUS (the hot path). selector: '' / undefined = the default version; digits = that
   * version; anything else = a label. Release the lease when the request is done.
   */
  acquire(model: string, selector?: string): Lease {
    if (this.#closed) throw new GroveError('UNAVAILABLE', 'the model registry is shutting down');
    const m = this.#models.get(model);
    if (!m) throw new GroveError('NOT_FOUND', `model '${model}' not found`);
    const sel = parseSelector(selector);
    let entry: VersionEntry | undefined;
    if (sel.kind === 'default') {
      if (m.defaultVersion === null) throw new GroveError('UNAVAILABLE', this.#noReadyMessage(m));
      entry = m.versions.get(m.defaultVersion);
    } else if (sel.kind === 'version') {
      entry = m.versions.get(sel.version);
      if (!entry || entry.state === 'unloading') throw new GroveError('NOT_FOUND', this.#noVersionMessage(m, sel.version));
      this.#checkServable(m, entry, `model '${model}' version ${sel.version}`);
    } else {
      const v = m.config.labels[sel.label];
      if (v === undefined || !Object.hasOwn(m.config.labels, sel.label)) {
        const labels = Object.keys(m.config.labels).sort();
        throw new GroveError(
          'NOT_FOUND',
          `model '${model}' has no label '${sel.label}' (${labels.length ? `labels: ${labels.join(', ')}` : 'it has no labels'})`,
        );
      }
      entry = m.versions.get(v);
      const what = `label '${sel.label}' of model '${model}' points at version ${v}`;
      if (!entry || entry.state === 'unloading') {
        throw new GroveError('NOT_FOUND', `${what}, which ${m.onDisk.has(v) ? 'is not loaded' : 'is not on disk'}`);
      }
      this.#checkServable(m, entry, `${what}, which`);
    }
    const inst = entry?.instance;
    if (!entry || !inst || entry.state !== 'ready') throw new GroveError('UNAVAILABLE', this.#noReadyMessage(m));
    return this.#lease(inst);
  }

  listModels(): ModelStatus[] {
    return [...this.#models.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((m) => this.#status(m));
  }

  getModel(name: string): ModelStatus {
    const m = this.#models.get(name);
    if (!m) throw new GroveError('NOT_FOUND', `model '${name}' not found`);
    return this.#status(m);
  }

  /** True when `name` (or, without a name, any model) has a version that can serve. */
  hasReadyVersion(name?: string): boolean {
    if (name !== undefined) return (this.#models.get(name)?.defaultVersion ?? null) !== null;
    for (const m of this.#models.values()) if (m.defaultVersion !== null) return true;
    return false;
  }

  /** Stops polling, lets a running reload finish, waits for leases (bounded), disposes every model. */
  async close(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
    await this.#queue;
    for (const m of this.#models.values()) {
      for (const e of m.versions.values()) {
        if (e.instance) {
          e.state = 'unloading';
          this.#retire(e.instance);
        }
      }
    }
    const timeoutMs = opts.timeoutMs ?? this.#closeTimeoutMs;
    if (this.#draining.size > 0) {
      const inFlight = [...this.#draining].reduce((n, i) => n + i.leases, 0);
      this.#log.info({ inFlight, timeoutMs }, 'registry closing: waiting for in-flight requests');
      let timer: NodeJS.Timeout | undefined;
      const drained = new Promise<boolean>((resolve) => this.#drainWaiters.push(() => resolve(true)));
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const ok = await Promise.race([drained, timedOut]);
      clearTimeout(timer);
      if (!ok) {
        const left = [...this.#draining];
        this.#log.warn(
          { leases: left.map((i) => ({ model: i.served.name, version: i.served.version, inFlight: i.leases })) },
          'registry closing: in-flight requests did not finish in time; disposing anyway',
        );
        for (const inst of left) this.#dispose(inst);
      }
    }
    this.#models.clear();
    this.#log.info('registry closed');
    this.emit('change', []);
  }

  /** True while a reload is running or queued. */
  get reloading(): boolean {
    return this.#pending > 0;
  }

  // -------------------------------------------------------------------------------------------
  // Leases

  #lease(inst: Instance): Lease {
    inst.leases++;
    let released = false;
    return {
      served: inst.served,
      release: () => {
        if (released) return;
        released = true;
        inst.leases--;
        if (inst.retired && inst.leases === 0) this.#dispose(inst);
      },
    };
  }

  /** Takes an instance out of service; it is disposed once its last lease is released. */
  #retire(inst: Instance): void {
    if (inst.retired) return;
    inst.retired = true;
    if (inst.leases === 0) this.#dispose(inst);
    else this.#draining.add(inst);
  }

  #dispose(inst: Instance): void {
    if (inst.disposed) return;
    inst.disposed = true;
    this.#draining.delete(inst);
    const { name, version, fingerprint } = inst.served;
    try {
      inst.served.model.dispose();
    } catch (err) {
      this.#log.error({ model: name, version, err: (err as Error).message }, 'dispose failed');
    }
    // A removed version leaves the status once its last instance is gone.
    const m = this.#models.get(name);
    const e = m?.versions.get(version);
    let changed = false;
    if (m && e && e.instance === inst && e.state === 'unloading') {
      m.versions.delete(version);
      changed = true;
    }
    (e?.log ?? this.#log.child({ model: name, version })).info(
      { state: 'unloaded', fingerprint: fingerprint.slice(0, SHORT) },
      'version unloaded',
    );
    if (this.#draining.size === 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of waiters) w();
    }
    if (changed && !this.#closed) this.#changed();
  }

  // -------------------------------------------------------------------------------------------
  // Reconciliation

  async #reloadNow(scope: ReloadScope): Promise<ReloadOutcome[]> {
    if (this.#closed) throw new GroveError('UNAVAILABLE', 'the model registry is shutting down');
    const outcomes: ReloadOutcome[] = [];
    if (scope.model === undefined) {
      const scan = await scanRoot(this.root);
      for (const msg of scan.ignored) {
        if (!this.#loggedRootIgnored.has(msg)) this.#log.warn({ root: this.root }, msg);
      }
      this.#loggedRootIgnored = new Set(scan.ignored);
      for (const scanned of scan.models.values()) outcomes.push(...(await this.#reconcileModel(scanned)));
      for (const name of [...this.#models.keys()]) {
        if (!scan.models.has(name)) outcomes.push(...this.#removeModel(name));
      }
      return outcomes;
    }
    const name = scope.model;
    const scanned = MODEL_NAME_RE.test(name) ? await scanModel(this.root, name) : null;
    if (!scanned) {
      if (this.#models.has(name)) return this.#removeModel(name); // the whole model left the disk
      throw new GroveError('NOT_FOUND', `model '${name}' not found in ${this.root}`);
    }
    if (scope.version !== undefined) {
      const v = scope.version;
      if (!scanned.versions.has(v) && !this.#models.get(name)?.versions.has(v)) {
        const onDisk = [...scanned.versions.keys()].sort((a, b) => a - b);
        throw new GroveError(
          'NOT_FOUND',
          `model '${name}' has no version ${v} (on disk: ${onDisk.length ? onDisk.join(', ') : 'none'})`,
        );
      }
    }
    return this.#reconcileModel(scanned, scope.version);
  }

  #modelEntry(scanned: ScannedModel): ModelEntry {
    let m = this.#models.get(scanned.name);
    if (!m) {
      m = {
        name: scanned.name,
        dir: scanned.dir,
        config: DEFAULT_CONFIG,
        configFromFile: false,
        configError: null,
        policyProblems: [],
        ignored: [],
        onDisk: new Set(),
        versions: new Map(),
        defaultVersion: null,
        logged: new Set(),
        log: this.#log.child({ model: scanned.name }),
      };
      this.#models.set(scanned.name, m);
    }
    return m;
  }

  #versionEntry(m: ModelEntry, version: number, dir: string): VersionEntry {
    let e = m.versions.get(version);
    if (!e) {
      e = {
        version,
        dir,
        state: 'loading',
        instance: null,
        error: null,
        failedFingerprint: null,
        retained: null,
        log: m.log.child({ version }),
      };
      m.versions.set(version, e);
    }
    return e;
  }

  async #reconcileModel(scanned: ScannedModel, onlyVersion?: number): Promise<ReloadOutcome[]> {
    const m = this.#modelEntry(scanned);
    m.dir = scanned.dir;
    if (scanned.configError !== null) {
      m.configError = scanned.configError;
    } else {
      m.configError = null;
      m.config = scanned.config ?? DEFAULT_CONFIG;
      m.configFromFile = scanned.config !== null;
    }
    m.ignored = scanned.ignored;
    m.onDisk = new Set(scanned.versions.keys());
    const pinned = this.#pinned?.(m.name) ?? [];
    const aspired = aspiredVersions(m.config, [...scanned.versions.keys()], pinned);
    m.policyProblems = aspired.problems;
    const wanted = new Set(aspired.versions);
    const outcomes: ReloadOutcome[] = [];

    if (onlyVersion !== undefined && scanned.versions.has(onlyVersion) && !wanted.has(onlyVersion) && !m.versions.has(onlyVersion)) {
      throw new GroveError(
        'FAILED_PRECONDITION',
        `model '${m.name}' version ${onlyVersion} is on disk but not served under its version policy (${describePolicy(m.config.policy)}); ` +
          'name it in config.json (version_policy or labels) to serve it',
      );
    }

    // 1. Load what is wanted, newest first (so the newest becomes available first).
    const reported = new Set<number>();
    for (const v of [...aspired.versions].reverse()) {
      if (onlyVersion !== undefined && v !== onlyVersion) continue;
      outcomes.push(await this.#reconcileVersion(m, v, scanned.versions.get(v)!));
      reported.add(v);
      if (this.#closed) return outcomes;
    }
    const policy = describePolicy(m.config.policy);

    // 2. Availability: nothing the policy chose is ready and nothing else serves (e.g. a fresh
    //    start where the newest version is broken): fall back to the newest older version that
    //    loads, exactly as a running registry would have kept serving it.
    const anyReady = () => [...m.versions.values()].some((e) => e.state === 'ready' && e.instance !== null);
    if (onlyVersion === undefined && aspired.versions.length > 0 && !anyReady()) {
      const candidates = [...scanned.versions.keys()].filter((v) => !wanted.has(v)).sort((a, b) => b - a);
      for (const v of candidates) {
        outcomes.push(await this.#reconcileVersion(m, v, scanned.versions.get(v)!));
        reported.add(v);
        if (this.#closed) return outcomes;
        const e = m.versions.get(v);
        if (e?.state === 'ready') {
          e.retained = `loaded as a fallback: not chosen by the version policy (${policy}), but no chosen version is ready`;
          e.log.warn({ state: e.state, reason: e.retained }, 'version serving as a fallback');
          break;
        }
      }
    }

    // 3. Unload what is no longer wanted, but never the last thing that serves.
    const wantedReady = aspired.versions.some((v) => m.versions.get(v)?.state === 'ready');
    const nothingOnDisk = scanned.versions.size === 0;
    for (const e of [...m.versions.values()].sort((a, b) => a.version - b.version)) {
      if (wanted.has(e.version) || e.state === 'unloading') continue;
      if (onlyVersion !== undefined && e.version !== onlyVersion) continue;
      const onDisk = m.onDisk.has(e.version);
      const why = onDisk ? `not chosen by the version policy (${policy})` : 'removed from disk';
      if (e.instance && e.state === 'ready') {
        if (wantedReady || nothingOnDisk) {
          e.retained = null;
          this.#unloadVersion(m, e, why);
          outcomes.push({ name: m.name, version: e.version, outcome: 'unloaded', reason: why });
        } else if (!reported.has(e.version)) {
          const retained = `${why}, but kept serving because no version chosen to replace it is ready`;
          if (e.retained !== retained) e.log.warn({ state: e.state, reason: retained }, 'version kept serving');
          e.retained = retained;
          outcomes.push({ name: m.name, version: e.version, outcome: 'unchanged', reason: retained });
        }
      } else if (onDisk && !wantedReady && !nothingOnDisk) {
        // a failed fallback attempt: keep it (and its fingerprint) so it is reported and not retried
      } else {
        // failed (or never loaded): nothing to release
        m.versions.delete(e.version);
        const reason = `${why} (it had failed to load: ${e.error ?? 'unknown reason'})`;
        e.log.info({ state: 'unloaded', reason }, 'failed version forgotten');
        if (!reported.has(e.version)) outcomes.push({ name: m.name, version: e.version, outcome: 'unloaded', reason });
      }
    }
    this.#changed();
    this.#logProblems(m);
    return outcomes;
  }

  async #reconcileVersion(m: ModelEntry, v: number, dir: string): Promise<ReloadOutcome> {
    const e = this.#versionEntry(m, v, dir);
    e.dir = dir;
    e.retained = null;
    if (e.state === 'unloading') {
      // It came back before its old instance drained: the old one keeps draining on its own.
      e.instance = null;
      e.state = 'loading';
    }
    const result = (outcome: ReloadOutcome['outcome'], reason: string | null): ReloadOutcome => ({
      name: m.name,
      version: v,
      outcome,
      reason,
    });

    let fingerprint: string | null = null;
    try {
      fingerprint = await this.#fingerprinter.fingerprint(dir);
    } catch (err) {
      e.log.warn({ err: (err as Error).message }, 'cannot fingerprint bundle; loading it');
    }
    if (e.instance && fingerprint !== null && e.instance.served.fingerprint === fingerprint) {
      if (e.error !== null) {
        e.error = null; // the broken files were replaced by the ones that serve
        e.failedFingerprint = null;
      }
      return result('unchanged', null);
    }
    if (fingerprint !== null && e.failedFingerprint === fingerprint && e.error !== null) {
      return result('failed', e.error); // same broken files as last time: not retried
    }

    const replacing = e.instance;
    if (!replacing) {
      e.state = 'loading';
      e.log.info({ state: 'loading', dir }, 'version loading');
      this.#changed();
    } else {
      e.log.info({ state: 'ready', dir, serving: replacing.served.fingerprint.slice(0, SHORT) }, 'version files changed; loading them');
    }

    try {
      const loaded = await loadBundle(dir, { name: m.name, version: v }, { engine: this.#engine, warmupRounds: this.#warmupRounds });
      if (this.#closed) {
        loaded.model.dispose();
        return result('failed', 'the model registry is shutting down');
      }
      const inst: Instance = {
        served: Object.freeze({
          name: m.name,
          version: v,
          model: loaded.model,
          scorer: loaded.scorer,
          manifest: loaded.manifest,
          dir,
          fingerprint: loaded.fingerprint,
          loadedAt: new Date(),
        }),
        leases: 0,
        retired: false,
        disposed: false,
      };
      // The swap: one synchronous step.
      e.instance = inst;
      e.state = 'ready';
      e.error = null;
      e.failedFingerprint = null;
      if (replacing) this.#retire(replacing);
      e.log.info(
        {
          state: 'ready',
          fingerprint: loaded.fingerprint.slice(0, SHORT),
          format: loaded.detectedFormat,
          engine: this.#engine,
          sampleRows: loaded.sampleRows,
          timingsMs: roundTimings(loaded.timings),
          replaced: replacing ? replacing.served.fingerprint.slice(0, SHORT) : undefined,
        },
        replacing ? 'version reloaded' : 'version ready',
      );
      const t = loaded.timings;
      this.emit('loaded', inst.served, (t.readMs + t.buildMs + t.warmupMs + t.selfCheckMs) / 1000);
      this.#changed();
      return result('loaded', null);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const step = err instanceof LoadError ? err.step : 'load';
      e.error = reason;
      e.failedFingerprint = fingerprint;
      if (e.instance) {
        e.log.error(
          { state: 'ready', step, reason, serving: e.instance.served.fingerprint.slice(0, SHORT) },
          'version reload failed; the previously loaded files keep serving',
        );
      } else {
        e.state = 'failed';
        e.log.error({ state: 'failed', step, reason }, 'version failed to load');
      }
      this.#changed();
      return result('failed', reason);
    }
  }

  #unloadVersion(m: ModelEntry, e: VersionEntry, reason: string): void {
    const inst = e.instance;
    e.state = 'unloading';
    e.log.info({ state: 'unloading', reason, inFlight: inst?.leases ?? 0 }, 'version unloading');
    this.#fingerprinter.forget(e.dir);
    if (inst) this.#retire(inst); // may dispose (and delete the entry) right away
    else m.versions.delete(e.version);
  }

  #removeModel(name: string): ReloadOutcome[] {
    const m = this.#models.get(name);
    if (!m) return [];
    const outcomes: ReloadOutcome[] = [];
    m.log.info({ dir: m.dir }, 'model directory removed; unloading the model');
    this.#models.delete(name); // unknown from now on; its instances drain on their own
    for (const e of [...m.versions.values()].sort((a, b) => a.version - b.version)) {
      if (e.state === 'unloading') continue;
      const reason = e.instance ? 'model directory removed from disk' : `model directory removed from disk (it had failed to load: ${e.error ?? 'unknown reason'})`;
      if (e.instance) {
        e.state = 'unloading';
        e.log.info({ state: 'unloading', reason, inFlight: e.instance.leases }, 'version unloading');
        this.#retire(e.instance);
      }
      this.#fingerprinter.forget(e.dir);
      outcomes.push({ name, version: e.version, outcome: 'unloaded', reason });
    }
    this.#changed();
    return outcomes;
  }

  // -------------------------------------------------------------------------------------------
  // Status

  #recomputeDefault(m: ModelEntry): void {
    const stable = m.config.labels.stable;
    if (stable !== undefined && Object.hasOwn(m.config.labels, 'stable') && m.versions.get(stable)?.state === 'ready') {
      m.defaultVersion = stable;
      return;
    }
    let best: number | null = null;
    for (const e of m.versions.values()) {
      if (e.state === 'ready' && e.instance && (best === null || e.version > best)) best = e.version;
    }
    m.defaultVersion = best;
  }

  #changed(): void {
    for (const m of this.#models.values()) this.#recomputeDefault(m);
    if (this.listenerCount('change') > 0) this.emit('change', this.listModels());
  }

  #problems(m: ModelEntry): string[] {
    const out: string[] = [];
    if (m.configError !== null) {
      out.push(`${m.configError} (using ${m.configFromFile ? 'the last valid config.json' : 'the default version policy latest 1'})`);
    }
    out.push(...m.policyProblems);
    for (const [label, v] of Object.entries(m.config.labels).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const e = m.versions.get(v);
      if (!e) continue; // not on disk: already in policyProblems
      if (e.state === 'failed') out.push(`label ${label} -> version ${v}, which failed to load: ${e.error ?? 'unknown reason'}`);
      else if (e.state === 'loading') out.push(`label ${label} -> version ${v}, which is still loading`);
      else if (e.state === 'unloading') out.push(`label ${label} -> version ${v}, which is being unloaded`);
    }
    for (const e of [...m.versions.values()].sort((a, b) => a.version - b.version)) {
      if (e.state === 'failed') out.push(`version ${e.version} failed to load: ${e.error ?? 'unknown reason'}`);
      else if (e.state === 'ready' && e.error !== null && e.instance) {
        out.push(
          `version ${e.version}: its new files failed to load, the previously loaded files (fingerprint ${e.instance.served.fingerprint.slice(0, SHORT)}) keep serving: ${e.error}`,
        );
      }
      if (e.retained !== null) out.push(`version ${e.version}: ${e.retained}`);
    }
    out.push(...m.ignored);
    if (m.onDisk.size === 0) out.push('no version directories on disk');
    else if (m.defaultVersion === null && ![...m.versions.values()].some((e) => e.state === 'loading')) {
      out.push('no version is ready to serve');
    }
    return out;
  }

  #logProblems(m: ModelEntry): void {
    const now = new Set(this.#problems(m));
    for (const p of now) if (!m.logged.has(p)) m.log.warn({ problem: p }, 'model problem');
    m.logged = now;
  }

  #status(m: ModelEntry): ModelStatus {
    const drainingByVersion = new Map<number, number>();
    for (const inst of this.#draining) {
      if (inst.served.name !== m.name) continue;
      const v = inst.served.version;
      if (m.versions.get(v)?.instance === inst) continue; // counted below
      drainingByVersion.set(v, (drainingByVersion.get(v) ?? 0) + inst.leases);
    }
    const versions: VersionStatus[] = [...m.versions.values()]
      .sort((a, b) => a.version - b.version)
      .map((e) => ({
        version: e.version,
        state: e.state,
        labels: labelsOf(m.config, e.version),
        error: e.error,
        loadedAt: e.instance?.served.loadedAt ?? null,
        fingerprint: e.instance?.served.fingerprint ?? null,
        inFlight: (e.instance?.leases ?? 0) + (drainingByVersion.get(e.version) ?? 0),
      }));
    return {
      name: m.name,
      versions,
      labels: { ...m.config.labels },
      problems: this.#problems(m),
      defaultVersion: m.defaultVersion,
      policy: describePolicy(m.config.policy),
    };
  }

  #noReadyMessage(m: ModelEntry): string {
    const states = [...m.versions.values()]
      .sort((a, b) => a.version - b.version)
      .map((e) => `version ${e.version} ${e.state}${e.state === 'failed' && e.error ? `: ${e.error}` : ''}`);
    return `model '${m.name}' has no version ready to serve${states.length ? ` (${states.join('; ')})` : m.onDisk.size === 0 ? ' (no version directories on disk)' : ''}`;
  }

  #noVersionMessage(m: ModelEntry, v: number): string {
    const served = [...m.versions.values()].filter((e) => e.state === 'ready').map((e) => e.version).sort((a, b) => a - b);
    const onDisk = m.onDisk.has(v)
      ? ` (it is on disk, but not served under the version policy ${describePolicy(m.config.policy)})`
      : '';
    return `model '${m.name}' has no version ${v}${onDisk}; served versions: ${served.length ? served.join(', ') : 'none'}`;
  }

  #checkServable(m: ModelEntry, e: VersionEntry, what: string): void {
    if (e.state === 'ready' && e.instance) return;
    if (e.state === 'failed') throw new GroveError('UNAVAILABLE', `${what} failed to load: ${e.error ?? 'unknown reason'}`);
    if (e.state === 'loading') throw new GroveError('UNAVAILABLE', `${what} is still loading`);
    throw new GroveError('UNAVAILABLE', `${what} is not ready (${e.state}) in model '${m.name}'`);
  }

  // -------------------------------------------------------------------------------------------
  // Polling

  #schedulePoll(): void {
    if (this.#pollIntervalMs <= 0 || this.#closed) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = null;
      if (this.#closed) return;
      this.reload()
        .then((outcomes) => {
          const changed = outcomes.filter((o) => o.outcome !== 'unchanged');
          if (changed.length > 0) this.#log.info({ outcomes: changed }, 'poll reload');
          this.emit('poll', outcomes);
        })
        .catch((err: unknown) => {
          if (this.#closed) return;
          this.#log.error({ err: err instanceof Error ? err.message : String(err) }, 'poll reload failed');
          this.emit('poll', []);
        })
        .finally(() => this.#schedulePoll());
    }, this.#pollIntervalMs);
    this.#pollTimer.unref();
  }
}

function roundTimings(t: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(t)) out[k] = Math.round(v * 10) / 10;
  return out;
}
