/**
 * Which version answers a request, and which (if any) shadows it: live, canary by sticky key,
 * shadow by sample rate, or a version the caller pinned. Also the only writer of routing.json:
 * every change is validated against the registry (the version must be loaded and ready),
 * written atomically, and recorded as an audit entry.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { GroveError } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { goesToCandidate } from './canary.js';
import { MAX_AUDIT, defaultRouting, describeRouting, readRouting, writeRouting, type Routing } from './state.js';

export type Role = 'live' | 'shadow' | 'canary' | 'pinned';

export interface Decision {
  /** Selector for Registry.acquire ('' = the registry's default). */
  selector: string;
  role: Exclude<Role, 'shadow'>;
  /** Candidate version to shadow this request with, or null. */
  shadow: number | null;
}

export type RoutingChange =
  | { action: 'candidate'; version: number }
  | { action: 'shadow'; sampleRate?: number }
  | { action: 'canary'; weight: number }
  | { action: 'promote' }
  | { action: 'rollback' }
  | { action: 'off' };

export class Router {
  #routing = new Map<string, Routing>();
  #problems = new Map<string, string>();
  /** Serializes changes per model so two operators cannot interleave read-modify-write. */
  #changing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly registry: Registry,
    private readonly root: string,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  /** Reads the routing.json of every model directory under the root. */
  async loadAll(): Promise<void> {
    let names: string[] = [];
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
    } catch (err) {
      this.log.error({ root: this.root, err: (err as Error).message }, 'cannot list the model root for routing');
    }
    await this.load(names);
  }

  /** Reads every model's routing.json (models without one are routed by the registry's default). */
  async load(models: readonly string[]): Promise<void> {
    const next = new Map<string, Routing>();
    const problems = new Map<string, string>();
    for (const name of models) {
      try {
        const r = await readRouting(join(this.root, name));
        if (r) next.set(name, r);
      } catch (err) {
        // A broken routing.json must not take the model down: keep the last good state.
        problems.set(name, (err as Error).message);
        const prev = this.#routing.get(name);
        if (prev) next.set(name, prev);
        this.log.error({ model: name, err: (err as Error).message }, 'routing.json refused; keeping the last good routing');
      }
    }
    this.#routing = next;
    this.#problems = problems;
  }

  routing(model: string): Routing {
    return this.#routing.get(model) ?? defaultRouting();
  }

  problem(model: string): string | null {
    return this.#problems.get(model) ?? null;
  }

  /** Versions the registry must keep loaded for routing: live, candidate, rollback target. */
  pinnedVersions(model: string): number[] {
    const r = this.#routing.get(model);
    if (!r) return [];
    return [r.live, r.candidate, r.previous_live].filter((v): v is number => v !== null);
  }

  decide(model: string, selector: string, routingKey: string): Decision {
    const r = this.#routing.get(model);
    if (selector) {
      if (r && (selector === 'live' || selector === 'stable') && r.live !== null) return { selector: String(r.live), role: 'pinned', shadow: null };
      if (r && selector === 'candidate' && r.candidate !== null) return { selector: String(r.candidate), role: 'pinned', shadow: null };
      return { selector, role: 'pinned', shadow: null };
    }
    if (!r || r.live === null) return { selector: '', role: 'live', shadow: null };
    if (r.candidate !== null && r.mode === 'canary' && goesToCandidate(model, routingKey, r.weight, this.random)) {
      return { selector: String(r.candidate), role: 'canary', shadow: null };
    }
    const shadow = r.candidate !== null && r.mode === 'shadow' && this.random() < r.sample_rate ? r.candidate : null;
    return { selector: String(r.live), role: 'live', shadow };
  }

  #requireReady(model: string, version: number, what: string): void {
    const status = this.registry.getModel(model);
    const v = status.versions.find((x) => x.version === version);
    if (!v) {
      throw new GroveError('FAILED_PRECONDITION', `${what}: version ${version} of '${model}' is not loaded (loaded: ${status.versions.map((x) => x.version).join(', ') || 'none'})`);
    }
    if (v.state !== 'ready') {
      throw new GroveError('FAILED_PRECONDITION', `${what}: version ${version} of '${model}' is ${v.state}${v.error ? `: ${v.error}` : ''}`);
    }
  }

  /** The routing state after `change`, or a FAILED_PRECONDITION/INVALID_ARGUMENT explaining why not. */
  #apply(model: string, cur: Routing, change: RoutingChange): Routing {
    const next: Routing = { ...cur, audit: cur.audit };
    const needCandidate = (what: string): number => {
      if (cur.candidate === null) throw new GroveError('FAILED_PRECONDITION', `${what}: '${model}' has no candidate; set one with 'candidate VERSION' first`);
      this.#requireReady(model, cur.candidate, what);
      return cur.candidate;
    };
    switch (change.action) {
      case 'candidate': {
        this.#requireReady(model, change.version, 'candidate');
        if (change.version === cur.live) throw new GroveError('FAILED_PRECONDITION', `candidate: version ${change.version} is already live`);
        next.candidate = change.version;
        next.mode = 'off';
        next.weight = 0;
        return next;
      }
      case 'shadow': {
        needCandidate('shadow');
        const rate = change.sampleRate ?? 1;
        if (!(rate >= 0 && rate <= 1)) throw new GroveError('INVALID_ARGUMENT', `shadow: sample rate must be in [0, 1], got ${rate}`, [{ row: null, field: 'sample_rate', reason: 'out of [0, 1]' }]);
        next.mode = 'shadow';
        next.sample_rate = rate;
        return next;
      }
      case 'canary': {
        needCandidate('canary');
        if (!(change.weight >= 0 && change.weight <= 100)) throw new GroveError('INVALID_ARGUMENT', `canary: weight must be a percentage in [0, 100], got ${change.weight}`, [{ row: null, field: 'weight', reason: 'out of [0, 100]' }]);
        next.mode = 'canary';
        next.weight = change.weight;
        return next;
      }
      case 'promote': {
        const c = needCandidate('promote');
        next.previous_live = cur.live;
        next.live = c;
        next.candidate = null;
        next.mode = 'off';
        next.weight = 0;
        return next;
      }
      case 'rollback': {
        if (cur.previous_live !== null) {
          this.#requireReady(model, cur.previous_live, 'rollback');
          next.live = cur.previous_live;
          next.candidate = cur.live;
          next.previous_live = null;
          next.mode = 'off';
          next.weight = 0;
          return next;
        }
        if (cur.mode !== 'off') {
          next.mode = 'off';
          next.weight = 0;
          return next;
        }
        throw new GroveError('FAILED_PRECONDITION', `rollback: nothing to roll back for '${model}' (no previous live version, no candidate traffic)`);
      }
      case 'off':
        next.mode = 'off';
        next.weight = 0;
        return next;
    }
  }

  /** Applies a change: validated, written to routing.json atomically, audited. */
  async change(model: string, change: RoutingChange, actor: string): Promise<Routing> {
    const prev = this.#changing.get(model) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(async () => {
      this.registry.getModel(model); // NOT_FOUND for an unknown model
      const cur = this.routing(model);
      const base: Routing = cur.live === null ? { ...cur, live: this.registry.getModel(model).defaultVersion } : cur;
      const next = this.#apply(model, base, change);
      const from = describeRouting(cur);
      const to = describeRouting(next);
      const action = change.action + ('version' in change ? ` ${change.version}` : 'weight' in change ? ` ${change.weight}%` : change.action === 'shadow' ? ` ${next.sample_rate}` : '');
      next.audit = [...cur.audit, { at: new Date().toISOString(), actor: actor || 'unknown', action, from, to }].slice(-MAX_AUDIT);
      await writeRouting(join(this.root, model), next);
      this.#routing.set(model, next);
      this.#problems.delete(model);
      this.log.info({ audit: true, model, actor, action, from, to }, 'routing changed');
      return next;
    });
    this.#changing.set(model, run);
    return run;
  }
}
