/** The authorities' API (authorities-and-bans.md): OrderData and GetDataDelivery. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { checkOrderPermitted } from '../access/policy.ts';
import { finnishDate } from '../common/dates.ts';
import type { Environment } from '../common/environment.ts';
import { RegisterError } from '../common/errors.ts';
import type { Database } from '../db/database.ts';
import { errorBody } from '../http/app.ts';
import { envelope, refusals, withExamples } from '../http/schemas.ts';
import { EXAMPLES } from '../http/examples.ts';
import type { JobRunner } from '../jobs/runner.ts';
import { DELIVERY_FORMATS, ORDERABLE_TYPES, RECURRENCES, validateOrder } from './orders.ts';
import { historyFrom, orderOf, PAGE_LINES, placeOrder, readPage } from './store.ts';

const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
const Day = (description: string) => Type.String({ maxLength: 10, description });

const OrderRequest = Type.Object(
  {
    ...envelope,
    order: Type.Object(
      {
        type: Type.Union(ORDERABLE_TYPES.map((t) => Type.Literal(t)), { description: 'PersonLoans, LoanStockSnapshot, MonthlyAggregates or LateReporting' }),
        recurrence: Type.Optional(Type.Union(RECURRENCES.map((r) => Type.Literal(r)), { description: 'Once (default); Daily or Monthly: a delivery for each day or month once it has ended, from the current one on' })),
        legalBasis: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'The provision the authority relies on; required for PersonLoans' })),
        caseReference: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The authority's case; required for PersonLoans" })),
        idCodeType: Type.Optional(Type.Literal('PersonalIdentityCode')),
        idCode: Type.Optional(Type.String({ maxLength: 20, description: 'PersonLoans: the person' })),
        fromDate: Type.Optional(Day('LateReporting, one-off: the first day reports were received')),
        toDate: Type.Optional(Day('LateReporting, one-off: the last day (yesterday at the latest)')),
        snapshotDate: Type.Optional(Day('LoanStockSnapshot, one-off: the day at whose end the stock is read (yesterday at the latest)')),
        fromMonth: Type.Optional(Type.String({ maxLength: 7, description: 'MonthlyAggregates, one-off: the first month, yyyy-mm' })),
        toMonth: Type.Optional(Type.String({ maxLength: 7, description: 'MonthlyAggregates, one-off: the last month, yyyy-mm (final once the day after it has ended)' })),
        format: Type.Optional(Type.Union(DELIVERY_FORMATS.map((f) => Type.Literal(f)), { description: 'MonthlyAggregates: NDJSON (default) or CSV' })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const OrderAnswer = Type.Object({
  statusMessage: Type.String(),
  correlationId: Type.String(),
  orderId: Type.String({ description: 'Ask GetDataDelivery with it' }),
});

const DeliveryRequest = Type.Object(
  {
    ...envelope,
    orderId: Uuid,
    deliveryId: Type.Optional(Uuid),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: `With deliveryId: the page of the content (from 1; at most ${PAGE_LINES} lines a page)` })),
  },
  { additionalProperties: false },
);

const Delivery = Type.Object({
  deliveryId: Type.String(),
  periodStart: Type.String({ format: 'date' }),
  periodEnd: Type.String({ format: 'date' }),
  status: Type.Union(['Pending', 'InProgress', 'Ready', 'Failed', 'Expired'].map((s) => Type.Literal(s))),
  createdAt: Type.String({ format: 'date-time' }),
  readyAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Ready deliveries are kept 90 days, then Expired (the content is deleted)' }),
  rowCount: Type.Union([Type.Integer(), Type.Null()]),
  pageCount: Type.Union([Type.Integer(), Type.Null()]),
  contentSha256: Type.Union([Type.String(), Type.Null()], { description: 'SHA-256 of the whole content: every page concatenated' }),
});

const DeliveryAnswer = Type.Object({
  statusMessage: Type.String(),
  correlationId: Type.String(),
  order: Type.Object({
    orderId: Type.String(),
    type: Type.String(),
    recurrence: Type.String(),
    state: Type.String(),
    legalBasis: Type.Union([Type.String(), Type.Null()]),
    caseReference: Type.Union([Type.String(), Type.Null()]),
    placedAt: Type.String({ format: 'date-time' }),
  }),
  deliveries: Type.Array(Delivery, { description: 'Newest first' }),
});

const noSuchOrder = () => new RegisterError('A41', 'No order or delivery with that id from this owner', 'orderId');

/** `reads`: where lag-tolerant reads may go (Register.readDb); `db` when not given. */
export function authorityRoutes(opts: { db: Database; reads?: Database; environment: Environment; worker: JobRunner }) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.post<{ Body: Static<typeof OrderRequest> }>(
      '/OrderData',
      {
        config: { operation: 'OrderData' },
        schema: {
          tags: ['authorities'],
          summary: "Order data: a person's loans, the loan stock at a day's end, monthly aggregates, or reports received late; one-off or recurring",
          description: 'The answer is an order id; the content is produced in the background and fetched with GetDataDelivery. Every download is logged.',
          body: withExamples(OrderRequest, EXAMPLES.OrderData.request),
          response: { 200: withExamples(OrderAnswer, EXAMPLES.OrderData.answer), ...refusals(400, 401, 403, 429) },
          security: [{ mutualTLS: [] }],
        },
      },
      async (request, reply) => {
        const caller = request.caller!;
        checkOrderPermitted(caller, request.body.order.type);
        const type = request.body.order.type;
        const history = type === 'LoanStockSnapshot' || type === 'MonthlyAggregates' ? await historyFrom(opts.db) : null;
        const result = validateOrder(request.body.order, opts.environment, finnishDate(), history);
        if ('problems' in result) {
          request.errorCode = result.problems[0]!.errorCode;
          return reply.code(400).send(errorBody(request.id, result.problems));
        }
        const { orderId } = await opts.db.transaction((tx) => placeOrder(tx, caller.organisation.id, result.order));
        opts.worker.wake();
        return { statusMessage: 'The request succeeded', correlationId: request.id, orderId };
      },
    );

    app.post<{ Body: Static<typeof DeliveryRequest> }>(
      '/GetDataDelivery',
      {
        config: { operation: 'GetDataDelivery' },
        schema: {
          tags: ['authorities'],
          summary: "An order's deliveries and their status; with deliveryId (and page), a page of the content as NDJSON",
          description: `Without deliveryId: JSON, the order and its deliveries. With deliveryId: application/x-ndjson (MonthlyAggregates ordered as CSV: text/csv, its header the first line), page \`page\` (default 1) of at most ${PAGE_LINES} lines (a LoanStockSnapshot's pages follow ranges of ${PAGE_LINES} loan ids, so they often hold fewer), with X-Page, X-Page-Count and X-Content-Sha256; a delivery not Ready is 409 A42.`,
          body: withExamples(DeliveryRequest, EXAMPLES.GetDataDelivery.request),
          response: { 200: withExamples(DeliveryAnswer, EXAMPLES.GetDataDelivery.answer), ...refusals(400, 401, 403, 404, 409, 429) },
          security: [{ mutualTLS: [] }],
        },
      },
      async (request, reply) => {
        const org = request.caller!.organisation.id;
        const { orderId, deliveryId, page } = request.body;
        if (deliveryId === undefined) {
          if (page !== undefined) throw new RegisterError('A10', 'page needs deliveryId', 'page');
          const found = await orderOf(opts.db, org, orderId.toLowerCase());
          if (!found) throw noSuchOrder();
          return { statusMessage: 'The request succeeded', correlationId: request.id, ...found };
        }
        const r = await readPage(opts.db, org, orderId.toLowerCase(), deliveryId.toLowerCase(), page ?? 1, opts.reads);
        if (!r.found) throw noSuchOrder();
        if (!r.ready) throw new RegisterError('A42', `The delivery is ${r.status}`, 'deliveryId');
        if ('outOfRange' in r) throw new RegisterError('A10', `page must be 1–${Math.max(1, r.pageCount)}`, 'page');
        return reply
          .type(r.format === 'CSV' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .headers({ 'X-Page': String(page ?? 1), 'X-Page-Count': String(r.pageCount), 'X-Content-Sha256': r.contentSha256 })
          .serializer((s: string) => s)
          .send(r.body);
      },
    );
  };
}
