/** Messages between bench/grpc.ts (the orchestrator) and bench/grpc-load.ts (the load generator, over IPC). */

/** Orchestrator -> load generator: measure one cell. */
export interface CellRequest {
  type: 'cell';
  id: number;
  /** host:port */
  address: string;
  /** Full method path, e.g. /grove.v1.PredictionService/Predict. */
  method: string;
  /** A grove.v1.PredictRequest as a plain object; encoded once by the load generator. */
  request: unknown;
  /** Closed loop: this many calls in flight at all times. */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Checked on one decoded response before timing; null: only check that the call succeeds. */
  verify: VerifySpec | null;
  /** Process whose CPU time is sampled over the timed window (Linux /proc), or null. */
  serverPid: number | null;
}

export interface VerifySpec {
  rows: number;
  numOutputs: number;
  /** Expected predictions (rows * numOutputs), compared with `relTol`. */
  expected: number[];
  relTol: number;
}

/** Load generator -> orchestrator. */
export type LoadMessage =
  | { type: 'ready'; pid: number }
  | { type: 'result'; id: number; result: CellMeasurement }
  | { type: 'error'; id: number; message: string };

export interface CellMeasurement {
  /** Calls completed inside the timed window. */
  calls: number;
  /** Failed calls inside the timed window (not in the latency figures). */
  errors: number;
  /** First error message seen, if any. */
  firstError: string | null;
  /** Timed window, seconds (measured, not requested). */
  seconds: number;
  qps: number;
  /** Latency of calls completed in the window, microseconds. */
  p50Us: number;
  p90Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
  /** CPU used over the window as a share of one core (1.0 = one core busy), or null when unknown. */
  serverCpu: number | null;
  loadgenCpu: number;
  /** Busy CPU of the whole machine over the window, in cores (Linux /proc/stat), or null. */
  machineCpu: number | null;
  /** Bytes of the encoded request message. */
  requestBytes: number;
  /** Verification of one decoded response before timing. */
  verified: { ok: boolean; maxRel: number; detail: string } | null;
}
