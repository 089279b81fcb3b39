/**
 * The status page served at http://HOST:9464/ next to /metrics: models, versions and their
 * state, routing and traffic split, latency, shadow comparison plots and the drift table with
 * "PSI per feature over time". One self-contained HTML document rendered on the server: inline
 * CSS and inline SVG (src/monitoring/svg-charts.ts), no script, no external resource, refreshed
 * by <meta http-equiv="refresh">. Every string from the data (model names, feature names, error
 * messages) is escaped, so it can be served with a strict CSP:
 *   Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src data:
 */
import type { ComparisonSummary } from './comparison.js';
import type { DriftReport } from './drift.js';
import {
  CANDIDATE_COLOR,
  DIFF_COLOR,
  LIVE_COLOR,
  PALETTE,
  THRESHOLD_COLOR,
  equalWidthEdges,
  escapeXml as esc,
  fmt,
  histogram,
  horizontalBars,
  overlaidHistograms,
  stackedBar,
  timeLines,
  type Hist,
} from './svg-charts.js';

export interface ShadowHistograms {
  /** Live predictions of the comparison window. */
  liveHistogram: Hist;
  /** Candidate predictions of the same pairs, over the same edges. */
  candidateHistogram: Hist;
  /** Signed relative difference (candidate − live) / |live| per pair. */
  relDiffHistogram: Hist;
}

export interface StatusData {
  generatedAt: string;
  /** Seconds between automatic reloads of the page; 0 turns them off. */
  refreshSeconds: number;
  models: {
    name: string;
    defaultVersion: number;
    routing: { live: number | null; candidate: number | null; mode: string; weight: number; sampleRate: number } | null;
    versions: {
      version: number;
      state: string;
      error: string | null;
      format: string;
      requests: number;
      errors: number;
      latencyP50Ms: number | null;
      latencyP99Ms: number | null;
    }[];
    traffic: { version: number; role: string; requests: number }[];
    shadow: (ComparisonSummary & ShadowHistograms) | null;
    drift: DriftReport[];
  }[];
}

/**
 * Histograms of a shadow comparison window for the page: live and candidate predictions over
 * shared equal-width edges (0.5 %–99.5 % range of both, outliers clamp into the end bins), and
 * the signed relative difference. `live[i]`/`candidate[i]` are pairs; non-finite pairs skipped.
 */
export function shadowHistograms(live: ArrayLike<number>, candidate: ArrayLike<number>, bins = 30): ShadowHistograms {
  const n = Math.min(live.length, candidate.length);
  const both = new Float64Array(2 * n);
  const rel = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const l = live[i];
    const c = candidate[i];
    if (!Number.isFinite(l) || !Number.isFinite(c)) continue;
    both[2 * m] = l;
    both[2 * m + 1] = c;
    rel[m] = (c - l) / Math.max(Math.abs(l), 1e-12);
    m++;
  }
  const edges = equalWidthEdges(both.subarray(0, 2 * m), bins);
  const liveVals = new Float64Array(m);
  const candVals = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    liveVals[i] = both[2 * i];
    candVals[i] = both[2 * i + 1];
  }
  return {
    liveHistogram: histogram(liveVals, edges),
    candidateHistogram: histogram(candVals, edges),
    relDiffHistogram: histogram(rel.subarray(0, m), equalWidthEdges(rel.subarray(0, m), bins)),
  };
}

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#24292f;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}
header .meta{color:#c9d1d9;font-size:12px}
main{padding:12px 20px}
section.model{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:0 0 18px;padding:10px 16px}
h2{font-size:17px;margin:6px 0 8px}
h3{font-size:14px;margin:14px 0 6px;color:#333}
table{border-collapse:collapse;margin:4px 0 8px;font-size:13px}
th,td{border:1px solid #d8dee4;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.flagged td{background:#ffebe9;color:#82071e;font-weight:600}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#82071e}.warn{background:#fff8c5;color:#7d4e00}.muted{color:#57606a}
.charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.charts svg{border:1px solid #d8dee4;border-radius:4px;background:#fff}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:12px;height:8px;margin-right:4px;vertical-align:middle}
.err{color:#82071e;font-size:12px;max-width:480px;word-break:break-word}
`;

function stateBadge(state: string): string {
  const cls = state === 'ready' ? 'ok' : state === 'failed' ? 'bad' : 'warn';
  return `<span class="badge ${cls}">${esc(state)}</span>`;
}

function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)}%`;
}

function ms(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '–' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
}

function versionsTable(m: StatusData['models'][number]): string {
  let s = '<table class="versions"><thead><tr><th>version</th><th>state</th><th>format</th><th>requests</th><th>errors</th><th>error rate</th><th>p50</th><th>p99</th><th>load error</th></tr></thead><tbody>';
  for (const v of m.versions) {
    const tags: string[] = [];
    if (v.version === m.defaultVersion) tags.push('default');
    if (m.routing?.live === v.version) tags.push('live');
    if (m.routing?.candidate === v.version) tags.push('candidate');
    s +=
      `<tr><td>${esc(v.version)}${tags.length ? ` <span class="muted">(${esc(tags.join(', '))})</span>` : ''}</td><td>${stateBadge(v.state)}</td><td>${esc(v.format)}</td>` +
      `<td class="num">${esc(v.requests)}</td><td class="num">${esc(v.errors)}</td><td class="num">${v.requests > 0 ? pct(v.errors / v.requests, 2) : '–'}</td>` +
      `<td class="num">${ms(v.latencyP50Ms)}</td><td class="num">${ms(v.latencyP99Ms)}</td><td class="err">${v.error ? esc(v.error) : ''}</td></tr>`;
  }
  return s + '</tbody></table>';
}

function routingLine(m: StatusData['models'][number]): string {
  const r = m.routing;
  if (!r) return `<p>Routing: <span class="muted">none (default version ${esc(m.defaultVersion)} takes all traffic)</span></p>`;
  const parts = [`mode <b>${esc(r.mode)}</b>`, r.live === null ? 'no live version' : `live v${esc(r.live)}`, r.candidate === null ? 'no candidate' : `candidate v${esc(r.candidate)}`];
  if (r.mode === 'canary') parts.push(`canary weight ${esc(fmt(r.weight))}%`);
  if (r.mode === 'shadow') parts.push(`shadow sample rate ${pct(r.sampleRate)}`);
  return `<p>Routing: ${parts.join(' · ')}</p>`;
}

function trafficSection(m: StatusData['models'][number]): string {
  if (m.traffic.length === 0) return '';
  const total = m.traffic.reduce((a, t) => a + Math.max(t.requests, 0), 0);
  const roleColor: Record<string, string> = { live: LIVE_COLOR, canary: CANDIDATE_COLOR, shadow: DIFF_COLOR, pinned: '#9467bd' };
  const parts = m.traffic.map((t, i) => ({ label: `v${t.version} ${t.role}`, value: t.requests, color: roleColor[t.role] ?? PALETTE[(i + 3) % PALETTE.length] }));
  let s = '<h3>Traffic split</h3><table class="traffic"><thead><tr><th>version</th><th>role</th><th>requests</th><th>share</th></tr></thead><tbody>';
  for (const t of m.traffic) s += `<tr><td>${esc(t.version)}</td><td>${esc(t.role)}</td><td class="num">${esc(t.requests)}</td><td class="num">${total > 0 ? pct(t.requests / total) : '–'}</td></tr>`;
  s += '</tbody></table>';
  return s + `<div class="charts">${stackedBar('traffic', 'Requests by version and role', parts)}</div>`;
}

function shadowSection(m: StatusData['models'][number]): string {
  const sh = m.shadow;
  if (!sh) return '';
  const q = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${esc(k)} ${esc(fmt(v))}`)
      .join(', ') || '–';
  let s = `<h3>Shadow comparison: live v${esc(sh.liveVersion)} vs candidate v${esc(sh.candidateVersion)}</h3>`;
  s += '<table class="shadow"><tbody>';
  s += `<tr><th>pairs (total / window)</th><td class="num">${esc(sh.pairs)} / ${esc(sh.window)}</td></tr>`;
  s += `<tr><th>agreement (|Δ| ≤ ${esc(fmt(sh.tolerance.abs))} + ${esc(fmt(sh.tolerance.rel))}·|live|)</th><td class="num">${sh.window ? pct(sh.agreement, 2) : '–'}</td></tr>`;
  s += `<tr><th>mean |Δ| / mean |Δ|/|live|</th><td class="num">${esc(fmt(sh.meanAbsDiff))} / ${pct(sh.meanRelDiff, 2)}</td></tr>`;
  s += `<tr><th>|Δ|/|live| quantiles</th><td>${q(sh.relDiffQuantiles)}</td></tr>`;
  s += `<tr><th>live / candidate quantiles</th><td>${q(sh.liveQuantiles)} / ${q(sh.candidateQuantiles)}</td></tr>`;
  s += '</tbody></table><div class="charts">';
  s += overlaidHistograms(
    'shadow-distributions',
    'Prediction distribution: live vs candidate',
    [
      { label: `live v${sh.liveVersion}`, color: LIVE_COLOR, hist: sh.liveHistogram },
      { label: `candidate v${sh.candidateVersion}`, color: CANDIDATE_COLOR, hist: sh.candidateHistogram },
    ],
    'prediction',
  );
  s += overlaidHistograms('shadow-difference', 'Relative difference (candidate − live) / |live|', [{ label: 'pairs', color: DIFF_COLOR, hist: sh.relDiffHistogram }], 'relative difference');
  return s + '</div>';
}

/** Features drawn in the "over time" plot: flagged ones, then the highest PSI, at most `max`. */
function plottedFeatures(r: DriftReport, max = 8): string[] {
  const peak = new Map<string, number>();
  for (const f of r.features) peak.set(f.feature, f.psi);
  for (const h of r.history) for (const [k, v] of Object.entries(h.psi)) peak.set(k, Math.max(peak.get(k) ?? 0, v));
  const flagged = r.features.filter((f) => f.flagged).map((f) => f.feature);
  const rest = [...peak.entries()].filter(([k]) => !flagged.includes(k)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
  return [...flagged, ...rest].slice(0, max);
}

function driftSection(r: DriftReport): string {
  const flagged = r.features.filter((f) => f.flagged).length + (r.prediction?.flagged ? 1 : 0);
  let s = `<h3>Drift: v${esc(r.version)} <span class="muted">(${esc(r.windowRows)} rows in the window, threshold PSI ${esc(fmt(r.threshold))})</span> `;
  s += flagged ? `<span class="badge bad">${esc(flagged)} flagged</span>` : `<span class="badge ok">no drift flagged</span>`;
  s += '</h3>';
  if (r.prediction) {
    s += `<p>Prediction PSI: <b${r.prediction.flagged ? ' class="badge bad"' : ''}>${esc(fmt(r.prediction.psi))}</b> <span class="muted">(${esc(r.prediction.liveRows)} predictions)</span></p>`;
  }
  const rows = [...r.features].sort((a, b) => Number(b.flagged) - Number(a.flagged) || b.psi - a.psi || (a.feature < b.feature ? -1 : 1));
  s += '<table class="drift"><thead><tr><th>feature</th><th>type</th><th>PSI</th><th>PSI (split bins)</th><th>χ² (p)</th><th>missing ref</th><th>missing live</th><th>rows</th><th>flag</th></tr></thead><tbody>';
  for (const f of rows) {
    s +=
      `<tr${f.flagged ? ' class="flagged"' : ''}><td>${esc(f.feature)}</td><td>${esc(f.type)}</td><td class="num">${esc(fmt(f.psi))}</td>` +
      `<td class="num">${f.psiSplits === undefined ? '–' : esc(fmt(f.psiSplits))}</td>` +
      `<td class="num">${f.chiSquare === undefined ? '–' : `${esc(fmt(f.chiSquare))}${f.chiSquarePValue === undefined ? '' : ` (${esc(fmt(f.chiSquarePValue, 2))})`}`}</td>` +
      `<td class="num">${pct(f.missingRateReference)}</td><td class="num">${pct(f.missingRateLive)}</td><td class="num">${esc(f.liveRows)}</td>` +
      `<td>${f.flagged ? 'DRIFT' : ''}</td></tr>`;
  }
  s += '</tbody></table>';
  if (r.skippedFields?.length) {
    s += `<p class="err">Not monitored (malformed reference stats): ${r.skippedFields.map((x) => `${esc(x.field)}: ${esc(x.reason)}`).join('; ')}</p>`;
  }
  // Charts: PSI per feature now, and over time.
  const names = plottedFeatures(r);
  const colorOf = new Map(names.map((n, i) => [n, PALETTE[i % PALETTE.length]]));
  const series = names.map((n) => ({ label: n, color: colorOf.get(n)!, points: r.history.filter((h) => h.psi[n] !== undefined).map((h) => [h.at, h.psi[n]] as [number, number]) }));
  const predPoints = r.history.filter((h) => h.predictionPsi !== undefined).map((h) => [h.at, h.predictionPsi!] as [number, number]);
  if (predPoints.length) series.push({ label: 'prediction', color: '#000000', points: predPoints });
  s += '<div class="charts">';
  s += horizontalBars(
    'drift-psi',
    `PSI per feature (v${r.version})`,
    rows.slice(0, 25).map((f) => ({ label: f.feature, value: f.psi, flagged: f.flagged })),
    { threshold: r.threshold },
  );
  s += `<div>${timeLines('drift-history', `PSI over time (v${r.version})`, series, { threshold: r.threshold })}`;
  s += `<div class="legend">${series.filter((se) => se.points.length).map((se) => `<span><i style="background:${se.color}"></i>${esc(se.label)}</span>`).join('')}</div></div>`;
  return s + '</div>';
}

export function renderStatusPage(d: StatusData): string {
  const refresh = Number.isFinite(d.refreshSeconds) && d.refreshSeconds > 0 ? Math.max(1, Math.round(d.refreshSeconds)) : 0;
  const flagged = d.models.reduce((a, m) => a + m.drift.reduce((b, r) => b + r.features.filter((f) => f.flagged).length + (r.prediction?.flagged ? 1 : 0), 0), 0);
  const failed = d.models.reduce((a, m) => a + m.versions.filter((v) => v.state === 'failed').length, 0);
  let s = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">';
  if (refresh) s += `<meta http-equiv="refresh" content="${refresh}">`;
  s += '<meta name="viewport" content="width=device-width,initial-scale=1"><title>grove status</title>';
  s += `<style>${CSS}</style></head><body>`;
  s += `<header><h1>grove status</h1><span class="meta">generated ${esc(d.generatedAt)}${refresh ? ` · refreshes every ${refresh} s` : ''}</span>`;
  s += `<span class="meta">${esc(d.models.length)} model${d.models.length === 1 ? '' : 's'}</span>`;
  if (flagged) s += `<span class="badge bad">${esc(flagged)} drift flag${flagged === 1 ? '' : 's'}</span>`;
  if (failed) s += `<span class="badge bad">${esc(failed)} failed version${failed === 1 ? '' : 's'}</span>`;
  s += '<span class="meta"><a href="/metrics" style="color:#c9d1d9">/metrics</a></span></header><main>';
  if (d.models.length === 0) s += '<p class="muted">No models loaded.</p>';
  d.models.forEach((m, i) => {
    s += `<section class="model" id="model-${i}"><h2>${esc(m.name)} <span class="muted">default v${esc(m.defaultVersion)}</span></h2>`;
    s += routingLine(m);
    s += versionsTable(m);
    s += trafficSection(m);
    s += shadowSection(m);
    for (const r of m.drift) s += driftSection(r);
    s += '</section>';
  });
  s += `</main><footer style="padding:0 20px 16px;font-size:12px" class="muted">PSI bins: reference deciles (numeric), reference categories + unseen (categorical), plus missing; `;
  s += `PSI = Σ (p_live − p_ref)·ln(p_live/p_ref), 1e-4 floor. <span style="color:${THRESHOLD_COLOR}">Red</span>: over the threshold.</footer>`;
  return s + '</body></html>';
}
