/**
 * PostgreSQL prediction-log sink (pg): for several replicas writing one log.
 *
 * One batch = one INSERT … SELECT FROM jsonb_to_recordset($1) … ON CONFLICT DO NOTHING: a single
 * parameter whatever the batch size, one implicit transaction, and a retry after an unknown
 * outcome (connection lost around COMMIT) inserts nothing twice. Inputs and outputs are jsonb;
 * text columns use the "C" collation so the read order (and keyset pagination) matches SQLite's.
 *
 * The pool reconnects by itself; after any failure that is not about the data, the next attempt
 * re-runs the migrations (cheap when nothing is pending) so a database that came back empty is
 * usable again. Migrations run in one transaction under an advisory lock: two processes opening
 * at once apply each migration once.
 */
import { createRequire } from 'node:module';
import { MIGRATIONS, MIGRATIONS_TABLE } from './migrations/index.js';
import type { ErrorKind, LogQuery, PredictionSink, ReadCursor, ReadRow, SinkOptions, StoredRow } from './prediction-log.js';
import { readRowFromSql, type SqlRow } from './sql-row.js';

// The parts of pg's API used here (the package ships no types and @types/pg is not installed).
interface QueryResult<R> {
  rows: R[];
  rowCount: number | null;
}
interface PoolClient {
  query<R = unknown>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  release(err?: Error | boolean): void;
}
interface Pool {
  query<R = unknown>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  connect(): Promise<PoolClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}
type PoolCtor = new (config: Record<string, unknown>) => Pool;

const require = createRequire(import.meta.url);
let driver: PoolCtor | null = null;
function pgPool(): PoolCtor {
  driver ??= (require('pg') as { Pool: PoolCtor }).Pool;
  return driver;
}

/** pg_advisory_xact_lock key serializing migrations ('grove' in ASCII). */
const MIGRATION_LOCK = 0x67726f7665;

const INSERT = `
INSERT INTO grove_predictions (request_id, row_index, model, version, role, ts, input, input_hash, outputs, latency_us, error)
SELECT b.r, b.i, b.m, b.v, b.o, to_timestamp(b.t / 1000.0::float8), b.x, b.h, b.y, b.l, b.e
FROM jsonb_to_recordset($1::jsonb) AS b(r text, i integer, m text, v integer, o text, t float8, x jsonb, h text, y jsonb, l float8, e text)
ON CONFLICT DO NOTHING`;

const SELECT = `SELECT id::float8 AS id, request_id, row_index, model, version, role, (extract(epoch FROM ts) * 1000)::float8 AS ts,
  input::text AS input, input_hash, outputs::text AS outputs, latency_us, error FROM grove_predictions`;

const str = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));

/** The batch as one JSON array for jsonb_to_recordset (inputs and outputs are JSON already). */
function batchJson(rows: readonly StoredRow[]): string {
  const parts: string[] = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    parts[i] =
      `{"r":${JSON.stringify(r.requestId)},"i":${r.row},"m":${JSON.stringify(r.model)},"v":${r.version},"o":"${r.role}","t":${r.ts},` +
      `"x":${r.inputJson ?? 'null'},"h":${str(r.inputHash)},"y":${r.outputsJson},"l":${r.latencyUs ?? 'null'},"e":${str(r.error)}}`;
  }
  return '[' + parts.join(',') + ']';
}

export class PostgresSink implements PredictionSink {
  readonly kind = 'postgres';
  private pool: Pool | null = null;
  private migrated = false;

  constructor(
    private readonly connectionString: string,
    readonly url: string,
    private readonly opts: SinkOptions,
  ) {}

  private getPool(): Pool {
    if (!this.pool) {
      const Pool = pgPool();
      const pool = new Pool({
        connectionString: this.connectionString,
        // one batch in flight, plus one connection for retention and reads
        max: 2,
        connectionTimeoutMillis: 5000,
        idleTimeoutMillis: 30_000,
        keepAlive: true,
        statement_timeout: 30_000,
        query_timeout: 35_000,
        application_name: 'grove-prediction-log',
      });
      // An idle connection that dies (server restart) is reported here; without a listener the
      // 'error' event would crash the process. The pool drops the connection; the next query reconnects.
      pool.on('error', () => {});
      this.pool = pool;
    }
    return this.pool;
  }

  async open(): Promise<void> {
    const pool = this.getPool();
    if (this.opts.create && !this.migrated) {
      await migrate(pool);
      this.migrated = true;
    }
  }

  async write(rows: readonly StoredRow[]): Promise<number> {
    const res = await this.getPool().query(INSERT, [batchJson(rows)]);
    return res.rowCount ?? 0;
  }

  async deleteOlderThan(cutoffMs: number, maxRows: number): Promise<number> {
    const res = await this.getPool().query(
      'DELETE FROM grove_predictions WHERE id IN (SELECT id FROM grove_predictions WHERE ts < to_timestamp($1::float8 / 1000.0::float8) LIMIT $2)',
      [Math.floor(cutoffMs), maxRows],
    );
    return res.rowCount ?? 0;
  }

  async read(q: LogQuery, after: ReadCursor | null, limit: number): Promise<ReadRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown): string => (params.push(v), `$${params.length}`);
    where.push(`model = ${p(q.model)}`);
    if (q.since) where.push(`ts >= to_timestamp(${p(q.since.getTime())}::float8 / 1000.0::float8)`);
    if (q.until) where.push(`ts < to_timestamp(${p(q.until.getTime())}::float8 / 1000.0::float8)`);
    if (q.roles) {
      if (q.roles.length === 0) return [];
      where.push(`role = ANY(${p(q.roles)}::text[])`);
    }
    if (after) {
      where.push(
        `(ts, request_id, row_index, role, id) > (to_timestamp(${p(after.ts)}::float8 / 1000.0::float8), ${p(after.requestId)}, ${p(after.row)}, ${p(after.role)}, ${p(after.id)})`,
      );
    }
    let rows: SqlRow[];
    try {
      rows = (await this.getPool().query<SqlRow>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY ts, request_id, row_index, role, id LIMIT ${p(limit)}`, params))
        .rows;
    } catch (err) {
      if ((err as { code?: unknown }).code === '42P01') return []; // no table: nothing was ever logged
      throw err;
    }
    return rows.map(readRowFromSql);
  }

  /**
   * SQLSTATE classes 22 (data exception), 23 (integrity constraint) and 54 (program limit) are
   * about the rows; anything else — connection refused or lost, shutdown, timeouts, missing
   * table, permissions — is retried.
   */
  classify(err: unknown): ErrorKind {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.length === 5 && /^(22|23|54)/.test(code)) return 'data';
    return 'unavailable';
  }

  async reset(): Promise<void> {
    this.migrated = false;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.migrated = false;
    if (pool) await pool.end();
  }
}

async function migrate(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
         version    integer PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const applied = new Set((await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`)).rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.postgres);
      await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    }
    await client.query('COMMIT');
    client.release();
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(err instanceof Error ? err : true);
    throw err;
  }
}
