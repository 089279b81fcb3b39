/**
 * Model file -> validated IR, whatever library wrote it. The format is recognised from the
 * content (a renamed file still loads), and gzip-compressed files are unpacked first.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { ModelFormatError, type ModelIR } from './ir.js';
import { readLightGBMText } from './lightgbm.js';
import { readXGBoostJson, readXGBoostUbjson } from './xgboost.js';
import { looksLikeGroveLinear, readGroveLinear } from './linear.js';

export type DetectedFormat = 'xgboost-json' | 'xgboost-ubjson' | 'lightgbm-text' | 'grove-linear';

/** Refuse to even look at files larger than this (a 1,000-tree depth-8 JSON model is ~30 MB). */
export const MAX_MODEL_BYTES = 2 * 1024 * 1024 * 1024 - 1;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/** Recognises a model format from its first bytes; throws naming the file when it is none we read. */
export function detectFormat(bytes: Uint8Array, file: string): DetectedFormat {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 BOM
  while (i < bytes.length && isSpace(bytes[i])) i++;
  if (i >= bytes.length) throw new ModelFormatError(file, '', 'file is empty');
  if (bytes[i] === 0x7b /* { */) {
    // JSON: '{' then whitespace, '"' or '}'. UBJSON: '{' then a type marker (i U I l L $ # ...).
    let j = i + 1;
    while (j < bytes.length && isSpace(bytes[j])) j++;
    const next = bytes[j];
    if (j > i + 1 || next === 0x22 || next === 0x7d) {
      const head = Buffer.from(bytes.subarray(i, Math.min(bytes.length, i + 200))).toString('utf8');
      return looksLikeGroveLinear(head) ? 'grove-linear' : 'xgboost-json';
    }
    return 'xgboost-ubjson';
  }
  const head = Buffer.from(bytes.subarray(i, Math.min(bytes.length, i + 64))).toString('latin1');
  if (/^tree\r?\n/.test(head) || /^version=v\d/.test(head)) return 'lightgbm-text';
  throw new ModelFormatError(
    file,
    '',
    'not a model format grove reads (expected XGBoost JSON or UBJSON, LightGBM text, or grove-linear JSON)',
  );
}

/** Parses and validates a model held in memory. `file` names it in errors. */
export function readModelBytes(input: Uint8Array, file: string): ModelIR {
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_MODEL_BYTES });
    } catch (e) {
      throw new ModelFormatError(file, '', `gzip data is corrupt: ${(e as Error).message}`);
    }
  }
  switch (detectFormat(bytes, file)) {
    case 'xgboost-json':
      return readXGBoostJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), file);
    case 'xgboost-ubjson':
      return readXGBoostUbjson(bytes, file);
    case 'grove-linear':
      return readGroveLinear(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), file);
    case 'lightgbm-text':
      return readLightGBMText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), file);
  }
}

/** Reads, parses and validates a model file. */
export async function readModelFile(path: string): Promise<ModelIR> {
  const bytes = await readFile(path);
  return readModelBytes(bytes, path);
}
