/**
 * Statistics of paired live/candidate predictions (the shadow report's numbers) and their text
 * form. Differences are candidate − live; relative ones are over |live| (floored at 1e-12), as in
 * the server's online shadow comparison.
 */
import type { PairedLog, PairGroup } from './pairs.js';
import { describe, distribution, isoTime, num, pct, relDiff, share, table, thresholdPct, type Describe, type Distribution } from './stats.js';

export interface ShadowOptions {
  /** Agreement: |candidate − live| ≤ absTol + relTol·|live|. Default rel 0.1, abs 0. */
  relTol?: number;
  absTol?: number;
  /** A prediction "moves" when |candidate − live| > moveThreshold·|live|; default 0.1 (10 %). */
  moveThreshold?: number;
}

export interface GroupSummary {
  liveVersion: number;
  candidateVersion: number;
  pairs: number;
  firstTs: number | null;
  lastTs: number | null;
  /** |candidate − live| */
  absDiff: Describe;
  /** |candidate − live| / |live| */
  relDiff: Describe;
  /** Mean of candidate − live (the bias), and of (candidate − live) / |live|. */
  meanDiff: number;
  meanRelChange: number;
  agreement: { count: number; share: number };
  /** Rows whose prediction moves by more than the threshold; up = candidate higher. */
  moved: { count: number; share: number; up: number; down: number };
  live: Distribution;
  candidate: Distribution;
  shadowErrors: number;
  liveErrors: number;
  bothRefused: number;
  nonFinite: number;
  shadowErrorReasons: { reason: string; count: number }[];
}

export interface ShadowReport {
  model: string;
  url: string;
  since: string | null;
  until: string | null;
  firstTs: number | null;
  lastTs: number | null;
  liveRows: number;
  shadowRows: number;
  tolerance: { rel: number; abs: number };
  moveThreshold: number;
  groups: GroupSummary[];
  unpairedLive: PairedLog['unpairedLive'];
  unpairedShadow: PairedLog['unpairedShadow'];
}

/** (candidate − live) / |live| for every pair: the signed relative change. */
export function relChanges(g: Pick<PairGroup, 'live' | 'candidate'>): Float64Array {
  const out = new Float64Array(g.live.length);
  for (let i = 0; i < out.length; i++) out[i] = (g.candidate[i] - g.live[i]) / Math.max(Math.abs(g.live[i]), 1e-12);
  return out;
}

/** Whether a pair moves by more than the threshold. */
export function moves(live: number, candidate: number, threshold: number): boolean {
  return Math.abs(candidate - live) > threshold * Math.abs(live);
}

export function summarizeGroup(g: PairGroup, opts: ShadowOptions = {}): GroupSummary {
  const relTol = opts.relTol ?? 0.1;
  const absTol = opts.absTol ?? 0;
  const threshold = opts.moveThreshold ?? 0.1;
  const n = g.live.length;
  const abs = new Float64Array(n);
  const rel = new Float64Array(n);
  let sumDiff = 0;
  let sumRel = 0;
  let agree = 0;
  let up = 0;
  let down = 0;
  for (let i = 0; i < n; i++) {
    const l = g.live[i];
    const c = g.candidate[i];
    const d = c - l;
    abs[i] = Math.abs(d);
    rel[i] = relDiff(l, c);
    sumDiff += d;
    sumRel += d / Math.max(Math.abs(l), 1e-12);
    if (abs[i] <= absTol + relTol * Math.abs(l)) agree++;
    if (moves(l, c, threshold)) {
      if (d > 0) up++;
      else down++;
    }
  }
  return {
    liveVersion: g.liveVersion,
    candidateVersion: g.candidateVersion,
    pairs: n,
    firstTs: g.firstTs,
    lastTs: g.lastTs,
    absDiff: describe(abs),
    relDiff: describe(rel),
    meanDiff: n ? sumDiff / n : NaN,
    meanRelChange: n ? sumRel / n : NaN,
    agreement: { count: agree, share: n ? agree / n : NaN },
    moved: { count: up + down, share: n ? (up + down) / n : NaN, up, down },
    live: distribution(g.live),
    candidate: distribution(g.candidate),
    shadowErrors: g.shadowErrors,
    liveErrors: g.liveErrors,
    bothRefused: g.bothRefused,
    nonFinite: g.nonFinite,
    shadowErrorReasons: g.shadowErrorReasons,
  };
}

export function summarize(log: PairedLog, opts: ShadowOptions = {}): ShadowReport {
  return {
    model: log.model,
    url: log.url,
    since: log.since ? log.since.toISOString() : null,
    until: log.until ? log.until.toISOString() : null,
    firstTs: log.firstTs,
    lastTs: log.lastTs,
    liveRows: log.liveRows,
    shadowRows: log.shadowRows,
    tolerance: { rel: opts.relTol ?? 0.1, abs: opts.absTol ?? 0 },
    moveThreshold: opts.moveThreshold ?? 0.1,
    groups: log.groups.map((g) => summarizeGroup(g, opts)),
    unpairedLive: log.unpairedLive,
    unpairedShadow: log.unpairedShadow,
  };
}

function byVersion(m: Record<string, number>, prefix = 'v'): string {
  return Object.entries(m)
    .map(([v, n]) => `${prefix}${v}: ${n}`)
    .join(', ');
}

export function windowText(r: Pick<ShadowReport, 'since' | 'until' | 'firstTs' | 'lastTs'>): string {
  const asked = r.since || r.until ? `${r.since ?? 'the start'} .. ${r.until ?? 'now'}` : 'the whole log';
  return `${asked}; records from ${isoTime(r.firstTs)} to ${isoTime(r.lastTs)}`;
}

/** The text summary `grove shadow-report` prints. */
export function formatShadowReport(r: ShadowReport): string {
  const out: string[] = [];
  out.push(`shadow report: ${r.model} (${r.url})`);
  out.push(`window: ${windowText(r)}`);
  out.push(`rows: ${r.liveRows} live, ${r.shadowRows} shadow`);
  for (const g of r.groups) {
    out.push('');
    out.push(`live v${g.liveVersion} vs candidate v${g.candidateVersion}: ${g.pairs} pairs (${isoTime(g.firstTs)} .. ${isoTime(g.lastTs)})`);
    if (g.pairs > 0) {
      out.push(
        table([
          ['difference', 'mean', 'p50', 'p90', 'p99', 'max'],
          ['absolute', num(g.absDiff.mean), num(g.absDiff.p50), num(g.absDiff.p90), num(g.absDiff.p99), num(g.absDiff.max)],
          ['relative', pct(g.relDiff.mean), pct(g.relDiff.p50), pct(g.relDiff.p90), pct(g.relDiff.p99), pct(g.relDiff.max)],
        ]),
      );
      out.push(`  mean change (candidate - live): ${num(g.meanDiff)} (${pct(g.meanRelChange)})`);
      out.push(`  agreement within rel_tol ${r.tolerance.rel}, abs_tol ${r.tolerance.abs}: ${share(g.agreement.count, g.pairs)}`);
      out.push(
        `  moves by more than ${thresholdPct(r.moveThreshold)}: ${share(g.moved.count, g.pairs)} — ${g.moved.up} up, ${g.moved.down} down`,
      );
      out.push(
        table([
          ['prediction', 'mean', 'min', 'p10', 'p50', 'p90', 'max'],
          ...(
            [
              ['live', g.live],
              ['candidate', g.candidate],
            ] as const
          ).map(([name, d]) => [name, num(d.mean), num(d.min), num(d.p10), num(d.p50), num(d.p90), num(d.max)]),
        ]),
      );
    }
    out.push(`  candidate refused (shadow errors): ${g.shadowErrors}; live refused: ${g.liveErrors}; both refused: ${g.bothRefused}` + (g.nonFinite ? `; non-finite: ${g.nonFinite}` : ''));
    for (const e of g.shadowErrorReasons) out.push(`    ${e.count} × ${e.reason}`);
  }
  out.push('');
  const ul = r.unpairedLive;
  out.push(
    `live rows without a shadow row: ${ul.total}` +
      (ul.total > 0
        ? ` (${byVersion(ul.byVersion)}): ${ul.total - ul.inShadowedRequests} in requests not shadowed (sampled out, shadow queue full, shadow off), ${ul.inShadowedRequests} in shadowed requests`
        : ''),
  );
  const us = r.unpairedShadow;
  out.push(`shadow rows whose live row is missing: ${us.total}` + (us.total > 0 ? ` (candidate ${byVersion(us.byCandidate)})` : ''));
  return out.join('\n') + '\n';
}
