/**
 * Pairs the shadow rows of the prediction log with the live answers of the same requests: a
 * shadow record (role `shadow`, the candidate's prediction) and a live record (role `live`) with
 * the same requestId and row are one pair, grouped by (live version, candidate version).
 *
 * Reading: the shadow rows are streamed first and kept in a map (shadowing is sampled, so they are
 * the smaller side); then the live rows are streamed and looked up. Memory is bounded by the
 * shadow rows of the window, not the whole log.
 *
 * Window: a pair belongs to the window by its live row's timestamp. A shadow row is written after
 * its live row (the candidate scores off the request path), so live rows are read from `slackMs`
 * before `since` (they pair shadow rows at the window's start but are not counted themselves) and
 * shadow rows up to `slackMs` after `until`.
 */
import { redactUrl, streamPredictions, type LogQuery, type PredictionRecord } from '../monitoring/prediction-log.js';

export interface PairGroup {
  liveVersion: number;
  candidateVersion: number;
  /** Paired first outputs (the prediction), in the log's order (live timestamp, requestId, row). */
  live: Float64Array;
  candidate: Float64Array;
  /** Live timestamps of the first and last pair (ms since epoch); null without pairs. */
  firstTs: number | null;
  lastTs: number | null;
  /** The candidate refused the row (shadow error) while live answered it. */
  shadowErrors: number;
  /** Live refused the row, the candidate answered it. */
  liveErrors: number;
  /** Both refused the row. */
  bothRefused: number;
  /** Both answered, but one answer is NaN or infinite (not a pair for the statistics). */
  nonFinite: number;
  /** The most frequent reasons the candidate refused rows (at most 5), with counts. */
  shadowErrorReasons: { reason: string; count: number }[];
}

export interface PairedLog {
  model: string;
  /** The log's URL, password redacted. */
  url: string;
  since: Date | null;
  until: Date | null;
  groups: PairGroup[];
  /** Live rows in the window. */
  liveRows: number;
  /** Shadow rows in the window. */
  shadowRows: number;
  /** First and last timestamp of the live and shadow rows in the window. */
  firstTs: number | null;
  lastTs: number | null;
  /** Live rows of the window without a shadow row. */
  unpairedLive: {
    total: number;
    byVersion: Record<string, number>;
    /** Of total: rows of requests some other row of which was shadowed (rows lost on the way). */
    inShadowedRequests: number;
  };
  /** Shadow rows of the window whose live row is not in the log (e.g. dropped on buffer overflow). */
  unpairedShadow: { total: number; byCandidate: Record<string, number> };
}

export interface PairOptions {
  since?: Date | null;
  until?: Date | null;
  /** How much later than its live row a shadow row may be written; default 5 minutes. */
  slackMs?: number;
  /** Records read per page; default 5000. */
  pageSize?: number;
  /** Reads through this function instead of the URL (e.g. an open PredictionLog's query, for tests). */
  read?: (q: LogQuery) => AsyncIterable<PredictionRecord> | Promise<PredictionRecord[]>;
}

interface ShadowRow {
  version: number;
  value: number;
  error: string | null;
  ts: number;
}

class Growable {
  a = new Float64Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): Float64Array {
    return this.a.slice(0, this.n);
  }
}

interface GroupAcc {
  liveVersion: number;
  candidateVersion: number;
  live: Growable;
  candidate: Growable;
  firstTs: number | null;
  lastTs: number | null;
  shadowErrors: number;
  liveErrors: number;
  bothRefused: number;
  nonFinite: number;
  reasons: Map<string, number>;
}

const key = (requestId: string, row: number): string => `${row}\0${requestId}`;

async function* records(opts: PairOptions, url: string, q: LogQuery): AsyncGenerator<PredictionRecord> {
  if (opts.read) {
    const got = opts.read(q);
    if (Symbol.asyncIterator in got) yield* got as AsyncIterable<PredictionRecord>;
    else yield* await (got as Promise<PredictionRecord[]>);
    return;
  }
  yield* streamPredictions(url, q, opts.pageSize ?? 5000);
}

function first(outputs: readonly number[]): number {
  return outputs.length > 0 ? outputs[0] : NaN;
}

/** Reads the model's live and shadow rows of the window from the log and pairs them. */
export async function pairShadowRecords(url: string, model: string, opts: PairOptions = {}): Promise<PairedLog> {
  const since = opts.since ?? null;
  const until = opts.until ?? null;
  const slack = opts.slackMs ?? 5 * 60_000;
  const sinceMs = since ? since.getTime() : -Infinity;
  const untilMs = until ? until.getTime() : Infinity;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  const seen = (ts: number): void => {
    if (ts < sinceMs || ts >= untilMs) return;
    if (firstTs === null || ts < firstTs) firstTs = ts;
    if (lastTs === null || ts > lastTs) lastTs = ts;
  };

  // 1. Shadow rows of [since, until + slack).
  const shadows = new Map<string, ShadowRow>();
  const shadowedRequests = new Set<string>();
  let shadowRows = 0;
  const shadowQuery: LogQuery = { model, roles: ['shadow'] };
  if (since) shadowQuery.since = since;
  if (until) shadowQuery.until = new Date(untilMs + slack);
  for await (const r of records(opts, url, shadowQuery)) {
    if (r.role !== 'shadow') continue;
    const k = key(r.requestId, r.row);
    if (shadows.has(k)) continue; // one shadow per live row; a duplicate would be a logging bug
    shadows.set(k, { version: r.version, value: first(r.outputs), error: r.error, ts: r.timestamp });
    shadowedRequests.add(r.requestId);
    if (r.timestamp < untilMs) shadowRows++;
    seen(r.timestamp);
  }

  // 2. Live rows of [since - slack, until), each looked up.
  const groups = new Map<string, GroupAcc>();
  const unpairedByVersion = new Map<number, number>();
  let unpaired = 0;
  let unpairedInShadowed = 0;
  let liveRows = 0;
  const liveQuery: LogQuery = { model, roles: ['live'] };
  if (since) liveQuery.since = new Date(sinceMs - slack);
  if (until) liveQuery.until = until;
  for await (const r of records(opts, url, liveQuery)) {
    if (r.role !== 'live') continue;
    const inWindow = r.timestamp >= sinceMs && r.timestamp < untilMs;
    const k = key(r.requestId, r.row);
    const s = shadows.get(k);
    if (s) shadows.delete(k);
    if (!inWindow) continue;
    liveRows++;
    seen(r.timestamp);
    if (!s) {
      unpaired++;
      unpairedByVersion.set(r.version, (unpairedByVersion.get(r.version) ?? 0) + 1);
      if (shadowedRequests.has(r.requestId)) unpairedInShadowed++;
      continue;
    }
    const gk = `${r.version}\0${s.version}`;
    let g = groups.get(gk);
    if (!g) {
      g = {
        liveVersion: r.version,
        candidateVersion: s.version,
        live: new Growable(),
        candidate: new Growable(),
        firstTs: null,
        lastTs: null,
        shadowErrors: 0,
        liveErrors: 0,
        bothRefused: 0,
        nonFinite: 0,
        reasons: new Map(),
      };
      groups.set(gk, g);
    }
    const liveErr = r.error !== null;
    const shadowErr = s.error !== null;
    if (shadowErr && !liveErr) g.shadowErrors++;
    else if (liveErr && !shadowErr) g.liveErrors++;
    else if (liveErr && shadowErr) g.bothRefused++;
    if (shadowErr) {
      const reason = s.error as string;
      if (g.reasons.has(reason) || g.reasons.size < 1000) g.reasons.set(reason, (g.reasons.get(reason) ?? 0) + 1);
    }
    if (liveErr || shadowErr) continue;
    const lv = first(r.outputs);
    if (!Number.isFinite(lv) || !Number.isFinite(s.value)) {
      g.nonFinite++;
      continue;
    }
    g.live.push(lv);
    g.candidate.push(s.value);
    if (g.firstTs === null) g.firstTs = r.timestamp;
    g.lastTs = r.timestamp;
  }

  // 3. Shadow rows of the window left over: their live row is missing.
  const unpairedShadow = new Map<number, number>();
  let orphans = 0;
  for (const s of shadows.values()) {
    if (s.ts < sinceMs || s.ts >= untilMs) continue;
    orphans++;
    unpairedShadow.set(s.version, (unpairedShadow.get(s.version) ?? 0) + 1);
  }

  const out: PairGroup[] = [...groups.values()]
    .sort((a, b) => a.liveVersion - b.liveVersion || a.candidateVersion - b.candidateVersion)
    .map((g) => ({
      liveVersion: g.liveVersion,
      candidateVersion: g.candidateVersion,
      live: g.live.done(),
      candidate: g.candidate.done(),
      firstTs: g.firstTs,
      lastTs: g.lastTs,
      shadowErrors: g.shadowErrors,
      liveErrors: g.liveErrors,
      bothRefused: g.bothRefused,
      nonFinite: g.nonFinite,
      shadowErrorReasons: [...g.reasons.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 5)
        .map(([reason, count]) => ({ reason, count })),
    }));
  const byVersion = (m: Map<number, number>): Record<string, number> =>
    Object.fromEntries([...m.entries()].sort((a, b) => a[0] - b[0]).map(([v, n]) => [String(v), n]));
  return {
    model,
    url: redactUrl(url),
    since,
    until,
    groups: out,
    liveRows,
    shadowRows,
    firstTs,
    lastTs,
    unpairedLive: { total: unpaired, byVersion: byVersion(unpairedByVersion), inShadowedRequests: unpairedInShadowed },
    unpairedShadow: { total: orphans, byCandidate: byVersion(unpairedShadow) },
  };
}
