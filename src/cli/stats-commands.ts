/**
 * `pcr stats`: what the register holds, in counts, for the operator (issue 14). Each figure is
 * one cheap statement; nothing is written and no person's data is shown.
 *
 * At national scale the loans table holds about 12.5 M rows and loan_parties more: counting
 * them exactly is a scan of gigabytes. On PostgreSQL the totals of those tables are therefore
 * the planner's estimate (pg_class.reltuples, as of the last VACUUM/ANALYZE) and say so
 * (`estimate: true`); what is read through a partial index (loans that are not active, batches
 * waiting) is exact, and the active loans are the estimate less the exact rest. `--exact`
 * counts everything (loans by type, persons with an active loan) with full scans. The embedded
 * database (a test or a small register) always counts exactly.
 */
import { Command } from 'commander';
import { finnishDate } from '../common/dates.ts';
import type { Database, Queryable } from '../db/database.ts';
import { withDbOptions, withRegister, type CliContext, type DbOptions } from './context.ts';
import { emit } from './io.ts';

/** A count, and whether it is the planner's estimate rather than counted. */
export interface Count {
  count: number | null;
  estimate: boolean;
}

export interface RegisterStats {
  organisationsByRole: Record<string, number>;
  loans: Count;
  loansByStatus: Record<string, Count>;
  /** Only when counted exactly (the embedded database, or --exact). */
  loansByType: Record<string, number> | null;
  personsWithActiveLoan: Count;
  batchesByStatus: Record<string, number>;
  oldestWaitingBatch: { receivedAt: string; lenderBusinessId: string } | null;
  extracts: { thisMonth: number; total: Count };
  bansInForce: number;
  authorityOrdersByState: Record<string, number>;
  notificationOutboxByState: Record<string, number>;
}

const byKey = (rows: { k: string; n: string | number }[]) => Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));

async function estimated(db: Queryable, table: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT greatest(reltuples, 0)::bigint::text AS n FROM pg_class WHERE oid = $1::regclass`, [table]);
  return Number(rows[0]?.n ?? 0);
}

export async function registerStats(db: Database, opts: { exact: boolean; today: string }): Promise<RegisterStats> {
  const exact = opts.exact || db.kind === 'pglite';
  const q = async (sql: string, params: unknown[] = []) => (await db.query<{ k: string; n: string }>(sql, params)).rows;

  const organisationsByRole = byKey(await q(`SELECT r AS k, count(*) AS n FROM organisations, unnest(roles) AS r GROUP BY r ORDER BY r`));
  // Not active: few at any time (retention removes them), and exact through loans_closed.
  const closed = byKey(await q(`SELECT status AS k, count(*) AS n FROM loans WHERE status <> 'Active' GROUP BY status`));
  const closedTotal = Object.values(closed).reduce((a, b) => a + b, 0);
  let loans: Count;
  let loansByType: Record<string, number> | null = null;
  let personsWithActiveLoan: Count;
  if (exact) {
    loans = { count: Number((await q(`SELECT 'all' AS k, count(*) AS n FROM loans`))[0]!.n), estimate: false };
    loansByType = byKey(await q(`SELECT loan_type AS k, count(*) AS n FROM loans GROUP BY loan_type ORDER BY loan_type`));
    personsWithActiveLoan = {
      count: Number((await q(`SELECT 'p' AS k, count(DISTINCT lp.person) AS n FROM loan_parties lp JOIN loans l ON l.id = lp.loan_id WHERE l.status = 'Active'`))[0]!.n),
      estimate: false,
    };
  } else {
    loans = { count: Math.max(await estimated(db, 'loans'), closedTotal), estimate: true };
    personsWithActiveLoan = { count: null, estimate: true };
  }
  const loansByStatus: Record<string, Count> = {
    Active: { count: Math.max(0, (loans.count ?? 0) - closedTotal), estimate: loans.estimate },
    ...Object.fromEntries(Object.entries(closed).map(([k, n]) => [k, { count: n, estimate: false }])),
  };

  const batchesByStatus = byKey(await q(`SELECT status AS k, count(*) AS n FROM batches GROUP BY status ORDER BY status`));
  const oldest = await db.query<{ receivedAt: Date; lender: string }>(
    `SELECT b.received_at AS "receivedAt", o.id_code AS lender FROM batches b JOIN organisations o ON o.id = b.organisation_id
     WHERE b.status = 'Received' ORDER BY b.id LIMIT 1`,
  );
  const month = `${opts.today.slice(0, 7)}-01`;
  const thisMonth = Number((await q(
    `SELECT 'm' AS k, count(*) AS n FROM extracts WHERE created_at >= ($1::date::timestamp AT TIME ZONE 'Europe/Helsinki')`,
    [month],
  ))[0]!.n);
  const extractsTotal: Count = exact
    ? { count: Number((await q(`SELECT 'all' AS k, count(*) AS n FROM extracts`))[0]!.n), estimate: false }
    : { count: Math.max(await estimated(db, 'extracts'), thisMonth), estimate: true };
  const bansInForce = Number((await q(
    `SELECT 'b' AS k, count(*) AS n FROM voluntary_bans WHERE start_date <= $1::date AND (end_date IS NULL OR end_date >= $1::date)`,
    [opts.today],
  ))[0]!.n);
  const authorityOrdersByState = byKey(await q(`SELECT state AS k, count(*) AS n FROM authority_orders GROUP BY state ORDER BY state`));
  const notificationOutboxByState = byKey(await q(`SELECT state AS k, count(*) AS n FROM notification_outbox GROUP BY state ORDER BY state`));
  return {
    organisationsByRole,
    loans,
    loansByStatus,
    loansByType,
    personsWithActiveLoan,
    batchesByStatus,
    oldestWaitingBatch: oldest.rows[0] ? { receivedAt: oldest.rows[0].receivedAt.toISOString(), lenderBusinessId: oldest.rows[0].lender } : null,
    extracts: { thisMonth, total: extractsTotal },
    bansInForce,
    authorityOrdersByState,
    notificationOutboxByState,
  };
}

const counted = (c: Count) => (c.count === null ? 'not counted (--exact)' : `${c.count}${c.estimate ? ' (estimate)' : ''}`);
const pairs = (r: Record<string, number>) => (Object.keys(r).length === 0 ? 'none' : Object.entries(r).map(([k, n]) => `${k} ${n}`).join(', '));

export function statsCommands(ctx: CliContext): Command[] {
  const stats = withDbOptions(new Command('stats').description('what the register holds, in counts (no personal data; large tables estimated on PostgreSQL unless --exact)'))
    .option('--exact', 'count the large tables exactly (full scans: minutes at national scale)')
    .action(async (o: DbOptions & { exact?: boolean; json?: boolean }) => {
      const s = await withRegister(ctx, o, (r) => registerStats(r.db, { exact: o.exact === true, today: finnishDate() }));
      emit(ctx.io, o.json, s, [
        `Organisations by role:     ${pairs(s.organisationsByRole)}`,
        `Loans:                     ${counted(s.loans)}; ${Object.entries(s.loansByStatus).map(([k, c]) => `${k} ${counted(c)}`).join(', ')}`,
        `Loans by type:             ${s.loansByType ? pairs(s.loansByType) : 'not counted (--exact)'}`,
        `Persons with active loan:  ${counted(s.personsWithActiveLoan)}`,
        `Batches by status:         ${pairs(s.batchesByStatus)}`,
        `Oldest waiting batch:      ${s.oldestWaitingBatch ? `${s.oldestWaitingBatch.receivedAt} (${s.oldestWaitingBatch.lenderBusinessId})` : 'none waiting'}`,
        `Extracts:                  ${s.extracts.thisMonth} this month, ${counted(s.extracts.total)} in all`,
        `Voluntary bans in force:   ${s.bansInForce}`,
        `Authority orders by state: ${pairs(s.authorityOrdersByState)}`,
        `Notification outbox:       ${pairs(s.notificationOutboxByState)}`,
      ]);
    });
  return [stats];
}
