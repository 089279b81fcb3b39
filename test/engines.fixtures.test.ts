/**
 * Every library fixture through the public API, with both engines: the native engine must give
 * the reference engine's margins bit for bit, and both must reproduce the library's own outputs.
 * Prints a table of max abs / rel error per case (the figures quoted in the README).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../src/model.js';
import { encodeRows } from '../src/formats/encode.js';
import type { ModelIR } from '../src/formats/ir.js';
import { FIXTURES, compare, exists, readCsv, readExpected } from './helpers/fixtures.js';

interface Case {
  library: 'xgboost' | 'lightgbm';
  name: string;
  dir: string;
  modelFile: string;
  marginFile: string;
  iterations?: number;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const library of ['xgboost', 'lightgbm'] as const) {
    const root = join(FIXTURES, library);
    if (!exists(root)) continue;
    for (const name of readdirSync(root).sort()) {
      const dir = join(root, name);
      if (!exists(join(dir, 'expected.csv'))) continue;
      if (library === 'xgboost') {
        for (const f of ['model.json', 'model.ubj']) {
          if (exists(join(dir, f))) out.push({ library, name: `${name}/${f}`, dir, modelFile: f, marginFile: 'expected_margin.csv' });
        }
      } else {
        // num-iteration-predict: LightGBM predicted with num_iteration_predict = 57 (see its README).
        const iterations = name === 'num-iteration-predict' ? 57 : undefined;
        out.push({ library, name, dir, modelFile: 'model.txt', marginFile: 'expected_raw.csv', iterations });
      }
    }
  }
  return out;
}

/**
 * XGBoost 1.7 stores no category names; its fixtures were scored with the codes in categories.json,
 * so the same names are supplied here (3.x models carry them and need nothing).
 */
function withCategoryNames(ir: ModelIR, dir: string): ModelIR {
  const file = join(dir, 'categories.json');
  if (!exists(file)) return ir;
  const names = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>;
  const features = ir.features.map((f) => (f.categories === null && names[f.name] ? { ...f, categories: names[f.name] } : f));
  return { ...ir, features };
}

const table: string[] = [];
afterAll(() => {
  if (table.length) console.log(['case | engine | margin max abs | margin max rel | output max abs | output max rel', ...table].join('\n'));
});

function fmt(v: number): string {
  return v === 0 ? '0' : v.toExponential(2);
}

const all = cases();

describe('library fixtures, both engines', () => {
  it('has fixtures to check', () => {
    expect(all.length).toBeGreaterThan(40);
  });

  for (const c of all) {
    it(`${c.library}/${c.name}`, async () => {
      const input = readCsv(join(c.dir, 'input.csv'));
      const wantOut = readExpected(join(c.dir, 'expected.csv'));
      const wantMargin = readExpected(join(c.dir, c.marginFile));
      const models: Model[] = [];
      try {
        const native = await loadModel(join(c.dir, c.modelFile), { engine: 'native' });
        const reference = await loadModel(join(c.dir, c.modelFile), { engine: 'reference' });
        models.push(native, reference);
        const x = encodeRows(withCategoryNames(native.ir, c.dir), input.header, input.rows);
        const rows = input.rows.length;
        const opts = { iterations: c.iterations };
        const mNative = native.predict(x, rows, { ...opts, outputMargin: true });
        const mRef = reference.predict(x, rows, { ...opts, outputMargin: true });
        // Bit-identical: compare the bytes, so -0 vs 0 and NaN payloads count too.
        expect(Buffer.from(mNative.buffer).equals(Buffer.from(mRef.buffer))).toBe(true);
        const oNative = native.predict(x, rows, opts);
        const oRef = reference.predict(x, rows, opts);
        expect(Array.from(oNative)).toEqual(Array.from(oRef));
        // Async (multi-threaded for large batches) gives the same bytes as sync.
        const mAsync = await native.predictAsync(x, rows, { ...opts, outputMargin: true });
        expect(Buffer.from(mAsync.buffer).equals(Buffer.from(mNative.buffer))).toBe(true);

        const em = compare(mNative, wantMargin.values);
        const eo = compare(oNative, wantOut.values);
        table.push(`${c.library}/${c.name} | native=reference | ${fmt(em.maxAbs)} | ${fmt(em.maxRel)} | ${fmt(eo.maxAbs)} | ${fmt(eo.maxRel)}`);
        // float32 libraries: 1e-6 relative; values near zero are judged on an absolute floor of the same size.
        const tol = (e: { maxAbs: number; maxRel: number }): boolean => e.maxRel <= 1e-6 || e.maxAbs <= 1e-6;
        expect(tol(em), `margins: max abs ${em.maxAbs}, max rel ${em.maxRel} at ${em.worst}`).toBe(true);
        expect(tol(eo), `outputs: max abs ${eo.maxAbs}, max rel ${eo.maxRel} at ${eo.worst}`).toBe(true);
      } finally {
        for (const m of models) m.dispose();
      }
    });
  }
});

describe('early stopping: iteration ranges', () => {
  for (const c of all.filter((c) => c.library === 'xgboost' && exists(join(c.dir, 'expected_best.csv')))) {
    it(`${c.name} first best_iteration+1 rounds`, async () => {
      const model = await loadModel(join(c.dir, c.modelFile));
      try {
        const meta = JSON.parse(readFileSync(join(c.dir, 'model.json'), 'utf8')) as {
          learner: { attributes: { best_iteration: string } };
        };
        const iterations = Number(meta.learner.attributes.best_iteration) + 1;
        const input = readCsv(join(c.dir, 'input.csv'));
        const x = encodeRows(withCategoryNames(model.ir, c.dir), input.header, input.rows);
        const got = model.predict(x, input.rows.length, { iterations });
        const want = readExpected(join(c.dir, 'expected_best.csv'));
        const e = compare(got, want.values);
        expect(e.maxRel <= 1e-6 || e.maxAbs <= 1e-6).toBe(true);
        // and truncation matters: all rounds differ from the best-iteration prediction
        expect(compare(model.predict(x, input.rows.length), want.values).maxAbs).toBeGreaterThan(0);
      } finally {
        model.dispose();
      }
    });
  }
});
