/** Deterministic train/hold-out split: a seeded shuffle, so the same seed gives the same rows on any machine. */

/** mulberry32: a small, well-distributed 32-bit PRNG, identical in every JavaScript engine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Indices 0..n-1 split into train and hold-out; the hold-out has ceil(n * holdoutFraction) rows. */
export function trainHoldoutSplit(n: number, holdoutFraction: number, seed: number): { train: number[]; holdout: number[] } {
  const idx = Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const h = Math.ceil(n * holdoutFraction);
  return { holdout: idx.slice(0, h).sort((a, b) => a - b), train: idx.slice(h).sort((a, b) => a - b) };
}
