/**
 * grove as a library: load an XGBoost or LightGBM model and score row-major batches.
 *
 *   import { loadModel } from 'grove';
 *   const model = await loadModel('model.json');            // native engine by default
 *   const y = model.predict(new Float32Array(rows * model.numFeatures), rows);
 */
export { loadModel, loadModelBytes, modelFromIR } from './model.js';
export type { Model, LoadOptions, PredictOptions, EngineName, FeatureMatrix } from './model.js';
export { ModelFormatError } from './formats/ir.js';
export type { ModelIR, ForestIR, LinearIR, FeatureInfo, OutputTransform, SplitRule } from './formats/ir.js';
export { readModelFile, readModelBytes, detectFormat } from './formats/read.js';
export { encodeRows, InputError, MISSING_TOKENS } from './formats/encode.js';
