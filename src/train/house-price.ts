/**
 * Training the house-price models into registry bundles, reproducibly.
 *
 * research = this file: split train.csv with a fixed seed, fit the feature pipeline in TypeScript
 * (the same code production runs), train the model (lasso here, XGBoost through a small Python
 * script), and record the library's own predictions for every row of train.csv and test.csv.
 * The bundle then carries the pipeline, the model, the input schema, reference statistics and
 * samples with expected outputs, so production can prove at every load that it reproduces research.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { compilePipeline, fitPipeline, recordsFromCsv, serializePipeline, type CompiledPipeline, type PipelineSpec } from '../pipeline/index.js';
import { serializeGroveLinear, readGroveLinear } from '../formats/linear.js';
import { modelFromIR } from '../model.js';
import { computeReferenceStats } from '../monitoring/reference-stats.js';
import type { RawRecord } from '../service/records.js';
import { fitLasso } from './lasso.js';
import { sklearnTrainTestSplit } from './split.js';

/** Where the repository's files are, from src/train or dist/train alike. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export interface Recipe {
  version: number;
  description: string;
  spec: string;
  model:
    | { kind: 'lasso'; alpha: number; tol: number; max_iter: number }
    | { kind: 'xgboost'; num_boost_round: number; params: Record<string, string | number> };
}

/** The house-price models, by registry version. */
export const RECIPES: Record<number, Recipe> = {
  1: {
    version: 1,
    description:
      'House prices v1 (production): the course pipeline (imputation, elapsed years, log, binarize, quality mappings, rare labels, target-ordered encoding, min-max scaling) and a lasso on log(SalePrice); outputs dollars.',
    spec: 'house-price-v1.json',
    model: { kind: 'lasso', alpha: 0.001, tol: 1e-4, max_iter: 1000 },
  },
  2: {
    version: 2,
    description:
      'House prices v2 (candidate): XGBoost, 10 features (areas, quality, elapsed remodel years, basement quality), depth 3, on raw dollars; outputs dollars.',
    spec: 'house-price-v2.json',
    model: {
      kind: 'xgboost',
      num_boost_round: 300,
      params: { objective: 'reg:squarederror', max_depth: 3, eta: 0.05, subsample: 1, tree_method: 'hist', seed: 0, nthread: 1 },
    },
  },
};

/** scikit-learn's train_test_split(test_size=0.1, random_state=0), reproduced exactly (src/train/split.ts). */
export const SPLIT = { method: 'sklearn.model_selection.train_test_split', holdout_fraction: 0.1, seed: 0 };
const TARGET = 'SalePrice';
const SAMPLE_ROWS = 20;

export interface TrainOptions {
  version: number;
  /** Bundle directory to write (models/house-price/<version>). */
  out: string;
  dataDir?: string;
  python?: string;
  log?: (line: string) => void;
}

export interface TrainResult {
  dir: string;
  metrics: { rmse: number; r2: number; rmse_log: number };
  rejected: { train: number; test: number };
}

interface Table {
  header: string[];
  rows: string[][];
}

function readTable(path: string): Table {
  const records = parse(readFileSync(path), { bom: true, skip_empty_lines: true }) as string[][];
  return { header: records[0], rows: records.slice(1) };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** A python3 that imports xgboost: $GROVE_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH. */
export function findPython(explicit?: string): string | null {
  const candidates = [explicit, process.env.GROVE_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import xgboost'], { stdio: 'ignore' });
    if (r.status === 0) return c;
  }
  return null;
}

function metrics(pred: ArrayLike<number>, truth: ArrayLike<number>): { rmse: number; r2: number; rmse_log: number } {
  let se = 0;
  let seLog = 0;
  let mean = 0;
  for (let i = 0; i < truth.length; i++) mean += truth[i];
  mean /= truth.length;
  let ss = 0;
  for (let i = 0; i < truth.length; i++) {
    se += (pred[i] - truth[i]) ** 2;
    seLog += (Math.log(pred[i]) - Math.log(truth[i])) ** 2;
    ss += (truth[i] - mean) ** 2;
  }
  return { rmse: Math.sqrt(se / truth.length), r2: 1 - se / ss, rmse_log: Math.sqrt(seLog / truth.length) };
}

function writeF64(path: string, values: ArrayLike<number>): void {
  const a = Float64Array.from(values);
  writeFileSync(path, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Trains the model on the transformed matrix; returns the artifact text and a scorer for any matrix. */
function trainModel(
  recipe: Recipe,
  features: readonly string[],
  xTrain: Float64Array,
  yTrain: Float64Array,
  xPredict: Float64Array,
  python: string | undefined,
  log: (l: string) => void,
): { artifactName: string; artifact: string; predictions: Float64Array; library: Record<string, string> } {
  const cols = features.length;
  const n = yTrain.length;
  const m = xPredict.length / cols;
  if (recipe.model.kind === 'lasso') {
    const fit = fitLasso(xTrain, yTrain, n, cols, { alpha: recipe.model.alpha, tol: recipe.model.tol, maxIter: recipe.model.max_iter });
    log(`lasso: ${fit.iterations} iterations, duality gap ${fit.dualGap.toExponential(2)}, ${Array.from(fit.coefficients).filter((c) => c !== 0).length} of ${cols} coefficients non-zero`);
    if (!fit.converged) throw new Error(`lasso did not converge in ${recipe.model.max_iter} iterations`);
    const artifact = serializeGroveLinear(features, fit.coefficients, fit.intercept);
    // Research predictions through the same scorer production uses for grove-linear.
    const model = modelFromIR(readGroveLinear(artifact, 'linear.json'), { engine: 'reference' });
    const predictions = model.predict(xPredict, m);
    model.dispose();
    return { artifactName: 'linear.json', artifact, predictions, library: { grove_lasso: 'coordinate descent (src/train/lasso.ts)' } };
  }
  const py = findPython(python);
  if (!py) throw new Error('training an XGBoost model needs python3 with xgboost (Debian: apt-get install python3-xgboost)');
  const work = mkdtempSync(join(tmpdir(), 'grove-train-'));
  try {
    writeFileSync(
      join(work, 'params.json'),
      JSON.stringify({ params: recipe.model.params, num_boost_round: recipe.model.num_boost_round, train_rows: n, predict_rows: m, cols, feature_names: features }),
    );
    writeF64(join(work, 'x_train.f64'), xTrain);
    writeF64(join(work, 'y_train.f64'), yTrain);
    writeF64(join(work, 'x_predict.f64'), xPredict);
    const r = spawnSync(py, [join(REPO_ROOT, 'research', 'train_xgboost.py'), work], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`research/train_xgboost.py failed: ${r.stderr || r.error?.message}`);
    const buf = readFileSync(join(work, 'predict.f64'));
    const predictions = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const versions = JSON.parse(readFileSync(join(work, 'versions.json'), 'utf8')) as Record<string, string>;
    log(`xgboost ${versions.xgboost}: ${recipe.model.num_boost_round} rounds trained`);
    return { artifactName: 'model.json', artifact: readFileSync(join(work, 'model.json'), 'utf8'), predictions, library: versions };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Transforms records, keeping the rows that pass the pipeline's checks. */
function transformValid(pipeline: CompiledPipeline, records: readonly RawRecord[]): {
  x: Float64Array;
  kept: number[];
  errors: Map<number, string>;
} {
  const t = pipeline.transform(records);
  const errors = new Map<number, string>();
  for (const v of t.violations) {
    const prev = errors.get(v.row ?? -1);
    errors.set(v.row ?? -1, (prev ? prev + '; ' : '') + `${v.field}: ${v.reason}`);
  }
  const kept: number[] = [];
  for (let r = 0; r < records.length; r++) if (!t.invalidRows.has(r)) kept.push(r);
  const w = pipeline.features.length;
  const x = new Float64Array(kept.length * w);
  kept.forEach((r, i) => x.set(t.x.subarray(r * w, (r + 1) * w), i * w));
  return { x, kept, errors };
}

export function trainHousePrice(opts: TrainOptions): TrainResult {
  const log = opts.log ?? (() => undefined);
  const recipe = RECIPES[opts.version];
  if (!recipe) throw new Error(`no recipe for house-price version ${opts.version} (known: ${Object.keys(RECIPES).join(', ')})`);
  const dataDir = opts.dataDir ?? join(REPO_ROOT, 'data', 'house-prices');
  const trainPath = join(dataDir, 'train.csv');
  const testPath = join(dataDir, 'test.csv');
  const train = readTable(trainPath);
  const test = readTable(testPath);
  const allTrain = recordsFromCsv(train.header, train.rows);
  const allTest = recordsFromCsv(test.header, test.rows);
  const targetAll = allTrain.map((r, i) => {
    const v = r[TARGET];
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`train.csv row ${i + 1}: ${TARGET} must be a positive number`);
    return v;
  });

  const split = sklearnTrainTestSplit(allTrain.length, SPLIT.holdout_fraction, SPLIT.seed);
  const fitRows = split.train.map((i) => allTrain[i]);
  const fitTarget = split.train.map((i) => targetAll[i]);
  const spec = JSON.parse(readFileSync(join(REPO_ROOT, 'src', 'pipeline', 'specs', recipe.spec), 'utf8')) as PipelineSpec;
  const fitted = fitPipeline(spec, fitRows, fitTarget);
  const pipelineText = serializePipeline(fitted);
  const pipeline = compilePipeline(fitted);
  log(`pipeline ${recipe.spec}: ${pipeline.features.length} model features`);

  // Fit rows must all pass the pipeline fitted on them.
  const fitX = transformValid(pipeline, fitRows);
  if (fitX.kept.length !== fitRows.length) {
    const [row, why] = [...fitX.errors.entries()][0];
    throw new Error(`training row ${split.train[row] + 1} fails the pipeline fitted on it: ${why}`);
  }
  const yTrain = pipeline.transformTarget(fitTarget);

  // Rows to predict: every train.csv row (train + hold-out) and every test.csv row that passes.
  const trainAll = transformValid(pipeline, allTrain);
  const testAll = transformValid(pipeline, allTest);
  const xPredict = new Float64Array(trainAll.x.length + testAll.x.length);
  xPredict.set(trainAll.x, 0);
  xPredict.set(testAll.x, trainAll.x.length);
  const trained = trainModel(recipe, pipeline.features, fitX.x, yTrain, xPredict, opts.python, log);
  const predicted = pipeline.inverseTarget(trained.predictions);
  const predTrain = new Map<number, number>();
  trainAll.kept.forEach((r, i) => predTrain.set(r, predicted[i]));
  const predTest = new Map<number, number>();
  testAll.kept.forEach((r, i) => predTest.set(r, predicted[trainAll.kept.length + i]));

  const holdout = split.holdout.filter((i) => predTrain.has(i));
  const m = metrics(holdout.map((i) => predTrain.get(i)!), holdout.map((i) => targetAll[i]));
  log(`hold-out (${holdout.length} rows): RMSE $${m.rmse.toFixed(0)}, R2 ${m.r2.toFixed(4)}, RMSE(log) ${m.rmse_log.toFixed(4)}`);

  // The bundle.
  const dir = opts.out;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, trained.artifactName), trained.artifact);
  writeFileSync(join(dir, 'pipeline.json'), pipelineText);

  const fields = Object.keys(pipeline.inputSchema.fields);
  const idCol = train.header.indexOf('Id');
  const cell = (t: Table, row: number, name: string): string => {
    const j = t.header.indexOf(name);
    return j < 0 ? '' : t.rows[row][j];
  };
  const sampleIdx = holdout.slice(0, SAMPLE_ROWS);
  writeFileSync(join(dir, 'samples.csv'), [fields.join(','), ...sampleIdx.map((i) => fields.map((f) => csvCell(cell(train, i, f))).join(','))].join('\n') + '\n');
  writeFileSync(join(dir, 'expected.csv'), ['prediction', ...sampleIdx.map((i) => String(predTrain.get(i)))].join('\n') + '\n');

  // Research's predictions for every row, for the research <-> production check.
  const lines = ['Id,split,prediction,error'];
  const holdoutSet = new Set(split.holdout);
  allTrain.forEach((_, i) => {
    const p = predTrain.get(i);
    lines.push([train.rows[i][idCol], holdoutSet.has(i) ? 'holdout' : 'train', p === undefined ? '' : String(p), csvCell(trainAll.errors.get(i) ?? '')].join(','));
  });
  const testId = test.header.indexOf('Id');
  allTest.forEach((_, i) => {
    const p = predTest.get(i);
    lines.push([test.rows[i][testId], 'test', p === undefined ? '' : String(p), csvCell(testAll.errors.get(i) ?? '')].join(','));
  });
  writeFileSync(join(dir, 'research_predictions.csv'), lines.join('\n') + '\n');

  const referencePredictions = split.train.map((i) => predTrain.get(i)!);
  const manifest = {
    schema_version: 1,
    name: 'house-price',
    version: recipe.version,
    artifact: trained.artifactName,
    format: trained.artifactName === 'linear.json' ? 'grove-linear' : 'xgboost-json',
    pipeline: 'pipeline.json',
    description: recipe.description,
    self_check: { samples: 'samples.csv', expected: 'expected.csv', rel_tol: 1e-9, abs_tol: 1e-6 },
    training: {
      command: `grove train house-price --version ${recipe.version}`,
      data: { train: { file: 'data/house-prices/train.csv', sha256: sha256(trainPath), rows: allTrain.length }, test: { file: 'data/house-prices/test.csv', sha256: sha256(testPath), rows: allTest.length } },
      git_commit: gitCommit(),
      split: { ...SPLIT, train_rows: split.train.length, holdout_rows: split.holdout.length },
      target: { column: TARGET, transform: fitted.target.transform },
      pipeline_spec: `src/pipeline/specs/${recipe.spec}`,
      features: pipeline.features,
      model: recipe.model,
      libraries: { node: process.versions.node, ...trained.library },
      metrics: { holdout: m },
      rejected_rows: { train_csv: allTrain.length - trainAll.kept.length, test_csv: allTest.length - testAll.kept.length },
    },
    input_schema: pipeline.inputSchema,
    reference_stats: computeReferenceStats(fitRows, pipeline.inputSchema.fields, referencePredictions),
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  log(`wrote ${dir}`);
  return { dir, metrics: m, rejected: { train: allTrain.length - trainAll.kept.length, test: allTest.length - testAll.kept.length } };
}

/** The files of a trained bundle that retraining must reproduce byte for byte. */
export function reproducibleFiles(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { artifact: string; pipeline: string };
  return [manifest.pipeline, manifest.artifact];
}
