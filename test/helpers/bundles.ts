/** Builds registry bundles (models/<name>/<version>/) from library fixtures, for server tests. */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './fixtures.js';

export interface BundleSpec {
  library: 'xgboost' | 'lightgbm';
  fixture: string;
  /** Artifact file name inside the fixture (model.json, model.ubj, model.txt). */
  artifact?: string;
  /** Rows of input.csv/expected.csv used as samples. */
  sampleRows?: number;
  description?: string;
}

function headLines(text: string, n: number): string {
  return text.split('\n').slice(0, n + 1).join('\n') + '\n';
}

export function makeBundle(root: string, name: string, version: number, spec: BundleSpec): string {
  const src = join(FIXTURES, spec.library, spec.fixture);
  const dir = join(root, name, String(version));
  mkdirSync(dir, { recursive: true });
  const artifact = spec.artifact ?? (spec.library === 'xgboost' ? 'model.json' : 'model.txt');
  copyFileSync(join(src, artifact), join(dir, artifact));
  const n = spec.sampleRows ?? 20;
  writeFileSync(join(dir, 'samples.csv'), headLines(readFileSync(join(src, 'input.csv'), 'utf8'), n));
  const expected = headLines(readFileSync(join(src, 'expected.csv'), 'utf8'), n).split('\n');
  const cols = expected[0].split(',').length;
  expected[0] = cols === 1 ? 'prediction' : Array.from({ length: cols }, (_, i) => `prediction_${i}`).join(',');
  writeFileSync(join(dir, 'expected.csv'), expected.join('\n'));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify(
      {
        schema_version: 1,
        name,
        version,
        artifact,
        description: spec.description ?? `${spec.library} fixture ${spec.fixture}`,
        self_check: { samples: 'samples.csv', expected: 'expected.csv', rel_tol: 1e-6, abs_tol: 1e-9 },
      },
      null,
      2,
    ),
  );
  return dir;
}

/** Overwrites a bundle's artifact with garbage that still looks like its format (fails parsing). */
export function corruptArtifact(dir: string, artifact: string): void {
  const text = readFileSync(join(dir, artifact), 'utf8');
  writeFileSync(join(dir, artifact), text.slice(0, Math.floor(text.length / 2)));
}
