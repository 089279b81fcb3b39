/**
 * Small server-side SVG charts for the status page (src/monitoring/status-page.ts): overlaid
 * histograms, a bar histogram, line charts over time and horizontal bars. Plain strings, no
 * dependencies, no script: the page renders in any browser without a build step. Every text that
 * reaches the markup goes through escapeXml; numbers go through fmt (NaN/±Infinity included).
 *
 * Each chart is an <svg class="chart" data-chart="..."> whose data marks carry class "mark"
 * (bars: <rect>, lines: <path>, points: <circle>), so tests can count what was drawn.
 */

export function escapeXml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** Compact number: 0.0123, 1.23, 12.3, 1.23k, 4.56M. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '–';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(digits)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(digits)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(digits)}k`;
  if (a >= 1) return String(+v.toPrecision(Math.max(digits, String(Math.trunc(a)).length)));
  if (a >= 1e-4) return String(+v.toPrecision(digits));
  return v.toExponential(digits - 1);
}

/** Coordinates: at most 2 decimals, finite. */
function c(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

export interface Hist {
  edges: number[];
  counts: number[];
}

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#d62728'];
export const LIVE_COLOR = '#1f77b4';
export const CANDIDATE_COLOR = '#ff7f0e';
export const DIFF_COLOR = '#2ca02c';
export const THRESHOLD_COLOR = '#d62728';

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const FRAME: Frame = { width: 480, height: 250, left: 56, right: 16, top: 40, bottom: 40 };

/** Up to n "nice" ticks covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const span = hi - lo;
  const raw = span / Math.max(n, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

function open(kind: string, title: string, f: Frame, extra = ''): string {
  return (
    `<svg class="chart" data-chart="${escapeXml(kind)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="${escapeXml(title)}"${extra}>` +
    `<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="#fff"/>` +
    `<text x="${f.left}" y="16" font-size="13" font-weight="600" fill="#222">${escapeXml(title)}</text>`
  );
}

function empty(kind: string, title: string, message: string, f: Frame = FRAME): string {
  return `${open(kind, title, f, ' data-empty="true"')}<text x="${f.width / 2}" y="${f.height / 2}" text-anchor="middle" font-size="12" fill="#888">${escapeXml(message)}</text></svg>`;
}

function axes(f: Frame, x: { lo: number; hi: number; ticks: number[]; label: (v: number) => string; title?: string }, y: { lo: number; hi: number; ticks: number[]; label: (v: number) => string }): string {
  const px = (v: number) => f.left + ((v - x.lo) / (x.hi - x.lo || 1)) * (f.width - f.left - f.right);
  const py = (v: number) => f.height - f.bottom - ((v - y.lo) / (y.hi - y.lo || 1)) * (f.height - f.top - f.bottom);
  let s = `<g class="axes" font-size="10" fill="#555" stroke="none">`;
  for (const t of y.ticks) {
    s += `<line x1="${f.left}" x2="${f.width - f.right}" y1="${c(py(t))}" y2="${c(py(t))}" stroke="#eee"/>`;
    s += `<text x="${f.left - 4}" y="${c(py(t) + 3)}" text-anchor="end">${escapeXml(y.label(t))}</text>`;
  }
  x.ticks.forEach((t, i) => {
    // The outermost labels stay inside the frame.
    const anchor = x.ticks.length > 1 && i === x.ticks.length - 1 && px(t) > f.width - f.right - 25 ? 'end' : i === 0 && px(t) < f.left + 25 && x.ticks.length > 1 ? 'start' : 'middle';
    s += `<text x="${c(px(t))}" y="${f.height - f.bottom + 13}" text-anchor="${anchor}">${escapeXml(x.label(t))}</text>`;
  });
  s += `<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}" stroke="#999"/>`;
  s += `<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#999"/>`;
  if (x.title) s += `<text x="${(f.left + f.width - f.right) / 2}" y="${f.height - 6}" text-anchor="middle" fill="#333">${escapeXml(x.title)}</text>`;
  return s + '</g>';
}

function legend(f: Frame, items: { label: string; color: string; dashed?: boolean }[]): string {
  let s = '<g class="legend" font-size="11" fill="#333">';
  let x = f.width - f.right;
  // right-aligned, laid out from the right edge leftwards
  for (const it of [...items].reverse()) {
    const w = 18 + Math.min(it.label.length, 28) * 6.2;
    x -= w;
    s += `<rect x="${c(x)}" y="22" width="12" height="8" fill="${it.color}"${it.dashed ? ' fill-opacity="0.3"' : ''}/>`;
    s += `<text x="${c(x + 15)}" y="30">${escapeXml(it.label.length > 28 ? it.label.slice(0, 27) + '…' : it.label)}</text>`;
  }
  return s + '</g>';
}

function validHist(h: Hist | null | undefined): h is Hist {
  return !!h && h.edges.length >= 2 && h.counts.length === h.edges.length - 1 && h.counts.some((v) => v > 0) && h.edges.every(Number.isFinite);
}

/**
 * Histograms overlaid on one x axis (each normalised to shares of its own total, so two series
 * of different sizes compare): translucent bars per series.
 */
export function overlaidHistograms(kind: string, title: string, series: { label: string; color: string; hist: Hist | null | undefined }[], xTitle = ''): string {
  const ok = series.filter((s) => validHist(s.hist));
  if (ok.length === 0) return empty(kind, title, 'no data yet');
  const f = FRAME;
  let lo = Infinity;
  let hi = -Infinity;
  let top = 0;
  const shares = ok.map((s) => {
    const h = s.hist as Hist;
    const total = h.counts.reduce((a, b) => a + b, 0);
    lo = Math.min(lo, h.edges[0]);
    hi = Math.max(hi, h.edges[h.edges.length - 1]);
    const p = h.counts.map((v) => v / total);
    top = Math.max(top, ...p);
    return p;
  });
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  top = top * 1.1 || 1;
  const px = (v: number) => f.left + ((v - lo) / (hi - lo)) * (f.width - f.left - f.right);
  const py = (v: number) => f.height - f.bottom - (v / top) * (f.height - f.top - f.bottom);
  let s = open(kind, title, f);
  s += axes(f, { lo, hi, ticks: niceTicks(lo, hi, 5), label: (v) => fmt(v), title: xTitle }, { lo: 0, hi: top, ticks: niceTicks(0, top, 4), label: (v) => `${+(v * 100).toFixed(1)}%` });
  ok.forEach((se, k) => {
    const h = se.hist as Hist;
    s += `<g class="series" data-series="${escapeXml(se.label)}" fill="${se.color}" fill-opacity="0.5" stroke="${se.color}" stroke-width="1">`;
    h.counts.forEach((_, i) => {
      const v = shares[k][i];
      if (!(v > 0)) return;
      const x0 = px(h.edges[i]);
      const x1 = Math.max(px(h.edges[i + 1]), x0 + 1);
      s += `<rect class="mark" x="${c(x0)}" y="${c(py(v))}" width="${c(x1 - x0)}" height="${c(py(0) - py(v))}"><title>${escapeXml(`${se.label}: [${fmt(h.edges[i])}, ${fmt(h.edges[i + 1])}) ${(v * 100).toFixed(1)}% (${h.counts[i]})`)}</title></rect>`;
    });
    s += '</g>';
  });
  s += legend(f, ok.map((se) => ({ label: se.label, color: se.color })));
  return s + '</svg>';
}

/** Lines over time: x = ms since the epoch (labelled HH:MM:SS UTC), optional horizontal threshold. */
export function timeLines(kind: string, title: string, series: { label: string; color: string; points: [number, number][] }[], opts: { threshold?: number; yTitle?: string } = {}): string {
  const ok = series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) })).filter((s) => s.points.length > 0);
  if (ok.length === 0) return empty(kind, title, 'no history yet');
  const f: Frame = { ...FRAME, width: 640, height: 260 };
  let x0 = Infinity;
  let x1 = -Infinity;
  let top = opts.threshold !== undefined ? opts.threshold * 1.2 : 0;
  for (const se of ok)
    for (const [x, y] of se.points) {
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      top = Math.max(top, y);
    }
  if (x1 === x0) {
    x0 -= 30_000;
    x1 += 30_000;
  }
  top = top * 1.1 || 1;
  const px = (v: number) => f.left + ((v - x0) / (x1 - x0)) * (f.width - f.left - f.right);
  const py = (v: number) => f.height - f.bottom - (Math.max(v, 0) / top) * (f.height - f.top - f.bottom);
  const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  // Time ticks: 5 evenly spaced.
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((q) => x0 + q * (x1 - x0));
  let s = open(kind, title, f);
  s += axes(f, { lo: x0, hi: x1, ticks, label: hhmmss, title: 'time (UTC)' }, { lo: 0, hi: top, ticks: niceTicks(0, top, 4), label: (v) => fmt(v) });
  if (opts.threshold !== undefined) {
    const y = c(py(opts.threshold));
    s += `<line class="threshold" x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="${THRESHOLD_COLOR}" stroke-dasharray="5 4" stroke-width="1.5"><title>threshold ${escapeXml(fmt(opts.threshold))}</title></line>`;
  }
  for (const se of ok) {
    const d = se.points.map(([x, y], i) => `${i ? 'L' : 'M'}${c(px(x))} ${c(py(y))}`).join('');
    s += `<g class="series" data-series="${escapeXml(se.label)}">`;
    s += `<path class="mark" d="${d}" fill="none" stroke="${se.color}" stroke-width="2"><title>${escapeXml(se.label)}</title></path>`;
    for (const [x, y] of se.points) s += `<circle class="mark" cx="${c(px(x))}" cy="${c(py(y))}" r="2.5" fill="${se.color}"><title>${escapeXml(`${se.label} ${hhmmss(x)}: ${fmt(y)}`)}</title></circle>`;
    s += '</g>';
  }
  if (ok.length <= 4) s += legend(f, ok.map((se) => ({ label: se.label, color: se.color })));
  return s + '</svg>';
}

/** Horizontal bars (e.g. PSI per feature) with an optional threshold line; flagged bars in red. */
export function horizontalBars(kind: string, title: string, bars: { label: string; value: number; flagged?: boolean }[], opts: { threshold?: number; color?: string } = {}): string {
  const ok = bars.filter((b) => Number.isFinite(b.value));
  if (ok.length === 0) return empty(kind, title, 'no data yet');
  const rowH = 16;
  const f: Frame = { width: 480, height: 40 + ok.length * rowH + 24, left: 130, right: 48, top: 28, bottom: 24 };
  let top = Math.max(opts.threshold ?? 0, ...ok.map((b) => b.value)) * 1.1 || 1;
  top = Math.max(top, 1e-9);
  const px = (v: number) => f.left + (Math.max(v, 0) / top) * (f.width - f.left - f.right);
  let s = open(kind, title, f);
  ok.forEach((b, i) => {
    const y = f.top + i * rowH;
    const color = b.flagged ? THRESHOLD_COLOR : (opts.color ?? LIVE_COLOR);
    const label = b.label.length > 20 ? b.label.slice(0, 19) + '…' : b.label;
    s += `<text x="${f.left - 4}" y="${y + 11}" font-size="11" text-anchor="end" fill="#333">${escapeXml(label)}</text>`;
    s += `<rect class="mark" x="${f.left}" y="${y + 2}" width="${c(Math.max(px(b.value) - f.left, 1))}" height="${rowH - 4}" fill="${color}"><title>${escapeXml(`${b.label}: ${fmt(b.value)}`)}</title></rect>`;
    s += `<text x="${c(px(b.value) + 4)}" y="${y + 11}" font-size="10" fill="#555">${escapeXml(fmt(b.value))}</text>`;
  });
  if (opts.threshold !== undefined) {
    const x = c(px(opts.threshold));
    s += `<line class="threshold" x1="${x}" x2="${x}" y1="${f.top}" y2="${f.top + ok.length * rowH}" stroke="${THRESHOLD_COLOR}" stroke-dasharray="4 3"/>`;
    s += `<text x="${x}" y="${f.top + ok.length * rowH + 14}" font-size="10" text-anchor="middle" fill="${THRESHOLD_COLOR}">${escapeXml(fmt(opts.threshold))}</text>`;
  }
  return s + '</svg>';
}

/** One stacked horizontal bar of shares (traffic split). */
export function stackedBar(kind: string, title: string, parts: { label: string; value: number; color: string }[]): string {
  const total = parts.reduce((a, p) => a + (p.value > 0 ? p.value : 0), 0);
  if (!(total > 0)) return empty(kind, title, 'no traffic yet', { ...FRAME, height: 70 });
  const f: Frame = { width: 480, height: 70, left: 12, right: 12, top: 24, bottom: 20 };
  let s = open(kind, title, f);
  let x = f.left;
  const w = f.width - f.left - f.right;
  for (const p of parts) {
    if (!(p.value > 0)) continue;
    const pw = (p.value / total) * w;
    const pct = `${((p.value / total) * 100).toFixed(1)}%`;
    s += `<rect class="mark" x="${c(x)}" y="${f.top}" width="${c(pw)}" height="22" fill="${p.color}"><title>${escapeXml(`${p.label}: ${p.value} (${pct})`)}</title></rect>`;
    if (pw > 60) s += `<text x="${c(x + 4)}" y="${f.top + 15}" font-size="11" fill="#fff">${escapeXml(`${p.label} ${pct}`)}</text>`;
    x += pw;
  }
  return s + '</svg>';
}

/** Counts of values over edges (same rule as reference stats: [e_i, e_{i+1}), outside values clamp to the end bins); NaN skipped. */
export function histogram(values: ArrayLike<number>, edges: number[], n = values.length): Hist {
  const counts = new Array<number>(Math.max(edges.length - 1, 0)).fill(0);
  if (counts.length === 0) return { edges, counts };
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    let lo = 0;
    let hi = counts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (v >= edges[mid]) lo = mid;
      else hi = mid - 1;
    }
    counts[lo]++;
  }
  return { edges, counts };
}

/** `bins` equal-width edges over the [qLo, qHi] quantile range of the finite values (robust to outliers). */
export function equalWidthEdges(values: ArrayLike<number>, bins: number, qLo = 0.005, qHi = 0.995): number[] {
  const v = Float64Array.from(Array.prototype.filter.call(values, Number.isFinite) as number[]).sort();
  if (v.length === 0) return [];
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.round(q * (v.length - 1))))];
  let lo = at(qLo);
  let hi = at(qHi);
  if (hi <= lo) {
    lo = v[0];
    hi = v[v.length - 1];
  }
  if (hi <= lo) {
    const pad = Math.abs(lo) * 0.01 || 0.5;
    lo -= pad;
    hi += pad;
  }
  return Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
}
