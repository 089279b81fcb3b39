/**
 * zod issues -> one precise, human-readable line per problem, naming the file and the field:
 *
 *   manifest.json: self_check.rel_tol: expected number, got string
 *   manifest.json: unknown key 'self_chek'
 *   config.json: version_policy.latest: must be >= 1, got 0
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** `a.b[2].c` for a zod path (empty string for the document itself). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** What a JSON value is, for "expected X, got Y". */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function describeExpected(expected: string): string {
  return expected === 'int' ? 'integer' : expected;
}

function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return `missing (expected ${describeExpected(issue.expected)})`;
      const got =
        issue.expected === 'int' && typeof issue.input === 'number'
          ? String(issue.input)
          : describeValue(issue.input);
      return `expected ${describeExpected(issue.expected)}, got ${got}`;
    }
    case 'unrecognized_keys':
      return issue.keys.length === 1
        ? `unknown key '${issue.keys[0]}'`
        : `unknown keys ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${JSON.stringify(issue.input) ?? 'nothing'}`;
    case 'too_small': {
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} element(s)`;
      if (issue.origin === 'string') return `must not be empty`;
      return `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${String(issue.input)}`;
    }
    case 'too_big': {
      if (issue.origin === 'array') return `must have at most ${String(issue.maximum)} element(s)`;
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
      return `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, got ${String(issue.input)}`;
    }
    case 'invalid_format':
      return issue.message;
    case 'invalid_key':
      return `invalid key '${String(issue.path[issue.path.length - 1])}': ${issue.issues.map(describeIssue).join('; ')}`;
    default:
      return issue.message;
  }
}

/** Issues -> "file: path: problem; file: path: problem". */
export function formatIssues(file: string, issues: readonly Issue[], max = 5): string {
  const lines = issues.slice(0, max).map((issue) => {
    // an invalid record key is reported on its parent ("labels: invalid key '2': ...")
    const where = formatPath(issue.code === 'invalid_key' ? issue.path.slice(0, -1) : issue.path);
    return `${file}: ${where ? `${where}: ` : ''}${describeIssue(issue)}`;
  });
  if (issues.length > max) lines.push(`(${issues.length - max} more)`);
  return lines.join('; ');
}
