/**
 * Versioned schema migrations of the prediction log, applied in order when a sink opens.
 *
 * Each migration carries its SQL for both dialects (SQLite and PostgreSQL differ in identity
 * columns, JSON and timestamp types). They live in TypeScript modules rather than .sql files so
 * the compiled package (dist/) carries them without a copy step. Applied versions are recorded in
 * `grove_schema_migrations` (version, name, applied_at); a migration is never edited once
 * released — a schema change is a new migration with the next version.
 */
import { migration001 } from './001-predictions.js';

export interface Migration {
  /** 1, 2, 3, ... applied in ascending order, each exactly once per database. */
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS_TABLE = 'grove_schema_migrations';

export const MIGRATIONS: readonly Migration[] = [migration001];

/** Versions must be 1..N without gaps or repeats; checked once at import so a bad edit fails fast. */
MIGRATIONS.forEach((m, i) => {
  if (m.version !== i + 1) throw new Error(`prediction log migrations: expected version ${i + 1}, found ${m.version} (${m.name})`);
});
