/**
 * grove score: a model file and a CSV in, one prediction row per input row out.
 * Streams in batches so a large CSV never sits in memory whole.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { loadModel, type EngineName, type Model } from '../model.js';
import { encodeRows, mapColumns } from '../formats/encode.js';
import { formatFloat32, formatFloat64 } from '../util/numbers.js';
import { UsageError, intFlag } from './usage.js';
import type { CliIO } from './main.js';

export const SCORE_USAGE = `grove score --model FILE [--input CSV|-] [--output CSV|-] [--output-margin]
            [--iterations N] [--engine native|reference] [--batch-size N]

  --input        CSV with a header of feature names (default: stdin). Columns are matched by
                 name when the model stores feature names, else by position; extra columns are
                 ignored. Empty, NA, N/A, NaN, null cells are missing.
  --output       where to write predictions (default: stdout)
  --output-margin  raw margins instead of transformed predictions
  --iterations   score only the first N boosting rounds
  --engine       native (default) or reference (the TypeScript specification engine)
  --batch-size   rows scored per batch (default 4096)
`;

interface ScoreArgs {
  model: string;
  input: string;
  output: string;
  outputMargin: boolean;
  iterations: number | undefined;
  engine: EngineName;
  batchSize: number;
}

function parseScoreArgs(argv: string[]): ScoreArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        input: { type: 'string' },
        output: { type: 'string' },
        'output-margin': { type: 'boolean' },
        iterations: { type: 'string' },
        engine: { type: 'string' },
        'batch-size': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (!v.model) throw new UsageError('--model FILE is required');
  const engine = v.engine ?? 'native';
  if (engine !== 'native' && engine !== 'reference') {
    throw new UsageError(`--engine must be native or reference, got '${engine}'`);
  }
  return {
    model: v.model,
    input: v.input ?? '-',
    output: v.output ?? '-',
    outputMargin: v['output-margin'] ?? false,
    iterations: intFlag('iterations', v.iterations, 1),
    engine,
    batchSize: intFlag('batch-size', v['batch-size'], 1) ?? 4096,
  };
}

function outputHeader(count: number): string {
  if (count === 1) return 'prediction';
  return Array.from({ length: count }, (_, i) => `prediction_${i}`).join(',');
}

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Scores one batch and writes its rows. */
async function scoreBatch(
  model: Model,
  args: ScoreArgs,
  header: string[],
  rows: string[][],
  firstRow: number,
  out: NodeJS.WritableStream,
): Promise<void> {
  const x = encodeRows(model.ir, header, rows, firstRow);
  const opts = { outputMargin: args.outputMargin, iterations: args.iterations };
  const y = rows.length >= 1024 ? await model.predictAsync(x, rows.length, opts) : model.predict(x, rows.length, opts);
  const width = args.outputMargin ? model.numMargins : model.numOutputs;
  const fmt = model.ir.rule === 'xgboost' ? formatFloat32 : formatFloat64;
  const lines: string[] = [];
  for (let r = 0; r < rows.length; r++) {
    const cells: string[] = [];
    for (let j = 0; j < width; j++) cells.push(fmt(y[r * width + j]));
    lines.push(cells.join(','));
  }
  await write(out, lines.join('\n') + '\n');
}

export async function runScore(argv: string[], io: CliIO): Promise<number> {
  const args = parseScoreArgs(argv);
  const model = await loadModel(args.model, { engine: args.engine });
  const input: NodeJS.ReadableStream = args.input === '-' ? io.stdin : createReadStream(args.input);
  const out = args.output === '-' ? io.stdout : createWriteStream(args.output);
  const parser = input.pipe(parse({ relax_column_count: true, skip_empty_lines: true, bom: true }));
  input.on('error', (e: Error) => parser.destroy(e));
  try {
    let header: string[] | null = null;
    let batch: string[][] = [];
    let nextRow = 1;
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header === null) {
        header = record;
        mapColumns(model.ir, header); // fail on a missing column before reading the data
        await write(out, outputHeader(args.outputMargin ? model.numMargins : model.numOutputs) + '\n');
        continue;
      }
      batch.push(record);
      if (batch.length >= args.batchSize) {
        await scoreBatch(model, args, header, batch, nextRow, out);
        nextRow += batch.length;
        batch = [];
      }
    }
    if (header === null) throw new Error('input is empty: a header row of feature names is required');
    if (batch.length > 0) await scoreBatch(model, args, header, batch, nextRow, out);
  } finally {
    model.dispose();
    if (out !== io.stdout) {
      (out as NodeJS.WritableStream).end();
      await once(out, 'finish').catch(() => undefined);
    }
  }
  return 0;
}
