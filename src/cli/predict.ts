/**
 * grove predict: a CSV (or JSON records) sent to a running server in batches over PredictStream
 * with `partial`, one output row per input row, each with the version that answered and its error.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import type * as grpc from '@grpc/grpc-js';
import { connect, recordsInput } from '../client/client.js';
import { MISSING_TOKENS, parseNumber } from '../formats/encode.js';
import type { PredictRequest } from '../generated/grove/v1/PredictRequest.js';
import type { PredictResponse__Output } from '../generated/grove/v1/PredictResponse.js';
import type { RawRecord, RawValue } from '../service/records.js';
import { formatFloat64 } from '../util/numbers.js';
import { UsageError, intFlag } from './usage.js';
import type { CliIO } from './main.js';

export const PREDICT_USAGE = `grove predict --server HOST:PORT --model NAME [--version V] [--routing-key K]
              (--input CSV|- | --json '{...}' | --json '[{...}, ...]') [--output CSV|-] [--batch-size N]

  Output CSV: row,version,prediction (or prediction_0..K-1),error — error is empty when the row was scored.
`;

interface PredictArgs {
  server: string;
  model: string;
  version: string;
  routingKey: string;
  input: string | null;
  json: string | null;
  output: string;
  batchSize: number;
}

function parsePredictArgs(argv: string[]): PredictArgs {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        server: { type: 'string' },
        model: { type: 'string' },
        version: { type: 'string' },
        'routing-key': { type: 'string' },
        input: { type: 'string' },
        json: { type: 'string' },
        output: { type: 'string' },
        'batch-size': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!v.model) throw new UsageError('--model NAME is required');
  if ((v.input === undefined) === (v.json === undefined)) throw new UsageError('give exactly one of --input CSV or --json');
  return {
    server: v.server ?? 'localhost:50051',
    model: v.model,
    version: v.version ?? '',
    routingKey: v['routing-key'] ?? '',
    input: v.input ?? null,
    json: v.json ?? null,
    output: v.output ?? '-',
    batchSize: intFlag('batch-size', v['batch-size'], 1) ?? 512,
  };
}

/** A CSV cell as a raw value: missing tokens -> null, numbers -> number, anything else text. */
function cellValue(cell: string): RawValue {
  if (MISSING_TOKENS.has(cell.trim())) return null;
  const n = parseNumber(cell);
  return n === undefined ? cell : n;
}

function parseJsonRecords(text: string): RawRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--json is not valid JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new UsageError(`--json record ${i} is not an object`);
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      if (v !== null && !['number', 'string', 'boolean'].includes(typeof v)) {
        throw new UsageError(`--json record ${i} field ${k}: values must be numbers, strings, booleans or null`);
      }
    }
    return r as RawRecord;
  });
}

async function* csvBatches(input: NodeJS.ReadableStream, size: number): AsyncGenerator<RawRecord[]> {
  const parser = input.pipe(parse({ relax_column_count: true, skip_empty_lines: true, bom: true }));
  input.on('error', (e: Error) => parser.destroy(e));
  let header: string[] | null = null;
  let batch: RawRecord[] = [];
  for await (const rec of parser as AsyncIterable<string[]>) {
    if (!header) {
      header = rec.map((h) => h.trim());
      continue;
    }
    const r: Record<string, RawValue> = {};
    header.forEach((h, i) => (r[h] = cellValue(rec[i] ?? '')));
    batch.push(r);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function header(numOutputs: number): string {
  const preds = numOutputs === 1 ? ['prediction'] : Array.from({ length: numOutputs }, (_, i) => `prediction_${i}`);
  return ['row', 'version', ...preds, 'error'].join(',');
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Output lines for one answered batch whose first row is `first`. */
function formatBatch(res: PredictResponse__Output, first: number, rows: number, width: number): string[] {
  const errors = new Map<number, string[]>();
  for (const e of res.errors) {
    const list = errors.get(e.row) ?? [];
    list.push(`${e.field}: ${e.reason}`);
    errors.set(e.row, list);
  }
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const err = errors.get(r);
    const values = Array.from({ length: width }, (_, j) => (err ? '' : formatFloat64(res.values[r * width + j])));
    lines.push([first + r, res.version, ...values, csvCell(err ? err.join('; ') : '')].join(','));
  }
  return lines;
}

export async function runPredict(argv: string[], io: CliIO): Promise<number> {
  const args = parsePredictArgs(argv);
  const clients = connect(args.server);
  const out = args.output === '-' ? io.stdout : createWriteStream(args.output);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const batches: AsyncIterable<RawRecord[]> =
    args.json !== null
      ? (async function* () {
          yield parseJsonRecords(args.json!);
        })()
      : csvBatches(args.input === '-' ? io.stdin : createReadStream(args.input!), args.batchSize);

  const stream: grpc.ClientDuplexStream<PredictRequest, PredictResponse__Output> = clients.prediction.PredictStream();
  const sent: number[] = []; // rows per batch, in order
  let failed = 0;
  let headerWritten = false;
  let nextRow = 0;
  let streamError: Error | null = null;

  // Read responses while sending: the server answers in order, one response per batch.
  const reading = (async () => {
    for await (const res of stream as AsyncIterable<PredictResponse__Output>) {
      const rows = sent.shift() ?? 0;
      if (res.status) {
        throw new Error(`batch starting at row ${nextRow} failed: ${res.status.message}`);
      }
      const width = res.num_outputs;
      if (!headerWritten) {
        await write(header(width) + '\n');
        headerWritten = true;
      }
      failed += new Set(res.errors.map((e) => e.row)).size;
      await write(formatBatch(res, nextRow, rows, width).join('\n') + '\n');
      nextRow += rows;
    }
  })().catch((e: unknown) => {
    streamError = e as Error;
    stream.cancel();
  });

  try {
    for await (const batch of batches) {
      if (streamError) break;
      sent.push(batch.length);
      const req: PredictRequest = {
        model: args.model,
        version: args.version,
        routing_key: args.routingKey,
        request_id: randomUUID(),
        partial: true,
        ...recordsInput(batch),
      };
      if (!stream.write(req)) await once(stream, 'drain');
    }
    stream.end();
    await reading;
    if (streamError) throw streamError;
  } finally {
    clients.close();
    if (out !== io.stdout) {
      out.end();
      await once(out, 'finish').catch(() => undefined);
    }
  }
  if (failed > 0) io.stderr.write(`grove predict: ${failed} of ${nextRow} rows could not be scored (see the error column)\n`);
  return 0;
}
