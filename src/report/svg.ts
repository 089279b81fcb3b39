/**
 * Plots as inline SVG text (no scripts, no external resources): a scatter with the y = x line, a
 * histogram, overlaid distributions and a stacked share bar. Every function returns one <svg>
 * element with a viewBox, so the page scales it.
 */

export const COLORS = { live: '#1f77b4', candidate: '#ff7f0e', moved: '#d62728', ok: '#1f77b4', neutral: '#999999', grid: '#e5e5e5', axis: '#333333' };

const W = 640;
const H = 400;
const M = { l: 78, r: 20, t: 34, b: 52 };
const PW = W - M.l - M.r;
const PH = H - M.t - M.b;

/** Text for XML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Coordinates with 2 decimals (enough at this size, and keeps the page small). */
const c = (v: number): string => (Math.round(v * 100) / 100).toString();

/** About n round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

interface Scale {
  lo: number;
  hi: number;
  (v: number): number;
}

function scale(lo: number, hi: number, from: number, to: number): Scale {
  const span = hi - lo || 1;
  const f = ((v: number) => from + ((v - lo) / span) * (to - from)) as Scale;
  f.lo = lo;
  f.hi = hi;
  return f;
}

function padRange(lo: number, hi: number, frac = 0.03): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) {
    const d = Math.abs(lo) * 0.1 || 1;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * frac;
  return [lo - d, hi + d];
}

function open(title: string, cls: string): string {
  return (
    `<svg class="plot ${cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title>` +
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`
  );
}

function axes(x: Scale, y: Scale, xLabel: string, yLabel: string, fx: (v: number) => string, fy: (v: number) => string, yTicks = true): string {
  let s = '';
  const xt = niceTicks(x.lo, x.hi, 6);
  const yt = yTicks ? niceTicks(y.lo, y.hi, 5) : [];
  for (const t of xt) {
    const px = x(t);
    s += `<line x1="${c(px)}" y1="${M.t}" x2="${c(px)}" y2="${M.t + PH}" stroke="${COLORS.grid}"/>`;
    s += `<text x="${c(px)}" y="${M.t + PH + 16}" text-anchor="middle" font-size="11">${esc(fx(t))}</text>`;
  }
  for (const t of yt) {
    const py = y(t);
    s += `<line x1="${M.l}" y1="${c(py)}" x2="${M.l + PW}" y2="${c(py)}" stroke="${COLORS.grid}"/>`;
    s += `<text x="${M.l - 6}" y="${c(py + 4)}" text-anchor="end" font-size="11">${esc(fy(t))}</text>`;
  }
  s += `<rect x="${M.l}" y="${M.t}" width="${PW}" height="${PH}" fill="none" stroke="${COLORS.axis}"/>`;
  s += `<text x="${M.l + PW / 2}" y="${H - 12}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`;
  s += `<text transform="translate(16 ${M.t + PH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`;
  return s;
}

/** Indices of at most `max` points, evenly spread and deterministic (the same input, the same points). */
export function subsample(n: number, max: number): Uint32Array {
  if (n <= max) return Uint32Array.from({ length: n }, (_, i) => i);
  const out = new Uint32Array(max);
  for (let k = 0; k < max; k++) out[k] = Math.floor((k * n) / max);
  return out;
}

export interface ScatterOptions {
  title: string;
  x: Float64Array;
  y: Float64Array;
  xLabel: string;
  yLabel: string;
  /** Points whose |y − x| > band·|x| are drawn in the "moved" colour, and y = x·(1 ± band) is drawn dashed. */
  band?: number;
  maxPoints?: number;
  format?: (v: number) => string;
  /** Unique on the page (names the clip path); default 'scatter'. */
  id?: string;
}

/** x vs y with the y = x line, same scale on both axes. */
export function scatterSvg(o: ScatterOptions): string {
  const n = o.x.length;
  const idx = subsample(n, o.maxPoints ?? 5000);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, o.x[i], o.y[i]);
    hi = Math.max(hi, o.x[i], o.y[i]);
  }
  const [a, b] = padRange(lo, hi);
  const x = scale(a, b, M.l, M.l + PW);
  const y = scale(a, b, M.t + PH, M.t);
  const f = o.format ?? String;
  const id = `${o.id ?? 'scatter'}-clip`;
  let s = open(o.title, 'scatter');
  s += `<defs><clipPath id="${id}"><rect x="${M.l}" y="${M.t}" width="${PW}" height="${PH}"/></clipPath></defs>`;
  s += axes(x, y, o.xLabel, o.yLabel, f, f);
  s += `<g clip-path="url(#${id})">`;
  s += `<line class="identity" x1="${c(x(a))}" y1="${c(y(a))}" x2="${c(x(b))}" y2="${c(y(b))}" stroke="${COLORS.axis}" stroke-width="1.2"/>`;
  const band = o.band;
  if (band !== undefined) {
    for (const sign of [1, -1]) {
      // y = x + sign·band·|x|: a kink at 0.
      const pts = [a, ...(a < 0 && b > 0 ? [0] : []), b].map((v) => `${c(x(v))},${c(y(v + sign * band * Math.abs(v)))}`);
      s += `<polyline class="band" points="${pts.join(' ')}" fill="none" stroke="${COLORS.moved}" stroke-dasharray="5 4" stroke-width="1"/>`;
    }
  }
  s += `<g class="points" fill-opacity="0.55">`;
  for (const i of idx) {
    const moved = band !== undefined && Math.abs(o.y[i] - o.x[i]) > band * Math.abs(o.x[i]);
    s += `<circle cx="${c(x(o.x[i]))}" cy="${c(y(o.y[i]))}" r="2.2" fill="${moved ? COLORS.moved : COLORS.ok}"/>`;
  }
  s += `</g></g>`;
  s += `<text x="${M.l + 8}" y="${M.t + 16}" font-size="11" fill="#555">${idx.length < n ? `${idx.length} of ${n} points (evenly sampled)` : `${n} points`}; solid: y = x` +
    (band !== undefined ? `; dashed: ±${Math.round(band * 100)}%` : '') + `</text>`;
  return s + `</svg>`;
}

export interface Histogram {
  edges: Float64Array;
  counts: Uint32Array;
  /** Values below the first edge / at or above the last, counted in the end bins. */
  below: number;
  above: number;
}

/** Counts in bins; values outside [edges[0], edges[last]) go to the end bins (and are counted as below/above). */
export function histogram(values: Float64Array, edges: Float64Array): Histogram {
  const k = edges.length - 1;
  const counts = new Uint32Array(k);
  const lo = edges[0];
  const hi = edges[k];
  const w = (hi - lo) / k;
  let below = 0;
  let above = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    let b: number;
    if (v < lo) {
      below++;
      b = 0;
    } else if (v >= hi) {
      above++;
      b = k - 1;
    } else {
      b = Math.min(k - 1, Math.floor((v - lo) / w));
      // Uniform edges computed by multiplication: correct the rare off-by-one at an edge.
      if (b > 0 && v < edges[b]) b--;
      else if (b < k - 1 && v >= edges[b + 1]) b++;
    }
    counts[b]++;
  }
  return { edges, counts, below, above };
}

export function uniformEdges(lo: number, hi: number, bins: number): Float64Array {
  const e = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) e[i] = lo + ((hi - lo) * i) / bins;
  return e;
}

export interface HistogramOptions {
  title: string;
  hist: Histogram;
  xLabel: string;
  yLabel?: string;
  format?: (v: number) => string;
  /** Bars for bins with edges entirely outside (−threshold, threshold) get the "moved" colour; dashed lines at ±threshold. */
  threshold?: number;
  note?: string;
}

export function histogramSvg(o: HistogramOptions): string {
  const { edges, counts } = o.hist;
  const k = counts.length;
  let maxCount = 0;
  for (const n of counts) maxCount = Math.max(maxCount, n);
  const x = scale(edges[0], edges[k], M.l, M.l + PW);
  const y = scale(0, maxCount * 1.08 || 1, M.t + PH, M.t);
  const f = o.format ?? String;
  let s = open(o.title, 'histogram');
  s += axes(x, y, o.xLabel, o.yLabel ?? 'rows', f, (v) => (Number.isInteger(v) ? String(v) : ''));
  const t = o.threshold;
  for (let i = 0; i < k; i++) {
    if (counts[i] === 0) continue;
    const outside = t !== undefined && (edges[i] >= t - 1e-12 || edges[i + 1] <= -t + 1e-12);
    const x0 = x(edges[i]);
    const x1 = x(edges[i + 1]);
    const y0 = y(counts[i]);
    s +=
      `<rect class="bar" x="${c(x0 + 0.5)}" y="${c(y0)}" width="${c(Math.max(0.5, x1 - x0 - 1))}" height="${c(M.t + PH - y0)}" ` +
      `fill="${outside ? COLORS.moved : COLORS.ok}"><title>${esc(`${f(edges[i])} .. ${f(edges[i + 1])}: ${counts[i]}`)}</title></rect>`;
  }
  if (t !== undefined) {
    for (const v of [-t, t]) {
      if (v < edges[0] || v > edges[k]) continue;
      s += `<line class="threshold" x1="${c(x(v))}" y1="${M.t}" x2="${c(x(v))}" y2="${M.t + PH}" stroke="${COLORS.moved}" stroke-dasharray="5 4"/>`;
    }
  }
  if (o.note) s += `<text x="${M.l + 8}" y="${M.t + 16}" font-size="11" fill="#555">${esc(o.note)}</text>`;
  return s + `</svg>`;
}

export interface Series {
  name: string;
  values: Float64Array;
  color: string;
}

export interface DistributionsOptions {
  title: string;
  series: Series[];
  xLabel: string;
  bins?: number;
  format?: (v: number) => string;
}

/** Several distributions on common bins, drawn as overlaid translucent step areas. */
export function distributionsSvg(o: DistributionsOptions): string {
  const all: number[] = [];
  for (const sr of o.series) for (const v of sr.values) if (Number.isFinite(v)) all.push(v);
  const sortedAll = Float64Array.from(all).sort();
  // The central 99.8 %: one extreme price would otherwise squash every bin into one.
  const q = (p: number): number => (sortedAll.length ? sortedAll[Math.min(sortedAll.length - 1, Math.floor(p * (sortedAll.length - 1)))] : 0);
  const [lo, hi] = padRange(q(0.001), q(0.999), 0.02);
  const edges = uniformEdges(lo, hi, o.bins ?? 40);
  const hists = o.series.map((sr) => histogram(sr.values, edges));
  let maxCount = 0;
  for (const h of hists) for (const n of h.counts) maxCount = Math.max(maxCount, n);
  const x = scale(lo, hi, M.l, M.l + PW);
  const y = scale(0, maxCount * 1.08 || 1, M.t + PH, M.t);
  const f = o.format ?? String;
  let s = open(o.title, 'distributions');
  s += axes(x, y, o.xLabel, 'rows', f, (v) => (Number.isInteger(v) ? String(v) : ''));
  hists.forEach((h, j) => {
    const sr = o.series[j];
    let d = `M${c(x(edges[0]))},${c(y(0))}`;
    for (let i = 0; i < h.counts.length; i++) d += `V${c(y(h.counts[i]))}H${c(x(edges[i + 1]))}`;
    d += `V${c(y(0))}Z`;
    s += `<path class="series" d="${d}" fill="${sr.color}" fill-opacity="0.3" stroke="${sr.color}" stroke-width="1.5"><title>${esc(sr.name)}</title></path>`;
  });
  o.series.forEach((sr, j) => {
    const lx = M.l + PW - 150;
    const ly = M.t + 14 + j * 18;
    s += `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${sr.color}" fill-opacity="0.5" stroke="${sr.color}"/>`;
    s += `<text x="${lx + 18}" y="${ly}" font-size="12">${esc(sr.name)}</text>`;
  });
  return s + `</svg>`;
}

export interface ShareSegment {
  label: string;
  count: number;
  color: string;
}

/** One stacked horizontal bar of shares (e.g. down > 10 % | within | up > 10 %), with a headline. */
export function shareBarSvg(title: string, headline: string, segments: ShareSegment[]): string {
  const h = 170;
  const total = segments.reduce((a, sg) => a + sg.count, 0);
  let s =
    `<svg class="plot share" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title>` +
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>` +
    `<text x="${W / 2}" y="50" text-anchor="middle" font-size="20" font-weight="700" fill="${COLORS.moved}">${esc(headline)}</text>`;
  const bx = 30;
  const bw = W - 60;
  let px = bx;
  for (const sg of segments) {
    const w = total ? (sg.count / total) * bw : 0;
    if (w > 0) s += `<rect class="segment" x="${c(px)}" y="70" width="${c(w)}" height="36" fill="${sg.color}"><title>${esc(`${sg.label}: ${sg.count}`)}</title></rect>`;
    px += w;
  }
  s += `<rect x="${bx}" y="70" width="${bw}" height="36" fill="none" stroke="${COLORS.axis}"/>`;
  segments.forEach((sg, j) => {
    const lx = bx + j * (bw / segments.length);
    const share = total ? ((sg.count / total) * 100).toFixed(1) : '-';
    s += `<rect x="${lx}" y="124" width="12" height="12" fill="${sg.color}"/>`;
    s += `<text x="${lx + 18}" y="135" font-size="11">${esc(`${sg.label}: ${sg.count} (${share}%)`)}</text>`;
  });
  return s + `</svg>`;
}
