/** The API for credit information companies (authorities-and-bans.md): GetVoluntaryBanChanges. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Environment } from '../common/environment.ts';
import { finnishDate } from '../common/dates.ts';
import type { Database } from '../db/database.ts';
import { envelope, refusals, withExamples } from '../http/schemas.ts';
import { EXAMPLES } from '../http/examples.ts';
import { BAN_REASONS, FEED_CHANGES } from './ban.ts';
import { BanFeed, DEFAULT_LIMIT, FEED_HELD, MAX_LIMIT } from './feed.ts';
import { RegisterError } from '../common/errors.ts';

const ChangesRequest = Type.Object(
  {
    ...envelope,
    cursor: Type.Optional(
      Type.Union([Type.String({ maxLength: 1000 }), Type.Null()], {
        description: 'nextCursor of the previous answer, exactly as received; none (or null) to start, or to start again after losing your copy: then the current state of every consented ban comes first, as Set',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `At most this many changes (1–${MAX_LIMIT}; default ${DEFAULT_LIMIT}); more than ${MAX_LIMIT} is refused with A10, not cut` }),
    ),
  },
  { additionalProperties: false },
);

const nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Change = Type.Object({
  personIdCode: Type.String(),
  change: Type.Union(FEED_CHANGES.map((c) => Type.Literal(c)), {
    description: 'Set or Changed: store this ban (it replaces any copy); Removed: the ban ended (removed, or its end date passed): delete the copy; ConsentWithdrawn: the person withdrew consent: delete the copy (no data comes with it)',
  }),
  reason: nullable(Type.String({ enum: [...BAN_REASONS] })),
  startDate: nullable(Type.String({ format: 'date', description: 'May be in the future: the ban is in force from then' })),
  endDate: nullable(Type.String({ format: 'date', description: 'null: until removed' })),
  changeTimeUtc: Type.String({ format: 'date-time' }),
});

const ChangesAnswer = Type.Object({
  statusMessage: Type.String(),
  correlationId: Type.String(),
  changes: Type.Array(Change),
  nextCursor: Type.String({ description: 'Opaque; pass it to the next call. It is given to your organisation only.' }),
  moreAvailable: Type.Boolean({ description: 'More changes were ready: call again at once (false: you are up to date; poll later)' }),
});

/** `reads`: where lag-tolerant reads may go (Register.readDb); `db` when not given. */
export function banRoutes(opts: { db: Database; reads?: Database; environment: Environment }) {
  const feed = new BanFeed(opts.db, opts.environment, opts.reads);
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.post<{ Body: Static<typeof ChangesRequest> }>(
      '/GetVoluntaryBanChanges',
      {
        config: { operation: 'GetVoluntaryBanChanges' },
        schema: {
          tags: ['voluntary ban'],
          summary: 'The changes of voluntary bans on credits whose persons consented to passing them to credit information companies',
          description:
            'Page with nextCursor until moreAvailable is false. No change is skipped and none comes twice, whatever is written meanwhile. Every change delivered is logged and shown to the person.',
          body: withExamples(ChangesRequest, EXAMPLES.GetVoluntaryBanChanges.request),
          response: { 200: withExamples(ChangesAnswer, EXAMPLES.GetVoluntaryBanChanges.answer), ...refusals(400, 401, 403, 429, 503) },
          security: [{ mutualTLS: [] }],
        },
      },
      async (request) => {
        try {
          const page = await feed.read(request.caller!.organisation.id, request.body.cursor, request.body.limit ?? DEFAULT_LIMIT, finnishDate());
          return { statusMessage: 'The request succeeded', correlationId: request.id, ...page };
        } catch (err) {
          // For the operator: the companies see A90; the cause and the remedy are the operator's (docs/backup.md).
          if (err instanceof RegisterError && err.errors[0]?.errorDescription === FEED_HELD) {
            request.log.error('ban change feed held: a feed position is at or above the next transaction id (a logical restore without raising the epoch?); see docs/backup.md');
          }
          throw err;
        }
      },
    );
  };
}
