/** The errors the client throws: the register's refusals as typed objects, and what the network did. */
import type { ErrorResponse } from './types.ts';

/**
 * A refusal by the register (any answer that is not the operation's success): the HTTP status,
 * the register's error list (errorCode, errorDescription, fieldName) and the correlation id to
 * quote to the register's support. `code` is the first error's code (`A22`, `D03` …).
 */
export class RegisterApiError extends Error {
  override readonly name = 'RegisterApiError';
  /** The first error code: `errors[0].errorCode`, or `HTTP<status>` when the answer carried no error list. */
  readonly code: string;
  readonly errors: ErrorResponse[];
  readonly correlationId: string | undefined;
  /** Seconds the register asked to wait (429, 503), if it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly operation: string,
    readonly status: number,
    /** The answer's parsed body (for GetBatchStatus it carries batchStatus too: NotFound). */
    readonly body: unknown,
    headers: Record<string, string | string[] | undefined> = {},
    /** How many times the request was sent. */
    readonly attempts = 1,
  ) {
    const b = (body && typeof body === 'object' ? body : {}) as { errorResponses?: unknown; correlationId?: unknown };
    const errors = Array.isArray(b.errorResponses) ? (b.errorResponses as ErrorResponse[]) : [];
    const correlationId = typeof b.correlationId === 'string' ? b.correlationId : typeof headers['x-correlation-id'] === 'string' ? headers['x-correlation-id'] : undefined;
    const code = errors[0]?.errorCode ?? `HTTP${status}`;
    const text = errors.map((e) => `${e.errorCode}${e.fieldName ? ` (${e.fieldName})` : ''}: ${e.errorDescription}`).join('; ');
    super(`${operation} refused with ${status} ${text || code}${correlationId ? ` [correlation id ${correlationId}]` : ''}`);
    this.code = code;
    this.errors = errors;
    this.correlationId = correlationId;
    this.retryAfterSeconds = retryAfterSeconds(headers['retry-after']);
  }

  /** Whether any of the errors carries `code`. */
  has(code: string): boolean {
    return this.errors.some((e) => e.errorCode === code);
  }
}

/** The register could not be reached, or the connection broke, and retrying did not help (or was not safe). */
export class RegisterConnectionError extends Error {
  override readonly name = 'RegisterConnectionError';
  constructor(
    readonly operation: string,
    readonly cause: Error & { code?: string },
    readonly attempts: number,
    /** Whether the request may have reached the register (false: it certainly did not). */
    readonly maybeDelivered: boolean,
  ) {
    super(`${operation}: ${cause.code ?? cause.message} after ${attempts} attempt(s)${maybeDelivered ? ' (the request may have reached the register)' : ''}`);
  }
}

/** waitForBatch / waitForDelivery gave up before a final status. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(
    message: string,
    /** The last answer seen. */
    readonly last: unknown,
  ) {
    super(message);
  }
}

/** Retry-After in seconds (the register sends whole seconds; an HTTP date is read too). */
export function retryAfterSeconds(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
