/**
 * The bundled registry (./models, what `npm start` serves): every model loads with the native
 * engine, passes its self-check (the served model reproduces the library's own predictions), and
 * has no problems. Includes at least one real XGBoost and one real LightGBM model.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry, type ReloadOutcome } from '../src/registry/registry.js';
import { recordsFromCsv } from '../src/pipeline/index.js';
import { encodeRows } from '../src/formats/encode.js';
import { withinTolerance } from '../src/registry/bundle.js';
import { readCsv, readExpected } from './helpers/fixtures.js';
import { recordingLogger } from './registry-helpers.js';

const MODELS = join(import.meta.dirname, '..', 'models');

describe('bundled models (./models)', () => {
  let registry: Registry;
  let outcomes: ReloadOutcome[];

  beforeAll(async () => {
    registry = new Registry({ root: MODELS, logger: recordingLogger().logger, engine: 'native' });
    outcomes = await registry.start();
  });
  afterAll(() => registry.close());

  it('every bundled version loads and nothing is reported', () => {
    expect(outcomes.length).toBeGreaterThanOrEqual(2);
    for (const o of outcomes) expect(o, `${o.name}/${o.version}: ${o.reason}`).toMatchObject({ outcome: 'loaded', reason: null });
    for (const m of registry.listModels()) {
      expect(m.problems, m.name).toEqual([]);
      expect(m.defaultVersion, m.name).not.toBeNull();
    }
  });

  it('includes a real XGBoost and a real LightGBM model', () => {
    const formats = new Set(
      registry.listModels().map((m) => {
        const lease = registry.acquire(m.name);
        lease.release();
        return lease.served.model.format;
      }),
    );
    expect([...formats]).toEqual(expect.arrayContaining(['xgboost', 'lightgbm']));
  });

  it('each served version reproduces its expected.csv through a lease', async () => {
    for (const m of registry.listModels()) {
      for (const v of m.versions) {
        const lease = registry.acquire(m.name, String(v.version));
        try {
          const { model, scorer, manifest, dir } = lease.served;
          const samples = readCsv(join(dir, manifest.self_check.samples));
          const want = readExpected(join(dir, manifest.self_check.expected));
          // Versions with a feature pipeline take raw records; the others match columns by name.
          const x = scorer.pipeline
            ? scorer.encode(recordsFromCsv(samples.header, samples.rows)).x
            : encodeRows(model.ir, samples.header, samples.rows);
          const got = await scorer.predictAsync(x, samples.rows.length, { outputMargin: manifest.self_check.output_margin ?? false });
          expect(got.length).toBe(want.values.length);
          got.forEach((g, i) =>
            expect(withinTolerance(g, want.values[i], manifest.self_check.rel_tol, manifest.self_check.abs_tol), `${m.name}/${v.version} value ${i}`).toBe(true),
          );
        } finally {
          lease.release();
        }
      }
    }
  });
});
