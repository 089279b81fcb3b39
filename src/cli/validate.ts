/** grove validate BUNDLE_DIR: lint a registry bundle and run its self-check, as the server would at load. */
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBundle } from '../registry/bundle.js';
import { UsageError } from './usage.js';
import type { CliIO } from './main.js';

export const VALIDATE_USAGE = `grove validate BUNDLE_DIR [--engine native|reference]   (e.g. models/house-price/2)
`;

export async function runValidate(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { engine: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [dir] = parsed.positionals;
  if (!dir || parsed.positionals.length > 1) throw new UsageError('give one bundle directory, e.g. models/house-price/2');
  const engine = parsed.values.engine ?? 'native';
  if (engine !== 'native' && engine !== 'reference') throw new UsageError(`--engine must be native or reference, got '${engine}'`);
  const abs = resolve(dir);
  const version = Number(basename(abs));
  const name = basename(dirname(abs));
  if (!Number.isInteger(version) || version < 1) throw new UsageError(`${dir}: a bundle directory is models/<name>/<version> with a positive integer version`);
  const loaded = await loadBundle(abs, { name, version }, { engine });
  try {
    const t = loaded.timings;
    io.stdout.write(
      `${name}/${version}: OK — ${loaded.model.formatDetail}, ${loaded.model.objective || 'no objective'}, ` +
        `${loaded.scorer.pipeline ? `pipeline ${loaded.scorer.pipeline.inputSchema ? Object.keys(loaded.scorer.pipeline.inputSchema.fields).length : 0} raw fields -> ` : ''}` +
        `${loaded.model.numFeatures} features -> ${loaded.model.numOutputs} output(s); self-check: ${loaded.sampleRows} samples reproduce ${loaded.manifest.self_check.expected} ` +
        `(rel_tol ${loaded.manifest.self_check.rel_tol}, abs_tol ${loaded.manifest.self_check.abs_tol}); ` +
        `read ${t.readMs.toFixed(0)} ms, build ${t.buildMs.toFixed(0)} ms, warm-up ${t.warmupMs.toFixed(0)} ms, check ${t.selfCheckMs.toFixed(0)} ms\n`,
    );
  } finally {
    loaded.model.dispose();
  }
  return 0;
}
