/**
 * Open-loop load generator for bench/shadow.ts (a process of its own). On each IPC message
 * {rate, seconds} it sends 1-row house-price Predict calls at exactly `rate` per second and
 * answers with the latency distribution, measured from each call's scheduled send time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { connect, recordsInput } from '../src/client/client.js';
import { recordsFromCsv } from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';
import { quantile } from './lib/stats.js';

const address = process.argv[2];
const clients = connect(address);
const table = parse(readFileSync(join(import.meta.dirname, '..', 'data', 'house-prices', 'test.csv'))) as string[][];
const records = recordsFromCsv(table[0], table.slice(1)) as RawRecord[];
const requests = records.slice(0, 200).map((r, i) => ({ model: 'house-price', routing_key: `k${i}`, partial: true, ...recordsInput([r]) }));

async function phase(rate: number, seconds: number): Promise<object> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const lat: number[] = [];
  let failed = 0;
  let done = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = (): void => {
      const now = performance.now();
      // send every call whose scheduled time has come (catches up after a stall instead of skipping)
      while (i < total && start + i * interval <= now) {
        const scheduled = start + i * interval;
        clients.prediction.Predict(requests[i % requests.length], (err) => {
          if (err) failed++;
          else lat.push((performance.now() - scheduled) / 1000);
          if (++done === total) resolve();
        });
        i++;
      }
      if (i < total) setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
    };
    tick();
  });
  lat.sort((a, b) => a - b);
  return { sent: total, ok: lat.length, failed, p50: quantile(lat, 0.5), p90: quantile(lat, 0.9), p99: quantile(lat, 0.99), max: lat[lat.length - 1] ?? NaN };
}

process.on('message', (m: { rate: number; seconds: number }) => {
  void phase(m.rate, m.seconds).then((r) => process.send!(r));
});
process.send!({ ready: true });
