/**
 * The operator's commands of extract notifications (docs/notifications.md): the outbox's state,
 * and putting back rows that were given up. Identity codes are shown only when asked for.
 */
import { Command, Option } from 'commander';
import { gaveUpRows, isExternalId, outboxStatus, retryGaveUp } from '../notifications/store.ts';
import { withActorOption, withAuditedChange, withDbOptions, withRegister, operatorFor, type ActorOptions, type CliContext, type DbOptions } from './context.ts';
import { emit, UsageError } from './io.ts';

const limitOption = () =>
  new Option('--limit <n>', 'list at most this many rows given up (default 20)').argParser((v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 1 || n > 100_000) throw new UsageError('--limit must be a whole number from 1 to 100000');
    return n;
  });

export function notificationCommands(ctx: CliContext): Command[] {
  const { io } = ctx;
  const notifications = new Command('notifications').description('notifications to persons of extracts about them: the outbox and its delivery');

  withDbOptions(notifications.command('status').description('the outbox: rows per state, the oldest due, and the rows given up'))
    .addOption(limitOption())
    .option('--show-identity-codes', "show the persons of the rows given up (hidden by default: the output may end up in a ticket or a terminal log)")
    .action(async (o: DbOptions & { limit?: number; showIdentityCodes?: boolean; json?: boolean }) => {
      const now = new Date();
      const out = await withRegister(ctx, o, async (r) => ({
        ...(await outboxStatus(r.db, now)),
        gaveUpRows: await gaveUpRows(r.db, { limit: o.limit ?? 20, withPerson: o.showIdentityCodes === true }),
      }));
      const rows = out.gaveUpRows;
      emit(io, o.json, out, [
        `Waiting for their day: ${out.waiting}`,
        `Due: ${out.due}${out.oldestDue ? ` (the oldest of ${out.oldestDue})` : ''}`,
        `Retrying: ${out.retrying}${out.nextRetryAt ? ` (next at ${out.nextRetryAt})` : ''}`,
        `Being sent now: ${out.inFlight}`,
        `Sent: ${out.sent}`,
        `Skipped (notifications off, or the person died): ${out.skipped}`,
        `Gave up: ${out.gaveUp}${out.gaveUp ? ' (put back with: pcr notifications retry --id <external id> | --all)' : ''}`,
        ...(rows.length ? [`Given up${rows.length < out.gaveUp ? ` (the latest ${rows.length})` : ''}:`] : []),
        ...rows.map((g) => `  ${g.externalId}  of ${g.notifyOn}  ${g.extractCount} extract(s)  ${g.attempts} attempt(s)  gave up ${g.gaveUpAt}${g.person ? `  ${g.person}` : ''}\n    ${g.lastError ?? ''}`),
      ]);
    });

  withActorOption(withDbOptions(notifications.command('retry').description('put rows given up back to be sent, with all their attempts again')))
    .option('--id <externalId>', 'the row (its external id, from pcr notifications status)')
    .option('--all', 'every row given up')
    .action(async (o: DbOptions & ActorOptions & { id?: string; all?: boolean; json?: boolean }) => {
      if (!!o.id === !!o.all) throw new UsageError('give exactly one of --id and --all');
      if (o.id !== undefined && !isExternalId(o.id)) throw new UsageError('--id must be an external id (a UUID)');
      operatorFor(ctx, o); // --actor checked before anything is opened
      const id = o.id?.toLowerCase();
      const retried = await withAuditedChange(ctx, o, 'notifications retry', async (tx) => {
        const retried = await retryGaveUp(tx, id ? { id } : { all: true });
        return {
          result: retried,
          target: id ?? null,
          before: retried.map((r) => ({ externalId: r.externalId, state: 'GaveUp', attempts: r.attempts, lastError: r.lastError })),
          after: retried.map((r) => ({ externalId: r.externalId, state: 'Pending', attempts: 0 })),
          details: { all: o.all === true },
        };
      });
      emit(io, o.json, { retried }, retried.length === 0
        ? (id ? 'No row given up has that external id.' : 'No rows were given up.')
        : `${retried.length} notification(s) put back to be sent.`);
    });

  return [notifications];
}
