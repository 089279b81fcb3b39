/**
 * Lasso regression by cyclic coordinate descent, the algorithm scikit-learn's `Lasso` runs
 * (sklearn.linear_model._cd_fast.enet_coordinate_descent with l2 = 0), in TypeScript so the
 * production linear model is trained by the same code base that serves it, without Python.
 *
 * Minimises (1 / (2n)) * ||y - X w - b||^2 + alpha * ||w||_1 with an unpenalised intercept
 * (X and y centred first, as fit_intercept=True does). Deterministic: features are visited in
 * order, every sum runs in index order.
 */
export interface LassoOptions {
  alpha: number;
  /** Stop when the duality gap is below tol * ||y - mean(y)||^2 (sklearn's rule); default 1e-4. */
  tol?: number;
  maxIter?: number;
}

export interface LassoFit {
  coefficients: Float64Array;
  intercept: number;
  iterations: number;
  dualGap: number;
  converged: boolean;
}

/** x: row-major rows x cols. */
export function fitLasso(x: Float64Array, y: ArrayLike<number>, rows: number, cols: number, opts: LassoOptions): LassoFit {
  const { alpha } = opts;
  const tolIn = opts.tol ?? 1e-4;
  const maxIter = opts.maxIter ?? 1000;
  if (x.length !== rows * cols || y.length !== rows) throw new RangeError('lasso: matrix and target sizes do not match');
  if (rows === 0) throw new RangeError('lasso: no rows');

  // Column-major centred copy: each coordinate step reads one column.
  const xMean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) xMean[j] += x[r * cols + j];
  for (let j = 0; j < cols; j++) xMean[j] /= rows;
  let yMean = 0;
  for (let r = 0; r < rows; r++) yMean += y[r];
  yMean /= rows;
  const X = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) for (let r = 0; r < rows; r++) X[j * rows + r] = x[r * cols + j] - xMean[j];
  const Y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) Y[r] = y[r] - yMean;

  const w = new Float64Array(cols);
  const normCols = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += X[j * rows + r] ** 2;
    normCols[j] = s;
  }
  const R = Float64Array.from(Y); // residual y - Xw (w = 0)
  const l1 = alpha * rows;
  let yNorm2 = 0;
  for (let r = 0; r < rows; r++) yNorm2 += Y[r] * Y[r];
  const tol = tolIn * yNorm2;
  const dwTol = tolIn;

  let gap = tol + 1;
  let iter = 0;
  let converged = false;
  for (iter = 0; iter < maxIter; iter++) {
    let wMax = 0;
    let dwMax = 0;
    for (let j = 0; j < cols; j++) {
      if (normCols[j] === 0) continue;
      const wOld = w[j];
      const col = j * rows;
      if (wOld !== 0) for (let r = 0; r < rows; r++) R[r] += wOld * X[col + r];
      let tmp = 0;
      for (let r = 0; r < rows; r++) tmp += X[col + r] * R[r];
      const mag = Math.abs(tmp) - l1;
      w[j] = mag > 0 ? (Math.sign(tmp) * mag) / normCols[j] : 0;
      if (w[j] !== 0) for (let r = 0; r < rows; r++) R[r] -= w[j] * X[col + r];
      const dw = Math.abs(w[j] - wOld);
      if (dw > dwMax) dwMax = dw;
      if (Math.abs(w[j]) > wMax) wMax = Math.abs(w[j]);
    }
    if (wMax === 0 || dwMax / wMax < dwTol || iter === maxIter - 1) {
      gap = dualityGap(X, Y, R, w, rows, cols, l1);
      if (gap < tol) {
        converged = true;
        iter++;
        break;
      }
    }
  }
  let intercept = yMean;
  for (let j = 0; j < cols; j++) intercept -= xMean[j] * w[j];
  return { coefficients: w, intercept, iterations: iter, dualGap: gap, converged };
}

/** sklearn's duality gap for the lasso (l2 = 0), on centred data with residual R. */
function dualityGap(X: Float64Array, Y: Float64Array, R: Float64Array, w: Float64Array, rows: number, cols: number, l1: number): number {
  let dualNormXtA = 0;
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += X[j * rows + r] * R[r];
    dualNormXtA = Math.max(dualNormXtA, Math.abs(s));
  }
  let rNorm2 = 0;
  for (let r = 0; r < rows; r++) rNorm2 += R[r] * R[r];
  let wNorm1 = 0;
  for (let j = 0; j < cols; j++) wNorm1 += Math.abs(w[j]);
  let const_ = 1;
  let gap: number;
  if (dualNormXtA > l1) {
    const_ = l1 / dualNormXtA;
    gap = 0.5 * (rNorm2 + rNorm2 * const_ * const_);
  } else {
    gap = rNorm2;
  }
  let Ry = 0;
  for (let r = 0; r < rows; r++) Ry += R[r] * Y[r];
  gap += l1 * wNorm1 - const_ * Ry;
  return gap;
}
