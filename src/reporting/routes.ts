/** The reporting API (reporting.md): five batch operations, GetBatchStatus, GetLoan, and the Test environment's extras. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegisterError } from '../common/errors.ts';
import type { Database } from '../db/database.ts';
import type { Environment } from '../access/pki.ts';
import { checkCertificateFits, checkPermission, type Operation } from '../access/policy.ts';
import type { Caller } from '../access/trust.ts';
import { errorBody, toRegisterError } from '../http/app.ts';
import { ErrorBody, errorBodyWith, refusals, refusalsOf, withExamples } from '../http/schemas.ts';
import { Type, type TSchema } from '@sinclair/typebox';
import { EXAMPLES } from '../http/examples.ts';
import { LOAN_VIEW_COLUMNS, loanView, type LoanViewRow } from './loan-view.ts';
import type { ReportingWorker } from './processor.ts';
import {
  BATCH_OPERATIONS, BATCH_REFERENCE_PATTERN, BatchAccepted, batchBody, BatchHeaders, BatchStatusAnswer, EnvelopeOnly,
  GetBatchStatusRequest, GetLoanAnswer, GetLoanRequest, ResetTestDataAnswer, type BatchOperation,
} from './schemas.ts';
import { unpackContract } from './packed-contract.ts';
import { batchStatus, receiveBatch, recordRefusal, resetTestData } from './store.ts';
import type { ReportingObserver } from '../metrics/observe.ts';

export interface ReportingOptions {
  db: Database;
  environment: Environment;
  worker: ReportingWorker;
  maxReportsPerBatch?: number;
  maxBatchBytes?: number;
  /** Batches received, for the operator's metrics (src/metrics/). */
  metrics?: Pick<ReportingObserver, 'batchReceived'>;
}

const BATCH_REFERENCE = new RegExp(BATCH_REFERENCE_PATTERN);

/** GetBatchStatus refusals carry the batch's reference and NotFound too (config.errorExtras below). */
const BatchStatusRefusal = errorBodyWith({
  batchReference: Type.Union([Type.String(), Type.Null()]),
  batchStatus: Type.Literal('NotFound'),
});

/**
 * HTTP header values arrive as Latin-1. A client that wrote å ä ö in UTF-8 sends two bytes for
 * each; those are decoded back, so that either encoding of a batch reference works.
 */
export function decodeHeaderText(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  const utf8 = Buffer.from(value, 'latin1').toString('utf8');
  return utf8.includes('\ufffd') ? value : utf8;
}

/** Whether the caller could read a refusal of this operation back with GetBatchStatus: its certificate and permission fit. */
function mayReadBack(caller: Caller, operation: Operation, environment: Environment): boolean {
  try {
    checkCertificateFits(caller, operation, environment);
    checkPermission(caller, operation);
    checkPermission(caller, 'GetBatchStatus');
    return true;
  } catch {
    return false;
  }
}

/** Node joins repeated headers with ", ", which the reference pattern could take for one reference. */
function repeatedReference(request: FastifyRequest): boolean {
  let seen = 0;
  for (let i = 0; i < request.raw.rawHeaders.length; i += 2) if (request.raw.rawHeaders[i]!.toLowerCase() === 'batchreference') seen++;
  return seen > 1;
}

export function reportingRoutes(opts: ReportingOptions) {
  const maxReports = opts.maxReportsPerBatch ?? 100_000;
  return async function plugin(app: FastifyInstance): Promise<void> {
    /**
     * A batch refused at the door is remembered by its reference, for GetBatchStatus, only when
     * its owner could read it back: an authenticated request within the rate limit whose
     * certificate and permission fit the operation. Unauthenticated (A23), rate-limited (A50),
     * wrong-usage (A24) and unpermitted (A22) floods write nothing; a repeated identical refusal
     * of the same reference writes nothing either (recordRefusal leaves the row alone), and a
     * reference given twice (A11) is not recorded under the two joined.
     */
    async function rememberRefusal(request: FastifyRequest, _reply: FastifyReply, error: Error): Promise<void> {
      const reference = request.headers.batchreference;
      const operation = request.routeOptions.config.operation;
      const caller = request.caller;
      if (!caller || typeof reference !== 'string' || !BATCH_REFERENCE.test(reference) || !operation) return;
      const refusal = toRegisterError(error);
      // A30: the reference belongs to an accepted batch; A99, A90: nothing was decided; A50: the client has its 429 and Retry-After.
      if (refusal.code === 'A30' || refusal.code === 'A99' || refusal.code === 'A90' || refusal.code === 'A50') return;
      if (!mayReadBack(caller, operation, opts.environment) || repeatedReference(request)) return;
      try {
        await recordRefusal(opts.db, caller.organisation.id, operation, reference, refusal.errors);
      } catch (err) {
        request.log.error({ err }, 'could not record the refusal');
      }
    }

    for (const operation of Object.keys(BATCH_OPERATIONS) as BatchOperation[]) {
      const { collection } = BATCH_OPERATIONS[operation];
      app.post(
        `/${operation}`,
        {
          bodyLimit: opts.maxBatchBytes ?? 128 * 1024 * 1024,
          config: { operation },
          onError: rememberRefusal,
          onRequest: async (request) => {
            if (repeatedReference(request)) throw new RegisterError('A11', 'BatchReference is given more than once', 'BatchReference');
            const ref = request.headers.batchreference;
            if (typeof ref === 'string') request.headers.batchreference = decodeHeaderText(ref);
          },
          schema: {
            tags: ['reporting'],
            summary: `${operation}: a batch of reports (${collection})`,
            description: 'Answered 202 once the batch is stored; the reports are processed after that. Follow with GetBatchStatus.',
            headers: BatchHeaders,
            body: withExamples(batchBody(operation), EXAMPLES[operation].request),
            response: { 202: withExamples(BatchAccepted, EXAMPLES[operation].answer), ...refusals(400, 401, 403, 409, 413, 415, 429) },
            security: [{ mutualTLS: [] }],
          },
        },
        async (request, reply) => {
          const body = request.body as Record<string, unknown>;
          const reports = body[collection] as unknown[];
          if (reports.length > maxReports) throw new RegisterError('A12', `At most ${maxReports} reports in one batch`, collection);
          const received = await receiveBatch(opts.db, {
            organisationId: request.caller!.organisation.id,
            operation,
            batchReference: request.headers.batchreference as string,
            rawBody: request.rawBody!,
            reportCount: reports.length,
          });
          if (received.created) {
            opts.metrics?.batchReceived(operation);
            opts.worker.wake();
          }
          void reply.code(202);
          return { batchReference: received.batchReference, batchStatus: received.batchStatus };
        },
      );
    }

    app.post(
      '/GetBatchStatus',
      {
        config: {
          operation: 'GetBatchStatus',
          // Real clients read batchStatus without looking at the status code: every answer carries it.
          errorExtras: (request) => ({
            batchReference: (request.body as { batchReference?: string } | undefined)?.batchReference ?? null,
            batchStatus: 'NotFound',
          }),
        },
        schema: {
          tags: ['reporting'],
          summary: 'How a batch went',
          body: withExamples(GetBatchStatusRequest, EXAMPLES.GetBatchStatus.request),
          response: {
            200: withExamples(BatchStatusAnswer, EXAMPLES.GetBatchStatus.answer),
            ...refusalsOf(withExamples(BatchStatusRefusal, EXAMPLES.GetBatchStatus.refusal), [400, 401, 403, 429]),
          },
          security: [{ mutualTLS: [] }],
        },
      },
      async (request) => {
        const { batchReference } = request.body as { batchReference: string };
        const answer = await batchStatus(opts.db, request.caller!.organisation.id, batchReference);
        if (!answer) throw new RegisterError('A40', 'No batch with that reference from this owner', 'batchReference');
        return answer;
      },
    );

    app.post(
      '/GetLoan',
      {
        config: { operation: 'GetLoan' },
        schema: {
          tags: ['reporting'],
          summary: 'The loan as the register holds it now',
          description: "A loan of another lender, or no such loan: 404 with D03 (never a hint that another lender has it).",
          body: withExamples(GetLoanRequest, EXAMPLES.GetLoan.request),
          // Typed as a map of statuses: the handler answers 404 itself.
          response: { 200: withExamples(GetLoanAnswer, EXAMPLES.GetLoan.answer), ...refusals(400, 401, 403, 404, 429) } as Record<number, TSchema>,
          security: [{ mutualTLS: [] }],
        },
      },
      async (request, reply) => {
        const { loanNumber } = request.body as { loanNumber: { number: string } };
        const { rows } = await opts.db.query<Omit<LoanViewRow, 'contract'> & { contract: Uint8Array }>(
          `SELECT ${LOAN_VIEW_COLUMNS} FROM loans l WHERE l.lender_id = $1 AND l.loan_number = $2 AND l.status <> 'Cancelled'`,
          [request.caller!.organisation.id, loanNumber.number],
        );
        if (!rows[0]) {
          request.errorCode = 'D03';
          return reply.code(404).send(errorBody(request.id, [{ fieldName: 'loanNumber', errorCode: 'D03', errorDescription: 'No such loan for this lender' }]));
        }
        return { statusMessage: 'The request succeeded', correlationId: request.id, loan: loanView({ ...rows[0], contract: unpackContract(rows[0].contract) }) };
      },
    );

    if (opts.environment === 'Test') {
      app.post(
        '/ResetTestData',
        {
          config: { operation: 'ResetTestData' },
          schema: {
            tags: ['test environment'],
            summary: "Deletes the calling lender's own test data (Test environment only; our design)",
            body: withExamples(EnvelopeOnly, EXAMPLES.ResetTestData.request),
            response: { 200: withExamples(ResetTestDataAnswer, EXAMPLES.ResetTestData.answer), ...refusals(400, 401, 403, 429) },
            security: [{ mutualTLS: [] }],
          },
        },
        async (request) => {
          const deleted = await resetTestData(opts.db, request.caller!.organisation.id);
          return { statusMessage: 'The request succeeded', correlationId: request.id, deleted };
        },
      );
      app.post(
        '/Servicebreak',
        {
          schema: {
            tags: ['test environment'],
            summary: 'Always answers 503 A90 with Retry-After, to test a client\'s handling (Test environment only)',
            response: refusalsOf(withExamples(ErrorBody, EXAMPLES.Servicebreak.refusal), [503]),
          },
        },
        async () => {
          throw new RegisterError('A90', 'Service break; retry after the time in Retry-After', undefined, { 'Retry-After': '60' });
        },
      );
    }
  };
}
