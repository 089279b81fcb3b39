/**
 * Helpers for the registry tests: temporary repositories built from the bundles in
 * test/fixtures/bundles, a pino logger that records its lines, and waiting on registry events
 * (never on timers).
 */
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { ModelStatus, Registry } from '../src/registry/registry.js';
import { readModelFile } from '../src/formats/read.js';
import { encodeRows } from '../src/formats/encode.js';
import { readCsv, readExpected } from './helpers/fixtures.js';

export const BUNDLES = join(import.meta.dirname, 'fixtures', 'bundles');

export type FixtureBundle =
  | 'xgb-regression'
  | 'lgb-single-tree'
  | 'xgb-softprob-ubj'
  | 'xgb-logistic-margin'
  | 'corrupt-truncated-model'
  | 'corrupt-wrong-expected';

export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'grove-registry-'));
}

export function removeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/**
 * Installs fixture bundle `from` as <root>/<name>/<version>, with the manifest's name and version
 * rewritten (and `edit` applied to the manifest object). Written to a hidden staging directory and
 * renamed into place, as a deployment should, so a concurrent scan never sees half a bundle.
 */
export function installBundle(
  root: string,
  name: string,
  version: number,
  from: FixtureBundle,
  edit?: (manifest: Record<string, unknown>) => void,
): string {
  const dest = join(root, name, String(version));
  const staging = join(root, name, `.staging-${version}-${process.hrtime.bigint()}`);
  mkdirSync(join(root, name), { recursive: true });
  cpSync(join(BUNDLES, from), staging, { recursive: true });
  const manifestPath = join(staging, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  manifest.name = name;
  manifest.version = version;
  edit?.(manifest);
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  rmSync(dest, { recursive: true, force: true });
  renameSync(staging, dest);
  return dest;
}

/** Overwrites files of an installed bundle in place (what a careless deployment does). */
export function overwriteWith(root: string, name: string, version: number, from: FixtureBundle, files: string[]): void {
  for (const f of files) cpSync(join(BUNDLES, from, f), join(root, name, String(version), f));
}

export function writeConfig(root: string, name: string, config: unknown): void {
  mkdirSync(join(root, name), { recursive: true });
  writeFileSync(join(root, name, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
}

export function removeVersion(root: string, name: string, version: number): void {
  rmSync(join(root, name, String(version)), { recursive: true, force: true });
}

export interface LogLine {
  level: number;
  msg: string;
  model?: string;
  version?: number;
  state?: string;
  reason?: string;
  problem?: string;
  [key: string]: unknown;
}

/** A pino logger whose JSON lines are kept in `lines`. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  // A plain destination: pino calls write() synchronously, so a line is recorded when the call returns.
  const stream = {
    write(chunk: string) {
      for (const l of chunk.split('\n')) if (l.trim()) lines.push(JSON.parse(l) as LogLine);
    },
  };
  const logger = pino({ level: 'debug' }, stream);
  return { logger, lines };
}

/** Resolves with the statuses once `predicate` holds (checked now, then at every 'change' event). */
export function waitForStatus(registry: Registry, predicate: (models: ModelStatus[]) => boolean): Promise<ModelStatus[]> {
  const now = registry.listModels();
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolve) => {
    const onChange = (models: ModelStatus[]) => {
      if (predicate(models)) {
        registry.off('change', onChange);
        resolve(models);
      }
    };
    registry.on('change', onChange);
  });
}

export function versionState(models: ModelStatus[], name: string, version: number): string | undefined {
  return models.find((m) => m.name === name)?.versions.find((v) => v.version === version)?.state;
}

/** A promise that has not settled after `turns` trips through the event loop (no timers). */
export async function stillPending(p: Promise<unknown>, turns = 20): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
  return !settled;
}

export interface FixtureInput {
  x: Float64Array;
  rows: number;
  expected: Float64Array;
  outputMargin: boolean;
}

/** Samples (encoded for the fixture's model) and expected outputs, keyed by the fixture manifest's description. */
export async function fixtureInputs(bundles: FixtureBundle[]): Promise<Map<string, FixtureInput>> {
  const out = new Map<string, FixtureInput>();
  for (const b of bundles) {
    const dir = join(BUNDLES, b);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      description: string;
      artifact: string;
      self_check: { output_margin?: boolean };
    };
    const ir = await readModelFile(join(dir, manifest.artifact));
    const samples = readCsv(join(dir, 'samples.csv'));
    out.set(manifest.description, {
      x: encodeRows(ir, samples.header, samples.rows),
      rows: samples.rows.length,
      expected: readExpected(join(dir, 'expected.csv')).values,
      outputMargin: manifest.self_check.output_margin ?? false,
    });
  }
  return out;
}

export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) return false;
  return true;
}
