/**
 * The load generator for bench/grpc.ts, run as a process of its own (child_process.fork with IPC):
 * it never shares a CPU-time budget or an event loop with the server it measures.
 *
 * For each cell the orchestrator sends (see bench/lib-grpc/protocol.ts), it:
 *  - opens one grpc-js channel to the target (reused across cells for the same address);
 *  - encodes the request message ONCE and sends those bytes on every call (identity serializer), and
 *    leaves responses undecoded while timing (identity deserializer): the client does as little as
 *    grpc-js allows, so the server is what is measured;
 *  - decodes and checks one response first (rows, outputs, predictions against the fixture);
 *  - runs a closed loop with `concurrency` calls in flight: each completion starts the next call;
 *    warm-up first, then a timed window; a call counts when it completes inside the window;
 *  - records each call's latency with process.hrtime.bigint(), and the CPU time of the server
 *    process (/proc/<pid>/stat) and of itself over the window.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadPackageDefinition } from '../src/server/proto.js';
import type { PredictResponse__Output } from '../src/generated/grove/v1/PredictResponse.js';
import type { CellMeasurement, CellRequest, LoadMessage, VerifySpec } from './lib-grpc/protocol.js';
import { quantile } from './lib/stats.js';

if (!process.send) {
  console.error('bench/grpc-load.ts is started by bench/grpc.ts (it talks over IPC)');
  process.exit(2);
}

const send = (m: LoadMessage): void => {
  process.send!(m);
};

const def = loadPackageDefinition();
const predictDef = def['grove.v1.PredictionService'] as unknown as Record<string, grpc.MethodDefinition<unknown, unknown>>;
const serializeRequest = predictDef.Predict.requestSerialize;
const deserializeResponse = predictDef.Predict.responseDeserialize as (b: Buffer) => PredictResponse__Output;
const identity = (b: Buffer): Buffer => b;

/** Client-side options that only lighten the client: no retry buffering, no channelz bookkeeping. */
const CLIENT_OPTIONS: grpc.ChannelOptions = {
  'grpc.enable_retries': 0,
  'grpc.enable_channelz': 0,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

const clients = new Map<string, grpc.Client>();

async function clientFor(address: string): Promise<grpc.Client> {
  let c = clients.get(address);
  if (!c) {
    c = new grpc.Client(address, grpc.credentials.createInsecure(), CLIENT_OPTIONS);
    clients.set(address, c);
    await new Promise<void>((resolve, reject) => c!.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
  }
  return c;
}

function unary(client: grpc.Client, method: string, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(method, identity, identity, payload, (err, res) => (err ? reject(err) : resolve(res!))),
  );
}

function verify(buf: Buffer, spec: VerifySpec): { ok: boolean; maxRel: number; detail: string } {
  const res = deserializeResponse(buf);
  const problems: string[] = [];
  if (res.rows !== spec.rows) problems.push(`rows ${res.rows} != ${spec.rows}`);
  if (res.num_outputs !== spec.numOutputs) problems.push(`num_outputs ${res.num_outputs} != ${spec.numOutputs}`);
  if (res.values.length !== spec.expected.length) problems.push(`${res.values.length} values != ${spec.expected.length}`);
  let maxRel = 0;
  const n = Math.min(res.values.length, spec.expected.length);
  for (let i = 0; i < n; i++) {
    const a = res.values[i];
    const b = spec.expected[i];
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    const rel = Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
    if (!(rel <= maxRel)) maxRel = Number.isNaN(rel) ? Infinity : rel;
  }
  if (maxRel > spec.relTol) problems.push(`max relative error ${maxRel.toExponential(2)} > ${spec.relTol}`);
  return {
    ok: problems.length === 0,
    maxRel,
    detail: problems.length ? problems.join('; ') : `model ${res.model} v${res.version} (${res.role}): ${n} values match the fixture`,
  };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, nearly always 100). */
const CLK_TCK = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && n > 0 ? n : 100;
})();

/** utime + stime of a process in seconds (Linux), or null. */
function procCpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return ticks / CLK_TCK;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine (all CPUs, /proc/stat: everything but idle and iowait), or null. */
function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
    return busy / CLK_TCK;
  } catch {
    return null;
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function runCell(req: CellRequest): Promise<CellMeasurement> {
  const client = await clientFor(req.address);
  const payload = serializeRequest(req.request);

  // Correctness before speed: one call, decoded and checked.
  const first = await unary(client, req.method, payload);
  const verified = req.verify ? verify(first, req.verify) : null;

  let lat = new Float64Array(1 << 16);
  let n = 0;
  let errors = 0;
  let firstError: string | null = null;
  let measuring = false;
  let stopping = false;
  let inFlight = 0;
  let t0 = 0n;
  let t1 = 0n;
  let srv0: number | null = null;
  let srv1: number | null = null;
  let self0 = 0;
  let self1 = 0;
  let mach0: number | null = null;
  let mach1: number | null = null;

  await new Promise<void>((resolve) => {
    const issue = (): void => {
      inFlight++;
      const start = process.hrtime.bigint();
      client.makeUnaryRequest(req.method, identity, identity, payload, (err) => {
        const end = process.hrtime.bigint();
        inFlight--;
        if (measuring) {
          if (err) {
            errors++;
            firstError ??= `${grpc.status[err.code] ?? err.code}: ${err.details}`;
          } else {
            if (n === lat.length) {
              const grown = new Float64Array(lat.length * 2);
              grown.set(lat);
              lat = grown;
            }
            lat[n++] = Number(end - start) / 1e3;
          }
        }
        if (!stopping) issue();
        else if (inFlight === 0) resolve();
      });
    };
    for (let i = 0; i < req.concurrency; i++) issue();
    setTimeout(() => {
      t0 = process.hrtime.bigint();
      srv0 = procCpuSeconds(req.serverPid);
      self0 = selfCpuSeconds();
      mach0 = machineBusySeconds();
      measuring = true;
      setTimeout(() => {
        measuring = false;
        stopping = true;
        t1 = process.hrtime.bigint();
        srv1 = procCpuSeconds(req.serverPid);
        self1 = selfCpuSeconds();
        mach1 = machineBusySeconds();
      }, req.durationMs);
    }, req.warmupMs);
  });

  const seconds = Number(t1 - t0) / 1e9;
  const values = lat.subarray(0, n);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i];
    if (values[i] > max) max = values[i];
  }
  return {
    calls: n,
    errors,
    firstError,
    seconds,
    qps: n / seconds,
    p50Us: quantile(values, 0.5),
    p90Us: quantile(values, 0.9),
    p99Us: quantile(values, 0.99),
    meanUs: n ? sum / n : NaN,
    maxUs: n ? max : NaN,
    serverCpu: srv0 !== null && srv1 !== null ? (srv1 - srv0) / seconds : null,
    loadgenCpu: (self1 - self0) / seconds,
    machineCpu: mach0 !== null && mach1 !== null ? (mach1 - mach0) / seconds : null,
    requestBytes: payload.length,
    verified,
  };
}

// One cell at a time, in the order asked.
let queue = Promise.resolve();
process.on('message', (msg: CellRequest) => {
  if (msg?.type !== 'cell') return;
  queue = queue.then(
    () =>
      runCell(msg).then(
        (result) => send({ type: 'result', id: msg.id, result }),
        (err: unknown) => send({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) }),
      ),
  );
});
// The orchestrator went away (finished, crashed or was killed): do not linger.
process.on('disconnect', () => {
  for (const c of clients.values()) c.close();
  process.exit(0);
});
send({ type: 'ready', pid: process.pid });
