/**
 * A refusal by the register (any answer that is not the operation's success): the HTTP status,
 * the register's error list (errorCode, errorDescription, fieldName) and the correlation id to
 * quote to the register's support. `code` is the first error's code (`A22`, `D03` …).
 */
export class RegisterApiError extends Error {
    operation;
    status;
    body;
    attempts;
    name = 'RegisterApiError';
    /** The first error code: `errors[0].errorCode`, or `HTTP<status>` when the answer carried no error list. */
    code;
    errors;
    correlationId;
    /** Seconds the register asked to wait (429, 503), if it said. */
    retryAfterSeconds;
    constructor(operation, status, 
    /** The answer's parsed body (for GetBatchStatus it carries batchStatus too: NotFound). */
    body, headers = {}, 
    /** How many times the request was sent. */
    attempts = 1) {
        const b = (body && typeof body === 'object' ? body : {});
        const errors = Array.isArray(b.errorResponses) ? b.errorResponses : [];
        const correlationId = typeof b.correlationId === 'string' ? b.correlationId : typeof headers['x-correlation-id'] === 'string' ? headers['x-correlation-id'] : undefined;
        const code = errors[0]?.errorCode ?? `HTTP${status}`;
        const text = errors.map((e) => `${e.errorCode}${e.fieldName ? ` (${e.fieldName})` : ''}: ${e.errorDescription}`).join('; ');
        super(`${operation} refused with ${status} ${text || code}${correlationId ? ` [correlation id ${correlationId}]` : ''}`);
        this.operation = operation;
        this.status = status;
        this.body = body;
        this.attempts = attempts;
        this.code = code;
        this.errors = errors;
        this.correlationId = correlationId;
        this.retryAfterSeconds = retryAfterSeconds(headers['retry-after']);
    }
    /** Whether any of the errors carries `code`. */
    has(code) {
        return this.errors.some((e) => e.errorCode === code);
    }
}
/** The register could not be reached, or the connection broke, and retrying did not help (or was not safe). */
export class RegisterConnectionError extends Error {
    operation;
    cause;
    attempts;
    maybeDelivered;
    name = 'RegisterConnectionError';
    constructor(operation, cause, attempts, 
    /** Whether the request may have reached the register (false: it certainly did not). */
    maybeDelivered) {
        super(`${operation}: ${cause.code ?? cause.message} after ${attempts} attempt(s)${maybeDelivered ? ' (the request may have reached the register)' : ''}`);
        this.operation = operation;
        this.cause = cause;
        this.attempts = attempts;
        this.maybeDelivered = maybeDelivered;
    }
}
/** waitForBatch / waitForDelivery gave up before a final status. */
export class WaitTimeoutError extends Error {
    last;
    name = 'WaitTimeoutError';
    constructor(message, 
    /** The last answer seen. */
    last) {
        super(message);
        this.last = last;
    }
}
/** Retry-After in seconds (the register sends whole seconds; an HTTP date is read too). */
export function retryAfterSeconds(value) {
    const v = Array.isArray(value) ? value[0] : value;
    if (v === undefined || v.trim() === '')
        return undefined;
    if (/^\d+$/.test(v.trim()))
        return Number(v.trim());
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
