/**
 * Reading one raw value (number | string | boolean | null | undefined) as a number or a category,
 * and the deterministic order used for category names. Shared by fit and transform.
 *
 * Missing: null, undefined, a NaN number, or text that is a missing token ('', 'NA', 'N/A',
 * 'NaN', 'nan', 'null', 'NULL'; surrounding spaces ignored).
 *
 * Numeric fields: a number as is; text that is a plain decimal number ('65', '-1.5e3', 'Infinity')
 * as that number; other text and booleans are wrong types.
 *
 * Categorical fields: names are text. A number is the category named by its shortest decimal form
 * (20 -> '20'); a boolean the category 'true'/'false' (any case); text is looked up as is and,
 * if that fails and it reads as a number, by that number's shortest form ('20.0' -> '20').
 */
import { MISSING_TOKENS, parseNumber } from '../formats/encode.js';
import { formatFloat64 } from '../util/numbers.js';

export const MISSING_CODE = -1;
export const UNSEEN_CODE = -2;

/** Category names sort by UTF-16 code units (JavaScript's default string order), which is byte order for ASCII. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isMissing(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  if (typeof v === 'string') return MISSING_TOKENS.has(v) || MISSING_TOKENS.has(v.trim());
  return false;
}

/** A numeric field's value: the number, NaN when missing, or a string with the reason it is not a number. */
export function readNumber(v: unknown): number | { problem: string } {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (MISSING_TOKENS.has(v) || MISSING_TOKENS.has(v.trim())) return NaN;
    const n = parseNumber(v);
    if (n !== undefined) return n;
    return { problem: `expected a number, got text ${quote(v)}` };
  }
  if (typeof v === 'boolean') return { problem: `expected a number, got a boolean (${String(v)})` };
  return { problem: `expected a number, got ${describe(v)}` };
}

/** The category name a non-missing raw value stands for, as given (for messages and fitting). */
export function categoryText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloat64(v === 0 ? 0 : v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return null;
}

/** Index of a dictionary of category names, looked up without allocating for numbers and known text. */
export class CategoryIndex {
  private readonly byText = new Map<string, number>();
  private readonly byNumber = new Map<number, number>();
  private readonly byBoolean: [number, number] = [UNSEEN_CODE, UNSEEN_CODE];

  constructor(readonly names: readonly string[]) {
    names.forEach((name, code) => {
      if (!this.byText.has(name)) this.byText.set(name, code);
      const n = parseNumber(name);
      if (n !== undefined && formatFloat64(n) === name && !this.byNumber.has(n)) this.byNumber.set(n, code);
      const lower = name.toLowerCase();
      if (lower === 'false' && this.byBoolean[0] === UNSEEN_CODE) this.byBoolean[0] = code;
      if (lower === 'true' && this.byBoolean[1] === UNSEEN_CODE) this.byBoolean[1] = code;
    });
    // exact spellings win over other cases
    if (this.byText.has('false')) this.byBoolean[0] = this.byText.get('false') as number;
    if (this.byText.has('true')) this.byBoolean[1] = this.byText.get('true') as number;
  }

  /**
   * Code of a raw value: >= 0 known, MISSING_CODE, UNSEEN_CODE (a value the dictionary does not
   * hold), or a string with the reason the value is the wrong type.
   */
  code(v: unknown): number | { problem: string } {
    if (v === null || v === undefined) return MISSING_CODE;
    if (typeof v === 'string') {
      const c = this.byText.get(v);
      if (c !== undefined) return c;
      if (MISSING_TOKENS.has(v) || MISSING_TOKENS.has(v.trim())) return MISSING_CODE;
      const n = parseNumber(v);
      if (n !== undefined) return this.byNumber.get(n) ?? UNSEEN_CODE;
      return UNSEEN_CODE;
    }
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return MISSING_CODE;
      return this.byNumber.get(v) ?? UNSEEN_CODE;
    }
    if (typeof v === 'boolean') return this.byBoolean[v ? 1 : 0];
    return { problem: `expected a category (text or number), got ${describe(v)}` };
  }
}

/** 'text' quoted for a message, shortened when long. */
export function quote(s: string): string {
  const t = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return `'${t}'`;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

/** A list of names for a message: up to `max`, then how many more. */
export function listNames(names: readonly string[], max = 20): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, ... (${names.length - max} more)` : shown;
}

/** A number for a message (shortest round-trip form). */
export function num(v: number): string {
  return formatFloat64(v);
}
