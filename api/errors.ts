import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  QueryNotRegisteredError,
  ServiceError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { jsonFault } from '../domain/json-fault';
import type { DomainError, ErrorCode } from '../domain/codes';
import { ERROR_STATUS, ErrorCode as ErrorCodeSchema } from '../domain/codes';

/** An error with a code of CONTRACT.md; `onError` turns it into the error body. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  static from(e: DomainError): ApiError {
    return new ApiError(e.code, e.message, e.details);
  }

  get status() {
    return ERROR_STATUS[this.code];
  }
}

/** The problems a schema found: a ZodError's, or a list made like them. */
export type Issues = { issues: readonly { path: readonly PropertyKey[]; message: string }[] };

export function validationError(error: Issues, where: string): ApiError {
  const details = error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = details[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid request';
  return new ApiError('VALIDATION_ERROR', `invalid ${where}: ${summary}`, details);
}

// CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, INTERNAL,
// UNAVAILABLE: the server or the worker could not answer now; the same call later can.
const UNAVAILABLE_GRPC = new Set([1, 4, 8, 9, 10, 13, 14]);
const UNAVAILABLE_DB = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P03']);

function isUnavailable(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  // Our queries are registered first thing in every run: "not registered" means the query reached
  // a worker that could not run it yet (restarting, replaying): a transient state.
  if (err instanceof QueryNotRegisteredError) return true;
  if (err instanceof ServiceError) {
    const code = (err.cause as { code?: number } | undefined)?.code;
    return code === undefined || UNAVAILABLE_GRPC.has(code);
  }
  const e = err as { code?: unknown; name?: string; message?: string } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && UNAVAILABLE_DB.has(e.code)) return true;
  if (e.name === 'ConnectionException') return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(
    e.message ?? '',
  );
}

/** Map anything thrown by a handler to a contract error. Unknown errors become 500 INTERNAL with an id. */
export function toApiError(err: unknown, onUnexpected: (id: string, err: unknown) => void): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const parsed = ErrorCodeSchema.safeParse(err.cause.type);
    if (parsed.success)
      return new ApiError(parsed.data, err.cause.message, err.cause.details?.[0] ?? undefined);
  }
  if (err instanceof WorkflowNotFoundError) return new ApiError('NOT_FOUND', 'no such dossier');
  if (err instanceof HTTPException) {
    if (err.status === 413) return new ApiError('PAYLOAD_TOO_LARGE', err.message || 'request body too large');
    // Malformed JSON: listed in `details` like every other problem (CONTRACT.md, "Errors").
    if (err.status === 400) {
      return new ApiError('VALIDATION_ERROR', `invalid body: ${err.message}`, [
        { path: 'body', message: err.message || 'malformed JSON' },
      ]);
    }
    // A JSON route's body sent under another media type (text/plain, a form, none at all).
    if (err.status === 415) {
      return new ApiError('VALIDATION_ERROR', 'send the body as JSON, with Content-Type: application/json', [
        { path: 'header.content-type', message: 'expected application/json' },
      ]);
    }
  }
  // Without the excerpt of the body V8 quotes (domain/json-fault.ts): it may hold a NIR or a name.
  if (err instanceof SyntaxError)
    return new ApiError('VALIDATION_ERROR', `invalid JSON body: ${jsonFault(err)}`);
  // A namespace without the platform's search attributes: a set-up to finish, never a 500.
  if (causes(err).some((e) => /no mapping defined for search attribute/i.test(String(e.message)))) {
    return new ApiError(
      'UNAVAILABLE',
      "the Temporal namespace lacks the platform's search attributes: the operator runs npx agora setup",
    );
  }
  if (isUnavailable(err)) {
    return new ApiError('UNAVAILABLE', 'Temporal or the database cannot be reached right now; retry later');
  }
  const id = randomUUID();
  onUnexpected(id, err);
  return new ApiError('INTERNAL', `unexpected error; quote id ${id} to the platform team`, { id });
}

export function errorResponse(c: Context, e: ApiError): Response {
  const body = {
    error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) },
  };
  if (e.code === 'UNAVAILABLE') c.header('Retry-After', '5');
  return c.json(body, e.status);
}

/** The error and the causes it wraps (a Temporal ServiceError wraps the gRPC error). */
function causes(err: unknown): { message?: unknown }[] {
  const chain: { message?: unknown }[] = [];
  for (let e = err; e && typeof e === 'object' && chain.length < 5; e = (e as { cause?: unknown }).cause)
    chain.push(e as { message?: unknown });
  return chain;
}
