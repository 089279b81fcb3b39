/**
 * SQLite prediction-log sink (better-sqlite3): the embedded default.
 *
 * The file (and its parent directories) is created on open, in WAL mode with synchronous=NORMAL:
 * readers (`grove shadow-report`, `grove diff`) never block the writer, and a commit survives a
 * crash of the process (the last commits before an OS crash or power loss may be lost — a log,
 * not a ledger). better-sqlite3 is synchronous: PredictionLog runs this sink on a worker thread
 * by default, so inserts and WAL checkpoints do not stall the server's event loop.
 *
 * After an error that is not about the data (locked, I/O error, file deleted, disk full) the
 * connection is closed and reopened on the next attempt, migrations included — so a log file
 * that was removed is recreated.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { MIGRATIONS, MIGRATIONS_TABLE } from './migrations/index.js';
import type { ErrorKind, LogQuery, PredictionSink, ReadCursor, ReadRow, SinkOptions, StoredRow } from './prediction-log.js';
import { readRowFromSql, type SqlRow } from './sql-row.js';

// The parts of better-sqlite3's API used here (the package ships no types and @types is not installed).
interface RunResult {
  changes: number;
}
interface Statement {
  run(...params: unknown[]): RunResult;
  all(...params: unknown[]): unknown[];
}
interface Transaction<A extends unknown[], R> {
  (...args: A): R;
  immediate(...args: A): R;
}
interface Database {
  readonly open: boolean;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(source: string): void;
  prepare(source: string): Statement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R>;
  close(): void;
}
type DatabaseCtor = new (filename: string, options?: { fileMustExist?: boolean; timeout?: number }) => Database;

const require = createRequire(import.meta.url);
let driver: DatabaseCtor | null = null;
function sqlite(): DatabaseCtor {
  driver ??= require('better-sqlite3') as DatabaseCtor;
  return driver;
}

const COLUMNS = 'id, request_id, row_index, model, version, role, ts, input, input_hash, outputs, latency_us, error';

export class SqliteSink implements PredictionSink {
  readonly kind = 'sqlite';
  private db: Database | null = null;
  private insert: Transaction<[readonly StoredRow[]], number> | null = null;

  constructor(
    private readonly path: string,
    readonly url: string,
    private readonly opts: SinkOptions,
  ) {}

  private get memory(): boolean {
    return this.path === ':memory:';
  }

  async open(): Promise<void> {
    if (this.db?.open) return;
    this.db = null;
    const Database = sqlite();
    if (!this.memory && this.opts.create) mkdirSync(dirname(this.path), { recursive: true });
    let db: Database;
    try {
      db = new Database(this.path, { fileMustExist: !this.opts.create, timeout: this.opts.busyTimeoutMs });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CANTOPEN' && !this.opts.create) {
        throw new Error(`prediction log not found: ${this.path}`);
      }
      throw err;
    }
    try {
      if (!this.memory && this.opts.create) db.pragma('journal_mode = WAL'); // persistent: readers find the file in WAL mode
      db.pragma('synchronous = NORMAL');
      if (this.opts.create) migrate(db);
      const ins = db.prepare(
        `INSERT INTO grove_predictions (request_id, row_index, model, version, role, ts, input, input_hash, outputs, latency_us, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      );
      const insert = db.transaction((rows: readonly StoredRow[]): number => {
        let n = 0;
        for (const r of rows) {
          n += ins.run(r.requestId, r.row, r.model, r.version, r.role, r.ts, r.inputJson, r.inputHash, r.outputsJson, r.latencyUs, r.error).changes;
        }
        return n;
      });
      this.db = db;
      this.insert = insert;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async write(rows: readonly StoredRow[]): Promise<number> {
    if (!this.insert) await this.open();
    // BEGIN IMMEDIATE: take the write lock up front (waiting up to busyTimeoutMs for another writer).
    return this.insert!.immediate(rows);
  }

  async deleteOlderThan(cutoffMs: number, maxRows: number): Promise<number> {
    if (!this.db) await this.open();
    return this.db!.prepare('DELETE FROM grove_predictions WHERE id IN (SELECT id FROM grove_predictions WHERE ts < ? LIMIT ?)').run(Math.floor(cutoffMs), maxRows)
      .changes;
  }

  async read(q: LogQuery, after: ReadCursor | null, limit: number): Promise<ReadRow[]> {
    if (!this.db) await this.open();
    const where: string[] = ['model = ?'];
    const params: unknown[] = [q.model];
    if (q.since) {
      where.push('ts >= ?');
      params.push(q.since.getTime());
    }
    if (q.until) {
      where.push('ts < ?');
      params.push(q.until.getTime());
    }
    if (q.roles) {
      if (q.roles.length === 0) return [];
      where.push(`role IN (${q.roles.map(() => '?').join(', ')})`);
      params.push(...q.roles);
    }
    if (after) {
      where.push('(ts, request_id, row_index, role, id) > (?, ?, ?, ?, ?)');
      params.push(after.ts, after.requestId, after.row, after.role, after.id);
    }
    params.push(limit);
    let rows: SqlRow[];
    try {
      rows = this.db!.prepare(`SELECT ${COLUMNS} FROM grove_predictions WHERE ${where.join(' AND ')} ORDER BY ts, request_id, row_index, role, id LIMIT ?`).all(
        ...params,
      ) as SqlRow[];
    } catch (err) {
      if (/no such table/.test((err as Error).message)) return []; // nothing was ever logged
      throw err;
    }
    return rows.map(readRowFromSql);
  }

  classify(err: unknown): ErrorKind {
    if (err instanceof RangeError || err instanceof TypeError) return 'data'; // a value better-sqlite3 cannot bind
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(code)) return 'data';
    return 'unavailable';
  }

  async reset(): Promise<void> {
    // An in-memory database would be lost with its connection: keep it.
    if (this.memory) return;
    const db = this.db;
    this.db = null;
    this.insert = null;
    try {
      db?.close();
    } catch {
      // already broken
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    this.insert = null;
    db?.close();
  }
}

/**
 * Applies pending migrations in one IMMEDIATE transaction: a second process opening the same file
 * waits for the lock, then finds the versions recorded and applies nothing.
 */
function migrate(db: Database): void {
  const run = db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
         version    INTEGER PRIMARY KEY,
         name       TEXT NOT NULL,
         applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
       )`,
    );
    const applied = new Set((db.prepare(`SELECT version FROM ${MIGRATIONS_TABLE}`).all() as { version: number }[]).map((r) => r.version));
    const record = db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (?, ?)`);
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      db.exec(m.sqlite);
      record.run(m.version, m.name);
    }
  });
  run.immediate();
}
