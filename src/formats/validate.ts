/**
 * Structural validation of a Model IR: the only place that decides whether a model is safe to score.
 *
 * Every reader calls `validateModel` before returning, so engines (and the native core, which
 * indexes memory with these numbers) only ever see models whose every index is in range, whose
 * trees are trees (each node reached exactly once from the root: no cycles, no shared or orphaned
 * nodes), and whose sizes are sane.
 */
import { NODE_CATEGORICAL, ModelFormatError, type ForestIR, type LinearIR, type ModelIR } from './ir.js';

/** Limits that a real model never reaches and a corrupt one easily does. */
export const LIMITS = {
  maxFeatures: 1 << 20,
  maxOutputs: 1 << 12,
  maxTrees: 1 << 22,
  maxNodes: 1 << 28,
  /** Largest category code a bitset may cover (XGBoost refuses codes >= 2^24 too). */
  maxCategoryBits: 1 << 24,
};

function fail(file: string, where: string, reason: string): never {
  throw new ModelFormatError(file, where, reason);
}

function checkCommon(m: ModelIR, file: string): void {
  if (!Number.isInteger(m.numFeatures) || m.numFeatures < 0 || m.numFeatures > LIMITS.maxFeatures) {
    fail(file, 'model', `number of features ${m.numFeatures} is not in [0, ${LIMITS.maxFeatures}]`);
  }
  if (m.features.length !== m.numFeatures) {
    fail(file, 'model', `${m.features.length} feature descriptions for ${m.numFeatures} features`);
  }
  if (!Number.isInteger(m.numMargins) || m.numMargins < 1 || m.numMargins > LIMITS.maxOutputs) {
    fail(file, 'model', `number of outputs ${m.numMargins} is not in [1, ${LIMITS.maxOutputs}]`);
  }
  const expectedOutputs = m.transform.kind === 'argmax' ? 1 : m.numMargins;
  if (m.numOutputs !== expectedOutputs) {
    fail(file, 'model', `transform ${m.transform.kind} gives ${expectedOutputs} outputs, model says ${m.numOutputs}`);
  }
  if (m.baseScore.length !== m.numMargins) {
    fail(file, 'model', `${m.baseScore.length} base scores for ${m.numMargins} outputs`);
  }
  const it = m.iterationOffsets;
  if (it.length !== m.numIterations + 1 || it[0] !== 0) {
    fail(file, 'model', 'iteration offsets must start at 0 and have one entry per round plus one');
  }
  for (let r = 0; r < m.numIterations; r++) {
    if (it[r + 1] < it[r]) fail(file, `round ${r}`, 'iteration offsets decrease');
  }
  for (let f = 0; f < m.features.length; f++) {
    const info = m.features[f];
    if (info.categories !== null && info.type !== 'categorical') {
      fail(file, `feature ${f} (${info.name})`, 'category names on a numeric feature');
    }
  }
}

function checkForest(m: ForestIR, file: string): void {
  const { trees, nodes } = m;
  if (m.rule !== 'xgboost' && m.rule !== 'lightgbm') fail(file, 'model', `split rule '${m.rule}' is not a tree rule`);
  if (!Number.isInteger(trees.count) || trees.count < 0 || trees.count > LIMITS.maxTrees) {
    fail(file, 'model', `number of trees ${trees.count} is not in [0, ${LIMITS.maxTrees}]`);
  }
  if (m.iterationOffsets[m.numIterations] !== trees.count) {
    fail(file, 'model', `iteration offsets cover ${m.iterationOffsets[m.numIterations]} trees, model has ${trees.count}`);
  }
  if (trees.nodeOffset.length !== trees.count + 1 || trees.output.length !== trees.count || trees.weight.length !== trees.count) {
    fail(file, 'model', 'per-tree arrays do not match the number of trees');
  }
  const total = trees.nodeOffset[trees.count];
  if (trees.nodeOffset[0] !== 0 || total > LIMITS.maxNodes) {
    fail(file, 'model', `node offsets must start at 0 and stay under ${LIMITS.maxNodes} nodes`);
  }
  if (m.leafWidth !== 1 && m.leafWidth !== m.numMargins) {
    fail(file, 'model', `leaf width ${m.leafWidth} is neither 1 nor the number of outputs ${m.numMargins}`);
  }
  for (const [name, arr] of [
    ['feature', nodes.feature], ['threshold', nodes.threshold], ['left', nodes.left], ['right', nodes.right],
    ['flags', nodes.flags], ['catStart', nodes.catStart], ['catWords', nodes.catWords],
  ] as const) {
    if (arr.length !== total) fail(file, 'model', `node array ${name} has ${arr.length} entries for ${total} nodes`);
  }
  if (nodes.leafValue.length !== total * m.leafWidth) {
    fail(file, 'model', `leaf values hold ${nodes.leafValue.length} entries for ${total} nodes x width ${m.leafWidth}`);
  }
  if (m.linearLeaves) {
    const ll = m.linearLeaves;
    if (ll.termOffset.length !== total + 1 || ll.constant.length !== total || ll.termOffset[0] !== 0) {
      fail(file, 'model', 'linear leaf arrays do not match the number of nodes');
    }
    if (ll.termFeature.length !== ll.termCoeff.length || ll.termOffset[total] !== ll.termFeature.length) {
      fail(file, 'model', 'linear leaf terms are inconsistent');
    }
    for (let g = 0; g < total; g++) {
      if (ll.termOffset[g + 1] < ll.termOffset[g]) fail(file, `node ${g}`, 'linear leaf term offsets decrease');
    }
    for (let j = 0; j < ll.termFeature.length; j++) {
      const f = ll.termFeature[j];
      if (!(f >= 0 && f < m.numFeatures)) fail(file, 'linear leaves', `term ${j} uses feature ${f}, model has ${m.numFeatures}`);
    }
  }

  const seen = new Uint8Array(total);
  const stack: number[] = [];
  for (let t = 0; t < trees.count; t++) {
    const base = trees.nodeOffset[t];
    const n = trees.nodeOffset[t + 1] - base;
    const where = (node: number): string => `tree ${t} node ${node}`;
    if (n < 1) fail(file, `tree ${t}`, `has ${n} nodes`);
    const out = trees.output[t];
    if (m.leafWidth === 1 ? !(out >= 0 && out < m.numMargins) : out !== -1) {
      fail(file, `tree ${t}`, `output index ${out} is out of range for ${m.numMargins} outputs`);
    }
    let reached = 0;
    stack.length = 0;
    stack.push(0);
    while (stack.length > 0) {
      const node = stack.pop()!;
      const g = base + node;
      if (seen[g]) fail(file, where(node), 'is reached twice (cycle or shared child)');
      seen[g] = 1;
      reached++;
      const l = nodes.left[g];
      const r = nodes.right[g];
      if (l === -1 && r === -1) continue;
      if (!(l >= 0 && l < n)) fail(file, where(node), `left child ${l} is out of range [0, ${n})`);
      if (!(r >= 0 && r < n)) fail(file, where(node), `right child ${r} is out of range [0, ${n})`);
      const f = nodes.feature[g];
      if (!(f >= 0 && f < m.numFeatures)) {
        fail(file, where(node), `split feature ${f} is out of range [0, ${m.numFeatures})`);
      }
      if (nodes.flags[g] & NODE_CATEGORICAL) {
        const s = nodes.catStart[g];
        const w = nodes.catWords[g];
        if (!(s >= 0 && w >= 0 && s + w <= m.catBits.length && w * 32 <= LIMITS.maxCategoryBits)) {
          fail(file, where(node), `category bitset [${s}, ${s + w}) is out of range [0, ${m.catBits.length})`);
        }
      }
      stack.push(r, l);
    }
    if (reached !== n) fail(file, `tree ${t}`, `${n - reached} of its ${n} nodes are not reachable from the root`);
  }
}

function checkLinear(m: LinearIR, file: string): void {
  if (m.weights.length !== m.numFeatures * m.numMargins) {
    fail(file, 'model', `${m.weights.length} weights for ${m.numFeatures} features x ${m.numMargins} outputs`);
  }
  if (m.bias.length !== m.numMargins) fail(file, 'model', `${m.bias.length} biases for ${m.numMargins} outputs`);
}

/** Throws ModelFormatError (naming file, tree/node and what is wrong) unless the model is safe to score. */
export function validateModel(m: ModelIR, file: string): void {
  checkCommon(m, file);
  if (m.kind === 'forest') checkForest(m, file);
  else checkLinear(m, file);
}
