/** The extract API (extract.md): GetCreditRegisterExtract for lenders holding an extract permission. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Environment } from '../access/pki.ts';
import { BUSINESS_PURPOSES, CONSUMER_PURPOSES, type ExtractPurpose } from '../access/policy.ts';
import type { Database } from '../db/database.ts';
import { errorBody } from '../http/app.ts';
import { envelope, ExactNumberSchema, OrganisationId, refusals, succeeded, withExamples } from '../http/schemas.ts';
import { EXAMPLES } from '../http/examples.ts';
import { DelayedAmount, LeasingContractBlock, LoanReport, LumpSumLoanBlock, Person, RepaymentsPaidLast, RunningAccountLoanBlock } from '../reporting/schemas.ts';
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

const L = LoanReport.properties;
const open = { additionalProperties: true } as const;

/** One loan as the extract shows it (extract/content.ts extractLoan): no lender, no loan number. */
const ExtractLoan = Type.Object(
  {
    loanType: L.loanType,
    contractDate: Type.String({ format: 'date' }),
    borrowersCount: Type.Integer(),
    currencyCode: Type.String(),
    consumerCredit: L.consumerCredit,
    isLoanWithCollateral: Type.Boolean(),
    collaterals: Type.Array(Type.Object({ collateralType: Type.String() })),
    interest: L.interest,
    defermentPeriods: Type.Array(Type.Object({ startDate: Type.String({ format: 'date' }), endDate: Type.String({ format: 'date' }) }), { description: 'Current and future ones only' }),
    paymentPlan: L.paymentPlan,
    lumpSumLoan: Type.Optional(LumpSumLoanBlock),
    runningAccountLoan: Type.Optional(RunningAccountLoanBlock),
    leasingContract: Type.Optional(Type.Omit(LeasingContractBlock, ['transactionPrice'])),
    repaymentsPaidLast: Type.Optional(RepaymentsPaidLast),
    delayedAmounts: Type.Array(DelayedAmount),
    isForeclosed: Type.Boolean(),
    foreclosureDate: Type.Optional(Type.String({ format: 'date' })),
    businessInformation: Type.Optional(Type.Object({ borrowerBusinessId: Type.String() }, { description: "The borrower's business, where the loan is for it" })),
  },
  open,
);

const PerCurrency = Type.Array(Type.Object({ currencyCode: Type.String(), sum: ExactNumberSchema() }));

/**
 * The extract (extract.md "Response"; built by extract/content.ts). Its bytes are sent as they
 * were logged (the route sends the stored text), so this schema documents the answer; the
 * openapi test checks real extracts against it.
 */
const ExtractAnswer = Type.Object({
  ...succeeded,
  creditRegisterExtract: Type.Object(
    {
      extractReference: Type.String(),
      creationTimeUtc: Type.String({ format: 'date-time' }),
      personRequested: Person,
      owner: OrganisationId,
      creditRegisterExtractPurpose: Type.Array(Type.String({ enum: [...EXTRACT_PURPOSES] })),
      lenderReference: Type.Optional(Type.String()),
      deceasedPerson: Type.Optional(Type.Object({ dateOfDeath: Type.String({ format: 'date' }) })),
      voluntaryBanOnCredits: Type.Optional(
        Type.Object({ isInEffect: Type.Boolean(), reason: Type.String(), startDate: Type.String({ format: 'date' }), endDate: Type.Union([Type.String({ format: 'date' }), Type.Null()]) }),
      ),
      creditInformationSummary: Type.Object({
        lendersCount: Type.Integer(),
        loanContractsCount: Type.Integer(),
        guaranteedLoanContractsCount: Type.Integer(),
        repaymentsPaidLastAmount: PerCurrency,
        sumOfMonthlyLeasingInstalments: PerCurrency,
      }),
      loans: Type.Array(ExtractLoan),
      guaranteedLoans: Type.Array(ExtractLoan),
      incomeData: Type.Array(
        Type.Object({
          year: Type.Integer(),
          month: Type.Integer(),
          wagesGrossAmount: ExactNumberSchema(),
          wagesNetAmount: ExactNumberSchema(),
          benefitsGrossAmount: ExactNumberSchema(),
          benefitsNetAmount: ExactNumberSchema(),
          accuracyDenied: Type.Optional(Type.Literal(true, { description: 'The person has disputed this month with the income source' })),
        }),
        { description: 'The twelve full calendar months before this one, oldest first; months not reported are absent' },
      ),
    },
    open,
  ),
});

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
          body: withExamples(ExtractRequestBody, EXAMPLES.GetCreditRegisterExtract.request),
          response: { 200: withExamples(ExtractAnswer, EXAMPLES.GetCreditRegisterExtract.answer), ...refusals(400, 401, 403, 429) },
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
