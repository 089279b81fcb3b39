/**
 * zod issues -> "file: path: problem" lines (the registry's wording, src/registry/schema-errors.ts),
 * with one addition: an unknown or absent step `op` names the ops there are.
 */
import type { z } from 'zod';
import { formatIssues } from '../registry/schema-errors.js';

type Issue = z.core.$ZodIssue;

function rewrite(issue: Issue): Issue {
  if (issue.code === 'invalid_union' && 'discriminator' in issue && typeof issue.discriminator === 'string') {
    const options = (issue as { options?: unknown[] }).options ?? [];
    const input = (issue as { input?: unknown }).input;
    const got =
      input !== null && typeof input === 'object' && issue.discriminator in input
        ? JSON.stringify((input as Record<string, unknown>)[issue.discriminator])
        : 'nothing';
    return {
      code: 'custom',
      path: issue.path,
      input,
      message: `expected one of ${options.map((o) => `'${String(o)}'`).join(', ')}, got ${got}`,
    } as Issue;
  }
  return issue;
}

export function formatSpecIssues(file: string, issues: readonly Issue[], max = 5): string {
  return formatIssues(file, issues.map(rewrite), max);
}
