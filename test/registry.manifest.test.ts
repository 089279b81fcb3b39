/**
 * manifest.json and config.json: strict schemas with precise errors; version policy and selectors.
 */
import { describe, expect, it } from 'vitest';
import { parseManifest, bundlePathProblem } from '../src/registry/manifest.js';
import { aspiredVersions, parseModelConfig, parseSelector, DEFAULT_CONFIG, type ModelConfig } from '../src/registry/policy.js';

const good = {
  schema_version: 1,
  name: 'house-price',
  version: 2,
  artifact: 'model.json',
  self_check: { samples: 'samples.csv', expected: 'expected.csv', rel_tol: 1e-6, abs_tol: 1e-9 },
};

function manifestError(edit: (m: Record<string, unknown>) => void, expect?: { name: string; version: number }): string {
  const m = structuredClone(good) as Record<string, unknown>;
  edit(m);
  try {
    parseManifest(JSON.stringify(m), expect);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('manifest was accepted');
}

describe('manifest.json', () => {
  it('accepts a complete manifest and keeps every field', () => {
    const m = parseManifest(
      JSON.stringify({
        ...good,
        format: 'xgboost-json',
        pipeline: 'pipeline.json',
        description: 'v2',
        self_check: { ...good.self_check, output_margin: true },
        training: { library: 'xgboost', seed: 1 },
        reference_stats: { f0: { mean: 0 } },
        input_schema: { columns: [] },
      }),
      { name: 'house-price', version: 2 },
    );
    expect(m.format).toBe('xgboost-json');
    expect(m.pipeline).toBe('pipeline.json');
    expect(m.self_check.output_margin).toBe(true);
    expect(m.training).toEqual({ library: 'xgboost', seed: 1 });
  });

  it('names the field and both types for a wrong type', () => {
    expect(manifestError((m) => ((m.self_check as Record<string, unknown>).rel_tol = '1e-6'))).toBe(
      'manifest.json: self_check.rel_tol: expected number, got string',
    );
  });

  it('refuses an unknown top-level key (a typo) naming the key', () => {
    expect(
      manifestError((m) => {
        m.self_chek = m.self_check;
      }),
    ).toBe("manifest.json: unknown key 'self_chek'");
  });

  it('refuses unknown keys inside self_check', () => {
    expect(manifestError((m) => ((m.self_check as Record<string, unknown>).reltol = 1))).toBe(
      "manifest.json: self_check: unknown key 'reltol'",
    );
  });

  it('reports a missing required field', () => {
    expect(manifestError((m) => delete m.artifact)).toBe('manifest.json: artifact: missing (expected string)');
    expect(manifestError((m) => delete (m.self_check as Record<string, unknown>).abs_tol)).toBe(
      'manifest.json: self_check.abs_tol: missing (expected number)',
    );
  });

  it('refuses a negative tolerance, a fractional version and an unknown schema version', () => {
    expect(manifestError((m) => ((m.self_check as Record<string, unknown>).abs_tol = -1))).toBe(
      'manifest.json: self_check.abs_tol: must be >= 0, got -1',
    );
    expect(manifestError((m) => (m.version = 1.5))).toBe('manifest.json: version: expected integer, got 1.5');
    expect(manifestError((m) => (m.schema_version = 2))).toBe('manifest.json: schema_version: expected 1, got 2');
  });

  it('refuses an unknown format', () => {
    expect(manifestError((m) => (m.format = 'onnx'))).toBe(
      'manifest.json: format: expected "xgboost-json" or "xgboost-ubjson" or "lightgbm-text" or "grove-linear", got "onnx"',
    );
  });

  it('keeps every path inside the bundle', () => {
    expect(manifestError((m) => (m.artifact = '../other/model.json'))).toBe(
      "manifest.json: artifact: must stay inside the bundle (no '..'), got '../other/model.json'",
    );
    expect(manifestError((m) => (m.artifact = '/etc/passwd'))).toBe(
      "manifest.json: artifact: must be a relative path inside the bundle, got absolute path '/etc/passwd'",
    );
    expect(manifestError((m) => ((m.self_check as Record<string, unknown>).samples = 'a/../../s.csv'))).toMatch(
      /^manifest\.json: self_check\.samples: must stay inside the bundle/,
    );
    expect(manifestError((m) => (m.pipeline = 'C:\\x\\p.json'))).toMatch(/^manifest\.json: pipeline: must be a relative path/);
    expect(bundlePathProblem('sub/model.json')).toBeNull();
    expect(bundlePathProblem('./model.json')).toBeNull();
  });

  it('requires name and version to match the directories', () => {
    expect(manifestError(() => {}, { name: 'house-price', version: 3 })).toBe(
      "manifest.json: version: 2 does not match the version directory '3'",
    );
    expect(manifestError(() => {}, { name: 'other', version: 2 })).toBe(
      "manifest.json: name: 'house-price' does not match the model directory 'other'",
    );
  });

  it('says where invalid JSON breaks', () => {
    expect(() => parseManifest('{\n  "schema_version": 1,\n  oops\n}')).toThrow(/^manifest\.json: not valid JSON: .*line 3/);
    expect(() => parseManifest('[]')).toThrow('manifest.json: expected object, got array');
  });
});

describe('config.json', () => {
  it('parses each version policy and labels', () => {
    expect(parseModelConfig('{"version_policy": {"latest": 2}}').policy).toEqual({ kind: 'latest', n: 2 });
    expect(parseModelConfig('{"version_policy": {"all": true}}').policy).toEqual({ kind: 'all' });
    expect(parseModelConfig('{"version_policy": {"specific": [3, 1, 3]}}').policy).toEqual({ kind: 'specific', versions: [1, 3] });
    const c = parseModelConfig('{"labels": {"stable": 1, "candidate": 2}}');
    expect(c.policy).toEqual({ kind: 'latest', n: 1 });
    expect(c.labels).toEqual({ stable: 1, candidate: 2 });
  });

  it('refuses ambiguous or misspelt policies with precise errors', () => {
    expect(() => parseModelConfig('{"version_policy": {"latest": 1, "all": true}}')).toThrow(
      "config.json: version_policy: give exactly one of 'latest', 'all', 'specific', got 'latest' and 'all'",
    );
    expect(() => parseModelConfig('{"version_policy": {"lastest": 1}}')).toThrow("config.json: version_policy: unknown key 'lastest'");
    expect(() => parseModelConfig('{"version_policy": {"latest": 0}}')).toThrow('config.json: version_policy.latest: must be > 0, got 0');
    expect(() => parseModelConfig('{"version_policy": {"specific": [1, "2"]}}')).toThrow(
      'config.json: version_policy.specific[1]: expected number, got string',
    );
    expect(() => parseModelConfig('{"label": {}}')).toThrow("config.json: unknown key 'label'");
  });

  it('refuses label names that would read as version numbers, and non-integer targets', () => {
    expect(() => parseModelConfig('{"labels": {"2": 1}}')).toThrow(
      "config.json: labels: invalid key '2': label names start with a letter and hold only letters, digits, _ . - (at most 64)",
    );
    expect(() => parseModelConfig('{"labels": {"__proto__": 1}}')).toThrow("config.json: labels: invalid key '__proto__'");
    expect(() => parseModelConfig('{"labels": {"stable": "1"}}')).toThrow('config.json: labels.stable: expected number, got string');
  });
});

describe('version policy', () => {
  const cfg = (c: Partial<ModelConfig>): ModelConfig => ({ ...DEFAULT_CONFIG, ...c });

  it('latest N picks the N highest versions on disk', () => {
    expect(aspiredVersions(cfg({ policy: { kind: 'latest', n: 1 } }), [1, 3, 2]).versions).toEqual([3]);
    expect(aspiredVersions(cfg({ policy: { kind: 'latest', n: 2 } }), [1, 3, 2]).versions).toEqual([2, 3]);
    expect(aspiredVersions(cfg({ policy: { kind: 'latest', n: 5 } }), [1, 2]).versions).toEqual([1, 2]);
  });

  it('all and specific', () => {
    expect(aspiredVersions(cfg({ policy: { kind: 'all' } }), [4, 1]).versions).toEqual([1, 4]);
    const s = aspiredVersions(cfg({ policy: { kind: 'specific', versions: [1, 3, 7] } }), [1, 2, 3]);
    expect(s.versions).toEqual([1, 3]);
    expect(s.problems).toEqual(['version policy specific [1, 3, 7] names version 7, which is not on disk']);
  });

  it('adds labelled and pinned versions; reports labels pointing at missing versions', () => {
    const a = aspiredVersions(cfg({ labels: { stable: 1, canary: 9 } }), [1, 2, 3], [2]);
    expect(a.versions).toEqual([1, 2, 3]);
    expect(a.problems).toEqual(['label canary -> version 9, which is not on disk']);
  });

  it('an empty model wants nothing', () => {
    expect(aspiredVersions(DEFAULT_CONFIG, []).versions).toEqual([]);
  });
});

describe('selectors', () => {
  it('empty = default, digits = version, text = label', () => {
    expect(parseSelector(undefined)).toEqual({ kind: 'default' });
    expect(parseSelector('')).toEqual({ kind: 'default' });
    expect(parseSelector('3')).toEqual({ kind: 'version', version: 3 });
    expect(parseSelector('stable')).toEqual({ kind: 'label', label: 'stable' });
  });
});
