/**
 * The status page (src/monitoring/status-page.ts): rendered from a StatusData fixture built with
 * the real DriftMonitor on the house-price v2 bundle (test.csv, then a shifted copy), escaped,
 * and — when Debian's chromium and playwright-core are installed — loaded in headless Chromium:
 * the plots have data marks with non-zero size, the screenshot shows coloured data in every plot,
 * injected markup does not run, and the page reloads itself.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelFile } from '../src/formats/read.js';
import { ShadowComparison } from '../src/monitoring/comparison.js';
import { DriftMonitor, passthroughFields } from '../src/monitoring/drift.js';
import { renderStatusPage, shadowHistograms, type StatusData } from '../src/monitoring/status-page.js';
import { escapeXml, fmt, niceTicks, overlaidHistograms, timeLines } from '../src/monitoring/svg-charts.js';
import { parsePipeline, recordsFromCsv } from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';
import { mulberry32 } from '../src/train/split.js';
import { readCsv } from './helpers/fixtures.js';

const ROOT = join(import.meta.dirname, '..');
const V2 = join(ROOT, 'models', 'house-price', '2');
const EVIL = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">"'&`;

async function fixture(): Promise<StatusData> {
  const manifest = JSON.parse(readFileSync(join(V2, 'manifest.json'), 'utf8'));
  const pipeline = parsePipeline(readFileSync(join(V2, 'pipeline.json'), 'utf8'), 'pipeline.json');
  const ir = await readModelFile(join(V2, manifest.artifact));
  const test = readCsv(join(ROOT, 'data', 'house-prices', 'test.csv'));
  // test.csv in a fixed shuffled order (its row order follows the sale date: consecutive rows are not a sample).
  const rand = mulberry32(7);
  const order = test.rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rows = order.map((i) => test.rows[i]);
  const records = recordsFromCsv(test.header, rows);
  const research = new Map(readCsv(join(V2, 'research_predictions.csv')).rows.map(([id, split, p]) => [`${split}:${id}`, Number(p)]));
  const preds = Float64Array.from(rows, (r) => research.get(`test:${r[0]}`)!);

  // Ten minutes of traffic, one batch a minute: test.csv, then a copy with LotArea ×3 and half
  // the BsmtQual values missing, so the PSI history climbs over the threshold.
  let now = Date.UTC(2025, 0, 1, 12, 0, 0);
  const drift = new DriftMonitor({ windowRows: 600, historyIntervalSeconds: 60, clock: () => now });
  drift.track('house-price', 2, manifest.reference_stats, ir, passthroughFields(pipeline.spec, pipeline.features));
  for (let minute = 0; minute < 10; minute++) {
    const from = (minute * 300) % (records.length - 300);
    let batch: RawRecord[] = records.slice(from, from + 300);
    if (minute >= 5) batch = batch.map((r, i) => ({ ...r, LotArea: typeof r.LotArea === 'number' ? r.LotArea * 3 : r.LotArea, BsmtQual: i % 2 ? r.BsmtQual : null }));
    drift.observe('house-price', 2, batch, preds.subarray(from, from + 300), 1);
    now += 60_000;
  }
  // A second model whose name and feature names are hostile markup.
  const evil = new DriftMonitor({ minRows: 1, historyIntervalSeconds: 0, clock: () => now });
  evil.track(EVIL, 1, {
    rows: 2,
    fields: { [EVIL]: { type: 'categorical', count: 2, missing_rate: 0, frequencies: { a: 0.5, [EVIL]: 0.5 } } },
    prediction: { type: 'numeric', count: 2, missing_rate: 0, mean: 0.5, std: 0.5, quantiles: [[0, 0], [1, 1]], histogram: { edges: [0, 1], counts: [1, 1] } },
  });
  evil.observe(EVIL, 1, [{ [EVIL]: 'zzz' }, { [EVIL]: 'zzz' }], [0.5, 0.5], 1);

  // Shadow: v1 live vs v2 candidate, from their research predictions on test.csv.
  const v1 = new Map(readCsv(join(ROOT, 'models', 'house-price', '1', 'research_predictions.csv')).rows.map(([id, split, p]) => [`${split}:${id}`, p === '' ? NaN : Number(p)]));
  const cmp = new ShadowComparison('house-price', 1, 2);
  const live: number[] = [];
  const cand: number[] = [];
  rows.forEach((r, i) => {
    const l = v1.get(`test:${r[0]}`)!;
    cmp.add(l, preds[i]);
    if (Number.isFinite(l)) {
      live.push(l);
      cand.push(preds[i]);
    }
  });

  return {
    generatedAt: new Date(now).toISOString(),
    refreshSeconds: 5,
    models: [
      {
        name: 'house-price',
        defaultVersion: 1,
        routing: { live: 1, candidate: 2, mode: 'shadow', weight: 0, sampleRate: 1 },
        versions: [
          { version: 1, state: 'ready', error: null, format: 'grove-linear', requests: 1459, errors: 10, latencyP50Ms: 0.41, latencyP99Ms: 2.3 },
          { version: 2, state: 'ready', error: null, format: 'xgboost-json', requests: 1449, errors: 0, latencyP50Ms: 0.52, latencyP99Ms: 3.1 },
          { version: 3, state: 'failed', error: `self-check failed: row 3 ${EVIL}`, format: 'xgboost-json', requests: 0, errors: 0, latencyP50Ms: null, latencyP99Ms: null },
        ],
        traffic: [
          { version: 1, role: 'live', requests: 1459 },
          { version: 2, role: 'shadow', requests: 1449 },
        ],
        shadow: { ...cmp.summary(), ...shadowHistograms(live, cand) },
        drift: [drift.report('house-price', 2)!],
      },
      {
        name: EVIL,
        defaultVersion: 1,
        routing: null,
        versions: [{ version: 1, state: 'loading', error: null, format: EVIL, requests: 0, errors: 0, latencyP50Ms: null, latencyP99Ms: null }],
        traffic: [],
        shadow: null,
        drift: [evil.report(EVIL, 1)!],
      },
    ],
  };
}

const data = await fixture();
const html = renderStatusPage(data);
const PLOTS = ['shadow-distributions', 'shadow-difference', 'drift-psi', 'drift-history', 'traffic'] as const;

describe('status page HTML', () => {
  it('is one document with a refresh, the tables and a plot of each kind with data', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<meta http-equiv="refresh" content="5">');
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/<(script|img|link|iframe|object)\b|href="http/i); // no script, no external resource
    for (const kind of PLOTS) {
      const svg = html.match(new RegExp(`<svg class="chart" data-chart="${kind}"[\\s\\S]*?</svg>`))?.[0];
      expect(svg, kind).toBeDefined();
      expect(svg!.match(/class="mark"/g)?.length ?? 0, kind).toBeGreaterThan(0);
    }
    // The shifted features are flagged, highlighted and first in the table.
    const drift = html.match(/<table class="drift">[\s\S]*?<\/table>/)![0];
    const flagged = [...drift.matchAll(/<tr class="flagged"><td>([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(flagged.sort()).toEqual(['BsmtQual', 'LotArea']);
    expect(html).toContain('shadow sample rate 100.0%');
    expect(html).toContain('<span class="badge bad">failed</span>');
  });

  it('escapes every string from the data', () => {
    expect(html).not.toContain('<script>window.__pwned');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;&quot;&#39;&amp;');
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('without refresh, with no models, with empty plots', () => {
    const page = renderStatusPage({ generatedAt: 'now', refreshSeconds: 0, models: [] });
    expect(page).not.toContain('http-equiv="refresh"');
    expect(page).toContain('No models loaded.');
    expect(overlaidHistograms('x', 't', [{ label: 'a', color: '#000', hist: { edges: [], counts: [] } }])).toContain('data-empty="true"');
    expect(timeLines('x', 't', [])).toContain('no history yet');
  });

  it('formats numbers and ticks', () => {
    expect([fmt(0), fmt(0.01234), fmt(1.5), fmt(163131.27), fmt(2.5e6), fmt(NaN), fmt(Infinity), fmt(null)]).toEqual(['0', '0.0123', '1.5', '163k', '2.5M', 'NaN', '∞', '–']);
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  it('shadow histograms share edges; the difference is signed', () => {
    const h = shadowHistograms([100, 200, 300, NaN], [110, 180, 300, 5], 4);
    expect(h.liveHistogram.edges).toEqual(h.candidateHistogram.edges);
    expect(h.liveHistogram.counts.reduce((a, b) => a + b)).toBe(3);
    expect(h.candidateHistogram.counts.reduce((a, b) => a + b)).toBe(3);
    const rel = h.relDiffHistogram;
    expect(rel.edges[0]).toBeCloseTo(-0.1, 12);
    expect(rel.edges[rel.edges.length - 1]).toBeCloseTo(0.1, 12);
  });
});

// ---------------------------------------------------------------------------------------------
// Real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core)

/** Debian's chromium; GROVE_CHROMIUM overrides the path (e.g. to check the skip). */
const CHROMIUM = process.env.GROVE_CHROMIUM ?? '/usr/bin/chromium';
type Playwright = typeof import('playwright-core');
let playwright: Playwright | null = null;
let why = '';
if (!existsSync(CHROMIUM)) why = `${CHROMIUM} not found (apt-get install -y chromium)`;
else {
  try {
    playwright = await import('playwright-core');
  } catch {
    why = 'playwright-core is not installed (npm install --save-dev playwright-core@1)';
  }
}
if (why) console.warn(`status page Chromium test SKIPPED: ${why}`);

describe.skipIf(!playwright)('status page in headless Chromium', () => {
  let server: Server;
  let base = '';
  let hits = 0;
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      const body = req.url === '/empty' ? renderStatusPage({ generatedAt: 'x', refreshSeconds: 0, models: [] }) : renderStatusPage({ ...data, refreshSeconds: req.url === '/refresh' ? 1 : 0 });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:" });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await playwright!.chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Pixels of a PNG whose colour is saturated (max − min channel > 60): data marks, not text, grid or background. */
  async function saturatedPixels(png: Buffer): Promise<{ saturated: number; total: number; colours: number }> {
    const page = await browser.newPage();
    try {
      return await page.evaluate(async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        const canvas = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(bmp, 0, 0);
        const px = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
        let saturated = 0;
        const colours = new Set<number>();
        for (let i = 0; i < px.length; i += 4) {
          const r = px[i];
          const g = px[i + 1];
          const b = px[i + 2];
          colours.add((r << 16) | (g << 8) | b);
          if (Math.max(r, g, b) - Math.min(r, g, b) > 60) saturated++;
        }
        return { saturated, total: px.length / 4, colours: colours.size };
      }, png.toString('base64'));
    } finally {
      await page.close();
    }
  }

  it('renders every plot with data, and the screenshot shows it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/`, { waitUntil: 'load' });
    expect(await page.title()).toBe('grove status');

    // Injected markup stayed text.
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('h2').nth(1).textContent()).toContain(EVIL);

    const dir = mkdtempSync(join(tmpdir(), 'grove-status-'));
    const full = await page.screenshot({ fullPage: true });
    writeFileSync(join(dir, 'status-page.png'), full);
    console.log(`status page screenshot: ${join(dir, 'status-page.png')}`);
    const whole = await saturatedPixels(full);
    expect(whole.colours).toBeGreaterThan(50);

    for (const kind of PLOTS) {
      const chart = page.locator(`svg.chart[data-chart="${kind}"]`).first();
      const box = await chart.boundingBox();
      expect(box, kind).not.toBeNull();
      expect(box!.width * box!.height, kind).toBeGreaterThan(5000);
      // Data marks with a real size on screen.
      const marks = await chart.evaluate((svg) =>
        Array.from(svg.querySelectorAll('.mark')).filter((e) => {
          const r = (e as SVGGraphicsElement).getBoundingClientRect();
          return r.width > 0 || r.height > 0;
        }).length,
      );
      expect(marks, `${kind}: visible marks`).toBeGreaterThan(0);
      const shot = await chart.screenshot();
      const { saturated, total } = await saturatedPixels(shot);
      expect(saturated / total, `${kind}: share of coloured pixels`).toBeGreaterThan(0.01);
    }
    // Both distributions are drawn (live and candidate series), the history has a line per plotted feature.
    expect(await page.locator('svg[data-chart="shadow-distributions"] g.series').count()).toBe(2);
    expect(await page.locator('svg[data-chart="drift-history"] path.mark').first().isVisible()).toBe(true);
    expect(await page.locator('table.drift tr.flagged').count()).toBe(2 + 1); // LotArea, BsmtQual; the hostile feature
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an empty plot has no coloured pixels (the check above can fail)', async () => {
    const page = await browser.newPage();
    await page.setContent(`<!DOCTYPE html><body style="margin:0">${overlaidHistograms('x', 'empty', [])}</body>`);
    const shot = await page.locator('svg').screenshot();
    const { saturated } = await saturatedPixels(shot);
    expect(saturated).toBe(0);
    await page.close();
  });

  it('reloads itself every refreshSeconds', async () => {
    const page = await browser.newPage();
    const before = hits;
    await page.goto(`${base}/refresh`);
    await expect.poll(() => hits - before, { timeout: 10_000, interval: 200 }).toBeGreaterThanOrEqual(3);
    await page.close();
  });
});
