/** Schemas shared by every API: the envelope, the caller, the error body. TypeBox: one source for validation, types and OpenAPI. */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const TargetEnvironment = Type.Union([Type.Literal('Test'), Type.Literal('Production')], {
  description: 'The environment the request is meant for; must be this register\'s (A20)',
});

export const OrganisationId = Type.Object(
  {
    idCodeType: Type.Union([Type.Literal('BusinessId'), Type.Literal('ForeignBusinessId')]),
    idCode: Type.String({ minLength: 1, maxLength: 30 }),
    countryCode: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$' })),
  },
  { additionalProperties: false, description: 'An organisation: its Business ID, or a foreign business ID with its country code' },
);
export type OrganisationId = Static<typeof OrganisationId>;

/** The properties every API request carries (spec README "The caller"). */
export const envelope = {
  targetEnvironment: TargetEnvironment,
  owner: OrganisationId,
};

export const ErrorResponse = Type.Object({
  fieldName: Type.Optional(Type.String()),
  errorCode: Type.String(),
  errorDescription: Type.String(),
});

export const ErrorBody = Type.Object(
  {
    statusMessage: Type.String(),
    correlationId: Type.String(),
    errorResponses: Type.Array(ErrorResponse),
  },
  { description: 'Every refusal, on every API, has this shape' },
);

/** The refusals a client is told to retry (A50, A90) carry the wait in whole seconds. */
const RETRY_AFTER: Record<number, string> = {
  429: 'Too many requests (A50): retry after the seconds in Retry-After',
  503: 'Service break (A90): retry after the seconds in Retry-After',
};

/** Standard refusal responses for an authenticated operation, for the OpenAPI document. */
export function refusals(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of statuses) {
    out[s] = RETRY_AFTER[s]
      ? ({ ...ErrorBody, description: RETRY_AFTER[s], headers: { 'Retry-After': { type: 'integer', minimum: 1, description: 'Whole seconds to wait' } } } as TSchema)
      : ErrorBody;
  }
  return out;
}

/** A JSON number kept exactly (amounts, percentages): validated as a number, read from its text. */
export const ExactNumberSchema = (opts: { description?: string } = {}) =>
  Type.Unsafe<import('../common/decimal.ts').NumericInput>({ type: 'number', 'x-exact': true, ...opts });
