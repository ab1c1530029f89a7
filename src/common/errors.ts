/**
 * The error catalogue: every code the register raises, with its HTTP status and meaning.
 * This list is the single source: `GET /error-codes` publishes it and docs/error-codes.md
 * is checked against it by a test. Codes marked `ours: true` are this project's own
 * additions to the published scheme (see docs/decisions.md).
 */
export const CATALOGUE = {
  A10: { http: 400, meaning: 'The JSON is malformed or does not conform to the API schema (syntax, duplicate property, unknown property, wrong type, missing required property, bad format)' },
  A11: { http: 400, meaning: 'BatchReference header missing or not of the allowed form' },
  A12: { http: 413, meaning: 'Batch larger than the limit (reports or bytes)' },
  A13: { http: 415, meaning: 'Content type is not application/json' },
  A14: { http: 404, meaning: 'Unknown operation: no such path, or not with this HTTP method', ours: true },
  A15: { http: 408, meaning: 'The request did not arrive in time (slow or truncated request)', ours: true },
  A16: { http: 431, meaning: 'The request headers are larger than the limit (16 KiB in all)', ours: true },
  A20: { http: 400, meaning: 'targetEnvironment is not the environment of this register' },
  A21: { http: 403, meaning: 'owner is not the organisation of the client certificate' },
  A22: { http: 403, meaning: 'The organisation has no data permission for this operation or purpose of use' },
  A23: { http: 401, meaning: 'No client certificate, or one this register did not issue, or expired, or revoked' },
  A24: { http: 403, meaning: "The certificate's usage does not fit the operation (reporting vs data-use) or its environment" },
  A25: { http: 401, meaning: 'Transfer id or transfer password wrong, expired or already spent', ours: true },
  A26: { http: 400, meaning: 'Certificate renewal is allowed only within 60 days before expiry', ours: true },
  A30: { http: 409, meaning: 'Batch reference already used by this owner with different content' },
  A40: { http: 400, meaning: 'No batch with that reference from this owner' },
  A41: { http: 404, meaning: 'No order or delivery with that id from this owner (another organisation\'s is answered the same)', ours: true },
  A42: { http: 409, meaning: 'The delivery is not ready: its status says whether it is coming (Pending, InProgress) or not (Failed, Expired)', ours: true },
  A50: { http: 429, meaning: 'Too many requests; retry after the time in Retry-After' },
  A90: { http: 503, meaning: 'Service break; retry after the time in Retry-After' },
  A99: { http: 500, meaning: 'Internal error; the request had no effect; quote the correlation id' },
  D01: { http: null, meaning: 'Loan number already exists for this lender' },
  D02: { http: null, meaning: 'amountPaid may not be more than amountIssued' },
  D03: { http: null, meaning: 'No such loan for this lender' },
  D04: { http: null, meaning: 'Invalid personal identity code, or a real code in the Test environment, or a test code in Production' },
  D05: { http: null, meaning: 'borrowersCount is less than the number of borrowers listed, or a borrower is listed twice' },
  D06: { http: null, meaning: 'purposeOfUse does not fit loanConsumerProtectionAct' },
  D07: { http: null, meaning: 'Loan type or purpose GuaranteeReceivable reported by someone other than Kela, or with another purpose' },
  D08: { http: null, meaning: 'Delayed instalment is less than 60 days past its original due date' },
  D09: { http: null, meaning: 'A due date or payment date is before the contract date' },
  D10: { http: null, meaning: 'Leasing monthlyInstalment must be greater than zero' },
  D11: { http: null, meaning: 'The type block does not match loanType (missing, or a block of another type)' },
  D12: { http: null, meaning: "Date in the future (for an order: a day or month not yet ended, or before the register's loan history)" },
  D13: { http: null, meaning: 'The loan has ended; it can no longer be changed (except by Cancellation of the termination)' },
  D14: { http: null, meaning: 'Transfer conditions not met (stored loan not ended, not marked transferred, or other borrowers)' },
  D15: { http: null, meaning: 'End date before contract date' },
  D16: { http: null, meaning: 'Unknown currency code' },
  D17: { http: null, meaning: 'Negative amount, or more than two decimals' },
  D18: { http: null, meaning: 'Period end before period start (deferment, leasing contract period, an order\'s period, or one longer than an order may be)' },
  D19: { http: null, meaning: 'Invalid Business ID of a borrower' },
  D20: { http: null, meaning: 'reportReference appears twice in the batch' },
  D21: { http: null, meaning: 'isLoanWithCollateral is true but no collateral type is given, or collaterals given with false' },
  D22: { http: null, meaning: 'loanType of a payment does not match the loan' },
  D23: { http: null, meaning: 'ErrorCorrection or Cancellation of a transaction that does not exist' },
  D24: { http: null, meaning: 'A required value is missing (interest except for GuaranteeReceivable, currencyCode in AddLoans, delayedAmounts when isDelay, foreclosureDate when isForeclosed)', ours: true },
  D25: { http: null, meaning: 'A text is empty or longer than allowed (reportReference, loan number, lenderMarketingName)', ours: true },
  D26: { http: null, meaning: 'Income month out of range (month 1–12, year from 1900, not the current month or later)', ours: true },
  D27: { http: null, meaning: 'Date outside the years the register keeps (1900–2199)', ours: true },
} as const satisfies Record<string, { http: number | null; meaning: string; ours?: boolean }>;

export type ErrorCode = keyof typeof CATALOGUE;
export type RequestErrorCode = { [K in ErrorCode]: (typeof CATALOGUE)[K]['http'] extends number ? K : never }[ErrorCode];
export type RuleCode = Exclude<ErrorCode, RequestErrorCode>;

export interface ErrorResponse {
  fieldName?: string;
  errorCode: ErrorCode;
  errorDescription: string;
}

/** A refusal of a whole request. Carries one or more error responses and the HTTP status of its first code. */
export class RegisterError extends Error {
  readonly code: RequestErrorCode;
  readonly status: number;
  readonly errors: ErrorResponse[];
  /** Extra response headers (Retry-After). */
  readonly headers: Record<string, string>;
  constructor(code: RequestErrorCode, description?: string, fieldName?: string, headers: Record<string, string> = {}) {
    const text = description ?? CATALOGUE[code].meaning;
    super(`${code}: ${text}`);
    this.code = code;
    this.status = CATALOGUE[code].http;
    this.errors = [{ ...(fieldName !== undefined ? { fieldName } : {}), errorCode: code, errorDescription: text }];
    this.headers = headers;
  }
}

export function catalogueList(): { code: ErrorCode; httpStatus: number | null; meaning: string; ourDesign: boolean }[] {
  return (Object.keys(CATALOGUE) as ErrorCode[]).map((code) => {
    const entry: { http: number | null; meaning: string; ours?: boolean } = CATALOGUE[code];
    return { code, httpStatus: entry.http, meaning: entry.meaning, ourDesign: entry.ours === true };
  });
}

/** A refusal of what an operator (or, later, a person) typed: the reason in words, for the command line or the form. */
export class InputError extends Error {}
