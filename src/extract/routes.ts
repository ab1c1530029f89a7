/** The extract API (extract.md): GetCreditRegisterExtract for lenders holding an extract permission. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Environment } from '../access/pki.ts';
import { BUSINESS_PURPOSES, CONSUMER_PURPOSES, type ExtractPurpose } from '../access/policy.ts';
import type { Database } from '../db/database.ts';
import { errorBody } from '../http/app.ts';
import { envelope, refusals } from '../http/schemas.ts';
import { parsePersonalIdentityCode } from '../identity/personal-identity-code.ts';
import { ExtractProducer } from './store.ts';
import type { ExtractObserver } from '../metrics/observe.ts';

export const EXTRACT_PURPOSES = [...CONSUMER_PURPOSES, ...BUSINESS_PURPOSES] as const;

const ExtractRequestBody = Type.Object(
  {
    ...envelope,
    request: Type.Object(
      {
        idCodeType: Type.Unsafe<'PersonalIdentityCode'>({ type: 'string', enum: ['PersonalIdentityCode'] }),
        idCode: Type.String({ description: 'The person the extract is about (D04 when not a valid code of this environment)' }),
        creditRegisterExtractPurpose: Type.Array(Type.Unsafe<ExtractPurpose>({ type: 'string', enum: [...EXTRACT_PURPOSES] }), {
          minItems: 1,
          description: 'One or more purposes; each needs the permission for its class (consumer / non-consumer), else A22',
        }),
        lenderReference: Type.Optional(Type.String({ maxLength: 100, description: "The lender's own case id, kept in the log (our design)" })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
type ExtractRequestBody = Static<typeof ExtractRequestBody>;

export function extractRoutes(opts: { db: Database; environment: Environment; metrics?: ExtractObserver }) {
  const producer = new ExtractProducer(opts.db, opts.metrics ? { metrics: opts.metrics } : {});
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.post<{ Body: ExtractRequestBody }>(
      '/GetCreditRegisterExtract',
      {
        config: {
          operation: 'GetCreditRegisterExtract',
          purposes: (body) => (body as ExtractRequestBody | undefined)?.request?.creditRegisterExtractPurpose ?? [],
        },
        schema: {
          tags: ['extract'],
          summary: 'A credit register extract on a person: every active loan and guarantee from every lender, a summary, twelve months of income, any voluntary ban',
          description: 'Every extract is logged with exactly what was disclosed, charged to the requesting organisation and shown to the person.',
          body: ExtractRequestBody,
          response: { ...refusals(400, 401, 403, 429) },
          security: [{ mutualTLS: [] }],
        },
      },
      async (request, reply) => {
        const r = request.body.request;
        const parsed = parsePersonalIdentityCode(r.idCode);
        if (!parsed.ok || parsed.value.isTestCode !== (opts.environment === 'Test')) {
          request.errorCode = 'D04';
          const text = !parsed.ok ? 'Invalid personal identity code' : opts.environment === 'Test' ? 'Only test identity codes are accepted in the Test environment' : 'Test identity codes are not accepted in the Production environment';
          return reply.code(400).send(errorBody(request.id, [{ fieldName: 'request.idCode', errorCode: 'D04', errorDescription: text }]));
        }
        const { content } = await producer.produce({
          organisationId: request.caller!.organisation.id,
          request: {
            person: parsed.value.code,
            purposes: r.creditRegisterExtractPurpose,
            owner: request.body.owner,
            ...(r.lenderReference !== undefined ? { lenderReference: r.lenderReference } : {}),
          },
        });
        opts.metrics?.extractDisclosed(r.creditRegisterExtractPurpose);
        // The bytes sent are the bytes logged.
        return reply
          .type('application/json; charset=utf-8')
          .send(`{"statusMessage":"The request succeeded","correlationId":${JSON.stringify(request.id)},"creditRegisterExtract":${content}}`);
      },
    );
  };
}
