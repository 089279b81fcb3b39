/**
 * A client written by others: Debian's python3-grpcio (no grove code, no generated stubs) lists
 * the services over server reflection, builds the message types from the descriptors the server
 * returns, and calls Predict with a dense row and a record; the answers must equal what grove's
 * own client gets. Skipped when /usr/bin/python3 cannot `import grpc`
 * (enable with: apt-get install -y python3-grpcio python3-grpc-tools).
 */
import { spawnSync, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, predictUnary, recordsInput, type GroveClients } from '../src/client/client.js';
import type { PredictResponse__Output } from '../src/generated/grove/v1/PredictResponse.js';
import { FIXTURES } from './helpers/fixtures.js';
import { makeBundle } from './helpers/bundles.js';
import { startServer, type RunningServer } from './helpers/server.js';

const PYTHON = process.env.GROVE_INTEROP_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, 'interop', 'python_client.py');
const CASE = 'binary-logistic-missing-xgb3';
const MODEL = 'interop';

function probe(code: string): boolean {
  const r = spawnSync(PYTHON, ['-c', code], { stdio: 'ignore', timeout: 30_000 });
  return r.status === 0;
}

const hasGrpc = probe('import grpc, google.protobuf.descriptor_pool');
const hasGrpcTools = hasGrpc && probe('import grpc_tools.protoc');
if (!hasGrpc) {
  console.warn(
    `[interop.python] skipped: ${PYTHON} cannot 'import grpc' ` +
      '(Debian: apt-get install -y python3-grpcio python3-grpc-tools)',
  );
}

interface PyPrediction {
  model: string;
  version: number;
  request_id: string;
  rows: number;
  num_outputs: number;
  values: (number | 'NaN')[];
  role: string;
  errors: unknown[];
}

interface PyOutput {
  route: string;
  grpcio: string;
  protobuf?: string;
  services: string[];
  files: string[];
  methods: string[];
  dense: PyPrediction;
  record: PyPrediction;
}

class ProtocTooOld extends Error {}

function runPython(args: string[]): Promise<PyOutput> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err?.code === 3) reject(new ProtocTooOld(stderr.trim()));
      else if (err) reject(new Error(`${PYTHON} ${SCRIPT} ${args.join(' ')} failed (exit ${err.code ?? err.signal}):\n${stderr}`));
      else {
        try {
          resolve(JSON.parse(stdout) as PyOutput);
        } catch {
          reject(new Error(`python_client.py printed no JSON:\n${stdout}\n${stderr}`));
        }
      }
    });
  });
}

/** The fixture's first input row: dense (NaN = missing) and as a record (null = missing). */
function firstRow(): { header: string[]; dense: (number | null)[]; record: Record<string, number | null> } {
  const lines = readFileSync(join(FIXTURES, 'xgboost', CASE, 'input.csv'), 'utf8').split('\n');
  const header = lines[0].split(',');
  const dense = lines[1].split(',').map((c) => (c === '' ? null : Number(c)));
  expect(dense.some((v) => v === null)).toBe(true); // exercises missing values on both paths
  return { header, dense, record: Object.fromEntries(header.map((h, i) => [h, dense[i]])) };
}

function pyValues(p: PyPrediction): number[] {
  return p.values.map((v) => (v === 'NaN' ? NaN : v));
}

const SKIP_NOTE = hasGrpc ? '' : ` [skipped: ${PYTHON} cannot import grpc; apt-get install -y python3-grpcio python3-grpc-tools]`;

describe.skipIf(!hasGrpc)(`interop: Python grpcio client (Debian python3-grpcio)${SKIP_NOTE}`, () => {
  let root: string;
  let server: RunningServer;
  let clients: GroveClients;
  let ownDense: PredictResponse__Output;
  let ownRecord: PredictResponse__Output;
  let row: ReturnType<typeof firstRow>;
  const args = () => [server.address, '--model', MODEL, '--dense', JSON.stringify(row.dense), '--record', JSON.stringify(row.record)];

  beforeAll(async () => {
    row = firstRow();
    root = mkdtempSync(join(tmpdir(), 'grove-interop-'));
    makeBundle(root, MODEL, 1, { library: 'xgboost', fixture: CASE });
    server = await startServer(root);
    clients = connect(server.address);
    ownDense = await predictUnary(clients.prediction, {
      model: MODEL,
      dense: { rows: 1, cols: row.dense.length, values: row.dense.map((v) => (v === null ? NaN : v)) },
    });
    ownRecord = await predictUnary(clients.prediction, { model: MODEL, ...recordsInput([row.record]) });
    // The two input forms of the same row agree with each other before Python is compared to them.
    expect(ownRecord.values).toEqual(ownDense.values);
  });

  afterAll(async () => {
    clients?.close();
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  function expectSameAsGrove(out: PyOutput): void {
    expect(out.services).toEqual(expect.arrayContaining(['grove.v1.PredictionService', 'grove.v1.ModelService']));
    expect(out.methods).toEqual(expect.arrayContaining(['Predict', 'PredictStream']));
    for (const [got, own, id] of [
      [out.dense, ownDense, 'python-dense'],
      [out.record, ownRecord, 'python-record'],
    ] as const) {
      expect(got.model).toBe(MODEL);
      expect(got.version).toBe(own.version);
      expect(got.request_id).toBe(id);
      expect(got.rows).toBe(1);
      expect(got.num_outputs).toBe(own.num_outputs);
      expect(got.role).toBe(own.role);
      expect(got.errors).toEqual([]);
      // Bit-for-bit: both are the same doubles off the wire (Python's repr round-trips).
      expect(pyValues(got)).toEqual(own.values);
    }
  }

  it('lists services and calls Predict using only what server reflection returns', async () => {
    const out = await runPython([...args(), '--route', 'reflection']);
    expect(out.route).toBe('reflection');
    // File names are whatever the server's descriptors say (proto-loader merges files per package).
    expect(out.files.length).toBeGreaterThan(0);
    expectSameAsGrove(out);
  });

  it.skipIf(!hasGrpcTools)(`calls Predict with types compiled from proto/ by grpc_tools.protoc (python3-grpc-tools)${hasGrpcTools ? '' : ' [skipped: no grpc_tools]'}`, async (ctx) => {
    let out: PyOutput;
    try {
      out = await runPython([...args(), '--route', 'protoc']);
    } catch (e) {
      // Debian bookworm's python3-grpc-tools bundles libprotoc 3.5: too old for parts of proto3.
      if (e instanceof ProtocTooOld) ctx.skip(`grpc_tools' bundled protoc cannot compile proto/grove/v1/prediction.proto: ${e.message}`);
      throw e;
    }
    expect(out.route).toBe('protoc');
    expectSameAsGrove(out);
  });
});
