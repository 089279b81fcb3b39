/**
 * The monitoring bars on the real server: after a shadow run replaying test.csv, the status page
 * (metrics port) opened in headless Chromium shows the live-vs-candidate plots with data; the drift
 * gauges say test.csv is stable (PSI < 0.1 everywhere) and a shifted copy flags exactly the
 * shifted fields.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, predictUnary, recordsInput, type GroveClients } from '../src/client/client.js';
import { recordsFromCsv } from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';
import { readCsv } from './helpers/fixtures.js';
import { startServer, type RunningServer } from './helpers/server.js';

const ROOT = join(import.meta.dirname, '..');
const table = readCsv(join(ROOT, 'data', 'house-prices', 'test.csv'));
const records = recordsFromCsv(table.header, table.rows) as RawRecord[];
const CHROMIUM = process.env.GROVE_CHROMIUM ?? '/usr/bin/chromium';
let playwright: typeof import('playwright-core') | null = null;
if (existsSync(CHROMIUM)) {
  try {
    playwright = await import('playwright-core');
  } catch {
    playwright = null;
  }
}

function psiGauges(text: string, version: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^grove_feature_psi\{model="house-price",version="(\d+)",feature="([^"]+)"\} (\S+)$/gm)) {
    if (m[1] === version) out.set(m[2], Number(m[3]));
  }
  return out;
}

async function replay(clients: GroveClients, rows: RawRecord[], version = ''): Promise<void> {
  for (let i = 0; i < rows.length; i += 100) {
    await predictUnary(clients.prediction, { model: 'house-price', version, partial: true, ...recordsInput(rows.slice(i, i + 100)) });
  }
}

describe('monitoring on the real server', () => {
  let root: string;
  let server: RunningServer;
  let clients: GroveClients;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'grove-monitor-'));
    cpSync(join(ROOT, 'models', 'house-price'), join(root, 'house-price'), { recursive: true });
    writeFileSync(
      join(root, 'house-price', 'routing.json'),
      JSON.stringify({ live: 1, candidate: 2, mode: 'shadow', weight: 0, sample_rate: 1, previous_live: null, audit: [] }),
    );
    server = await startServer(root);
    clients = connect(server.address);
  });

  afterAll(async () => {
    clients?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('replaying test.csv gives PSI < 0.1 on every feature of v1 (live)', async () => {
    await replay(clients, records);
    const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    const v1 = psiGauges(metrics, '1');
    expect(v1.size).toBeGreaterThan(30);
    const max = Math.max(...v1.values());
    expect(max).toBeLessThan(0.1);
    expect(metrics).toMatch(/^grove_prediction_psi\{model="house-price",version="1"\} /m);
    console.log(`test.csv replay: max feature PSI v1 ${max.toFixed(4)}`);
  });

  it('a shifted copy (LotArea x3, BsmtQual missing on half the rows) flags exactly LotArea and BsmtQual on v2', async () => {
    const shifted = records.map((r, i) => ({
      ...r,
      LotArea: typeof r.LotArea === 'number' ? r.LotArea * 3 : r.LotArea,
      BsmtQual: i % 2 === 0 ? null : r.BsmtQual,
    }));
    await replay(clients, shifted, '2');
    const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    const v2 = psiGauges(metrics, '2');
    const flagged = [...v2.entries()].filter(([, psi]) => psi > 0.25).map(([f]) => f).sort();
    expect(flagged).toEqual(['BsmtQual', 'LotArea']);
    // and the same in GetModel
    const info = await new Promise<import('../src/generated/grove/v1/ModelInfo.js').ModelInfo__Output>((resolve, reject) =>
      clients.models.GetModel({ name: 'house-price' }, (e, r) => (e ? reject(e) : resolve(r!))),
    );
    const drift = info.versions.find((v) => v.version === 2)!.drift!;
    expect(drift.features.filter((f) => f.flagged).map((f) => f.feature).sort()).toEqual(['BsmtQual', 'LotArea']);
    expect(drift.window_rows).toBeGreaterThan(1000);
  });

  it.skipIf(!playwright)('the status page in headless Chromium shows the live-vs-candidate plots with data', async () => {
    const browser = await playwright!.chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${server.metricsPort}/`, { waitUntil: 'load' });
      expect(await page.title()).toBe('grove status');
      const shot = await page.screenshot({ fullPage: true });
      const file = join(mkdtempSync(join(tmpdir(), 'grove-status-')), 'status.png');
      writeFileSync(file, shot);
      console.log(`status page screenshot after a shadow run: ${file}`);
      for (const kind of ['shadow-distributions', 'shadow-difference']) {
        const chart = page.locator(`svg.chart[data-chart="${kind}"]`).first();
        expect(await chart.count(), kind).toBe(1);
        const marks = await chart.evaluate((svg) =>
          Array.from(svg.querySelectorAll('.mark')).filter((e) => {
            const r = (e as SVGGraphicsElement).getBoundingClientRect();
            return r.width > 0 || r.height > 0;
          }).length,
        );
        expect(marks, `${kind}: visible data marks`).toBeGreaterThan(3);
      }
      expect(await page.locator('svg[data-chart="shadow-distributions"] g.series').count()).toBe(2);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
