/** Training building blocks: the lasso solver, the split, grove-linear files, reference statistics. */
import { describe, expect, it } from 'vitest';
import { fitLasso } from '../src/train/lasso.js';
import { trainHoldoutSplit } from '../src/train/split.js';
import { readGroveLinear, serializeGroveLinear } from '../src/formats/linear.js';
import { readModelBytes } from '../src/formats/read.js';
import { ModelFormatError } from '../src/formats/ir.js';
import { modelFromIR } from '../src/model.js';
import { binOf, computeReferenceStats, numericStats } from '../src/monitoring/reference-stats.js';

describe('lasso (coordinate descent)', () => {
  it('matches the closed form on an orthogonal design: soft-thresholded least squares', () => {
    // Columns are centred and orthogonal, so w_j = S(x_j.y / n, alpha) / (x_j.x_j / n).
    const rows = 4;
    const cols = 2;
    const x = Float64Array.from([1, 1, -1, 1, 1, -1, -1, -1]); // rows: (1,1) (-1,1) (1,-1) (-1,-1)
    const y = [3.0, 1.0, 2.0, -0.2];
    const alpha = 0.1;
    const fit = fitLasso(x, y, rows, cols, { alpha, tol: 1e-12 });
    const ybar = y.reduce((a, b) => a + b) / rows;
    const xy0 = (3 - 1 + 2 + 0.2) / rows; // x_0 . y / n
    const xy1 = (3 + 1 - 2 + 0.2) / rows;
    const soft = (z: number): number => Math.sign(z) * Math.max(Math.abs(z) - alpha, 0);
    expect(fit.coefficients[0]).toBeCloseTo(soft(xy0), 12);
    expect(fit.coefficients[1]).toBeCloseTo(soft(xy1), 12);
    expect(fit.intercept).toBeCloseTo(ybar, 12);
    expect(fit.converged).toBe(true);
  });

  it('drops a feature whose correlation is below alpha, and is deterministic', () => {
    const rows = 50;
    const x = new Float64Array(rows * 3);
    const y: number[] = [];
    for (let r = 0; r < rows; r++) {
      x[r * 3] = r / rows;
      x[r * 3 + 1] = Math.sin(r);
      x[r * 3 + 2] = ((r * 7919) % 13) / 13;
      y.push(2 * x[r * 3] + 0.001 * x[r * 3 + 2]);
    }
    const a = fitLasso(x, y, rows, 3, { alpha: 0.01 });
    const b = fitLasso(x, y, rows, 3, { alpha: 0.01 });
    expect(a.coefficients[2]).toBe(0);
    expect(a.coefficients[0]).toBeGreaterThan(1.5);
    expect(Array.from(a.coefficients)).toEqual(Array.from(b.coefficients));
    expect(a.intercept).toBe(b.intercept);
  });
});

describe('train/hold-out split', () => {
  it('is a seeded partition with ceil(10%) hold-out rows', () => {
    const s = trainHoldoutSplit(1460, 0.1, 0);
    expect(s.holdout).toHaveLength(146);
    expect(s.train).toHaveLength(1314);
    expect(new Set([...s.train, ...s.holdout]).size).toBe(1460);
    expect(trainHoldoutSplit(1460, 0.1, 0)).toEqual(s);
    expect(trainHoldoutSplit(1460, 0.1, 1).holdout).not.toEqual(s.holdout);
  });
});

describe('grove-linear model files', () => {
  const text = serializeGroveLinear(['a', 'b'], [0.5, -2], 10);

  it('round-trips, is recognised by content, and scores in double precision', () => {
    const ir = readModelBytes(Buffer.from(text), 'linear.json');
    expect(ir.format).toBe('grove-linear');
    for (const engine of ['native', 'reference'] as const) {
      const m = modelFromIR(ir, { engine });
      const y = m.predict(Float64Array.from([1, 1, 0.1, 0.3]), 2);
      expect(Array.from(y)).toEqual([10 + 0.5 - 2, 10 + 0.5 * 0.1 + -2 * 0.3]);
      m.dispose();
    }
  });

  it('refuses malformed files with the field named', () => {
    const bad = (obj: unknown): string => {
      try {
        readGroveLinear(JSON.stringify(obj), 'linear.json');
      } catch (e) {
        expect(e).toBeInstanceOf(ModelFormatError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    const good = JSON.parse(text) as Record<string, unknown>;
    expect(bad({ ...good, coefficients: [1] })).toContain('1 coefficients for 2 features');
    expect(bad({ ...good, intercept: 'x' })).toContain('intercept');
    expect(bad({ ...good, features: ['a', 'a'] })).toContain("'a' appears twice");
    expect(bad({ ...good, extra: 1 })).toContain('linear.json');
  });
});

describe('reference statistics', () => {
  it('summarises numeric and categorical fields and predictions deterministically', () => {
    const records = [
      { n: 1, c: 'a' },
      { n: 2, c: 'b' },
      { n: null, c: 'a' },
      { n: 4, c: null },
    ];
    const s = computeReferenceStats(records, { n: { type: 'numeric' }, c: { type: 'categorical' } }, [10, 20, 30, 40]);
    const n = s.fields.n;
    expect(n.type).toBe('numeric');
    if (n.type === 'numeric') {
      expect(n.missing_rate).toBe(0.25);
      expect(n.mean).toBeCloseTo(7 / 3, 15);
      expect(n.quantiles.find(([q]) => q === 0.5)![1]).toBe(2);
      expect(n.histogram.counts.reduce((a, b) => a + b)).toBe(3);
    }
    expect(s.fields.c).toEqual({ type: 'categorical', count: 4, missing_rate: 0.25, frequencies: { a: 2 / 3, b: 1 / 3 } });
    expect(s.prediction.quantiles.find(([q]) => q === 1)![1]).toBe(40);
    expect(JSON.stringify(computeReferenceStats(records, { n: { type: 'numeric' }, c: { type: 'categorical' } }, [10, 20, 30, 40]))).toBe(JSON.stringify(s));
  });

  it('bins values against decile edges, clamping outside values to the end bins', () => {
    const st = numericStats(Array.from({ length: 101 }, (_, i) => i));
    expect(st.histogram.edges).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(binOf(st.histogram.edges, -5)).toBe(0);
    expect(binOf(st.histogram.edges, 10)).toBe(1);
    expect(binOf(st.histogram.edges, 100)).toBe(9);
    expect(binOf(st.histogram.edges, 1e9)).toBe(9);
    expect(st.histogram.counts).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 11]);
  });
});
