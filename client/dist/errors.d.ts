/** The errors the client throws: the register's refusals as typed objects, and what the network did. */
import type { ErrorResponse } from './types.ts';
/**
 * A refusal by the register (any answer that is not the operation's success): the HTTP status,
 * the register's error list (errorCode, errorDescription, fieldName) and the correlation id to
 * quote to the register's support. `code` is the first error's code (`A22`, `D03` …).
 */
export declare class RegisterApiError extends Error {
    readonly operation: string;
    readonly status: number;
    /** The answer's parsed body (for GetBatchStatus it carries batchStatus too: NotFound). */
    readonly body: unknown;
    /** How many times the request was sent. */
    readonly attempts: number;
    readonly name = "RegisterApiError";
    /** The first error code: `errors[0].errorCode`, or `HTTP<status>` when the answer carried no error list. */
    readonly code: string;
    readonly errors: ErrorResponse[];
    readonly correlationId: string | undefined;
    /** Seconds the register asked to wait (429, 503), if it said. */
    readonly retryAfterSeconds: number | undefined;
    constructor(operation: string, status: number, 
    /** The answer's parsed body (for GetBatchStatus it carries batchStatus too: NotFound). */
    body: unknown, headers?: Record<string, string | string[] | undefined>, 
    /** How many times the request was sent. */
    attempts?: number);
    /** Whether any of the errors carries `code`. */
    has(code: string): boolean;
}
/** The register could not be reached, or the connection broke, and retrying did not help (or was not safe). */
export declare class RegisterConnectionError extends Error {
    readonly operation: string;
    readonly cause: Error & {
        code?: string;
    };
    readonly attempts: number;
    /** Whether the request may have reached the register (false: it certainly did not). */
    readonly maybeDelivered: boolean;
    readonly name = "RegisterConnectionError";
    constructor(operation: string, cause: Error & {
        code?: string;
    }, attempts: number, 
    /** Whether the request may have reached the register (false: it certainly did not). */
    maybeDelivered: boolean);
}
/** waitForBatch / waitForDelivery gave up before a final status. */
export declare class WaitTimeoutError extends Error {
    /** The last answer seen. */
    readonly last: unknown;
    readonly name = "WaitTimeoutError";
    constructor(message: string, 
    /** The last answer seen. */
    last: unknown);
}
/** Retry-After in seconds (the register sends whole seconds; an HTTP date is read too). */
export declare function retryAfterSeconds(value: string | string[] | undefined): number | undefined;
