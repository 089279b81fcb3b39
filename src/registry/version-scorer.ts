/**
 * What one served version does with a request: raw records -> (pipeline | name mapping) -> model
 * -> output stage. The registry's self-check and the prediction service both go through this one
 * object, so what is checked at load is exactly what serves.
 */
import type { Model, FeatureMatrix, PredictOptions } from '../model.js';
import { recordsToMatrix, type EncodedBatch, type RawRecord } from '../formats/records.js';
import type { CompiledPipeline, PipelineSpec } from '../pipeline/index.js';

export class VersionScorer {
  constructor(
    readonly model: Model,
    readonly pipeline: CompiledPipeline | null,
    /** The spec the pipeline was fitted from (which raw fields reach the model unchanged, ...). */
    readonly pipelineSpec: PipelineSpec | null = null,
  ) {
    if (pipeline) {
      const want = model.featureNames;
      const got = pipeline.features;
      if (got.length !== want.length || got.some((f, i) => f !== want[i])) {
        const first = got.findIndex((f, i) => f !== want[i]);
        throw new Error(
          `the pipeline produces ${got.length} columns but the model takes ${want.length} features` +
            (first >= 0 ? `; column ${first} is '${got[first]}', the model's feature ${first} is '${want[first] ?? '(none)'}'` : ''),
        );
      }
    }
  }

  /** Raw records -> the model's matrix, with every violation (row, field, reason). */
  encode(records: readonly RawRecord[]): EncodedBatch {
    return this.pipeline ? this.pipeline.transform(records) : recordsToMatrix(this.model.ir, records);
  }

  #output(values: Float64Array, opts?: PredictOptions): Float64Array {
    // Margins are the model's raw scores; the target transform's inverse belongs to predictions only.
    return this.pipeline && !opts?.outputMargin ? this.pipeline.inverseTarget(values) : values;
  }

  predict(x: FeatureMatrix, rows: number, opts?: PredictOptions): Float64Array {
    return this.#output(this.model.predict(x, rows, opts), opts);
  }

  async predictAsync(x: FeatureMatrix, rows: number, opts?: PredictOptions): Promise<Float64Array> {
    return this.#output(await this.model.predictAsync(x, rows, opts), opts);
  }
}
