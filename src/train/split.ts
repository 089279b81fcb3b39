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

/**
 * MT19937 as numpy's legacy RandomState(seed) runs it (init_genrand, 32-bit outputs), so grove can
 * reproduce scikit-learn's `train_test_split(random_state=seed)` row for row without Python.
 */
class MT19937 {
  #mt = new Uint32Array(624);
  #i = 625;

  constructor(seed: number) {
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev + i, in 32-bit arithmetic
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.#i = 624;
  }

  nextUint32(): number {
    const mt = this.#mt;
    if (this.#i >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.#i = 0;
    }
    let y = mt[this.#i++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's random_interval: uniform integer in [0, max] by masked rejection. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > max);
    return v;
  }
}

/** numpy.random.RandomState(seed).permutation(n). */
export function numpyPermutation(n: number, seed: number): number[] {
  if (n > 0xffffffff) throw new RangeError('numpyPermutation: n too large');
  const rng = new MT19937(seed);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.interval(i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * scikit-learn's train_test_split(test_size=f, random_state=seed) (ShuffleSplit): the test rows are
 * the first ceil(n * f) entries of numpy's permutation, the training rows the rest, in that order.
 */
export function sklearnTrainTestSplit(n: number, testFraction: number, seed: number): { train: number[]; holdout: number[] } {
  const perm = numpyPermutation(n, seed);
  const nTest = Math.ceil(n * testFraction);
  return { holdout: perm.slice(0, nTest), train: perm.slice(nTest) };
}
