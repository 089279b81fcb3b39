/**
 * One registry version (a bundle directory) from files to a Model that has proved itself:
 *
 *   read      every file once into memory (the fingerprint is computed from these exact bytes)
 *   validate  manifest.json (schema, name/version, paths inside the bundle, files present, format)
 *   build     parse + validate the model file into the IR, build the engine
 *   warm-up   score samples.csv a few times, sync and async
 *   self-check score samples.csv and compare with expected.csv within the manifest's tolerance
 *
 * Any failure throws LoadError with the step and a precise reason, after disposing what was built.
 * Nothing here knows about the registry's state; the registry swaps the result in.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { modelFromIR, type EngineName, type Model } from '../model.js';
import { detectFormat, readModelBytes, MAX_MODEL_BYTES, type DetectedFormat } from '../formats/read.js';
import { encodeRows, MISSING_TOKENS, parseNumber } from '../formats/encode.js';
import type { ModelIR } from '../formats/ir.js';
import { BundleError, MANIFEST_FILE, parseManifest, type Manifest } from './manifest.js';
import { compilePipeline, parsePipeline, recordsFromCsv } from '../pipeline/index.js';
import { VersionScorer } from './version-scorer.js';

export type LoadStep = 'read' | 'validate' | 'build' | 'warm-up' | 'self-check';

/** A version that cannot be served: which step refused it and why. */
export class LoadError extends Error {
  override readonly name = 'LoadError';
  constructor(
    readonly step: LoadStep,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The files of a bundle, as named by its manifest (paths relative to the bundle). */
interface NamedFiles {
  artifact?: string;
  pipeline?: string;
  samples?: string;
  expected?: string;
}

/** Best-effort extraction of file names from a manifest that may be invalid (for fingerprinting). */
function namedFiles(manifestText: string | null): NamedFiles {
  if (manifestText === null) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const sc = (typeof r.self_check === 'object' && r.self_check !== null ? r.self_check : {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
  return { artifact: str(r.artifact), pipeline: str(r.pipeline), samples: str(sc.samples), expected: str(sc.expected) };
}

const FILE_ROLES = ['artifact', 'pipeline', 'samples', 'expected'] as const;

class Hasher {
  readonly #h = createHash('sha256');
  part(label: string, bytes: Uint8Array | null, missing?: string): void {
    this.#h.update(`${label}\0`);
    if (bytes === null) this.#h.update(`missing:${missing ?? ''}\0`);
    else {
      this.#h.update(`${bytes.byteLength}\0`);
      this.#h.update(bytes);
    }
  }
  digest(): string {
    return this.#h.digest('hex');
  }
}

async function readOrNull(path: string): Promise<{ bytes: Buffer | null; error: NodeJS.ErrnoException | null }> {
  try {
    return { bytes: await readFile(path), error: null };
  } catch (err) {
    return { bytes: null, error: err as NodeJS.ErrnoException };
  }
}

/**
 * Fingerprints a bundle: sha256 over manifest.json and the artifact, pipeline, samples and expected
 * files it names (a missing file counts as "missing", so a broken bundle has a fingerprint too).
 * Keeps a stat signature per bundle so an unchanged bundle is recognised without re-reading its
 * (possibly large) artifact: polling stays cheap.
 */
export class Fingerprinter {
  readonly #cache = new Map<string, { signature: string; fingerprint: string }>();

  async fingerprint(dir: string): Promise<string> {
    const manifest = await readOrNull(join(dir, MANIFEST_FILE));
    const manifestText = manifest.bytes ? manifest.bytes.toString('utf8') : null;
    const files = namedFiles(manifestText);
    let signature = `${manifestText ?? `missing:${manifest.error?.code ?? ''}`}`;
    for (const role of FILE_ROLES) {
      const rel = files[role];
      if (rel === undefined) {
        signature += `\0${role}:-`;
        continue;
      }
      try {
        const s = await stat(join(dir, rel));
        signature += `\0${role}:${rel}:${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
      } catch (err) {
        signature += `\0${role}:${rel}:missing:${(err as NodeJS.ErrnoException).code ?? ''}`;
      }
    }
    const cached = this.#cache.get(dir);
    if (cached && cached.signature === signature) return cached.fingerprint;
    const fingerprint = (await readBundleFiles(dir)).fingerprint;
    this.#cache.set(dir, { signature, fingerprint });
    return fingerprint;
  }

  forget(dir: string): void {
    this.#cache.delete(dir);
  }
}

interface RawBundle {
  manifestBytes: Buffer | null;
  manifestError: NodeJS.ErrnoException | null;
  files: Partial<Record<(typeof FILE_ROLES)[number], { rel: string; bytes: Buffer | null; error: NodeJS.ErrnoException | null }>>;
  fingerprint: string;
}

/** Reads every file of a bundle once; never throws for missing files (they are recorded). */
async function readBundleFiles(dir: string): Promise<RawBundle> {
  const manifest = await readOrNull(join(dir, MANIFEST_FILE));
  const names = namedFiles(manifest.bytes ? manifest.bytes.toString('utf8') : null);
  const h = new Hasher();
  h.part(MANIFEST_FILE, manifest.bytes, manifest.error?.code);
  const files: RawBundle['files'] = {};
  for (const role of FILE_ROLES) {
    const rel = names[role];
    if (rel === undefined) {
      h.part(role, null, 'not named');
      continue;
    }
    // Paths are checked for escaping the bundle in validation; do not even read one that escapes.
    const escapes = rel.split(/[\\/]+/).includes('..') || rel.startsWith('/') || rel.startsWith('\\');
    const got = escapes ? { bytes: null, error: null } : await readOrNull(join(dir, rel));
    files[role] = { rel, ...got };
    h.part(`${role}:${rel}`, got.bytes, got.error?.code ?? (escapes ? 'outside' : undefined));
  }
  return { manifestBytes: manifest.bytes, manifestError: manifest.error, files, fingerprint: h.digest() };
}

function fileError(role: string, rel: string, err: NodeJS.ErrnoException | null): string {
  if (err?.code === 'ENOENT') return `${rel}: ${role} file named in ${MANIFEST_FILE} does not exist`;
  if (err?.code === 'EISDIR') return `${rel}: ${role} file named in ${MANIFEST_FILE} is a directory`;
  return `${rel}: cannot read ${role} file: ${err?.message ?? 'unknown error'}`;
}

export interface ValidatedBundle {
  manifest: Manifest;
  fingerprint: string;
  artifact: Buffer;
  artifactName: string;
  detectedFormat: DetectedFormat;
  samples: string;
  expected: string;
  /** pipeline.json text, when the manifest names one. */
  pipeline: string | null;
}

/** read + validate: throws LoadError('read' | 'validate'). */
export async function readBundle(dir: string, expect: { name: string; version: number }): Promise<ValidatedBundle> {
  let raw: RawBundle;
  try {
    raw = await readBundleFiles(dir);
  } catch (err) {
    throw new LoadError('read', `cannot read bundle: ${(err as Error).message}`, { cause: err });
  }
  if (raw.manifestBytes === null) {
    const e = raw.manifestError;
    throw new LoadError(
      'read',
      e?.code === 'ENOENT' ? `${MANIFEST_FILE}: missing` : `${MANIFEST_FILE}: cannot read: ${e?.message ?? 'unknown error'}`,
    );
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(raw.manifestBytes.toString('utf8'), expect);
  } catch (err) {
    throw new LoadError('validate', (err as Error).message, { cause: err });
  }
  const need = (role: (typeof FILE_ROLES)[number]): Buffer => {
    const f = raw.files[role];
    if (!f) throw new LoadError('validate', `${MANIFEST_FILE}: ${role} not named`); // unreachable after the schema
    if (f.bytes === null) throw new LoadError('read', fileError(role, f.rel, f.error));
    return f.bytes;
  };
  const artifact = need('artifact');
  const pipeline = manifest.pipeline !== undefined ? need('pipeline').toString('utf8') : null;
  const samples = need('samples').toString('utf8');
  const expected = need('expected').toString('utf8');

  let detectedFormat: DetectedFormat;
  try {
    let bytes: Uint8Array = artifact;
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_MODEL_BYTES });
    }
    detectedFormat = detectFormat(bytes, manifest.artifact);
  } catch (err) {
    throw new LoadError('build', (err as Error).message, { cause: err });
  }
  if (manifest.format !== undefined && manifest.format !== detectedFormat) {
    throw new LoadError(
      'validate',
      `${MANIFEST_FILE}: format: '${manifest.format}', but ${manifest.artifact} holds ${detectedFormat}`,
    );
  }
  return {
    manifest,
    fingerprint: raw.fingerprint,
    artifact,
    artifactName: manifest.artifact,
    detectedFormat,
    samples,
    expected,
    pipeline,
  };
}

// ---------------------------------------------------------------------------------------------
// Samples and expected outputs

export interface SelfCheckData {
  rows: number;
  x: Float64Array;
  /** rows x columns expected values, row-major. */
  expected: Float64Array;
  columns: string[];
}

function parseCsvText(text: string, file: string): string[][] {
  try {
    return parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw new BundleError(`${file}: not valid CSV: ${(err as Error).message}`);
  }
}

/** The header expected.csv must have for `count` outputs. */
export function expectedHeader(count: number, prefix = 'prediction'): string[] {
  return count === 1 ? [prefix] : Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
}

/**
 * Reads samples.csv and expected.csv. Samples are raw rows: through the version's pipeline when it
 * has one (every violation is an error here: research's samples must be valid), else matched to the
 * model's features by name as `grove score` does.
 */
export function readSelfCheckData(
  ir: ModelIR,
  manifest: Manifest,
  samplesText: string,
  expectedText: string,
  scorer?: VersionScorer,
): SelfCheckData {
  const sc = manifest.self_check;
  const sampleRecords = parseCsvText(samplesText, sc.samples);
  if (sampleRecords.length < 2) throw new BundleError(`${sc.samples}: no data rows (the self-check needs at least one)`);
  const header = sampleRecords[0].map((h) => h.trim());
  const rows = sampleRecords.slice(1);
  let x: Float64Array;
  if (scorer?.pipeline) {
    const enc = scorer.encode(recordsFromCsv(header, rows));
    if (enc.violations.length > 0) {
      const v = enc.violations[0];
      throw new BundleError(`${sc.samples}: row ${(v.row ?? 0) + 1}, ${v.field}: ${v.reason} (${enc.violations.length} violations)`);
    }
    x = enc.x;
  } else {
    try {
      x = encodeRows(ir, header, rows, 1);
    } catch (err) {
      throw new BundleError(`${sc.samples}: ${(err as Error).message}`);
    }
  }

  const count = sc.output_margin ? ir.numMargins : ir.numOutputs;
  const expectedRecords = parseCsvText(expectedText, sc.expected);
  if (expectedRecords.length === 0) throw new BundleError(`${sc.expected}: empty (expected a header and ${rows.length} rows)`);
  const columns = expectedRecords[0].map((h) => h.trim());
  const accepted = [expectedHeader(count)];
  if (sc.output_margin) accepted.push(expectedHeader(count, 'margin'));
  if (!accepted.some((a) => a.length === columns.length && a.every((c, i) => c === columns[i]))) {
    throw new BundleError(
      `${sc.expected}: header must be '${accepted[0].join(',')}' for a model with ${count} ${sc.output_margin ? 'margin' : 'output'}${count === 1 ? '' : 's'} per row, got '${columns.join(',')}'`,
    );
  }
  const body = expectedRecords.slice(1);
  if (body.length !== rows.length) {
    throw new BundleError(`${sc.expected}: has ${body.length} rows, ${sc.samples} has ${rows.length}`);
  }
  const expected = new Float64Array(rows.length * count);
  body.forEach((record, r) => {
    record.forEach((cell, j) => {
      const t = cell.trim();
      const v = t === 'NaN' || t === 'nan' ? NaN : MISSING_TOKENS.has(t) ? undefined : parseNumber(t);
      if (v === undefined) throw new BundleError(`${sc.expected}: row ${r + 1}, ${columns[j]}: '${cell}' is not a number`);
      expected[r * count + j] = v;
    });
  });
  return { rows: rows.length, x, expected, columns };
}

/** numpy.isclose: |got - want| <= abs_tol + rel_tol * |want|; NaN matches NaN, infinities match themselves. */
export function withinTolerance(got: number, want: number, relTol: number, absTol: number): boolean {
  if (Number.isNaN(got) || Number.isNaN(want)) return Number.isNaN(got) && Number.isNaN(want);
  if (got === want) return true;
  if (!Number.isFinite(got) || !Number.isFinite(want)) return false;
  return Math.abs(got - want) <= absTol + relTol * Math.abs(want);
}

/** Compares outputs with the expected values; returns null when all match, else a precise reason. */
export function compareOutputs(
  got: Float64Array,
  data: SelfCheckData,
  tol: { rel_tol: number; abs_tol: number },
  what: string,
): string | null {
  const cols = data.columns.length;
  if (got.length !== data.expected.length) {
    return `${what}: the model produced ${got.length} values, expected ${data.expected.length}`;
  }
  let bad = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = data.expected[i];
    if (withinTolerance(a, b, tol.rel_tol, tol.abs_tol)) continue;
    bad++;
    const excess = Number.isFinite(a - b) ? Math.abs(a - b) - (tol.abs_tol + tol.rel_tol * Math.abs(b)) : Infinity;
    if (worst < 0 || excess > worstExcess) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (bad === 0) return null;
  const a = got[worst];
  const b = data.expected[worst];
  const abs = Math.abs(a - b);
  const rel = abs / Math.max(Math.abs(b), 1e-300);
  return (
    `${what}: ${bad} of ${got.length} values outside tolerance (rel_tol ${tol.rel_tol}, abs_tol ${tol.abs_tol}); ` +
    `worst: row ${Math.floor(worst / cols) + 1}, ${data.columns[worst % cols]}: got ${a}, expected ${b} ` +
    `(abs err ${abs.toExponential(2)}, rel err ${rel.toExponential(2)})`
  );
}

// ---------------------------------------------------------------------------------------------
// The whole load

export interface LoadBundleOptions {
  engine?: EngineName;
  /** Warm-up rounds (each: one sync and one async scoring of the samples). Default 2. */
  warmupRounds?: number;
}

export interface LoadedBundle {
  manifest: Manifest;
  model: Model;
  /** The model behind its pipeline and output stage: what serves requests. */
  scorer: VersionScorer;
  fingerprint: string;
  detectedFormat: DetectedFormat;
  sampleRows: number;
  /** Milliseconds per step. */
  timings: { readMs: number; buildMs: number; warmupMs: number; selfCheckMs: number };
}

/**
 * read -> validate -> build -> warm up -> self-check. Returns a Model that reproduced expected.csv,
 * or throws LoadError (having disposed anything it built).
 */
export async function loadBundle(
  dir: string,
  expect: { name: string; version: number },
  opts: LoadBundleOptions = {},
): Promise<LoadedBundle> {
  const t0 = performance.now();
  const bundle = await readBundle(dir, expect);
  const { manifest } = bundle;
  const t1 = performance.now();

  let ir: ModelIR;
  try {
    ir = readModelBytes(bundle.artifact, bundle.artifactName);
  } catch (err) {
    throw new LoadError('build', (err as Error).message, { cause: err });
  }
  let model: Model;
  try {
    model = modelFromIR(ir, { engine: opts.engine ?? 'native' });
  } catch (err) {
    throw new LoadError('build', `engine: ${(err as Error).message}`, { cause: err });
  }
  let scorer: VersionScorer;
  let data: SelfCheckData;
  try {
    try {
      const fitted = bundle.pipeline === null ? null : parsePipeline(bundle.pipeline, manifest.pipeline ?? 'pipeline.json');
      scorer = new VersionScorer(model, fitted ? compilePipeline(fitted) : null, fitted?.spec ?? null);
    } catch (err) {
      throw new LoadError('build', `${manifest.pipeline ?? 'pipeline'}: ${(err as Error).message}`, { cause: err });
    }
    try {
      data = readSelfCheckData(ir, manifest, bundle.samples, bundle.expected, scorer);
    } catch (err) {
      throw new LoadError('validate', (err as Error).message, { cause: err });
    }
  } catch (err) {
    model.dispose();
    throw err;
  }
  const t2 = performance.now();

  try {
    const predictOpts = { outputMargin: manifest.self_check.output_margin ?? false };
    let step: LoadStep = 'warm-up';
    let t3 = t2;
    try {
      const rounds = Math.max(0, Math.floor(opts.warmupRounds ?? 2));
      for (let i = 0; i < rounds; i++) {
        scorer.predict(data.x, data.rows, predictOpts);
        await scorer.predictAsync(data.x, data.rows, predictOpts);
      }
      t3 = performance.now();
      step = 'self-check';
      const sync = scorer.predict(data.x, data.rows, predictOpts);
      const asyncOut = await scorer.predictAsync(data.x, data.rows, predictOpts);
      const problem =
        compareOutputs(sync, data, manifest.self_check, `self-check against ${manifest.self_check.expected}`) ??
        compareOutputs(asyncOut, data, manifest.self_check, `self-check (async) against ${manifest.self_check.expected}`);
      if (problem !== null) throw new LoadError('self-check', problem);
    } catch (err) {
      if (err instanceof LoadError) throw err;
      throw new LoadError(step, `${step}: scoring ${manifest.self_check.samples} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const t4 = performance.now();
    return {
      manifest,
      model,
      scorer,
      fingerprint: bundle.fingerprint,
      detectedFormat: bundle.detectedFormat,
      sampleRows: data.rows,
      timings: { readMs: t1 - t0, buildMs: t2 - t1, warmupMs: t3 - t2, selfCheckMs: t4 - t3 },
    };
  } catch (err) {
    try {
      model.dispose();
    } catch {
      // disposal of a model that failed its checks: nothing else holds it
    }
    throw err;
  }
}

