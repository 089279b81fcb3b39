/**
 * GroveError -> gRPC status. Field violations travel the standard way: a google.rpc.Status with
 * a google.rpc.BadRequest detail in the `grpc-status-details-bin` trailer, so any gRPC client
 * library that knows rich errors can read them. The message also lists them for plain clients.
 */
import * as grpc from '@grpc/grpc-js';
import { GroveError, type ErrorCode, type FieldViolation } from '../errors.js';
import { loadRpcTypes } from './proto.js';

const CODES: Record<ErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  CANCELLED: grpc.status.CANCELLED,
  INTERNAL: grpc.status.INTERNAL,
};

const rpc = loadRpcTypes();

/** Most violations listed in the status message (all of them are in the details). */
const MESSAGE_VIOLATIONS = 20;

export function violationField(v: FieldViolation): string {
  return v.row === null ? v.field : `rows[${v.row}].${v.field}`;
}

export function grpcCode(code: ErrorCode): grpc.status {
  return CODES[code];
}

export function toServiceError(err: unknown): grpc.ServiceError {
  const e = GroveError.from(err);
  const code = CODES[e.code];
  let message = e.code === 'INTERNAL' ? 'internal error' : e.message;
  const metadata = new grpc.Metadata();
  if (e.violations.length > 0) {
    const listed = e.violations.slice(0, MESSAGE_VIOLATIONS).map((v) => `${violationField(v)}: ${v.reason}`);
    const more = e.violations.length > MESSAGE_VIOLATIONS ? `; ... ${e.violations.length - MESSAGE_VIOLATIONS} more` : '';
    message = `${message}: ${listed.join('; ')}${more}`;
    const badRequest = rpc.BadRequest.encode(
      rpc.BadRequest.create({
        field_violations: e.violations.map((v) => ({ field: violationField(v), description: v.reason, reason: 'INVALID_VALUE' })),
      }),
    ).finish();
    const status = rpc.Status.encode(
      rpc.Status.create({
        code,
        message,
        details: [{ type_url: 'type.googleapis.com/google.rpc.BadRequest', value: badRequest }],
      }),
    ).finish();
    metadata.set('grpc-status-details-bin', Buffer.from(status));
  }
  return Object.assign(new Error(message), { code, details: message, metadata }) as grpc.ServiceError;
}

/** Decodes the BadRequest violations of a status trailer (for clients and tests). */
export function decodeViolations(metadata: grpc.Metadata | undefined): { field: string; description: string }[] {
  const bin = metadata?.get('grpc-status-details-bin')[0];
  if (!bin || typeof bin === 'string') return [];
  const status = rpc.Status.toObject(rpc.Status.decode(bin)) as { details?: { type_url: string; value: Uint8Array }[] };
  const out: { field: string; description: string }[] = [];
  for (const d of status.details ?? []) {
    if (d.type_url !== 'type.googleapis.com/google.rpc.BadRequest') continue;
    const br = rpc.BadRequest.toObject(rpc.BadRequest.decode(d.value)) as { field_violations?: { field: string; description: string }[] };
    out.push(...(br.field_violations ?? []));
  }
  return out;
}
