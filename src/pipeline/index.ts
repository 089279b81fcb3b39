/**
 * Feature pipelines: a declarative spec (JSON) of steps, fitted on training rows into a
 * FittedPipeline (saved as pipeline.json), compiled into a columnar transform from raw records
 * to the model's float matrix. See README.md in this directory.
 */
export { fitPipeline, parseSpec, validateSpec, plausibleRange } from './fit.js';
export { compilePipeline } from './compile.js';
export type { CompiledPipeline, TransformResult } from './compile.js';
export { serializePipeline, parsePipeline, canonicalJson } from './serialize.js';
export { recordsFromCsv, csvCell } from './csv.js';
export {
  PIPELINE_FORMAT,
  PIPELINE_VERSION,
  PipelineError,
  PipelineFitError,
  PipelineSpecSchema,
  FittedPipelineSchema,
  STEP_OPS,
} from './types.js';
export type {
  PipelineSpec,
  InputSpec,
  StepSpec,
  StepOp,
  TargetSpec,
  FittedPipeline,
  FittedStep,
  InputSchema,
  InputFieldSchema,
} from './types.js';
