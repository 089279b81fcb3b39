/**
 * The columnar batch a compiled pipeline works on, and the compile-time description of its
 * columns.
 *
 * A batch holds one typed array per column slot: Float64Array for numeric columns (NaN =
 * missing), Int32Array for categorical ones (code into the column's dictionary at that step,
 * MISSING_CODE, or UNSEEN_CODE for a category the dictionary does not hold). Slots are assigned
 * once at compile time; steps read and write them by index, so a batch allocates a few typed
 * arrays and nothing per row (violations are the only per-row objects, and only when they occur).
 *
 * Every violation is attributed to a raw field. `bad` marks (row, field) cells that already have
 * a violation: later steps skip them, so one bad value yields one violation, not a cascade.
 */
import type { FieldViolation } from '../errors.js';
import type { RawRecord } from '../service/records.js';
import { categoryText, listNames, quote } from './values.js';

/** A raw input field as the compiled reader sees it. */
export interface FieldInfo {
  readonly name: string;
  readonly index: number;
  readonly type: 'numeric' | 'categorical';
  /** Other accepted names (rename targets). */
  readonly aliases: readonly string[];
  /** Categories accepted (for messages). */
  readonly known: readonly string[];
}

/** A column at some point of the pipeline (compile-time only). */
export interface Col {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical';
  /** Slot in Batch.num (numeric) or Batch.cat (categorical). */
  readonly slot: number;
  /** Raw fields the column's values come from; violations are reported on the first. */
  readonly sources: readonly number[];
  /** categorical: the names of codes 0..n-1. */
  readonly dict?: readonly string[];
}

export class Batch {
  readonly num: Float64Array[] = [];
  readonly cat: Int32Array[] = [];
  /** rows × fields: 1 where the cell already has a violation. */
  readonly bad: Uint8Array;
  /** 1 for rows with at least one violation. */
  readonly invalid: Uint8Array;
  readonly violations: FieldViolation[] = [];
  /** rows × fields: 0 = value read under the field's name, k = under aliases[k-1] (null when no field has aliases). */
  readonly aliasUsed: Uint8Array | null;

  constructor(
    readonly records: readonly RawRecord[],
    readonly rows: number,
    readonly fields: readonly FieldInfo[],
  ) {
    this.bad = new Uint8Array(rows * fields.length);
    this.invalid = new Uint8Array(rows);
    this.aliasUsed = fields.some((f) => f.aliases.length > 0) ? new Uint8Array(rows * fields.length) : null;
  }

  /** The name the record used for field `f` in row `r`. */
  fieldName(r: number, f: number): string {
    const info = this.fields[f];
    const a = this.aliasUsed === null ? 0 : this.aliasUsed[r * this.fields.length + f];
    return a === 0 ? info.name : info.aliases[a - 1];
  }

  /** Records a violation of field `f` in row `r` (once per cell). */
  report(r: number, f: number, reason: string): void {
    const k = r * this.fields.length + f;
    if (this.bad[k] === 1) return;
    this.bad[k] = 1;
    this.invalid[r] = 1;
    this.violations.push({ row: r, field: this.fieldName(r, f), reason });
  }

  /** Whether any source field of a column already has a violation in row `r`. */
  isBad(r: number, sources: readonly number[]): boolean {
    const base = r * this.fields.length;
    for (let i = 0; i < sources.length; i++) if (this.bad[base + sources[i]] === 1) return true;
    return false;
  }

  /** The raw value of field `f` in row `r`, as category text (for messages). */
  rawText(r: number, f: number): string {
    const rec = this.records[r] as Record<string, unknown> | null;
    const v = rec === null || typeof rec !== 'object' ? undefined : rec[this.fieldName(r, f)];
    return categoryText(v) ?? String(v);
  }

  /** "unseen category 'X' (known: a, b, c)" for field `f` in row `r`. */
  unseen(r: number, f: number, col?: string): void {
    const info = this.fields[f];
    const where = col !== undefined && col !== info.name ? ` at column '${col}'` : '';
    this.report(r, f, `unseen category ${quote(this.rawText(r, f))}${where} (known: ${listNames(info.known)})`);
  }
}

/**
 * Symbolic effect of one raw value on the pipeline, used at fit time to learn which missing and
 * unseen values the compiled steps accept (so the input schema says exactly what transform does).
 * Only columns the probed field reaches are tracked.
 */
export type TraceValue = { kind: 'cat'; code: number } | { kind: 'num'; nan: boolean };

export class Trace {
  cols = new Map<string, TraceValue>();
  violation = false;
  /** An unseen category was turned into a rare label. */
  rare = false;
}

/** Allocates slots while a pipeline is compiled. */
export class SlotAllocator {
  num = 0;
  cat = 0;
  newNum(): number {
    return this.num++;
  }
  newCat(): number {
    return this.cat++;
  }
}
