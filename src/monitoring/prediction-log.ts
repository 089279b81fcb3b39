/**
 * The prediction log: one record per scored row and role (live, shadow, canary, pinned), written
 * asynchronously in batches to SQLite (the embedded default) or PostgreSQL.
 *
 * Shape of the machinery:
 *
 *   server ──append()──► BufferedPredictionLog (main thread: a bounded FIFO, O(1) per record)
 *                            │ chunks of ≤ 256 records, one per event-loop turn, ≤ 3 batches ahead
 *                            ▼
 *                        SinkWriter (a worker thread by default): validates and serializes
 *                        records, computes missing input hashes, writes batches in one
 *                        transaction each, retries with backoff, runs retention
 *                            │
 *                            ▼
 *                        SqliteSink | PostgresSink (schema by versioned migrations)
 *
 * Guarantees:
 * - `append` never throws and never waits for the database. When `maxBuffered` records are
 *   waiting, further records are dropped and counted (`stats().dropped`).
 * - Exactly once: every accepted record is written once — batches are retried until they commit,
 *   and a retry after an unknown outcome inserts nothing twice (unique key + ON CONFLICT DO
 *   NOTHING) — unless it is dropped (buffer overflow, flush/close timeout) or rejected (a record
 *   the database refuses on its own, e.g. a malformed field), and then it is counted.
 * - Outage: failed writes are retried with exponential backoff; the sink reconnects (and re-runs
 *   the migrations, in case the database came back empty) by itself.
 *
 * Records must not be mutated after `append` (they are serialized later, off the request path).
 */
import { hash as digest } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Logger } from 'pino';

// ───────────────────────────────────────── public types ─────────────────────────────────────────

export type Role = 'live' | 'shadow' | 'canary' | 'pinned';
export const ROLES: readonly Role[] = ['live', 'shadow', 'canary', 'pinned'];

export type InputValue = number | string | boolean | null;

export interface PredictionRecord {
  requestId: string;
  row: number;
  model: string;
  version: number;
  role: Role;
  /** ms since epoch (stored as an integer: fractions are truncated). */
  timestamp: number;
  /** The raw record; null when only the hash is kept or the input was dense. */
  input: Record<string, InputValue> | null;
  /** sha256 hex of `canonicalInputJson(input)`; filled in by the writer when null and input is known. */
  inputHash: string | null;
  /** One per output; [] when error. */
  outputs: number[];
  latencyUs: number;
  error: string | null;
}

export interface PredictionLogStats {
  /** Accepted records not yet settled (waiting in memory or being written). */
  buffered: number;
  /** Records stored. A record whose key (request id, row, role, model, version, timestamp) was already stored counts as written: it is there, once. */
  written: number;
  /** Records not stored: buffer overflow, flush/close timeout, or rejected (below). */
  dropped: number;
  /** Of `dropped`: records refused on their own (invalid field, or the database rejected the row). */
  rejected: number;
  /** Failed write attempts (each retry counts). */
  writeFailures: number;
  lastError: string | null;
  /** false from a failed write until the next successful one. */
  healthy: boolean;
}

export interface FlushOptions {
  /** Default: the log's `flushTimeoutMs`. */
  timeoutMs?: number;
}

export interface PredictionLog {
  /** Synchronous, never throws, never blocks on the database; overflow beyond maxBuffered is dropped and counted. */
  append(records: readonly PredictionRecord[]): void;
  stats(): PredictionLogStats;
  /**
   * A barrier: resolves when every record appended before the call is written — or, if that has
   * not happened within the timeout (the sink stayed down), once those records are dropped and
   * counted. Never rejects.
   */
  flush(opts?: FlushOptions): Promise<void>;
  /** Flush (bounded by closeTimeoutMs), stop timers, close connections. Appends after close are dropped. */
  close(): Promise<void>;
  /** Reads through the log's own connection (the only way to read a 'sqlite::memory:' log). */
  query(q: LogQuery): Promise<PredictionRecord[]>;
  /** The URL with any password redacted. */
  readonly url: string;
}

export interface PredictionLogOptions {
  /** Records held in memory at most (waiting + being written); default 100_000. */
  maxBuffered?: number;
  /** Records per write transaction; default 1000. */
  batchSize?: number;
  /** A partial batch is written this long after its first record arrived; default 200 ms. */
  flushIntervalMs?: number;
  /** 0 = keep forever (default); else rows older than this many days are deleted periodically. */
  retentionDays?: number;
  /** How often retention runs (the first run is right after the sink opens); default 1 hour. */
  retentionIntervalMs?: number;
  /** Default true; false: input is not stored, only inputHash. */
  logInputs?: boolean;
  logger?: Logger;
  /** Delay between retries of a failed write: doubles from min up to max (with jitter); default 100..5000 ms. */
  retryBackoffMs?: { min: number; max: number };
  /** Default timeout of flush(); default 30_000 ms. */
  flushTimeoutMs?: number;
  /** How long close() waits for buffered records; default 10_000 ms. */
  closeTimeoutMs?: number;
  /**
   * 'worker' (default): serialization and database writes run on a worker thread, so neither the
   * JSON encoding nor SQLite's synchronous I/O (including WAL checkpoints) stalls the event loop.
   * 'main': everything on the calling thread (fewer moving parts; SQLite writes then block it).
   */
  thread?: 'worker' | 'main';
  /** Reject from openPredictionLog when the first connection/migration fails (default false: start buffering and retry). */
  requireReady?: boolean;
}

export interface LogQuery {
  model: string;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  roles?: Role[];
  limit?: number;
}

// ───────────────────────────────────────── URLs ─────────────────────────────────────────

export type SinkTarget =
  | { kind: 'none' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; connectionString: string };

/**
 * 'none' | 'sqlite:PATH' (also 'sqlite://PATH', 'sqlite:///ABS/PATH') | 'sqlite::memory:' |
 * 'postgres://…' | 'postgresql://…' (libpq-style URL: user, password, host, port, database,
 * ?sslmode=…, ?host=/socket/dir).
 */
export function parseLogUrl(url: string): SinkTarget {
  const u = url.trim();
  if (u === 'none') return { kind: 'none' };
  if (u.startsWith('sqlite:')) {
    let path = u.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw new Error(`prediction log URL '${url}': no SQLite file path (expected sqlite:PATH or sqlite::memory:)`);
    return { kind: 'sqlite', path };
  }
  if (u.startsWith('postgres://') || u.startsWith('postgresql://')) return { kind: 'postgres', connectionString: u };
  throw new Error(
    `prediction log URL '${redactUrl(url)}': expected 'none', 'sqlite:PATH', 'sqlite::memory:', 'postgres://…' or 'postgresql://…'`,
  );
}

/** The URL with the password (userinfo or ?password=) replaced by ***. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:?#]*):[^@/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

// ───────────────────────────────────────── encoding ─────────────────────────────────────────

/** JSON cannot hold NaN/±Infinity: they are stored as {"$numberDouble": "NaN" | "Infinity" | "-Infinity"}. */
const NUMBER_TAG = '$numberDouble';

function encodeNonFinite(n: number): string {
  return `{"${NUMBER_TAG}":"${Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity'}"}`;
}

function decodeTagged(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const t = (v as Record<string, unknown>)[NUMBER_TAG];
    if (typeof t === 'string' && Object.keys(v).length === 1) return t === 'NaN' ? NaN : t === 'Infinity' ? Infinity : t === '-Infinity' ? -Infinity : v;
  }
  return v;
}

/** Sorted key order of the last key set seen: records of one model share their keys. */
let lastKeys: string[] = [];
let lastSorted: string[] = [];
/** Whether a sorted copy would not serialize in sorted order (V8 puts array-index keys first) or would lose a key (__proto__). */
let lastNeedsConcat = false;

function sortedKeys(input: object): string[] {
  const keys = Object.keys(input);
  if (keys.length === lastKeys.length) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== lastKeys[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastSorted;
  }
  lastKeys = keys;
  lastSorted = [...keys].sort();
  lastNeedsConcat = keys.some((k) => k === '__proto__' || (/^(0|[1-9][0-9]*)$/.test(k) && Number(k) < 2 ** 32 - 1));
  return lastSorted;
}

/**
 * The canonical JSON of an input record, what `inputHash` is the sha256 of: keys sorted by UTF-16
 * code units, no whitespace, numbers as JavaScript prints them (shortest round-trip form; -0 as 0),
 * NaN/±Infinity as {"$numberDouble":"NaN"|"Infinity"|"-Infinity"}, undefined fields omitted.
 */
export function canonicalInputJson(input: Readonly<Record<string, InputValue | undefined>>): string {
  const keys = sortedKeys(input);
  if (!lastNeedsConcat) {
    // A copy with the keys in sorted order, serialized in one native call.
    const o: Record<string, unknown> = {};
    for (const k of keys) {
      const v = input[k];
      if (v === undefined) continue;
      o[k] = typeof v === 'number' && !Number.isFinite(v) ? { [NUMBER_TAG]: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' } : v;
    }
    return JSON.stringify(o);
  }
  let s = '{';
  let first = true;
  for (const k of keys) {
    const v = input[k];
    if (v === undefined) continue;
    if (!first) s += ',';
    first = false;
    s += JSON.stringify(k) + ':' + (typeof v === 'number' && !Number.isFinite(v) ? encodeNonFinite(v) : JSON.stringify(v));
  }
  return s + '}';
}

/** sha256 hex of canonicalInputJson(input). */
export function hashInput(input: Readonly<Record<string, InputValue | undefined>>): string {
  return sha256(canonicalInputJson(input));
}

function sha256(text: string): string {
  return digest('sha256', text, 'hex');
}

type StringWithWellFormed = string & { isWellFormed(): boolean; toWellFormed(): string };

/** Text as both databases store it: no NUL characters (→ U+FFFD), no lone surrogates (→ U+FFFD). */
export function cleanText(s: string): string {
  let out = s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s;
  if (!(out as StringWithWellFormed).isWellFormed()) out = (out as StringWithWellFormed).toWellFormed();
  return out;
}

function encodeOutputs(outputs: ArrayLike<number>): string | null {
  let s = '[';
  for (let i = 0; i < outputs.length; i++) {
    const v = outputs[i];
    if (typeof v !== 'number') return null;
    if (i > 0) s += ',';
    s += Number.isFinite(v) ? String(v) : encodeNonFinite(v);
  }
  return s + ']';
}

/** The stored form of a canonical input JSON: NULs and lone surrogates cleaned out (rare: only then is it re-encoded). */
function storableInputJson(canonical: string, input: Readonly<Record<string, unknown>>): string {
  // JSON.stringify writes \u escapes only for control characters and lone surrogates.
  if (!canonical.includes('\\u')) return canonical;
  const clean = Object.create(null) as Record<string, InputValue | undefined>;
  for (const k of Object.keys(input)) {
    const v = input[k];
    clean[cleanText(k)] = (typeof v === 'string' ? cleanText(v) : v) as InputValue | undefined;
  }
  return canonicalInputJson(clean);
}

/** Per-batch memo of encoded inputs: the records of one row for several roles share its input object. */
export type InputMemo = Map<object, { json: string | null; hash: string }>;

/** A record as the sinks store it (validated, serialized). */
export interface StoredRow {
  requestId: string;
  row: number;
  model: string;
  version: number;
  role: Role;
  /** Integer ms since epoch. */
  ts: number;
  inputJson: string | null;
  inputHash: string | null;
  outputsJson: string;
  latencyUs: number | null;
  error: string | null;
}

/** A stored row as read back, with its insertion id (the last ordering tie-breaker). */
export interface ReadRow extends StoredRow {
  id: number;
}

const MAX_INT32 = 2 ** 31 - 1;

/**
 * Validates and serializes one record; a string is the reason it cannot be stored. The input is
 * stored as its canonical JSON (sorted keys), the same text the hash is computed from.
 */
export function toStoredRow(rec: PredictionRecord, logInputs: boolean, memo?: InputMemo): StoredRow | string {
  if (rec === null || typeof rec !== 'object') return 'not a record';
  const unsendable = (rec as { unsendable?: unknown }).unsendable;
  if (typeof unsendable === 'string') return unsendable;
  const { requestId, row, model, version, role, timestamp, input, inputHash, outputs, latencyUs, error } = rec;
  if (typeof requestId !== 'string') return `requestId: expected a string, got ${typeof requestId}`;
  if (!Number.isInteger(row) || row < 0 || row > MAX_INT32) return `row: expected an integer 0..${MAX_INT32}, got ${String(row)}`;
  if (typeof model !== 'string' || model === '') return `model: expected a non-empty string`;
  if (!Number.isInteger(version) || version < 0 || version > MAX_INT32) return `version: expected an integer 0..${MAX_INT32}, got ${String(version)}`;
  if (!ROLES.includes(role)) return `role: expected one of ${ROLES.join(', ')}, got ${String(role)}`;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || Math.abs(timestamp) > 8.64e15) return `timestamp: expected ms since epoch, got ${String(timestamp)}`;
  if (input !== null && input !== undefined && (typeof input !== 'object' || Array.isArray(input))) return `input: expected an object or null`;
  if (outputs === null || typeof outputs !== 'object' || typeof (outputs as ArrayLike<number>).length !== 'number') return `outputs: expected an array of numbers`;
  const outputsJson = encodeOutputs(outputs);
  if (outputsJson === null) return `outputs: expected an array of numbers`;
  let hash: string | null = typeof inputHash === 'string' ? cleanText(inputHash) : null;
  let inputJson: string | null = null;
  if (input) {
    let enc = memo?.get(input);
    if (!enc) {
      const canonical = canonicalInputJson(input);
      enc = { json: logInputs ? storableInputJson(canonical, input) : null, hash: sha256(canonical) };
      memo?.set(input, enc);
    }
    inputJson = enc.json;
    hash ??= enc.hash;
  }
  return {
    requestId: cleanText(requestId),
    row,
    model: cleanText(model),
    version,
    role,
    ts: Math.floor(timestamp),
    inputJson,
    inputHash: hash,
    outputsJson,
    latencyUs: typeof latencyUs === 'number' && Number.isFinite(latencyUs) ? latencyUs : null,
    error: error === null || error === undefined ? null : cleanText(String(error)),
  };
}

/** A stored row back to a PredictionRecord (a missing latency reads as NaN). */
export function fromReadRow(r: StoredRow): PredictionRecord {
  let input: Record<string, InputValue> | null = null;
  if (r.inputJson !== null) {
    const parsed = JSON.parse(r.inputJson) as Record<string, unknown>;
    if (r.inputJson.includes(NUMBER_TAG)) for (const k in parsed) parsed[k] = decodeTagged(parsed[k]);
    input = parsed as Record<string, InputValue>;
  }
  const outs = JSON.parse(r.outputsJson) as unknown[];
  const outputs = r.outputsJson.includes(NUMBER_TAG) ? outs.map((v) => decodeTagged(v) as number) : (outs as number[]);
  return {
    requestId: r.requestId,
    row: r.row,
    model: r.model,
    version: r.version,
    role: r.role,
    timestamp: r.ts,
    input,
    inputHash: r.inputHash,
    outputs,
    latencyUs: r.latencyUs ?? NaN,
    error: r.error,
  };
}

// ───────────────────────────────────────── sinks ─────────────────────────────────────────

/** Position after which a page starts (keyset pagination over the read order). */
export interface ReadCursor {
  ts: number;
  requestId: string;
  row: number;
  role: string;
  id: number;
}

export type ErrorKind = 'data' | 'unavailable';

/** What the writer needs from a database. Implemented by SqliteSink and PostgresSink. */
export interface PredictionSink {
  readonly kind: 'sqlite' | 'postgres';
  /** Redacted. */
  readonly url: string;
  /** Connects (if needed) and applies pending migrations. Idempotent; called again after a failure. */
  open(): Promise<void>;
  /** Inserts the rows in one transaction; rows already present (same key) are skipped. Returns rows newly inserted. */
  write(rows: readonly StoredRow[]): Promise<number>;
  /** Deletes up to maxRows rows with ts < cutoffMs; returns how many. */
  deleteOlderThan(cutoffMs: number, maxRows: number): Promise<number>;
  /** One page in read order (ts, request_id, row, role, id), after the cursor if given. */
  read(q: LogQuery, after: ReadCursor | null, limit: number): Promise<ReadRow[]>;
  /** 'data': retrying the same rows cannot help (bad value); 'unavailable': the database is (maybe) gone. */
  classify(err: unknown): ErrorKind;
  /** Forget the connection state after an 'unavailable' error, so the next open() reconnects. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface SinkOptions {
  /** SQLite: create the file (and parent directories) and the schema; false for readers. */
  create: boolean;
  /** SQLite: how long a write waits for another connection's lock before failing. */
  busyTimeoutMs: number;
}

async function createSink(target: SinkTarget, url: string, opts: SinkOptions): Promise<PredictionSink> {
  if (target.kind === 'sqlite') {
    const { SqliteSink } = await import('./sqlite-sink.js');
    return new SqliteSink(target.path, redactUrl(url), opts);
  }
  if (target.kind === 'postgres') {
    const { PostgresSink } = await import('./postgres-sink.js');
    return new PostgresSink(target.connectionString, redactUrl(url), opts);
  }
  throw new Error('no sink for a "none" prediction log');
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

// ───────────────────────────────────────── the writer ─────────────────────────────────────────

type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Main → writer. */
type ToWriter =
  | { t: 'append'; firstSeq: number; records: PredictionRecord[] }
  | { t: 'flush'; upTo: number }
  | { t: 'drop'; upTo: number }
  | { t: 'query'; id: number; q: LogQuery }
  | { t: 'close' };

/** Writer → main. */
type FromWriter =
  | { t: 'ready'; ok: boolean; error: string | null; protocol: number }
  | { t: 'settled'; n: number; written: number; dropped: number; rejected: number }
  | { t: 'status'; healthy: boolean; lastError: string | null; writeFailures: number }
  | { t: 'log'; level: LogLevel; msg: string; fields: Record<string, unknown> }
  | { t: 'queryResult'; id: number; rows: PredictionRecord[] | null; error: string | null }
  | { t: 'closed' };

const PROTOCOL = 1;
const RETENTION_CHUNK = 5000;
const DAY_MS = 86_400_000;

interface WriterConfig {
  batchSize: number;
  flushIntervalMs: number;
  retentionDays: number;
  retentionIntervalMs: number;
  logInputs: boolean;
  backoffMin: number;
  backoffMax: number;
}

interface Batch {
  records: PredictionRecord[];
  seqs: number[];
  rows: (StoredRow | null)[];
  /** Index → reason, for records refused on their own. */
  rejected: Map<number, string>;
}

/**
 * Owns the sink: receives records in order (each with its sequence number), writes them in
 * batches, one batch at a time, and reports every record's outcome in order. Runs on a worker
 * thread (default) or on the main thread behind the same message protocol.
 */
class SinkWriter {
  private queue: PredictionRecord[] = [];
  private seqs: number[] = [];
  private head = 0;
  private firstPendingAt = 0;
  private batch: Batch | null = null;
  private writing = false;
  private busy = false;
  private opened = false;
  private closing = false;
  private closed = false;
  private flushUpTo = 0;
  private dropUpTo = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private consecutiveFailures = 0;
  /** No write attempt before this time (backoff after a failure); new records do not cut it short. */
  private retryAt = 0;
  private writeFailures = 0;
  private lastError: string | null = null;
  private healthy = true;
  private unhealthySince = 0;
  private nextRetentionAt = 0;
  private retentionDeleted = 0;
  /** The last loop turn ran a retention chunk: the next one writes a batch if there is one. */
  private retentionRan = false;
  private rejectLogAt = 0;

  constructor(
    private readonly sink: PredictionSink,
    private readonly cfg: WriterConfig,
    private readonly emit: (m: FromWriter) => void,
  ) {}

  /** First connection + migrations; the outcome is reported, failures are retried by the pump. */
  async start(): Promise<void> {
    let error: string | null = null;
    try {
      await this.sink.open();
      this.opened = true;
    } catch (err) {
      error = errorMessage(err);
      this.onFailure(err, 'open');
    }
    this.emit({ t: 'ready', ok: error === null, error, protocol: PROTOCOL });
    this.schedule(0);
  }

  handle(m: ToWriter): void {
    switch (m.t) {
      case 'append': {
        if (this.pending() === 0) this.firstPendingAt = Date.now();
        for (let i = 0; i < m.records.length; i++) {
          this.queue.push(m.records[i]);
          this.seqs.push(m.firstSeq + i);
        }
        if (this.pending() >= this.cfg.batchSize || m.firstSeq < this.flushUpTo) this.schedule(0);
        else this.schedule(this.cfg.flushIntervalMs - (Date.now() - this.firstPendingAt));
        break;
      }
      case 'flush':
        this.flushUpTo = Math.max(this.flushUpTo, m.upTo);
        this.schedule(0);
        break;
      case 'drop':
        this.dropUpTo = Math.max(this.dropUpTo, m.upTo);
        this.applyDrop();
        this.schedule(0);
        break;
      case 'query':
        void this.query(m.id, m.q);
        break;
      case 'close':
        this.closing = true;
        this.schedule(0);
        break;
    }
  }

  private async query(id: number, q: LogQuery): Promise<void> {
    try {
      const rows = await readAll(this.sink, q);
      this.emit({ t: 'queryResult', id, rows, error: null });
    } catch (err) {
      this.emit({ t: 'queryResult', id, rows: null, error: errorMessage(err) });
    }
  }

  private pending(): number {
    return this.queue.length - this.head;
  }

  private log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    this.emit({ t: 'log', level, msg, fields: { sink: this.sink.url, ...fields } });
  }

  private status(): void {
    this.emit({ t: 'status', healthy: this.healthy, lastError: this.lastError, writeFailures: this.writeFailures });
  }

  /** Runs the pump after delayMs (keeps the earliest request). */
  private schedule(delayMs: number): void {
    if (this.closed) return;
    const now = Date.now();
    let at = now + Math.max(0, delayMs);
    if (!this.closing) at = Math.max(at, this.retryAt);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.pump();
    }, at - now);
    // Never the reason a process (or the writer thread) stays alive: the message port is.
    this.timer.unref();
  }

  /**
   * Drops the batch (unless it is being written: then after the attempt) and pending records with
   * seq < dropUpTo — in order, so outcomes are still reported first in, first out.
   */
  private applyDrop(): void {
    if (this.writing || this.dropUpTo === 0) return;
    let dropped = 0;
    if (this.batch) {
      const b = this.batch;
      let k = 0;
      while (k < b.seqs.length && b.seqs[k] < this.dropUpTo) k++;
      if (k > 0) {
        const rejectedBefore = [...b.rejected.keys()].filter((i) => i < k).length;
        this.settle(k, 0, k, rejectedBefore);
        if (k === b.seqs.length) this.batch = null;
        else {
          const rejected = new Map<number, string>();
          for (const [i, why] of b.rejected) if (i >= k) rejected.set(i - k, why);
          this.batch = { records: b.records.slice(k), seqs: b.seqs.slice(k), rows: b.rows.slice(k), rejected };
        }
      }
    }
    if (this.batch === null) {
      while (this.head < this.queue.length && this.seqs[this.head] < this.dropUpTo) {
        this.head++;
        dropped++;
      }
      this.compact();
      if (dropped > 0) this.settle(dropped, 0, dropped, 0);
    }
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.seqs = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.seqs = this.seqs.slice(this.head);
      this.head = 0;
    }
  }

  private settle(n: number, written: number, dropped: number, rejected: number): void {
    if (n > 0) this.emit({ t: 'settled', n, written, dropped, rejected });
  }

  private takeBatch(): Batch {
    const n = Math.min(this.cfg.batchSize, this.pending());
    const records = this.queue.slice(this.head, this.head + n);
    const seqs = this.seqs.slice(this.head, this.head + n);
    this.head += n;
    this.compact();
    if (this.pending() > 0) this.firstPendingAt = Date.now();
    const rows: (StoredRow | null)[] = new Array<StoredRow | null>(n);
    const rejected = new Map<number, string>();
    const memo: InputMemo = new Map();
    for (let i = 0; i < n; i++) {
      let r: StoredRow | string;
      try {
        r = toStoredRow(records[i], this.cfg.logInputs, memo);
      } catch (err) {
        r = `cannot serialize: ${errorMessage(err)}`;
      }
      if (typeof r === 'string') {
        rows[i] = null;
        rejected.set(i, r);
      } else rows[i] = r;
    }
    return { records, seqs, rows, rejected };
  }

  private async pump(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      for (;;) {
        if (this.closing && this.batch === null && this.pending() === 0) return this.finishClose();
        if (!this.opened) {
          try {
            await this.sink.open();
            this.opened = true;
          } catch (err) {
            this.onFailure(err, 'open');
            if (this.closing) return this.finishClose();
            this.schedule(0);
            return;
          }
        }
        // Retention: one chunk at a time, alternating with batches, so neither starves the other.
        if (this.batch === null && this.retentionDue() && !this.retentionRan) {
          this.retentionRan = true;
          await this.retentionStep();
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        this.retentionRan = false;
        if (this.batch === null) {
          const n = this.pending();
          const urgent = n > 0 && (this.seqs[this.head] < this.flushUpTo || this.closing);
          if (n === 0 || (n < this.cfg.batchSize && !urgent && Date.now() - this.firstPendingAt < this.cfg.flushIntervalMs)) {
            if (this.retentionDue()) continue;
            if (n > 0) this.schedule(this.cfg.flushIntervalMs - (Date.now() - this.firstPendingAt));
            else if (this.cfg.retentionDays > 0) this.schedule(this.nextRetentionAt - Date.now());
            return;
          }
          this.batch = this.takeBatch();
        }
        const b = this.batch;
        this.writing = true;
        try {
          await this.writeIsolating(b, 0, b.rows.length);
        } catch (err) {
          this.writing = false;
          this.onFailure(err, 'write');
          this.applyDrop();
          if (this.closing) return this.finishClose();
          this.schedule(0);
          return;
        }
        this.writing = false;
        this.batch = null;
        // status first: whoever waits for these records sees the recovery when they settle
        this.onSuccess();
        const rejected = b.rejected.size;
        this.settle(b.rows.length, b.rows.length - rejected, rejected, rejected);
        if (rejected > 0) this.logRejected(b);
        this.applyDrop();
        // Let messages (more records, flush, close, queries) in between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * Writes rows [from, to) of the batch in one transaction; when the database refuses the data
   * itself, splits the range to find the refused rows and writes the others.
   */
  private async writeIsolating(b: Batch, from: number, to: number): Promise<void> {
    const rows: StoredRow[] = [];
    for (let i = from; i < to; i++) {
      const r = b.rows[i];
      if (r !== null && !b.rejected.has(i)) rows.push(r);
    }
    if (rows.length === 0) return;
    try {
      await this.sink.write(rows);
    } catch (err) {
      if (this.sink.classify(err) !== 'data') throw err;
      if (to - from === 1) {
        b.rejected.set(from, `refused by the database: ${errorMessage(err)}`);
        return;
      }
      const mid = from + Math.floor((to - from) / 2);
      await this.writeIsolating(b, from, mid);
      await this.writeIsolating(b, mid, to);
    }
  }

  private logRejected(b: Batch): void {
    const now = Date.now();
    if (now - this.rejectLogAt < 10_000) return;
    this.rejectLogAt = now;
    const [i, reason] = b.rejected.entries().next().value as [number, string];
    const r = b.records[i] as Partial<PredictionRecord> | null;
    this.log('warn', 'prediction log: records refused', {
      count: b.rejected.size,
      example: { requestId: r?.requestId, row: r?.row, model: r?.model, reason },
    });
  }

  private backoff(): number {
    const base = Math.min(this.cfg.backoffMax, this.cfg.backoffMin * 2 ** Math.min(30, this.consecutiveFailures - 1));
    return Math.round(base * (0.5 + Math.random() * 0.5));
  }

  private onFailure(err: unknown, during: 'open' | 'write'): void {
    this.consecutiveFailures++;
    this.writeFailures++;
    this.lastError = errorMessage(err);
    this.retryAt = Date.now() + this.backoff();
    this.opened = false;
    void this.sink.reset().catch(() => undefined);
    if (this.healthy) {
      this.healthy = false;
      this.unhealthySince = Date.now();
      this.log('warn', 'prediction log: sink unavailable, buffering and retrying', { during, error: this.lastError });
    } else {
      this.log('debug', 'prediction log: retry failed', { during, error: this.lastError, attempt: this.consecutiveFailures });
    }
    this.status();
  }

  private onSuccess(): void {
    this.consecutiveFailures = 0;
    this.retryAt = 0;
    if (!this.healthy) {
      this.healthy = true;
      this.log('info', 'prediction log: sink recovered', { downMs: Date.now() - this.unhealthySince, lastError: this.lastError });
      this.status();
    }
  }

  private retentionDue(): boolean {
    return this.cfg.retentionDays > 0 && !this.closing && Date.now() >= this.nextRetentionAt;
  }

  /** Deletes one chunk of expired rows; the run ends (until the next interval) with a chunk that is not full. */
  private async retentionStep(): Promise<void> {
    const cutoff = Date.now() - this.cfg.retentionDays * DAY_MS;
    try {
      const n = await this.sink.deleteOlderThan(cutoff, RETENTION_CHUNK);
      this.retentionDeleted += n;
      if (n < RETENTION_CHUNK) {
        this.nextRetentionAt = Date.now() + this.cfg.retentionIntervalMs;
        if (this.retentionDeleted > 0) {
          this.log('info', 'prediction log: retention deleted old rows', { deleted: this.retentionDeleted, before: new Date(cutoff).toISOString() });
        }
        this.retentionDeleted = 0;
      }
    } catch (err) {
      this.log('warn', 'prediction log: retention failed', { error: errorMessage(err) });
      this.nextRetentionAt = Date.now() + Math.min(this.cfg.retentionIntervalMs, 60_000);
      if (this.sink.classify(err) === 'unavailable') {
        this.opened = false;
        void this.sink.reset().catch(() => undefined);
      }
    }
  }

  private finishClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Whatever is still here could not be written before close (sink down): count it as dropped.
    let left = this.pending();
    if (this.batch) left += this.batch.rows.length;
    if (left > 0) this.settle(left, 0, left, 0);
    this.batch = null;
    this.queue = [];
    this.seqs = [];
    this.head = 0;
    void this.sink
      .close()
      .catch(() => undefined)
      .then(() => this.emit({ t: 'closed' }));
  }
}

async function readAll(sink: PredictionSink, q: LogQuery): Promise<PredictionRecord[]> {
  const out: PredictionRecord[] = [];
  for await (const r of readPages(sink, q, 5000)) out.push(r);
  return out;
}

async function* readPages(sink: PredictionSink, q: LogQuery, pageSize: number): AsyncGenerator<PredictionRecord> {
  let remaining = q.limit ?? Infinity;
  let after: ReadCursor | null = null;
  while (remaining > 0) {
    const n = Math.min(pageSize, remaining);
    const page = await sink.read(q, after, n);
    for (const r of page) yield fromReadRow(r);
    remaining -= page.length;
    if (page.length < n) return;
    const last = page[page.length - 1];
    after = { ts: last.ts, requestId: last.requestId, row: last.row, role: last.role, id: last.id };
  }
}

// ───────────────────────────────────────── the buffered log (main thread) ─────────────────────────────────────────

const CHUNK = 256;

interface WriterPort {
  post(m: ToWriter): void;
  /** Ask for a clean stop; resolves when done (or after the timeout). */
  terminate(): Promise<void>;
  ref(on: boolean): void;
}

type MiniLogger = Pick<Logger, LogLevel>;
const noop = (): void => {};
const noopLogger = { debug: noop, info: noop, warn: noop, error: noop } as unknown as MiniLogger;

class BufferedPredictionLog implements PredictionLog {
  readonly url: string;
  private queue: PredictionRecord[] = [];
  private head = 0;
  /** Seq of queue[head]; accepted records get consecutive seqs. */
  private headSeq = 0;
  private nextSeq = 0;
  /** Chunks handed to the writer and not yet settled: [firstSeq, count], in order. */
  private sent: [number, number][] = [];
  private inWriter = 0;
  private written = 0;
  private dropped = 0;
  private rejected = 0;
  private writeFailures = 0;
  private lastError: string | null = null;
  private healthy = true;
  private pumpScheduled = false;
  private closing: Promise<void> | null = null;
  private waiters: { upTo: number; resolve: () => void }[] = [];
  private queries = new Map<number, { resolve: (r: PredictionRecord[]) => void; reject: (e: Error) => void }>();
  private nextQuery = 1;
  private overflowSinceLog = 0;
  private overflowLogAt = 0;
  private keepAlive: NodeJS.Timeout | null = null;
  private port: WriterPort | null = null;
  /** Starts a new writer thread after the previous one died (worker mode). */
  restart: (() => Promise<void>) | null = null;
  private readonly log: MiniLogger;
  private readonly window: number;
  private closedResolve: (() => void) | null = null;

  constructor(
    url: string,
    private readonly maxBuffered: number,
    batchSize: number,
    private readonly flushTimeoutMs: number,
    private readonly closeTimeoutMs: number,
    logger: Logger | undefined,
  ) {
    this.url = redactUrl(url);
    this.log = logger ?? noopLogger;
    this.window = Math.max(3 * batchSize, CHUNK);
  }

  attach(port: WriterPort): void {
    this.port = port;
    this.schedulePump();
  }

  append(records: readonly PredictionRecord[]): void {
    try {
      if (this.closing) {
        this.dropped += records.length;
        return;
      }
      let overflow = 0;
      for (let i = 0; i < records.length; i++) {
        if (this.queue.length - this.head + this.inWriter >= this.maxBuffered) {
          overflow = records.length - i;
          break;
        }
        this.queue.push(records[i]);
        this.nextSeq++;
      }
      if (overflow > 0) this.onOverflow(overflow);
      this.schedulePump();
    } catch {
      // never throws (e.g. records is not iterable): nothing sensible to count
    }
  }

  private onOverflow(n: number): void {
    this.dropped += n;
    this.overflowSinceLog += n;
    const now = Date.now();
    if (now - this.overflowLogAt >= 10_000) {
      this.log.warn({ sink: this.url, dropped: this.overflowSinceLog, maxBuffered: this.maxBuffered, lastError: this.lastError }, 'prediction log: buffer full, records dropped');
      this.overflowLogAt = now;
      this.overflowSinceLog = 0;
    }
  }

  stats(): PredictionLogStats {
    return {
      buffered: this.queue.length - this.head + this.inWriter,
      written: this.written,
      dropped: this.dropped,
      rejected: this.rejected,
      writeFailures: this.writeFailures,
      lastError: this.lastError,
      healthy: this.healthy,
    };
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.queue.length === this.head) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hands one chunk to the writer per event-loop turn, at most `window` records ahead. */
  private pump(): void {
    if (!this.port) return;
    const room = this.window - this.inWriter;
    const n = Math.min(CHUNK, room, this.queue.length - this.head);
    if (n <= 0) return;
    const records = this.queue.slice(this.head, this.head + n);
    const firstSeq = this.headSeq;
    this.head += n;
    this.headSeq += n;
    this.compact();
    this.sent.push([firstSeq, n]);
    this.inWriter += n;
    try {
      this.port.post({ t: 'append', firstSeq, records });
    } catch {
      // A record that cannot be cloned to the worker (e.g. holds a function): send a stand-in that
      // the writer rejects, so the other records of the chunk still go through, in order.
      const safe = records.map((r) => {
        try {
          structuredClone(r);
          return r;
        } catch (err) {
          return { unsendable: `cannot be handed to the writer thread: ${errorMessage(err)}` } as unknown as PredictionRecord;
        }
      });
      try {
        this.port.post({ t: 'append', firstSeq, records: safe });
      } catch {
        this.port.post({ t: 'append', firstSeq, records: safe.map(() => null as unknown as PredictionRecord) });
      }
    }
    this.schedulePump();
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** The first seq not yet settled. */
  private frontier(): number {
    if (this.sent.length > 0) return this.sent[0][0];
    return this.headSeq;
  }

  onMessage(m: FromWriter): void {
    switch (m.t) {
      case 'settled': {
        let n = m.n;
        this.inWriter -= n;
        while (n > 0 && this.sent.length > 0) {
          const c = this.sent[0];
          const k = Math.min(n, c[1]);
          c[0] += k;
          c[1] -= k;
          n -= k;
          if (c[1] === 0) this.sent.shift();
        }
        this.written += m.written;
        this.dropped += m.dropped;
        this.rejected += m.rejected;
        this.resolveWaiters();
        this.schedulePump();
        break;
      }
      case 'status':
        this.healthy = m.healthy;
        this.lastError = m.lastError;
        this.writeFailures = m.writeFailures;
        break;
      case 'log':
        this.log[m.level](m.fields, m.msg);
        break;
      case 'queryResult': {
        const q = this.queries.get(m.id);
        this.queries.delete(m.id);
        if (q) {
          if (m.rows) q.resolve(m.rows);
          else q.reject(new Error(m.error ?? 'query failed'));
        }
        this.updateRef();
        break;
      }
      case 'closed':
        this.closedResolve?.();
        break;
      case 'ready':
        // a (re)started writer: its first connection attempt decides
        this.healthy = m.ok;
        if (m.error) this.lastError = m.error;
        break;
    }
  }

  /** The writer is gone (worker crashed): its records have an unknown outcome and count as dropped. */
  writerLost(reason: string): void {
    const n = this.inWriter;
    this.sent = [];
    this.inWriter = 0;
    this.dropped += n;
    this.healthy = false;
    this.lastError = reason;
    this.log.error({ sink: this.url, lost: n, error: reason }, 'prediction log: writer thread failed');
    for (const q of this.queries.values()) q.reject(new Error(reason));
    this.queries.clear();
    this.port = null;
    this.resolveWaiters();
    this.closedResolve?.();
    const restart = this.restart;
    if (!this.closing && restart) {
      setTimeout(() => {
        if (this.closing) return;
        restart().catch((err: unknown) => this.writerLost(`cannot restart the writer thread: ${errorMessage(err)}`));
      }, 1000).unref();
    }
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const f = this.frontier();
    const done = this.waiters.filter((w) => f >= w.upTo);
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => f < w.upTo);
    for (const w of done) w.resolve();
    this.updateRef();
  }

  /** Keeps the process alive while someone awaits the writer (timers and the worker are unref'd otherwise). */
  private updateRef(): void {
    const need = this.waiters.length > 0 || this.queries.size > 0 || this.closedResolve !== null;
    if (need && !this.keepAlive) this.keepAlive = setInterval(() => {}, 1 << 30);
    if (!need && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
    this.port?.ref(need);
  }

  flush(opts: FlushOptions = {}): Promise<void> {
    const upTo = this.nextSeq;
    if (this.frontier() >= upTo) return Promise.resolve();
    const timeoutMs = opts.timeoutMs ?? this.flushTimeoutMs;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.dropUpTo(upTo), timeoutMs);
      timer.unref();
      this.waiters.push({ upTo, resolve: () => (clearTimeout(timer), resolve()) });
      this.updateRef();
      this.port?.post({ t: 'flush', upTo });
      this.schedulePump();
    });
  }

  /** Flush timed out: drop what is still waiting below upTo (here, and in the writer). */
  private dropUpTo(upTo: number): void {
    let n = 0;
    while (this.head < this.queue.length && this.headSeq < upTo) {
      this.head++;
      this.headSeq++;
      n++;
    }
    this.compact();
    if (n > 0) {
      this.dropped += n;
      this.log.warn({ sink: this.url, dropped: n, lastError: this.lastError }, 'prediction log: flush timed out, records dropped');
    }
    this.port?.post({ t: 'drop', upTo });
    this.resolveWaiters();
  }

  query(q: LogQuery): Promise<PredictionRecord[]> {
    if (this.closing) return Promise.reject(new Error('prediction log is closed'));
    const port = this.port;
    if (!port) return Promise.reject(new Error(`prediction log writer is restarting: ${this.lastError ?? ''}`));
    return new Promise((resolve, reject) => {
      const id = this.nextQuery++;
      this.queries.set(id, { resolve, reject });
      this.updateRef();
      port.post({ t: 'query', id, q });
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      const deadline = Date.now() + this.closeTimeoutMs;
      await this.flush({ timeoutMs: Math.max(0, Math.min(this.flushTimeoutMs, this.closeTimeoutMs)) });
      const port = this.port;
      if (port) {
        const closed = new Promise<void>((resolve) => (this.closedResolve = resolve));
        this.updateRef();
        port.post({ t: 'close' });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, Math.max(1000, deadline - Date.now()))))]);
        clearTimeout(timer);
        this.closedResolve = null;
        await port.terminate();
      }
      // Anything still unsettled (a writer that did not answer) is lost.
      const left = this.queue.length - this.head + this.inWriter;
      this.dropped += left;
      this.queue = [];
      this.head = 0;
      this.sent = [];
      this.inWriter = 0;
      this.updateRef();
      for (const q of this.queries.values()) q.reject(new Error('prediction log is closed'));
      this.queries.clear();
      const s = this.stats();
      this.log.info({ sink: this.url, written: s.written, dropped: s.dropped, rejected: s.rejected }, 'prediction log closed');
    })();
    return this.closing;
  }
}

class NoopPredictionLog implements PredictionLog {
  readonly url = 'none';
  append(): void {}
  stats(): PredictionLogStats {
    return { buffered: 0, written: 0, dropped: 0, rejected: 0, writeFailures: 0, lastError: null, healthy: true };
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  async query(): Promise<PredictionRecord[]> {
    return [];
  }
}

// ───────────────────────────────────────── opening ─────────────────────────────────────────

interface WorkerInit {
  tag: typeof WORKER_TAG;
  protocol: number;
  url: string;
  target: SinkTarget;
  sinkOptions: SinkOptions;
  cfg: WriterConfig;
}

const WORKER_TAG = 'grove.prediction-log.writer';

function positive(name: string, v: number | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new Error(`prediction log option ${name}: expected a number ≥ ${min}, got ${String(v)}`);
  return v;
}

/** Where the worker thread's code is: this module when compiled; the compiled copy in dist/ when running from TypeScript sources. */
function workerEntry(): URL | null {
  const self = new URL(import.meta.url);
  if (self.protocol !== 'file:') return null;
  if (self.pathname.endsWith('.js')) return self;
  const compiled = new URL('../../dist/monitoring/prediction-log.js', self);
  return existsSync(fileURLToPath(compiled)) ? compiled : null;
}

export async function openPredictionLog(url: string, opts: PredictionLogOptions = {}): Promise<PredictionLog> {
  const target = parseLogUrl(url);
  if (target.kind === 'none') return new NoopPredictionLog();
  const backoff = opts.retryBackoffMs ?? { min: 100, max: 5000 };
  const cfg: WriterConfig = {
    batchSize: Math.floor(positive('batchSize', opts.batchSize, 1000)),
    flushIntervalMs: positive('flushIntervalMs', opts.flushIntervalMs, 200, 0),
    retentionDays: positive('retentionDays', opts.retentionDays, 0, 0),
    retentionIntervalMs: positive('retentionIntervalMs', opts.retentionIntervalMs, 3_600_000),
    logInputs: opts.logInputs ?? true,
    backoffMin: positive('retryBackoffMs.min', backoff.min, 100, 1),
    backoffMax: Math.max(backoff.min, positive('retryBackoffMs.max', backoff.max, 5000, 1)),
  };
  const log = new BufferedPredictionLog(
    url,
    Math.floor(positive('maxBuffered', opts.maxBuffered, 100_000)),
    cfg.batchSize,
    positive('flushTimeoutMs', opts.flushTimeoutMs, 30_000, 0),
    positive('closeTimeoutMs', opts.closeTimeoutMs, 10_000, 0),
    opts.logger,
  );
  const logger: MiniLogger = opts.logger ?? noopLogger;
  let ready: Extract<FromWriter, { t: 'ready' }> | null = null;
  const entry = (opts.thread ?? 'worker') === 'worker' ? workerEntry() : null;
  if ((opts.thread ?? 'worker') === 'worker' && entry === null) {
    logger.warn({ sink: log.url }, 'prediction log: compiled worker module not found (run `npm run build:ts`); writing on the main thread');
  }
  if (entry) {
    const init: WorkerInit = { tag: WORKER_TAG, protocol: PROTOCOL, url, target, sinkOptions: { create: true, busyTimeoutMs: 2000 }, cfg };
    try {
      ready = await startWorker(entry, log, init);
      log.restart = async () => {
        await startWorker(entry, log, init);
        logger.info({ sink: log.url }, 'prediction log: writer thread restarted');
      };
    } catch (err) {
      logger.warn({ sink: log.url, error: errorMessage(err) }, 'prediction log: cannot start the writer thread; writing on the main thread');
    }
  }
  if (!ready) ready = await startInProcess(log, target, url, cfg);
  if (!ready.ok) {
    if (opts.requireReady) {
      await log.close();
      throw new Error(`prediction log ${log.url}: ${ready.error}`);
    }
    logger.error({ sink: log.url, error: ready.error }, 'prediction log: cannot open the sink; buffering and retrying');
  } else {
    logger.info({ sink: log.url, thread: entry ? 'worker' : 'main' }, 'prediction log open');
  }
  return log;
}

function startWorker(entry: URL, log: BufferedPredictionLog, init: WorkerInit): Promise<Extract<FromWriter, { t: 'ready' }>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: init });
    let started = false;
    let stopping = false;
    worker.unref();
    worker.on('message', (m: FromWriter) => {
      if (m.t === 'ready' && !started) {
        started = true;
        if (m.protocol !== PROTOCOL) {
          stopping = true;
          void worker.terminate();
          reject(new Error(`writer protocol ${m.protocol} ≠ ${PROTOCOL} (stale build?)`));
          return;
        }
        resolve(m);
      }
      log.onMessage(m);
    });
    // An uncaught error is followed by 'exit': whichever comes first is reported, once.
    worker.on('error', (err) => {
      if (!started) {
        started = true;
        stopping = true;
        reject(err);
      } else if (!stopping) {
        stopping = true;
        log.writerLost(`writer thread error: ${errorMessage(err)}`);
      }
    });
    worker.on('exit', (code) => {
      if (!started) {
        started = true;
        stopping = true;
        reject(new Error(`writer thread exited with code ${code}`));
      } else if (!stopping) {
        stopping = true;
        log.writerLost(`writer thread exited with code ${code}`);
      }
    });
    log.attach({
      post: (m) => worker.postMessage(m),
      ref: (on) => (on ? worker.ref() : worker.unref()),
      terminate: async () => {
        stopping = true;
        await worker.terminate();
      },
    });
  });
}

async function startInProcess(log: BufferedPredictionLog, target: SinkTarget, url: string, cfg: WriterConfig): Promise<Extract<FromWriter, { t: 'ready' }>> {
  // On the main thread a lock wait blocks the event loop: keep it short.
  const sink = await createSink(target, url, { create: true, busyTimeoutMs: 50 });
  const got: { ready: Extract<FromWriter, { t: 'ready' }> | null } = { ready: null };
  const writer = new SinkWriter(sink, cfg, (m) => {
    if (m.t === 'ready') got.ready = m;
    queueMicrotask(() => log.onMessage(m));
  });
  log.attach({ post: (m) => queueMicrotask(() => writer.handle(m)), ref: () => {}, terminate: async () => {} });
  await writer.start();
  return got.ready ?? { t: 'ready', ok: false, error: 'writer did not start', protocol: PROTOCOL };
}

// Worker thread side: this same module, started with the tagged workerData.
if (!isMainThread && parentPort && (workerData as Partial<WorkerInit> | null)?.tag === WORKER_TAG) {
  const init = workerData as WorkerInit;
  const port = parentPort;
  void (async () => {
    if (init.protocol !== PROTOCOL) {
      port.postMessage({ t: 'ready', ok: false, error: 'protocol mismatch', protocol: PROTOCOL } satisfies FromWriter);
      return;
    }
    const sink = await createSink(init.target, init.url, init.sinkOptions);
    const writer = new SinkWriter(sink, init.cfg, (m) => port.postMessage(m));
    port.on('message', (m: ToWriter) => writer.handle(m));
    await writer.start();
  })();
}

// ───────────────────────────────────────── reading ─────────────────────────────────────────

async function openReader(url: string): Promise<PredictionSink> {
  const target = parseLogUrl(url);
  if (target.kind === 'none') throw new Error("prediction log 'none' holds nothing to read");
  if (target.kind === 'sqlite' && target.path === ':memory:') {
    throw new Error("an in-memory prediction log ('sqlite::memory:') can only be read through its PredictionLog.query()");
  }
  const sink = await createSink(target, url, { create: false, busyTimeoutMs: 5000 });
  await sink.open();
  return sink;
}

/** Records of one model, ordered by timestamp, requestId, row, role (then insertion). */
export async function readPredictions(url: string, q: LogQuery): Promise<PredictionRecord[]> {
  const sink = await openReader(url);
  try {
    return await readAll(sink, q);
  } finally {
    await sink.close();
  }
}

/** The same records as readPredictions, fetched page by page (for logs too large for memory). */
export async function* streamPredictions(url: string, q: LogQuery, pageSize = 5000): AsyncGenerator<PredictionRecord> {
  const sink = await openReader(url);
  try {
    yield* readPages(sink, q, pageSize);
  } finally {
    await sink.close();
  }
}
