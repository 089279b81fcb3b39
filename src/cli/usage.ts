/** A mistake in how a command was called (exit code 2), as opposed to a failure doing it (1). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses a non-negative integer flag value or throws a UsageError naming the flag. */
export function intFlag(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${name} expects an integer >= ${min}, got '${value}'`);
  }
  return Number(value);
}
