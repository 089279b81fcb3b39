/**
 * CSV cells -> raw records, as a client would send them: a missing token ('', 'NA', 'N/A', 'NaN',
 * 'nan', 'null', 'NULL') -> null, a plain decimal number -> number, anything else -> the text.
 * Categorical fields declared in a pipeline take numbers by their shortest decimal form, so
 * MSSubClass 20 (read here as a number) and '20' are the same category.
 */
import { MISSING_TOKENS, parseNumber } from '../formats/encode.js';
import type { RawRecord, RawValue } from '../service/records.js';

export function csvCell(cell: string): RawValue {
  if (MISSING_TOKENS.has(cell) || MISSING_TOKENS.has(cell.trim())) return null;
  const n = parseNumber(cell);
  return n !== undefined ? n : cell;
}

export function recordsFromCsv(header: readonly string[], rows: readonly (readonly string[])[]): RawRecord[] {
  const names = header.map((h) => h.trim());
  return rows.map((cells) => {
    const rec: Record<string, RawValue> = {};
    for (let j = 0; j < names.length; j++) {
      const cell = cells[j];
      rec[names[j]] = cell === undefined ? null : csvCell(cell);
    }
    return rec;
  });
}
