/** Sticky canary assignment and the routing file. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, goesToCandidate } from '../src/routing/canary.js';
import { defaultRouting, parseRouting, readRouting, writeRouting } from '../src/routing/state.js';

describe('sticky canary assignment', () => {
  it('is deterministic: the same key gets the same answer at the same weight', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 100 }), (model, key, w) => {
        expect(goesToCandidate(model, key, w)).toBe(goesToCandidate(model, key, w));
      }),
    );
  });

  it('is monotone in the weight: raising it only moves keys from live to candidate', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (key, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        if (goesToCandidate('house-price', key, lo)) expect(goesToCandidate('house-price', key, hi)).toBe(true);
      }),
    );
  });

  it('sends about W% of keys to the candidate, and depends on the model name', () => {
    let hits = 0;
    let differ = 0;
    for (let i = 0; i < 20_000; i++) {
      if (goesToCandidate('m', `customer-${i}`, 10)) hits++;
      if (bucketOf('m', `customer-${i}`) !== bucketOf('other', `customer-${i}`)) differ++;
    }
    expect(hits / 20_000).toBeGreaterThan(0.09);
    expect(hits / 20_000).toBeLessThan(0.11);
    expect(differ).toBeGreaterThan(19_000);
    expect(bucketOf('m', 'k')).toBeLessThan(BUCKETS);
  });

  it('assigns requests without a key independently, 0% and 100% exactly', () => {
    let i = 0;
    const seq = [0.05, 0.5, 0.95];
    const rnd = (): number => seq[i++ % 3];
    expect([goesToCandidate('m', '', 10, rnd), goesToCandidate('m', '', 10, rnd), goesToCandidate('m', '', 10, rnd)]).toEqual([true, false, false]);
    expect(goesToCandidate('m', 'k', 0)).toBe(false);
    expect(goesToCandidate('m', 'k', 100)).toBe(true);
  });
});

describe('routing.json', () => {
  it('round-trips through an atomic write and leaves no temporary files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-routing-'));
    expect(await readRouting(dir)).toBeNull();
    const r = { ...defaultRouting(), live: 1, candidate: 2, mode: 'canary' as const, weight: 10 };
    await writeRouting(dir, r);
    expect(await readRouting(dir)).toEqual(r);
    expect(readdirSync(dir)).toEqual(['routing.json']);
    expect(JSON.parse(readFileSync(join(dir, 'routing.json'), 'utf8')).weight).toBe(10);
  });

  it('refuses invalid files naming the field', () => {
    expect(() => parseRouting('{', 'routing.json')).toThrow(/routing.json: not valid JSON/);
    expect(() => parseRouting(JSON.stringify({ ...defaultRouting(), weight: 150 }), 'routing.json')).toThrow(/routing.json: weight/);
    expect(() => parseRouting(JSON.stringify({ ...defaultRouting(), mode: 'blue' }), 'routing.json')).toThrow(/routing.json: mode/);
    expect(() => parseRouting(JSON.stringify({ ...defaultRouting(), extra: 1 }), 'routing.json')).toThrow(/routing.json/);
  });
});
