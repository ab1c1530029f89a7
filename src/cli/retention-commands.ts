/**
 * `pcr retention status`: the periods in force, the horizons they give now, and what erasure has
 * done (counts per kind from erasure_log; docs/retention.md). Read-only: erasure itself is the
 * register's background work, not a command.
 */
import { Command, Option } from 'commander';
import { erasureSummary, horizons } from '../retention/erasure.ts';
import { withDbOptions, withRegister, type CliContext, type DbOptions } from './context.ts';
import { emit, UsageError } from './io.ts';

const daysOption = () =>
  new Option('--days <n>', 'what erasure did in the last n days (default 30)').argParser((v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 1 || n > 36_500) throw new UsageError('--days must be a whole number from 1 to 36500');
    return n;
  });

export function retentionCommands(ctx: CliContext): Command[] {
  const { io } = ctx;
  const retention = new Command('retention').description('how long the register keeps data, and what erasure has done');
  withDbOptions(retention.command('status').description('the retention periods, what is due for erasure from when, and the rows erased per kind'))
    .addOption(daysOption())
    .action(async (o: DbOptions & { days?: number; json?: boolean }) => {
      const now = new Date();
      const days = o.days ?? 30;
      const out = await withRegister(ctx, o, async (r) => {
        const h = horizons(now, r.config.retention);
        return {
          periods: r.config.retention,
          horizons: { endedLoansEndedBefore: h.endedLoanDay, logsBefore: h.logs.toISOString(), batchesReceivedBefore: h.batches.toISOString() },
          erasedInLastDays: days,
          erased: (await erasureSummary(r.db, new Date(now.getTime() - days * 86_400_000))).map((s) => ({ ...s, lastAt: s.lastAt.toISOString(), lastHorizon: s.lastHorizon.toISOString() })),
        };
      });
      emit(io, o.json, out, [
        `Ended loans: kept ${out.periods.endedLoanDays} days (due now: those that ended before ${out.horizons.endedLoansEndedBefore})`,
        `Disclosure logs and finished notifications: kept ${out.periods.logDays} days (due now: before ${out.horizons.logsBefore})`,
        `Batches: kept ${out.periods.batchDays} days, and while a loan they reported is in the register (due now: received before ${out.horizons.batchesReceivedBefore}, their loans erased)`,
        out.erased.length === 0 ? `Nothing erased in the last ${days} days.` : `Erased in the last ${days} days:`,
        ...out.erased.map((e) => `  ${e.kind}: ${e.erased} (last at ${e.lastAt})`),
      ]);
    });
  return [retention];
}
