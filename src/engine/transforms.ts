/**
 * Output transforms: margins -> predictions, exactly as each library computes them.
 *
 * Both engines produce raw margins and hand them here, so a transform is written once and the
 * engines cannot disagree about it (the native core never sees an objective).
 */
import type { ModelIR, OutputTransform } from '../formats/ir.js';

const f32 = Math.fround;

/** XGBoost's sigmoid, step by step in float32 (common::Sigmoid with expf). */
function sigmoidF32(m: number): number {
  const e = f32(Math.exp(Math.min(-m, 88.7)));
  const d = f32(e + 1);
  return f32(1 / d);
}

/** softplus in float32 as XGBoost's expectile transform uses it (log1p(exp(x)), overflow-safe). */
function softplusF32(m: number): number {
  const x = f32(m);
  // Fix (xgboost reader task): XGBoost's SoftPlus works in float steps, x + log1pf(expf(-x)) for
  // x > 0 else log1pf(expf(x)); one double evaluation rounded once disagreed with
  // reg-expectileerror-xgb3 on 86 of 1008 outputs, these steps on 22 (glibc expf/log1pf rounding).
  return x > 0 ? f32(x + f32(Math.log1p(f32(Math.exp(-x))))) : f32(Math.log1p(f32(Math.exp(x))));
}

/**
 * Transforms one row of margins `m[mOff .. mOff + k)` into `out[oOff ..)`.
 * `rounds` is the number of boosting rounds scored (LightGBM random forests divide by it).
 */
function transformRow(
  t: OutputTransform,
  m: Float64Array,
  mOff: number,
  k: number,
  out: Float64Array,
  oOff: number,
): void {
  switch (t.kind) {
    case 'identity':
      for (let j = 0; j < k; j++) out[oOff + j] = m[mOff + j];
      return;
    case 'sigmoid_f32':
      for (let j = 0; j < k; j++) out[oOff + j] = sigmoidF32(m[mOff + j]);
      return;
    case 'softprob_f32': {
      let max = m[mOff];
      for (let j = 1; j < k; j++) if (m[mOff + j] > max) max = m[mOff + j];
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const e = f32(Math.exp(f32(m[mOff + j] - max)));
        out[oOff + j] = e;
        sum += e;
      }
      const s = f32(sum);
      for (let j = 0; j < k; j++) out[oOff + j] = f32(out[oOff + j] / s);
      return;
    }
    case 'argmax': {
      let best = 0;
      for (let j = 1; j < k; j++) if (m[mOff + j] > m[mOff + best]) best = j;
      out[oOff] = best;
      return;
    }
    case 'hinge':
      for (let j = 0; j < k; j++) out[oOff + j] = m[mOff + j] > 0 ? 1 : 0;
      return;
    case 'exp_f32':
      for (let j = 0; j < k; j++) out[oOff + j] = f32(Math.exp(m[mOff + j]));
      return;
    case 'sort_ascending': {
      const row = Array.from(m.subarray(mOff, mOff + k)).sort((a, b) => a - b);
      for (let j = 0; j < k; j++) out[oOff + j] = row[j];
      return;
    }
    case 'expectile_f32': {
      let p = f32(m[mOff]);
      out[oOff] = p;
      for (let j = 1; j < k; j++) {
        // Fix (xgboost reader task): XGBoost writes `pred += kRtEps + SoftPlus(m)`, so 1e-6 is added
        // to the softplus before the running sum (the other order was off by 1-2 ulp on the fixture).
        p = f32(p + f32(f32(1e-6) + softplusF32(m[mOff + j])));
        out[oOff + j] = p;
      }
      return;
    }
    case 'sigmoid':
      for (let j = 0; j < k; j++) out[oOff + j] = 1 / (1 + Math.exp(-t.scale * m[mOff + j]));
      return;
    case 'softmax': {
      let max = m[mOff];
      for (let j = 1; j < k; j++) if (m[mOff + j] > max) max = m[mOff + j];
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const e = Math.exp(m[mOff + j] - max);
        out[oOff + j] = e;
        sum += e;
      }
      for (let j = 0; j < k; j++) out[oOff + j] /= sum;
      return;
    }
    case 'log1p_exp':
      for (let j = 0; j < k; j++) out[oOff + j] = Math.log1p(Math.exp(m[mOff + j]));
      return;
    case 'exp':
      for (let j = 0; j < k; j++) out[oOff + j] = Math.exp(m[mOff + j]);
      return;
    case 'signed_square':
      for (let j = 0; j < k; j++) {
        const v = m[mOff + j];
        out[oOff + j] = Math.sign(v) * v * v;
      }
      return;
  }
}

/**
 * Applies the model's output transform to `rows` rows of margins (row-major, numMargins each).
 * `rounds` is how many boosting rounds produced the margins (for LightGBM `average_output`).
 */
export function applyTransform(
  model: ModelIR,
  margins: Float64Array,
  rows: number,
  rounds: number,
): Float64Array {
  const k = model.numMargins;
  const ko = model.numOutputs;
  let src = margins;
  if (model.kind === 'forest' && model.averageOutput) {
    // LightGBM rf: the transformed prediction averages the trees; the raw score is the plain sum.
    src = new Float64Array(margins.length);
    const div = rounds > 0 ? rounds : 1;
    for (let i = 0; i < margins.length; i++) src[i] = margins[i] / div;
  }
  const out = new Float64Array(rows * ko);
  for (let r = 0; r < rows; r++) transformRow(model.transform, src, r * k, k, out, r * ko);
  return out;
}
