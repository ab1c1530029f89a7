/** The income feed API (our design): income sources with the income-feed permission send monthly summaries. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { finnishDate } from '../common/dates.ts';
import type { Database } from '../db/database.ts';
import type { Environment } from '../access/pki.ts';
import { envelope, ErrorResponse, ExactNumberSchema, refusals, succeeded, withExamples } from '../http/schemas.ts';
import { EXAMPLES } from '../http/examples.ts';
import { describeRef } from '../access/organisations.ts';
import { storeIncome, validateIncome, type IncomeRow } from './income.ts';
import { RegisterError } from '../common/errors.ts';

const IncomeMonth = Type.Object(
  {
    idCode: Type.String(),
    year: Type.Integer(),
    month: Type.Integer(),
    wagesGrossAmount: Type.Optional(ExactNumberSchema()),
    wagesNetAmount: Type.Optional(ExactNumberSchema()),
    benefitsGrossAmount: Type.Optional(ExactNumberSchema({ description: 'Pensions count as benefits' })),
    benefitsNetAmount: Type.Optional(ExactNumberSchema()),
    accuracyDenied: Type.Optional(Type.Boolean({ description: 'The person has disputed this month with the income source' })),
  },
  { additionalProperties: false },
);

const IncomeFeedBody = Type.Object({ ...envelope, incomeMonths: Type.Array(IncomeMonth) }, { additionalProperties: false });

const IncomeFeedAnswer = Type.Object({
  ...succeeded,
  acceptedCount: Type.Integer(),
  rejectedCount: Type.Integer(),
  rejected: Type.Array(Type.Object({ index: Type.Integer({ description: 'Position in incomeMonths, from 0' }), errorResponses: Type.Array(ErrorResponse) }), {
    description: 'The months not stored, each with its reasons; the others were stored',
  }),
});

export function incomeRoutes(opts: { db: Database; environment: Environment; maxRows?: number }) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.post<{ Body: Static<typeof IncomeFeedBody> }>(
      '/IncomeFeed',
      {
        config: { operation: 'IncomeFeed' },
        schema: {
          tags: ['income feed'],
          summary: 'Monthly income summaries per person (our design); a later one for the same person and month replaces the earlier',
          body: withExamples(IncomeFeedBody, EXAMPLES.IncomeFeed.request),
          response: { 200: withExamples(IncomeFeedAnswer, EXAMPLES.IncomeFeed.answer), ...refusals(400, 401, 403, 413, 429) },
          security: [{ mutualTLS: [] }],
        },
      },
      async (request) => {
        const months = request.body.incomeMonths;
        if (months.length > (opts.maxRows ?? 100_000)) throw new RegisterError('A12', `At most ${opts.maxRows ?? 100_000} income months in one request`, 'incomeMonths');
        const today = finnishDate();
        const rows: IncomeRow[] = [];
        const rejected: { index: number; errorResponses: unknown[] }[] = [];
        months.forEach((m, index) => {
          const { row, problems } = validateIncome(m, opts.environment, today);
          if (row) rows.push(row);
          else rejected.push({ index, errorResponses: problems });
        });
        await storeIncome(opts.db, rows, describeRef(request.caller!.organisation));
        return { statusMessage: 'The request succeeded', correlationId: request.id, acceptedCount: rows.length, rejectedCount: rejected.length, rejected };
      },
    );
  };
}
