/**
 * Retraining from the same data and code gives byte-identical pipeline.json and model artifacts
 * (and the same research predictions) as the committed bundles. v1 needs nothing but Node; v2
 * needs Debian's python3-xgboost, which .ci/run installs, so every landed commit proves this.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPython, reproducibleFiles, trainHousePrice } from '../src/train/house-price.js';

const MODELS = join(import.meta.dirname, '..', 'models', 'house-price');
const python = findPython();
const work = mkdtempSync(join(tmpdir(), 'grove-retrain-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function retrainAndCompare(version: number): void {
  const out = join(work, String(version));
  trainHousePrice({ version, out });
  const committed = join(MODELS, String(version));
  for (const f of [...reproducibleFiles(committed), 'research_predictions.csv', 'samples.csv', 'expected.csv']) {
    const a = readFileSync(join(committed, f));
    const b = readFileSync(join(out, f));
    expect(b.equals(a), `${f} differs from the committed models/house-price/${version}/${f}`).toBe(true);
  }
  const m = (dir: string): unknown => (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { training: { metrics: unknown } }).training.metrics;
  expect(m(out)).toEqual(m(committed));
}

describe('retraining reproduces the committed house-price bundles byte for byte', () => {
  it('v1 (pipeline + lasso, all TypeScript)', () => retrainAndCompare(1));
  it.skipIf(python === null)('v2 (pipeline in TypeScript + XGBoost 1.7.4 via python3-xgboost)', () => retrainAndCompare(2), 120_000);
});
