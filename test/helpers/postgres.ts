/**
 * A throwaway PostgreSQL server for tests: initdb into a temporary directory, pg_ctl start on a
 * free loopback port (unix socket in the same directory), stop/kill/restart on demand, removed
 * afterwards. initdb refuses to run as root, so as root everything runs as the `postgres` user
 * (runuser). Binaries: $GROVE_TEST_POSTGRES_BIN, else the newest /usr/lib/postgresql/<v>/bin
 * (Debian's postgresql package), else `pg_ctl` on the PATH.
 *
 * When GROVE_TEST_POSTGRES_URL is set (CI may start a server), `startPostgres({ control: false })`
 * uses it instead; tests that must kill and restart the server always get their own.
 *
 * Also the simulated scoring traffic shared by the prediction-log tests (SQLite and PostgreSQL).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PredictionRecord, Role } from '../../src/monitoring/prediction-log.js';

const run = promisify(execFile);

export interface PgServer {
  /** postgres://grove@127.0.0.1:PORT/postgres (or the external URL). */
  url: string;
  port: number;
  /** true for GROVE_TEST_POSTGRES_URL: no stop/kill/start. */
  external: boolean;
  /** A fresh database on this server; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL on a database URL (one connection, closed after). */
  sql<R = Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<R[]>;
  /** pg_ctl stop -m immediate: the postmaster and backends quit at once, no checkpoint (crash-like). */
  kill(): Promise<void>;
  /** pg_ctl stop -m fast. */
  stop(): Promise<void>;
  /** Starts again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

function findBinDir(): string | null {
  const env = process.env.GROVE_TEST_POSTGRES_BIN;
  if (env) return existsSync(join(env, 'pg_ctl')) ? env : null;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')) && existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], 'bin');
  }
  try {
    const pgCtl = execFileSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).trim();
    if (pgCtl) return pgCtl.replace(/\/pg_ctl$/, '');
  } catch {
    // not on the PATH
  }
  return null;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function postgresUser(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/** Why PostgreSQL tests cannot run here, or null if they can (own server). */
export function postgresUnavailable(): string | null {
  const bin = findBinDir();
  if (!bin) return 'PostgreSQL binaries not found (apt-get install -y postgresql, or set GROVE_TEST_POSTGRES_BIN)';
  if (isRoot && !postgresUser()) return 'running as root and there is no "postgres" user to run initdb as';
  return null;
}

/** Why no PostgreSQL at all is available (neither own nor GROVE_TEST_POSTGRES_URL), or null. */
export function anyPostgresUnavailable(): string | null {
  return process.env.GROVE_TEST_POSTGRES_URL ? null : postgresUnavailable();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const require = createRequire(import.meta.url);
interface PgClient {
  connect(): Promise<void>;
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  end(): Promise<void>;
  on(ev: 'error', fn: (e: Error) => void): void;
}
const { Client } = require('pg') as { Client: new (cfg: { connectionString: string }) => PgClient };

async function sql<R>(url: string, text: string, values?: unknown[]): Promise<R[]> {
  const c = new Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

let counter = 0;

function externalServer(url: string): PgServer {
  const unsupported = async (): Promise<void> => {
    throw new Error('GROVE_TEST_POSTGRES_URL server cannot be stopped or restarted by tests');
  };
  return {
    url,
    port: Number(new URL(url).port || 5432),
    external: true,
    async createDatabase(name) {
      const db = name ?? `grove_test_${process.pid}_${Date.now()}_${counter++}`;
      await sql(url, `CREATE DATABASE "${db}"`);
      return withDatabase(url, db);
    },
    sql,
    kill: unsupported,
    stop: unsupported,
    start: unsupported,
    async destroy() {},
  };
}

/**
 * Starts a server. `control: true` (the default) always starts an own server, which the test may
 * kill and restart; `control: false` prefers GROVE_TEST_POSTGRES_URL when set.
 */
export async function startPostgres(opts: { control?: boolean } = {}): Promise<PgServer> {
  const ext = process.env.GROVE_TEST_POSTGRES_URL;
  if (opts.control === false && ext) return externalServer(ext);
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const bin = findBinDir()!;
  const dir = mkdtempSync(join(tmpdir(), 'grove-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const owner = isRoot ? postgresUser() : null;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const as = (cmd: string, args: string[]): [string, string[]] => (owner ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const exec = async (cmd: string, args: string[], timeoutMs = 60_000): Promise<void> => {
    const [c, a] = as(join(bin, cmd), args);
    try {
      await run(c, a, { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' } });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      let log = '';
      try {
        log = readFileSync(logFile, 'utf8').slice(-2000);
      } catch {
        // no log yet
      }
      throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}\n${log}`);
    }
  };

  await exec('initdb', ['-D', data, '-U', 'grove', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=off', // the tests kill the server, never the machine: data in the OS cache survives
    '-c full_page_writes=off',
    '-c max_connections=50',
    '-c shared_buffers=32MB',
  ].join(' ');
  let running = false;
  const start = async (): Promise<void> => {
    await exec('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', serverOptions, 'start']);
    running = true;
  };
  const stopWith = async (mode: 'immediate' | 'fast'): Promise<void> => {
    if (!running) return;
    await exec('pg_ctl', ['-D', data, '-w', '-t', '60', '-m', mode, 'stop']);
    running = false;
  };
  await start();
  const url = `postgres://grove@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    external: false,
    async createDatabase(name) {
      const db = name ?? `grove_test_${counter++}`;
      await sql(url, `CREATE DATABASE "${db}"`);
      return withDatabase(url, db);
    },
    sql,
    kill: () => stopWith('immediate'),
    stop: () => stopWith('fast'),
    start,
    async destroy() {
      try {
        await stopWith('immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

// ───────────────────── simulated traffic for the prediction-log tests ─────────────────────

/** mulberry32: a small deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Traffic {
  /** Records of request i (all rows × roles), built on demand. */
  request(i: number): PredictionRecord[];
}

export function traffic(opts: { seed?: number; model?: string; prefix?: string; t0?: number } = {}): Traffic {
  const model = opts.model ?? 'house-prices';
  const prefix = opts.prefix ?? 'req';
  const t0 = opts.t0 ?? Date.now();
  const seed = opts.seed ?? 1;
  return {
    request(i: number): PredictionRecord[] {
      const r = rng(seed * 1_000_003 + i);
      const rows = 1 + Math.floor(r() * 3);
      const roles: [Role, number][] = [['live', 1]];
      const u = r();
      if (u < 0.5) roles.push(['shadow', 2]);
      else if (u < 0.6) roles.push(['canary', 2]);
      else if (u < 0.65) roles.push(['pinned', 3]);
      const out: PredictionRecord[] = [];
      const ts = t0 + i;
      for (let row = 0; row < rows; row++) {
        const input = { LotArea: Math.round(r() * 20000), Neighborhood: r() < 0.5 ? 'NAmes' : 'CollgCr', OverallQual: 1 + Math.floor(r() * 10), GarageCars: r() < 0.1 ? null : 2 };
        for (const [role, version] of roles) {
          const failed = r() < 0.02;
          out.push({
            requestId: `${prefix}-${i}`,
            row,
            model,
            version,
            role,
            timestamp: ts,
            input,
            inputHash: null,
            outputs: failed ? [] : [100_000 + r() * 200_000],
            latencyUs: Math.round(r() * 5000) / 10,
            error: failed ? 'rows[0].LotArea: expected a number' : null,
          });
        }
      }
      return out;
    },
  };
}

/** One prediction-log record with plain defaults; `over` replaces any field. */
export function record(over: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    requestId: 'r1',
    row: 0,
    model: 'm',
    version: 1,
    role: 'live',
    timestamp: 1_700_000_000_123,
    input: { a: 1.5, b: 'x' },
    inputHash: null,
    outputs: [0.25],
    latencyUs: 321.5,
    error: null,
    ...over,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until pred() is true (or throws after timeoutMs). */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
