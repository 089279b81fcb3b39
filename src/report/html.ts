/**
 * The shadow report as one self-contained HTML page: inline CSS and SVG, no scripts, nothing
 * fetched. Per (live, candidate) pair of versions: the numbers, live vs candidate scatter with
 * y = x, histogram of relative changes with the ±threshold lines, both prediction distributions
 * overlaid, and the share of rows moving by more than the threshold.
 */
import type { PairGroup } from './pairs.js';
import { quantileSorted, isoTime, num, pct, share, thresholdPct } from './stats.js';
import { formatShadowReport, relChanges, windowText, type GroupSummary, type ShadowReport } from './summary.js';
import { COLORS, distributionsSvg, esc, histogram, histogramSvg, scatterSvg, shareBarSvg, uniformEdges } from './svg.js';

/** Axis labels for money-like values: 250000 → 250k, 1500000 → 1.5M. */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${Number((v / 1e9).toPrecision(3))}G`;
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

const percentTick = (v: number): string => `${Number((v * 100).toPrecision(3))}%`;

/**
 * Bins for the relative changes: about 60 over the central 99 % (widened to show ±threshold),
 * aligned so that ±threshold fall on bin edges.
 */
export function relChangeEdges(values: Float64Array, threshold: number, bins = 60): Float64Array {
  const s = Float64Array.from(values).sort();
  let lo = s.length ? quantileSorted(s, 0.005) : 0;
  let hi = s.length ? quantileSorted(s, 0.995) : 0;
  lo = Math.min(lo, -1.5 * threshold);
  hi = Math.max(hi, 1.5 * threshold);
  // A range much wider than the threshold (e.g. a live prediction of 0): plain bins.
  if ((hi - lo) / bins >= threshold / 2) return uniformEdges(lo, hi, bins);
  const perThreshold = Math.ceil(threshold / ((hi - lo) / bins));
  const w = threshold / perThreshold;
  const first = Math.floor(lo / w);
  const last = Math.ceil(hi / w);
  return uniformEdges(first * w, last * w, Math.max(1, last - first));
}

function groupSection(g: GroupSummary, data: PairGroup, r: ShadowReport, index: number): string {
  const t = r.moveThreshold;
  const tp = thresholdPct(t);
  const id = `g${index}`;
  let s = `<section id="${id}"><h2>live v${g.liveVersion} vs candidate v${g.candidateVersion}</h2>`;
  s += `<p class="range">${g.pairs} pairs, live rows from ${esc(isoTime(g.firstTs))} to ${esc(isoTime(g.lastTs))}</p>`;
  s += `<table class="numbers"><tbody>`;
  const row = (k: string, v: string): string => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`;
  s += row('pairs', String(g.pairs));
  s += row(`moves by more than ${tp}`, `${share(g.moved.count, g.pairs)}: ${g.moved.up} up, ${g.moved.down} down`);
  s += row(`agreement (rel_tol ${r.tolerance.rel}, abs_tol ${r.tolerance.abs})`, share(g.agreement.count, g.pairs));
  s += row('absolute difference: mean / p50 / p90 / p99 / max', [g.absDiff.mean, g.absDiff.p50, g.absDiff.p90, g.absDiff.p99, g.absDiff.max].map(num).join(' / '));
  s += row('relative difference: mean / p50 / p90 / p99 / max', [g.relDiff.mean, g.relDiff.p50, g.relDiff.p90, g.relDiff.p99, g.relDiff.max].map(pct).join(' / '));
  s += row('mean change (candidate − live)', `${num(g.meanDiff)} (${pct(g.meanRelChange)})`);
  s += row('live: mean / p10 / p50 / p90', [g.live.mean, g.live.p10, g.live.p50, g.live.p90].map(num).join(' / '));
  s += row('candidate: mean / p10 / p50 / p90', [g.candidate.mean, g.candidate.p10, g.candidate.p50, g.candidate.p90].map(num).join(' / '));
  s += row('candidate refused (shadow errors)', String(g.shadowErrors));
  s += row('live refused / both refused', `${g.liveErrors} / ${g.bothRefused}`);
  if (g.nonFinite) s += row('non-finite predictions', String(g.nonFinite));
  s += `</tbody></table>`;
  if (g.shadowErrorReasons.length) {
    s += `<p>Most frequent reasons the candidate refused a row:</p><ul class="reasons">`;
    for (const e of g.shadowErrorReasons) s += `<li>${e.count} × <code>${esc(e.reason)}</code></li>`;
    s += `</ul>`;
  }
  if (g.pairs === 0) return s + `<p>No pairs with predictions on both sides: nothing to plot.</p></section>`;

  const rel = relChanges(data);
  const hist = histogram(rel, relChangeEdges(rel, t));
  const clipped = hist.below + hist.above;
  s += `<div class="plots">`;
  s += shareBarSvg(`Share of rows whose prediction moves by more than ${tp}`, `${pct(g.moved.share)} of rows move by more than ${tp}`, [
    { label: `down > ${tp}`, count: g.moved.down, color: COLORS.moved },
    { label: `within ±${tp}`, count: g.pairs - g.moved.count, color: COLORS.ok },
    { label: `up > ${tp}`, count: g.moved.up, color: COLORS.candidate },
  ]);
  s += scatterSvg({
    id: `${id}-scatter`,
    title: `Live v${g.liveVersion} vs candidate v${g.candidateVersion}`,
    x: data.live,
    y: data.candidate,
    xLabel: `live v${g.liveVersion} prediction`,
    yLabel: `candidate v${g.candidateVersion} prediction`,
    band: t,
    maxPoints: 5000,
    format: compact,
  });
  s += histogramSvg({
    title: 'Relative change (candidate − live) / |live|',
    hist,
    xLabel: 'relative change',
    format: percentTick,
    threshold: t,
    note: `red: beyond ±${tp} (${g.moved.count} rows)` + (clipped ? `; ${clipped} rows outside the axis counted in the end bins` : ''),
  });
  s += distributionsSvg({
    title: 'Prediction distributions',
    series: [
      { name: `live v${g.liveVersion}`, values: data.live, color: COLORS.live },
      { name: `candidate v${g.candidateVersion}`, values: data.candidate, color: COLORS.candidate },
    ],
    xLabel: 'prediction',
    format: compact,
  });
  s += `</div></section>`;
  return s;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1340px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.8rem 0}th,td{text-align:left;padding:.2rem .8rem .2rem 0;vertical-align:top}
th{font-weight:500;color:#555}td{font-variant-numeric:tabular-nums}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:1rem}
.plots svg{width:100%;height:auto;background:#fff;border:1px solid #eee}
.plots svg.share{grid-column:1/-1;max-height:200px}
.range{color:#555}pre{background:#f6f6f6;padding:1rem;overflow-x:auto}code{background:#f3f3f3;padding:0 .2rem}
`;

/** The whole page. `groups` are the paired values the summaries were computed from, in the same order. */
export function shadowReportHtml(r: ShadowReport, groups: readonly PairGroup[], generatedAt: Date = new Date()): string {
  const header: [string, string][] = [
    ['model', r.model],
    ['versions', r.groups.map((g) => `live v${g.liveVersion} → candidate v${g.candidateVersion}`).join('; ') || '-'],
    ['prediction log', r.url],
    ['time range', windowText(r)],
    ['rows', `${r.liveRows} live, ${r.shadowRows} shadow, ${r.groups.reduce((a, g) => a + g.pairs, 0)} pairs`],
    ['live rows without a shadow row', `${r.unpairedLive.total} (${r.unpairedLive.inShadowedRequests} in shadowed requests)`],
    ['shadow rows whose live row is missing', String(r.unpairedShadow.total)],
    ['generated', generatedAt.toISOString()],
  ];
  let s = `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`;
  s += `<title>${esc(`Shadow report: ${r.model}`)}</title><style>${CSS}</style></head><body>`;
  s += `<h1>Shadow report: ${esc(r.model)}</h1>`;
  s += `<table class="header"><tbody>${header.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
  r.groups.forEach((g, i) => (s += groupSection(g, groups[i], r, i)));
  s += `<h2>Text summary</h2><pre>${esc(formatShadowReport(r))}</pre>`;
  s += `</body></html>\n`;
  return s;
}
