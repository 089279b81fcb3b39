/**
 * The feature pipeline's documents: the spec a person writes (PipelineSpec) and the fitted
 * pipeline (FittedPipeline = spec + learned state + input schema) saved as pipeline.json.
 *
 * Both are validated with strict zod schemas (an unknown key is an error naming it). Everything
 * whose order matters is an array; objects are maps whose key order carries no meaning, so the
 * serializer may sort their keys (src/pipeline/serialize.ts). See src/pipeline/README.md.
 */
import { z } from 'zod';

export const PIPELINE_FORMAT = 'grove-pipeline';
export const PIPELINE_VERSION = 1;

const Name = z.string().min(1);
const Columns = z.array(Name).min(1);
const Finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

// ---------------------------------------------------------------------------------------------
// Spec

export const InputSpecSchema = z.strictObject({
  /** Field name in the raw records (e.g. `1stFlrSF`). */
  name: Name,
  type: z.enum(['numeric', 'categorical']),
  /** `reject` (default): a missing value is a violation unless a step imputes it. `allow`: it passes on as NaN. */
  missing: z.enum(['reject', 'allow']).optional(),
  /** Numeric only: overrides of the plausible range learned from the training data. */
  min: Finite.optional(),
  max: Finite.optional(),
});

const Drop = z.strictObject({ op: z.literal('drop'), columns: Columns });
const Select = z.strictObject({ op: z.literal('select'), columns: Columns });
const Rename = z.strictObject({ op: z.literal('rename'), columns: z.record(Name, Name) });
const ImputeCategorical = z.strictObject({
  op: z.literal('impute_categorical'),
  columns: Columns,
  method: z.enum(['constant', 'most_frequent']),
  /** constant only; default 'Missing'. */
  value: Name.optional(),
});
const ImputeNumeric = z.strictObject({
  op: z.literal('impute_numeric'),
  columns: Columns,
  method: z.enum(['mean', 'median', 'mode', 'constant']),
  /** constant only (required there). */
  value: Finite.optional(),
});
const MissingIndicator = z.strictObject({
  op: z.literal('missing_indicator'),
  columns: Columns,
  /** Name of the added column = column + suffix; default '_na'. */
  suffix: Name.optional(),
});
const Elapsed = z.strictObject({ op: z.literal('elapsed'), columns: Columns, until: Name });
const Log = z.strictObject({ op: z.literal('log'), columns: Columns });
const Binarize = z.strictObject({ op: z.literal('binarize'), columns: Columns, threshold: Finite });
const MinMaxScale = z.strictObject({ op: z.literal('min_max_scale'), columns: Columns.optional() });
const MapValues = z.strictObject({ op: z.literal('map'), columns: Columns, mapping: z.record(z.string(), Finite) });
const RareLabels = z.strictObject({
  op: z.literal('rare_labels'),
  columns: Columns,
  tol: z.number().min(0).max(1),
  n_categories: z.int().nonnegative(),
  /** default 'Rare'. */
  label: Name.optional(),
  /** What an unseen category becomes at transform: 'error' (default, a violation) or 'rare' (the label). */
  unseen: z.enum(['error', 'rare']).optional(),
});
const OrdinalByTarget = z.strictObject({ op: z.literal('ordinal_by_target'), columns: Columns });
const OrdinalAlphabetical = z.strictObject({ op: z.literal('ordinal_alphabetical'), columns: Columns });
const OneHot = z.strictObject({ op: z.literal('one_hot'), columns: Columns });

export const StepSpecSchema = z.discriminatedUnion('op', [
  Drop,
  Select,
  Rename,
  ImputeCategorical,
  ImputeNumeric,
  MissingIndicator,
  Elapsed,
  Log,
  Binarize,
  MinMaxScale,
  MapValues,
  RareLabels,
  OrdinalByTarget,
  OrdinalAlphabetical,
  OneHot,
]);

export const STEP_OPS = StepSpecSchema.options.map((o) => o.shape.op.value);

export const TargetSpecSchema = z.strictObject({ transform: z.enum(['identity', 'log']) });

export const PipelineSpecSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  inputs: z.array(InputSpecSchema).min(1),
  steps: z.array(StepSpecSchema),
  target: TargetSpecSchema.optional(),
});

export type InputSpec = z.infer<typeof InputSpecSchema>;
export type StepSpec = z.infer<typeof StepSpecSchema>;
export type StepOp = StepSpec['op'];
export type StepOf<K extends StepOp> = Extract<StepSpec, { op: K }>;
export type TargetSpec = z.infer<typeof TargetSpecSchema>;
/** A declarative pipeline: raw inputs, ordered steps, target transform. JSON; see README.md. */
export type PipelineSpec = z.infer<typeof PipelineSpecSchema>;

// ---------------------------------------------------------------------------------------------
// Fitted state (one entry per spec step, same order, same op)

const StringsByColumn = z.record(z.string(), z.array(z.string()));
const NumberByColumn = z.record(z.string(), Finite);

export const FittedStepSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('drop') }),
  z.strictObject({ op: z.literal('select') }),
  z.strictObject({ op: z.literal('rename') }),
  /** values: the fill value per column. */
  z.strictObject({ op: z.literal('impute_categorical'), values: z.record(z.string(), Name) }),
  z.strictObject({ op: z.literal('impute_numeric'), values: NumberByColumn }),
  z.strictObject({ op: z.literal('missing_indicator') }),
  z.strictObject({ op: z.literal('elapsed') }),
  z.strictObject({ op: z.literal('log') }),
  z.strictObject({ op: z.literal('binarize') }),
  /** training min and max per scaled column. */
  z.strictObject({ op: z.literal('min_max_scale'), min: NumberByColumn, max: NumberByColumn }),
  z.strictObject({ op: z.literal('map') }),
  /** kept: the frequent categories per column (sorted); everything else becomes the label. */
  z.strictObject({ op: z.literal('rare_labels'), kept: StringsByColumn }),
  /** order: categories per column, code = position (ascending mean target, ties by name). */
  z.strictObject({ op: z.literal('ordinal_by_target'), order: StringsByColumn }),
  z.strictObject({ op: z.literal('ordinal_alphabetical'), order: StringsByColumn }),
  /** categories: one output column `<column>_<category>` each, in this order. */
  z.strictObject({ op: z.literal('one_hot'), categories: StringsByColumn }),
]);

export type FittedStep = z.infer<typeof FittedStepSchema>;
export type FittedStepOf<K extends StepOp> = Extract<FittedStep, { op: K }>;

// ---------------------------------------------------------------------------------------------
// Input schema (learned at fit time; copied into manifest.json's input_schema)

export interface InputFieldSchema {
  type: 'numeric' | 'categorical';
  /** true: a missing value is a violation (it is not imputed and not allowed to pass as NaN). */
  required: boolean;
  /** Other names the field is accepted under (from rename steps), e.g. FirstFlrSF for 1stFlrSF. */
  aliases?: string[];
  /** categorical: the categories accepted (seen in training, plus keys of a value mapping applied to it). */
  categories?: string[];
  /** categorical: what a category not in `categories` does: 'reject' (violation) or 'rare' (grouped into the rare label). */
  unseen?: 'reject' | 'rare';
  /** numeric: the plausible range; values outside it (and ±Infinity) are violations. */
  min?: number;
  max?: number;
  /** numeric: the smallest and largest value seen in training. */
  observed?: { min: number; max: number };
}

export interface InputSchema {
  fields: Record<string, InputFieldSchema>;
}

export const InputFieldSchemaSchema = z.strictObject({
  type: z.enum(['numeric', 'categorical']),
  required: z.boolean(),
  aliases: z.array(Name).optional(),
  categories: z.array(z.string()).optional(),
  unseen: z.enum(['reject', 'rare']).optional(),
  min: Finite.optional(),
  max: Finite.optional(),
  observed: z.strictObject({ min: Finite, max: Finite }).optional(),
});

export const InputSchemaSchema = z.strictObject({ fields: z.record(z.string(), InputFieldSchemaSchema) });

// ---------------------------------------------------------------------------------------------
// The fitted pipeline (pipeline.json)

export interface FittedPipeline {
  format: typeof PIPELINE_FORMAT;
  version: typeof PIPELINE_VERSION;
  spec: PipelineSpec;
  /** Learned state, one entry per spec step. */
  steps: FittedStep[];
  input_schema: InputSchema;
  /** Output columns, in order: the model's features. */
  features: string[];
  target: { transform: 'identity' | 'log' };
  /** How many training rows the pipeline was fitted on. */
  training_rows: number;
}

export const FittedPipelineSchema = z.strictObject({
  format: z.literal(PIPELINE_FORMAT),
  version: z.literal(PIPELINE_VERSION),
  spec: PipelineSpecSchema,
  steps: z.array(FittedStepSchema),
  input_schema: InputSchemaSchema,
  features: z.array(Name).min(1),
  target: TargetSpecSchema,
  training_rows: z.int().nonnegative(),
});

// compile-time check that the zod schema and the interfaces agree
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaMatches: Same<z.infer<typeof InputFieldSchemaSchema>, InputFieldSchema> = true;
void _schemaMatches;

// ---------------------------------------------------------------------------------------------
// Errors

/** A spec that cannot be fitted or a pipeline.json that cannot be used: the message names the file/step and field. */
export class PipelineError extends Error {
  override readonly name: string = 'PipelineError';
}

/** The training data does not fit the spec (e.g. log of a value <= 0, missing values nothing imputes). */
export class PipelineFitError extends PipelineError {
  override readonly name: string = 'PipelineFitError';
  constructor(
    message: string,
    readonly violations: readonly { row: number | null; field: string; reason: string }[] = [],
  ) {
    super(message);
  }
}
