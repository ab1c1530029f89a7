/** Schemas shared by every API: the envelope, the caller, the error body. TypeBox: one source for validation, types and OpenAPI. */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CATALOGUE, type ErrorCode } from '../common/errors.ts';

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

/** The refusal body with the extra properties a route adds to every refusal (GetBatchStatus: batchStatus). */
export function errorBodyWith(extras: Record<string, TSchema>): TSchema {
  return Type.Object({ ...ErrorBody.properties, ...extras }, { description: ErrorBody.description });
}

/** The refusals a client is told to retry (A50, A90) carry the wait in whole seconds. */
const RETRY_AFTER: Record<number, string> = {
  429: 'Too many requests (A50): retry after the seconds in Retry-After',
  503: 'Service break (A90): retry after the seconds in Retry-After',
};

/** Standard refusal responses for an authenticated operation, for the OpenAPI document. */
export function refusals(...statuses: number[]): Record<number, TSchema> {
  return refusalsOf(ErrorBody, statuses);
}

/** refusals() with a body of the route's own (errorBodyWith). */
export function refusalsOf(body: TSchema, statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of statuses) {
    out[s] = RETRY_AFTER[s]
      ? ({ ...body, description: RETRY_AFTER[s], headers: { 'Retry-After': { type: 'integer', minimum: 1, description: 'Whole seconds to wait' } } } as TSchema)
      : body;
  }
  return out;
}

/**
 * A schema with its examples. The examples are data, written next to the schema the server
 * validates (requests) or serialises (answers) with; test/http/openapi.test.ts validates each
 * one against it, so that the reference never shows an example the register would refuse or
 * could not send. @fastify/swagger moves them into the OpenAPI document's media objects.
 */
export function withExamples<T extends TSchema>(schema: T, ...examples: unknown[]): T {
  return { ...schema, examples };
}

/** The two properties every JSON success answer of an operation starts with. */
export const succeeded = {
  statusMessage: Type.String({ description: 'The request succeeded' }),
  correlationId: Type.String({ description: 'The id of this request (also the X-Correlation-Id header); quote it when asking about it' }),
};

/** GET /health: the API listener's liveness, for a load balancer (touches no database). */
export const HealthAnswer = Type.Object({
  status: Type.Literal('ok'),
  environment: Type.Union([Type.Literal('Test'), Type.Literal('Production')], { description: "This register's environment" }),
});

/** GET /error-codes: the error catalogue (src/common/errors.ts), every code the register raises. */
export const ErrorCatalogue = Type.Object({
  errorCodes: Type.Array(
    Type.Object({
      code: Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(CATALOGUE) }),
      httpStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'The status of a refused request; null: a rule code, reported per report in GetBatchStatus (or per row)' }),
      meaning: Type.String(),
      ourDesign: Type.Boolean({ description: "This project's addition to the published scheme" }),
    }),
  ),
});

/** A JSON number kept exactly (amounts, percentages): validated as a number, read from its text. */
export const ExactNumberSchema = (opts: { description?: string } = {}) =>
  Type.Unsafe<import('../common/decimal.ts').NumericInput>({ type: 'number', 'x-exact': true, ...opts });
