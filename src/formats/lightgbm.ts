/**
 * LightGBM text model (v2, v3, v4: what `save_model` / the CLI's `output_model` write) -> Forest IR.
 *
 * Layout of the file: header key=value lines (and the bare `average_output`), `Tree=i` blocks,
 * `end of trees`, feature importances, `parameters:` .. `end of parameters`, and (Python package)
 * a last `pandas_categorical:<json>` line. Follows GBDT::LoadModelFromString; where LightGBM would
 * stop with a fatal error, or where a truncated file would silently lose trees, this reader throws
 * a ModelFormatError naming the file, the place (e.g. "Tree=3") and what is wrong. Nothing is
 * returned before validateModel has accepted the whole model.
 */
import {
  NODE_CATEGORICAL,
  NODE_DEFAULT_LEFT,
  NODE_MISSING_NAN,
  NODE_MISSING_ZERO,
  ModelFormatError,
  type FeatureInfo,
  type FeatureType,
  type ForestIR,
  type LinearLeaves,
  type ModelIR,
} from './ir.js';
import { parseObjective } from './lightgbm-objective.js';
import { clip, parseInteger, parseTree, splitTokens, type LightGBMTree, type TreeBlock } from './lightgbm-tree.js';
import { LIMITS, validateModel } from './validate.js';

const SUPPORTED_VERSIONS = new Set(['v2', 'v3', 'v4']);

function fail(file: string, where: string, reason: string): never {
  throw new ModelFormatError(file, where, reason);
}

/** The file as lines without their line ends (\n, \r\n, or a lone \r as LightGBM's GetLine allows). */
function toLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return body.split(/\r\n|\n|\r/);
}

interface Header {
  fields: Map<string, string>;
  /** Index of the first line after the header. */
  next: number;
}

function isTreeStart(line: string): boolean {
  return line.startsWith('Tree=');
}

function readHeader(lines: string[], file: string): Header {
  const fields = new Map<string, string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (isTreeStart(line) || line === 'end of trees') break;
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    // A line without '=' is a flag (`average_output`) or the leading `tree` marker.
    const key = eq < 0 ? line.trim() : line.slice(0, eq);
    const value = eq < 0 ? '' : line.slice(eq + 1);
    if (fields.has(key)) fail(file, 'header', `line ${i + 1}: '${clip(key)}' appears twice`);
    fields.set(key, value);
  }
  return { fields, next: i };
}

function headerInt(h: Header, file: string, key: string, min: number, max: number): number {
  const v = h.fields.get(key);
  if (v === undefined) fail(file, 'header', `missing ${key}= (not a LightGBM model, or truncated?)`);
  const n = parseInteger(v.trim(), min, max);
  if (n === undefined) fail(file, 'header', `${key}=${clip(v)} is not an integer in [${min}, ${max}]`);
  return n;
}

interface TreeSection {
  trees: LightGBMTree[];
  /** Index of the first line after `end of trees`. */
  next: number;
}

/** Reads `Tree=i` blocks up to `end of trees`; a file that ends before it is truncated. */
function readTrees(lines: string[], start: number, file: string, numFeatures: number): TreeSection {
  const trees: LightGBMTree[] = [];
  let totalNodes = 0;
  let i = start;
  const lastTree = (): string => (trees.length > 0 ? `after Tree=${trees.length - 1}` : 'before any tree');
  for (;;) {
    while (i < lines.length && lines[i].trim() === '') i++;
    if (i >= lines.length) {
      fail(file, trees.length > 0 ? `Tree=${trees.length - 1}` : 'trees', `file ends ${lastTree()} without 'end of trees' (truncated?)`);
    }
    const line = lines[i];
    if (line === 'end of trees') return { trees, next: i + 1 };
    if (!isTreeStart(line)) {
      fail(file, trees.length > 0 ? `Tree=${trees.length - 1}` : 'trees', `line ${i + 1}: expected 'Tree=${trees.length}' or 'end of trees', found '${clip(line)}'`);
    }
    const where = `Tree=${trees.length}`;
    const index = line.slice('Tree='.length).trim();
    if (index !== String(trees.length)) {
      fail(file, where, `line ${i + 1}: found '${clip(line)}' where ${where} was expected (trees missing or out of order)`);
    }
    if (trees.length >= LIMITS.maxTrees) fail(file, where, `more than ${LIMITS.maxTrees} trees`);
    i++;
    const fields = new Map<string, string>();
    for (; i < lines.length; i++) {
      const l = lines[i];
      if (l.trim() === '' || isTreeStart(l) || l === 'end of trees') break;
      const eq = l.indexOf('=');
      if (eq <= 0) fail(file, where, `line ${i + 1}: '${clip(l)}' is not a key=value line`);
      const key = l.slice(0, eq);
      if (fields.has(key)) fail(file, where, `line ${i + 1}: ${clip(key)}= appears twice`);
      fields.set(key, l.slice(eq + 1));
    }
    const block: TreeBlock = { where, fields };
    const tree = parseTree(block, file, numFeatures);
    totalNodes += 2 * tree.numLeaves - 1;
    if (totalNodes > LIMITS.maxNodes) fail(file, where, `the model exceeds ${LIMITS.maxNodes} nodes`);
    trees.push(tree);
  }
}

interface Trailer {
  parameters: Map<string, string>;
  /** The JSON text after `pandas_categorical:`, or null without that line. */
  pandasCategorical: string | null;
}

/** Everything after `end of trees`: the parameters section and the pandas_categorical line. */
function readTrailer(lines: string[], start: number, file: string): Trailer {
  const parameters = new Map<string, string>();
  let pandasCategorical: string | null = null;
  let state: 'before' | 'inside' | 'after' = 'before';
  for (let i = start; i < lines.length; i++) {
    const line = lines[i];
    if (state === 'inside') {
      if (line === 'end of parameters') {
        state = 'after';
        continue;
      }
      const m = /^\[([^:\]]+): ?(.*)\]$/.exec(line.trim());
      if (m) parameters.set(m[1], m[2]);
      continue;
    }
    if (line === 'parameters:' && state === 'before') state = 'inside';
    // Python's _load_pandas_categorical takes the last such line.
    else if (line.startsWith('pandas_categorical:')) pandasCategorical = line.slice('pandas_categorical:'.length);
  }
  if (state === 'inside') fail(file, 'parameters', "no 'end of parameters' line (file truncated?)");
  return { parameters, pandasCategorical };
}

/** Parses the pandas_categorical JSON: one list of category values per pandas category column. */
function parsePandasCategorical(json: string, file: string): string[][] | null {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    fail(file, 'pandas_categorical', `not valid JSON: ${(e as Error).message}`);
  }
  if (data === null) return null;
  if (!Array.isArray(data)) fail(file, 'pandas_categorical', 'expected a list of category lists or null');
  return data.map((list: unknown, c: number) => {
    if (!Array.isArray(list)) fail(file, 'pandas_categorical', `entry ${c} is not a list`);
    return list.map((v: unknown, k: number) => {
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      return fail(file, 'pandas_categorical', `entry ${c}, category ${k} is neither a string, a number nor a boolean`);
    });
  });
}

/**
 * Feature types: categorical when feature_infos lists categories (`a:b:c`), when the training
 * parameters declared it (`[categorical_feature: ...]`, by `name:` list or by index), or when a
 * split uses it as categorical. `none` (a feature the trees never use) and `[min:max]` are numeric.
 */
function featureTypes(
  names: string[],
  infos: string[],
  parameters: Map<string, string>,
  trees: LightGBMTree[],
  file: string,
): FeatureType[] {
  const types: FeatureType[] = infos.map((info, f) => {
    if (info === 'none' || /^\[.*\]$/.test(info)) return 'numeric';
    if (/^-?\d+(?::-?\d+)*$/.test(info)) return 'categorical';
    return fail(file, 'header', `feature_infos entry ${f} ('${clip(info)}') is neither [min:max], none, nor a category list`);
  });
  const declared = parameters.get('categorical_feature')?.trim() ?? '';
  if (declared !== '') {
    const byName = new Map(names.map((n, f) => [n, f] as const));
    const list = declared.startsWith('name:') ? declared.slice(5).split(',') : declared.split(',');
    for (const item of list) {
      const s = item.trim();
      const f = declared.startsWith('name:') ? byName.get(s) : parseInteger(s, 0, names.length - 1);
      // Unknown names/indices (a typo LightGBM tolerated, the label column) change nothing here.
      if (f !== undefined) types[f] = 'categorical';
    }
  }
  for (const t of trees) {
    for (let i = 0; i < t.decisionType.length; i++) if (t.decisionType[i] & 1) types[t.splitFeature[i]] = 'categorical';
  }
  return types;
}

function buildFeatures(
  names: string[],
  types: FeatureType[],
  pandas: string[][] | null,
  file: string,
): FeatureInfo[] {
  const features: FeatureInfo[] = names.map((name, f) => ({ name, type: types[f], categories: null }));
  if (pandas === null || pandas.length === 0) return features;
  // pandas_categorical lists the category columns in column order; they must be exactly the
  // categorical features, or which list belongs to which feature would be a guess.
  const categorical = features.filter((f) => f.type === 'categorical');
  if (categorical.length !== pandas.length) {
    fail(file, 'pandas_categorical', `${pandas.length} category lists for ${categorical.length} categorical features (${categorical.map((f) => f.name).join(', ') || 'none'}): cannot tell which list belongs to which feature`);
  }
  categorical.forEach((f, c) => (f.categories = pandas[c]));
  return features;
}

/** Flattens LightGBM trees into IR nodes: tree-local inner nodes 0..L-2, then leaves L-1..2L-2. */
function flatten(trees: LightGBMTree[]): Pick<ForestIR, 'trees' | 'nodes' | 'catBits' | 'linearLeaves'> & { count: number } {
  const count = trees.length;
  const nodeOffset = new Int32Array(count + 1);
  let words = 0;
  let terms = 0;
  let anyLinear = false;
  trees.forEach((t, k) => {
    nodeOffset[k + 1] = nodeOffset[k] + 2 * t.numLeaves - 1;
    words += t.catThreshold.length;
    if (t.linear) {
      anyLinear = true;
      terms += t.linear.termFeature.length;
    }
  });
  const total = nodeOffset[count];
  const nodes = {
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total).fill(-1),
    right: new Int32Array(total).fill(-1),
    flags: new Uint8Array(total),
    catStart: new Int32Array(total),
    catWords: new Int32Array(total),
    leafValue: new Float64Array(total),
  };
  const catBits = new Uint32Array(words);
  const linear: LinearLeaves | null = anyLinear
    ? {
        termOffset: new Int32Array(total + 1),
        termFeature: new Int32Array(terms),
        termCoeff: new Float64Array(terms),
        constant: new Float64Array(total),
      }
    : null;
  let wordBase = 0;
  let term = 0;
  trees.forEach((t, k) => {
    const base = nodeOffset[k];
    const inner = t.numLeaves - 1;
    const child = (c: number): number => (c >= 0 ? c : inner + ~c);
    for (let i = 0; i < inner; i++) {
      const g = base + i;
      const dt = t.decisionType[i];
      nodes.feature[g] = t.splitFeature[i];
      nodes.threshold[g] = t.threshold[i];
      nodes.left[g] = child(t.leftChild[i]);
      nodes.right[g] = child(t.rightChild[i]);
      const missing = (dt >> 2) & 3;
      nodes.flags[g] =
        (dt & 1 ? NODE_CATEGORICAL : 0) |
        (dt & 2 ? NODE_DEFAULT_LEFT : 0) |
        (missing === 1 ? NODE_MISSING_ZERO : 0) |
        (missing === 2 ? NODE_MISSING_NAN : 0);
      if (dt & 1) {
        const ci = t.threshold[i];
        nodes.catStart[g] = wordBase + t.catBoundaries[ci];
        nodes.catWords[g] = t.catBoundaries[ci + 1] - t.catBoundaries[ci];
      }
    }
    catBits.set(t.catThreshold, wordBase);
    wordBase += t.catThreshold.length;
    for (let l = 0; l < t.numLeaves; l++) {
      const g = base + inner + l;
      nodes.leafValue[g] = t.leafValue[l];
    }
    if (linear) {
      // termOffset is cumulative over every node; inner nodes and plain leaves add no terms.
      for (let n = 0; n < 2 * t.numLeaves - 1; n++) {
        const g = base + n;
        const l = n - inner;
        if (l >= 0) {
          if (t.linear) {
            linear.constant[g] = t.linear.leafConst[l];
            for (let j = t.linear.termStart[l]; j < t.linear.termStart[l + 1]; j++) {
              linear.termFeature[term] = t.linear.termFeature[j];
              linear.termCoeff[term] = t.linear.termCoeff[j];
              term++;
            }
          } else {
            linear.constant[g] = t.leafValue[l];
          }
        }
        linear.termOffset[g + 1] = term;
      }
    }
  });
  return {
    count,
    trees: { count, nodeOffset, output: new Int32Array(count), weight: new Float64Array(count).fill(1) },
    nodes,
    catBits,
    linearLeaves: linear,
  };
}

/** Parses a LightGBM text model (the content of model.txt); `file` names it in errors. */
export function readLightGBMText(text: string, file: string): ModelIR {
  const lines = toLines(text);
  const header = readHeader(lines, file);
  const h = header.fields;

  const version = h.get('version')?.trim();
  if (version !== undefined && !SUPPORTED_VERSIONS.has(version)) {
    fail(file, 'header', `model version '${clip(version)}' is not one grove reads (v2, v3, v4)`);
  }
  const numClass = headerInt(header, file, 'num_class', 1, LIMITS.maxOutputs);
  // LightGBM: num_tree_per_iteration defaults to num_class when absent.
  const perIteration = h.has('num_tree_per_iteration')
    ? headerInt(header, file, 'num_tree_per_iteration', 1, LIMITS.maxOutputs)
    : numClass;
  headerInt(header, file, 'label_index', -1, 2 ** 31 - 1);
  const numFeatures = headerInt(header, file, 'max_feature_idx', -1, LIMITS.maxFeatures - 1) + 1;
  const namesText = h.get('feature_names');
  if (namesText === undefined) fail(file, 'header', 'missing feature_names= (truncated?)');
  const names = splitTokens(namesText);
  if (names.length !== numFeatures) {
    fail(file, 'header', `feature_names lists ${names.length} names, max_feature_idx=${numFeatures - 1} means ${numFeatures}`);
  }
  const infosText = h.get('feature_infos');
  if (infosText === undefined) fail(file, 'header', 'missing feature_infos= (truncated?)');
  const infos = splitTokens(infosText);
  if (infos.length !== numFeatures) {
    fail(file, 'header', `feature_infos lists ${infos.length} entries for ${numFeatures} features`);
  }
  const objectiveText = h.get('objective') ?? null;
  const objective = parseObjective(objectiveText, file);
  if (objective.numClass !== null && objective.numClass !== perIteration) {
    fail(file, 'objective', `'${objectiveText}' gives ${objective.numClass} output(s), num_tree_per_iteration=${perIteration}`);
  }
  if (objective.name === 'multiclass' || objective.name === 'multiclassova') {
    if (numClass !== perIteration) fail(file, 'header', `num_class=${numClass} but num_tree_per_iteration=${perIteration}`);
  }
  const averageOutput = h.has('average_output');

  if (header.next >= lines.length) fail(file, 'trees', "no 'Tree=0' and no 'end of trees': the file holds only a header (truncated?)");
  const { trees, next } = readTrees(lines, header.next, file, numFeatures);
  const sizes = h.get('tree_sizes');
  if (sizes !== undefined && splitTokens(sizes).length !== trees.length) {
    fail(file, 'trees', `tree_sizes lists ${splitTokens(sizes).length} trees, the file holds ${trees.length}`);
  }
  if (trees.length % perIteration !== 0) {
    fail(file, 'trees', `${trees.length} trees is not a whole number of iterations of ${perIteration} trees`);
  }
  const trailer = readTrailer(lines, next, file);
  const pandas = trailer.pandasCategorical === null ? null : parsePandasCategorical(trailer.pandasCategorical, file);
  const types = featureTypes(names, infos, trailer.parameters, trees, file);
  const features = buildFeatures(names, types, pandas, file);

  const flat = flatten(trees);
  for (let t = 0; t < flat.count; t++) flat.trees.output[t] = t % perIteration;
  const rounds = flat.count / perIteration;
  const iterationOffsets = new Int32Array(rounds + 1);
  for (let r = 0; r <= rounds; r++) iterationOffsets[r] = r * perIteration;
  const boosting = trailer.parameters.get('boosting')?.trim();

  const ir: ForestIR = {
    kind: 'forest',
    format: 'lightgbm',
    formatDetail: `LightGBM ${version ?? '(unversioned)'} text${boosting ? ` (${boosting})` : ''}`,
    objective: objectiveText ?? '',
    rule: 'lightgbm',
    numFeatures,
    numMargins: perIteration,
    numOutputs: perIteration,
    features,
    // LightGBM's auto-generated names (no names in the training data) mean inputs match by position.
    hasFeatureNames: !names.every((n, f) => n === `Column_${f}`),
    baseScore: new Float64Array(perIteration),
    transform: objective.transform,
    iterationOffsets,
    numIterations: rounds,
    leafWidth: 1,
    trees: flat.trees,
    nodes: flat.nodes,
    catBits: flat.catBits,
    linearLeaves: flat.linearLeaves,
    averageOutput,
  };
  validateModel(ir, file);
  return ir;
}
