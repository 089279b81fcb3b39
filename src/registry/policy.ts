/**
 * Which versions of a model should be served: the version policy and the labels, read from the
 * optional models/<name>/config.json.
 *
 *   { "version_policy": { "latest": 2 } | { "all": true } | { "specific": [1, 3] },
 *     "labels": { "stable": 1, "candidate": 2 } }
 *
 * Default: latest 1. Versions named by labels (and versions the routing layer pins) are always
 * added to what the policy chooses, so a label never points at a version the policy left out.
 * Pure functions: the registry decides what to do with the answer.
 */
import { z } from 'zod';
import { BundleError, parseJsonFile } from './manifest.js';
import { formatIssues } from './schema-errors.js';

export const CONFIG_FILE = 'config.json';

export type VersionPolicy =
  | { kind: 'latest'; n: number }
  | { kind: 'all' }
  | { kind: 'specific'; versions: readonly number[] };

export interface ModelConfig {
  policy: VersionPolicy;
  /** label -> version. */
  labels: Readonly<Record<string, number>>;
}

export const DEFAULT_POLICY: VersionPolicy = Object.freeze({ kind: 'latest', n: 1 });
export const DEFAULT_CONFIG: ModelConfig = Object.freeze({ policy: DEFAULT_POLICY, labels: Object.freeze({}) });

/** Label names start with a letter, so a selector made of digits is always a version number. */
export const LABEL_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const LABEL_RULE = 'label names start with a letter and hold only letters, digits, _ . - (at most 64)';

const PolicySchema = z.strictObject({
  latest: z.int().positive().optional(),
  all: z.literal(true).optional(),
  specific: z.array(z.int().positive()).min(1).optional(),
});

const ConfigSchema = z.strictObject({
  version_policy: PolicySchema.optional(),
  labels: z
    .record(
      z.string().regex(LABEL_RE, LABEL_RULE),
      z.int().positive(),
    )
    .optional(),
});

/** Parses config.json; throws BundleError("config.json: version_policy.latest: ...") when invalid. */
export function parseModelConfig(text: string): ModelConfig {
  const raw = parseJsonFile(text, CONFIG_FILE);
  // zod drops a "__proto__" key silently; every label name is checked here first so none vanishes
  const labels = (raw as { labels?: unknown } | null)?.labels;
  if (typeof labels === 'object' && labels !== null && !Array.isArray(labels)) {
    for (const key of Object.keys(labels)) {
      if (!LABEL_RE.test(key)) throw new BundleError(`${CONFIG_FILE}: labels: invalid key '${key}': ${LABEL_RULE}`);
    }
  }
  const result = ConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new BundleError(formatIssues(CONFIG_FILE, result.error.issues));
  const vp = result.data.version_policy;
  if (vp !== undefined) {
    // checked after the schema so a misspelt key is reported alone, not also as "none given"
    const given = (['latest', 'all', 'specific'] as const).filter((k) => vp[k] !== undefined);
    if (given.length !== 1) {
      throw new BundleError(
        `${CONFIG_FILE}: version_policy: give exactly one of 'latest', 'all', 'specific'` +
          (given.length ? `, got ${given.map((k) => `'${k}'`).join(' and ')}` : ''),
      );
    }
  }
  let policy: VersionPolicy = DEFAULT_POLICY;
  if (vp?.latest !== undefined) policy = { kind: 'latest', n: vp.latest };
  else if (vp?.all) policy = { kind: 'all' };
  else if (vp?.specific) policy = { kind: 'specific', versions: [...new Set(vp.specific)].sort((a, b) => a - b) };
  return { policy, labels: { ...(result.data.labels ?? {}) } };
}

export function describePolicy(p: VersionPolicy): string {
  switch (p.kind) {
    case 'latest':
      return `latest ${p.n}`;
    case 'all':
      return 'all';
    case 'specific':
      return `specific [${p.versions.join(', ')}]`;
  }
}

export interface AspiredVersions {
  /** Versions to serve, ascending. Always a subset of the versions on disk. */
  versions: number[];
  /** Configuration that names versions that are not on disk. */
  problems: string[];
}

/**
 * The versions to serve: the policy's choice among `onDisk`, plus every labelled or pinned
 * version that exists. A label or a specific version that is not on disk is a problem, not an error.
 */
export function aspiredVersions(
  config: ModelConfig,
  onDisk: readonly number[],
  pinned: readonly number[] = [],
): AspiredVersions {
  const disk = [...new Set(onDisk)].sort((a, b) => a - b);
  const present = new Set(disk);
  const chosen = new Set<number>();
  const problems: string[] = [];
  const p = config.policy;
  if (p.kind === 'latest') {
    for (const v of disk.slice(Math.max(0, disk.length - p.n))) chosen.add(v);
  } else if (p.kind === 'all') {
    for (const v of disk) chosen.add(v);
  } else {
    for (const v of p.versions) {
      if (present.has(v)) chosen.add(v);
      else problems.push(`version policy ${describePolicy(p)} names version ${v}, which is not on disk`);
    }
  }
  for (const [label, v] of Object.entries(config.labels)) {
    if (present.has(v)) chosen.add(v);
    else problems.push(`label ${label} -> version ${v}, which is not on disk`);
  }
  for (const v of pinned) if (present.has(v)) chosen.add(v);
  return { versions: [...chosen].sort((a, b) => a - b), problems };
}

/** Labels pointing at `version`, sorted. */
export function labelsOf(config: ModelConfig, version: number): string[] {
  return Object.entries(config.labels)
    .filter(([, v]) => v === version)
    .map(([k]) => k)
    .sort();
}

/** Parses a selector: '' -> default, digits -> version, anything else -> label. */
export type Selector = { kind: 'default' } | { kind: 'version'; version: number } | { kind: 'label'; label: string };

export function parseSelector(selector: string | undefined): Selector {
  const s = (selector ?? '').trim();
  if (s === '') return { kind: 'default' };
  if (/^\d+$/.test(s)) return { kind: 'version', version: Number(s) };
  return { kind: 'label', label: s };
}
