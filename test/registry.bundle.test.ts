/**
 * One bundle: read -> validate -> build -> warm-up -> self-check, and every way a bundle is refused
 * (each with the step and a reason that names the file and the problem).
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Fingerprinter, LoadError, loadBundle, withinTolerance } from '../src/registry/bundle.js';
import { readCsv, readExpected } from './helpers/fixtures.js';
import { encodeRows } from '../src/formats/encode.js';
import { installBundle, removeRoot, tempRoot, type FixtureBundle } from './registry-helpers.js';

let root: string;
beforeEach(() => {
  root = tempRoot();
});
afterEach(() => removeRoot(root));

async function refusal(dir: string, version = 1): Promise<LoadError> {
  try {
    const loaded = await loadBundle(dir, { name: 'm', version }, { engine: 'reference', warmupRounds: 1 });
    loaded.model.dispose();
  } catch (err) {
    expect(err).toBeInstanceOf(LoadError);
    return err as LoadError;
  }
  throw new Error('bundle was accepted');
}

describe('loading a good bundle', () => {
  const cases: [FixtureBundle, string][] = [
    ['xgb-regression', 'xgboost-json'],
    ['lgb-single-tree', 'lightgbm-text'],
    ['xgb-softprob-ubj', 'xgboost-ubjson'],
    ['xgb-logistic-margin', 'xgboost-json'],
  ];
  for (const engine of ['native', 'reference'] as const) {
    for (const [bundle, format] of cases) {
      it(`${bundle} (${engine}): passes its self-check and reproduces expected.csv`, async () => {
        const dir = installBundle(root, 'm', 1, bundle);
        const loaded = await loadBundle(dir, { name: 'm', version: 1 }, { engine });
        try {
          expect(loaded.detectedFormat).toBe(format);
          expect(loaded.fingerprint).toMatch(/^[0-9a-f]{64}$/);
          expect(loaded.model.engine).toBe(engine);
          // independent of the self-check: score the samples again and compare with the library's values
          const samples = readCsv(join(dir, 'samples.csv'));
          const want = readExpected(join(dir, 'expected.csv'));
          const x = encodeRows(loaded.model.ir, samples.header, samples.rows);
          const got = loaded.model.predict(x, samples.rows.length, { outputMargin: bundle === 'xgb-logistic-margin' });
          expect(Array.from(got)).toEqual(Array.from(want.values));
          expect(loaded.sampleRows).toBe(samples.rows.length);
        } finally {
          loaded.model.dispose();
        }
      });
    }
  }
});

describe('refusing a bad bundle', () => {
  it('a truncated model file is refused by the reader, naming the file', async () => {
    const err = await refusal(installBundle(root, 'm', 1, 'corrupt-truncated-model'));
    expect(err.step).toBe('build');
    expect(err.message).toMatch(/^model\.json: /);
  });

  it('a model that does not reproduce expected.csv is refused by the self-check, naming row, column and values', async () => {
    const err = await refusal(installBundle(root, 'm', 1, 'corrupt-wrong-expected'));
    expect(err.step).toBe('self-check');
    expect(err.message).toBe(
      'self-check against expected.csv: 1 of 10 values outside tolerance (rel_tol 1e-12, abs_tol 1e-15); ' +
        'worst: row 3, prediction: got 0.3536025466695166, expected 0.3539561492161861 (abs err 3.54e-4, rel err 9.99e-4)',
    );
  });

  it('the tolerance in the manifest decides', async () => {
    const dir = installBundle(root, 'm', 1, 'corrupt-wrong-expected', (m) => {
      (m.self_check as Record<string, unknown>).rel_tol = 1e-2;
    });
    const loaded = await loadBundle(dir, { name: 'm', version: 1 }, { engine: 'reference' });
    loaded.model.dispose();
  });

  it('an invalid manifest is refused before anything is read', async () => {
    const err = await refusal(
      installBundle(root, 'm', 1, 'xgb-regression', (m) => {
        (m.self_check as Record<string, unknown>).rel_tol = '1e-6';
      }),
    );
    expect(err.step).toBe('validate');
    expect(err.message).toBe('manifest.json: self_check.rel_tol: expected number, got string');
  });

  it('a missing manifest', async () => {
    const dir = installBundle(root, 'm', 1, 'xgb-regression');
    rmSync(join(dir, 'manifest.json'));
    const err = await refusal(dir);
    expect(err.message).toBe('manifest.json: missing');
  });

  it('a manifest whose version is not its directory', async () => {
    const dir = installBundle(root, 'm', 1, 'xgb-regression');
    const err = await refusal(dir, 2);
    expect(err.message).toBe("manifest.json: version: 1 does not match the version directory '2'");
  });

  it('an artifact path that leaves the bundle', async () => {
    const err = await refusal(installBundle(root, 'm', 1, 'xgb-regression', (m) => (m.artifact = '../../model.json')));
    expect(err.message).toBe("manifest.json: artifact: must stay inside the bundle (no '..'), got '../../model.json'");
  });

  it('a named file that does not exist', async () => {
    let err = await refusal(installBundle(root, 'm', 1, 'xgb-regression', (m) => (m.artifact = 'model.ubj')));
    expect(err.message).toBe('model.ubj: artifact file named in manifest.json does not exist');
    err = await refusal(installBundle(root, 'm', 2, 'xgb-regression', (m) => (m.pipeline = 'pipeline.json')), 2);
    expect(err.message).toBe('pipeline.json: pipeline file named in manifest.json does not exist');
    const dir = installBundle(root, 'm', 3, 'xgb-regression');
    rmSync(join(dir, 'expected.csv'));
    err = await refusal(dir, 3);
    expect(err.message).toBe('expected.csv: expected file named in manifest.json does not exist');
  });

  it('a pipeline file that is not a fitted pipeline is refused at build, naming the file', async () => {
    const dir = installBundle(root, 'm', 1, 'xgb-regression', (m) => (m.pipeline = 'pipeline.json'));
    writeFileSync(join(dir, 'pipeline.json'), '{}');
    const err = await refusal(dir);
    expect(err.step).toBe('build');
    expect(err.message).toMatch(/^pipeline\.json: /);
  });

  it('a declared format that is not what the artifact holds', async () => {
    const err = await refusal(installBundle(root, 'm', 1, 'xgb-regression', (m) => (m.format = 'lightgbm-text')));
    expect(err.message).toBe("manifest.json: format: 'lightgbm-text', but model.json holds xgboost-json");
  });

  it('expected.csv with the wrong header for the model outputs', async () => {
    const dir = installBundle(root, 'm', 1, 'xgb-softprob-ubj');
    const text = readFileSync(join(dir, 'expected.csv'), 'utf8').split('\n');
    text[0] = 'class_0,class_1,class_2,class_3';
    writeFileSync(join(dir, 'expected.csv'), text.join('\n'));
    const err = await refusal(dir);
    expect(err.message).toBe(
      "expected.csv: header must be 'prediction_0,prediction_1,prediction_2,prediction_3' for a model with 4 outputs per row, got 'class_0,class_1,class_2,class_3'",
    );
  });

  it('expected.csv with a different number of rows than samples.csv', async () => {
    const dir = installBundle(root, 'm', 1, 'lgb-single-tree');
    appendFileSync(join(dir, 'expected.csv'), '0.5\n');
    const err = await refusal(dir);
    expect(err.message).toBe('expected.csv: has 11 rows, samples.csv has 10');
  });

  it('samples.csv without a feature column, or without rows', async () => {
    const dir = installBundle(root, 'm', 1, 'xgb-regression');
    const lines = readFileSync(join(dir, 'samples.csv'), 'utf8').split('\n');
    writeFileSync(join(dir, 'samples.csv'), lines.map((l) => l.split(',').slice(1).join(',')).join('\n'));
    let err = await refusal(dir);
    expect(err.message).toBe('samples.csv: input: missing required column: x0');
    writeFileSync(join(dir, 'samples.csv'), lines[0] + '\n');
    err = await refusal(dir);
    expect(err.message).toBe('samples.csv: no data rows (the self-check needs at least one)');
  });

  it('a non-number in expected.csv', async () => {
    const dir = installBundle(root, 'm', 1, 'lgb-single-tree');
    const lines = readFileSync(join(dir, 'expected.csv'), 'utf8').split('\n');
    lines[2] = 'abc';
    writeFileSync(join(dir, 'expected.csv'), lines.join('\n'));
    const err = await refusal(dir);
    expect(err.message).toBe("expected.csv: row 2, prediction: 'abc' is not a number");
  });

  it('the native engine failing to build is a build failure, not a crash', async () => {
    // engine names are validated by modelFromIR; an unknown one stands in for "not available"
    const dir = installBundle(root, 'm', 1, 'xgb-regression');
    const err = await loadBundle(dir, { name: 'm', version: 1 }, { engine: 'bogus' as 'native' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect((err as LoadError).step).toBe('build');
    expect((err as LoadError).message).toMatch(/^engine: /);
  });
});

describe('fingerprints', () => {
  it('equal files give equal fingerprints; any changed file changes it', async () => {
    const fp = new Fingerprinter();
    const a = installBundle(root, 'm', 1, 'xgb-regression');
    const b = installBundle(root, 'm', 2, 'xgb-regression', (m) => (m.version = 1)); // same manifest bytes as version 1
    const fa = await fp.fingerprint(a);
    expect(await fp.fingerprint(b)).toBe(fa);
    for (const file of ['manifest.json', 'model.json', 'samples.csv', 'expected.csv']) {
      appendFileSync(join(b, file), ' ');
      const changed = await fp.fingerprint(b);
      expect(changed, file).not.toBe(fa);
      writeFileSync(join(b, file), readFileSync(join(a, file)));
      expect(await fp.fingerprint(b), file).toBe(fa);
    }
  });

  it('matches the fingerprint of the loaded bundle, and exists for broken bundles', async () => {
    const fp = new Fingerprinter();
    const dir = installBundle(root, 'm', 1, 'lgb-single-tree');
    const loaded = await loadBundle(dir, { name: 'm', version: 1 }, { engine: 'reference' });
    loaded.model.dispose();
    expect(await fp.fingerprint(dir)).toBe(loaded.fingerprint);
    rmSync(join(dir, 'model.txt'));
    expect(await fp.fingerprint(dir)).toMatch(/^[0-9a-f]{64}$/);
    expect(await fp.fingerprint(dir)).not.toBe(loaded.fingerprint);
  });
});

describe('tolerance', () => {
  it('is numpy.isclose: |got - want| <= abs_tol + rel_tol * |want|, NaN matches NaN', () => {
    expect(withinTolerance(1.000001, 1, 1e-6, 0)).toBe(true);
    expect(withinTolerance(1.0000011, 1, 1e-6, 0)).toBe(false);
    expect(withinTolerance(1e-10, 0, 0, 1e-9)).toBe(true);
    expect(withinTolerance(NaN, NaN, 0, 0)).toBe(true);
    expect(withinTolerance(NaN, 1, 1, 1)).toBe(false);
    expect(withinTolerance(Infinity, Infinity, 0, 0)).toBe(true);
    expect(withinTolerance(-Infinity, Infinity, 1, 1)).toBe(false);
  });
});
