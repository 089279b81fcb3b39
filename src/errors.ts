/**
 * One error type for everything a caller can get wrong or that can be unavailable, carrying a
 * transport-neutral code. The gRPC layer maps codes to status codes (src/server/status.ts); the
 * service layers never import gRPC.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'INTERNAL';

/** One violation of the input: row (0-based, null for the whole request), field and reason. */
export interface FieldViolation {
  row: number | null;
  field: string;
  reason: string;
}

export class GroveError extends Error {
  override readonly name = 'GroveError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Anything thrown, as a GroveError (unknown errors become INTERNAL; their message is kept for logs). */
  static from(err: unknown): GroveError {
    if (err instanceof GroveError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new GroveError('INTERNAL', message, [], { cause: err });
  }
}
