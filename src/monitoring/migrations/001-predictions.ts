/**
 * Migration 1: the prediction log table and its indexes, in both dialects.
 *
 * One row per scored row and role. The unique key makes every write idempotent: a batch that is
 * retried after an unknown outcome (the connection died around COMMIT) inserts nothing twice.
 * It leads with request_id, so it also serves look-ups by request id (shadow comparison).
 */
import type { Migration } from './index.js';

export const migration001: Migration = {
  version: 1,
  name: 'predictions',
  sqlite: `
CREATE TABLE grove_predictions (
  id          INTEGER PRIMARY KEY,
  request_id  TEXT    NOT NULL,
  row_index   INTEGER NOT NULL,
  model       TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  role        TEXT    NOT NULL,
  ts          INTEGER NOT NULL,  -- milliseconds since the Unix epoch (UTC)
  input       TEXT,              -- JSON object: the raw record (NULL when inputs are not logged or were dense)
  input_hash  TEXT,              -- sha256 hex of the canonical JSON of the input
  outputs     TEXT    NOT NULL,  -- JSON array, one number per output ([] on error)
  latency_us  REAL,
  error       TEXT
);
CREATE UNIQUE INDEX grove_predictions_key ON grove_predictions (request_id, row_index, role, model, version, ts);
CREATE INDEX grove_predictions_model_ts ON grove_predictions (model, ts);
CREATE INDEX grove_predictions_ts ON grove_predictions (ts);
`,
  postgres: `
CREATE TABLE grove_predictions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id  text COLLATE "C" NOT NULL,
  row_index   integer NOT NULL,
  model       text COLLATE "C" NOT NULL,
  version     integer NOT NULL,
  role        text COLLATE "C" NOT NULL,
  ts          timestamptz NOT NULL,
  input       jsonb,
  input_hash  text COLLATE "C",
  outputs     jsonb NOT NULL,
  latency_us  double precision,
  error       text
);
CREATE UNIQUE INDEX grove_predictions_key ON grove_predictions (request_id, row_index, role, model, version, ts);
CREATE INDEX grove_predictions_model_ts ON grove_predictions (model, ts);
CREATE INDEX grove_predictions_ts ON grove_predictions (ts);
`,
};
