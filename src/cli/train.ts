/** grove train house-price --version N: research -> a complete registry bundle. */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, RECIPES, trainHousePrice } from '../train/house-price.js';
import { UsageError, intFlag } from './usage.js';
import type { CliIO } from './main.js';

export const TRAIN_USAGE = `grove train house-price --version N [--out DIR] [--data DIR] [--python PATH]

  Splits data/house-prices/train.csv 90/10 exactly as scikit-learn's train_test_split(random_state=0), fits the version's feature pipeline in
  TypeScript, trains (v1: lasso in TypeScript; v2: XGBoost via research/train_xgboost.py and
  python3-xgboost) and writes the bundle (default models/house-price/N).
`;

export async function runTrain(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { version: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' }, python: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [what] = parsed.positionals;
  if (what !== 'house-price') throw new UsageError(`grove train knows one model family, house-price; got '${what ?? ''}'`);
  const version = intFlag('version', parsed.values.version, 1);
  if (version === undefined || !RECIPES[version]) throw new UsageError(`--version must be one of ${Object.keys(RECIPES).join(', ')}`);
  const out = parsed.values.out ?? join(REPO_ROOT, 'models', 'house-price', String(version));
  const result = trainHousePrice({
    version,
    out,
    dataDir: parsed.values.data,
    python: parsed.values.python,
    log: (line) => io.stderr.write(`${line}\n`),
  });
  io.stdout.write(
    `house-price v${version}: hold-out RMSE $${result.metrics.rmse.toFixed(0)}, R2 ${result.metrics.r2.toFixed(4)}; bundle ${result.dir}\n`,
  );
  return 0;
}
