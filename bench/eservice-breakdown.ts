/**
 * Where an e-service page's time goes, for bench/eservice.ts: with the register stopped, each
 * step a page's route takes (src/eservice/app.ts) timed alone in this process, one at a time on
 * an idle database — the session lookup (an UPDATE … RETURNING on every request), the page's
 * reads (person-data.ts, and the statement under them), the rendering (views.ts) — each the
 * median of `rounds`. On the embedded database every step is CPU of the one thread that also
 * serves HTTP; on PostgreSQL a step's time includes the round trip and the server's work.
 */
import { createHash } from 'node:crypto';
import { findBanState } from '../src/bans/store.ts';
import type { Database } from '../src/db/database.ts';
import { READ_PERSON_FOR_TEST, extractsAbout, partyLoansOf, readExtractData } from '../src/extract/store.ts';
import { incomeWindow } from '../src/extract/content.ts';
import { personAsked, personExtract, personGuarantees, personIncome, personLoans, personNotifications } from '../src/eservice/person-data.ts';
import { createSession, findSession } from '../src/eservice/sessions.ts';
import { askedPage, banPage, extractPage, guaranteesPage, incomePage, loansPage, notificationsPage } from '../src/eservice/views.ts';

/** ms: the median wall time of a call; cpuMs: this process's CPU time a call (robust against other work on the machine). */
export interface Step { page: string; step: string; ms: number; cpuMs: number }

export async function pageBreakdown(db: Database, person: string, today: string, refs: { newest: string; deep: string }, rounds = 200): Promise<Step[]> {
  const steps: Step[] = [];
  const time = async (page: string, step: string, fn: () => Promise<unknown> | unknown) => {
    const ms: number[] = [];
    for (let k = 0; k < 20; k++) await fn();
    const cpu0 = process.cpuUsage();
    for (let k = 0; k < rounds; k++) {
      const t0 = process.hrtime.bigint();
      await fn();
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const cpu = process.cpuUsage(cpu0);
    steps.push({ page, step, ms: ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!, cpuMs: (cpu.user + cpu.system) / 1000 / rounds });
  };
  const { token, csrfToken } = await createSession(db, person, 'en');
  const w = incomeWindow(today);
  await time('every page', 'SELECT 1 (a round trip)', () => db.query('SELECT 1'));
  await time('every page', 'findSession (UPDATE … RETURNING, autocommit)', () => findSession(db, token, 15 * 60_000));

  await time('/loans', 'READ_PERSONS statement alone', () => db.query(READ_PERSON_FOR_TEST, [[person], Math.floor(w.first / 12), (w.first % 12) + 1, Math.floor(w.last / 12), (w.last % 12) + 1, today]));
  await time('/loans', 'readExtractData (an extract\'s whole reading, for comparison)', () => readExtractData(db, [person], today));
  await time('/loans', 'partyLoansOf (statement + unpacking 20 contracts)', () => partyLoansOf(db, person, 'borrower'));
  await time('/loans', 'personLoans (+ extractLoan a loan)', () => personLoans(db, person, today));
  const loans = await personLoans(db, person, today);
  await time('/loans', 'loansPage (render)', () => loansPage('en', csrfToken, loans.loans, loans.totals));

  await time('/guarantees', 'personGuarantees', () => personGuarantees(db, person, today));
  const guarantees = await personGuarantees(db, person, today);
  await time('/guarantees', 'guaranteesPage (render)', () => guaranteesPage('en', csrfToken, guarantees));

  await time('/income', 'personIncome', () => personIncome(db, person, today));
  const income = await personIncome(db, person, today);
  await time('/income', 'incomePage (render)', () => incomePage('en', csrfToken, income));

  await time('/extracts', 'extractsAbout alone (first page)', () => extractsAbout(db, person, 21));
  await time('/extracts', 'personAsked (extracts, authorities, companies: three statements)', () => personAsked(db, person, {}));
  await time('/extracts?before=', 'personAsked', () => personAsked(db, person, { extracts: refs.deep }));
  const asked = await personAsked(db, person, {});
  await time('/extracts', 'askedPage (render)', () => askedPage('en', csrfToken, asked));

  await time('/extracts/<ref>', 'personExtract', () => personExtract(db, person, refs.newest));
  const one = (await personExtract(db, person, refs.newest))!;
  await time('/extracts/<ref>', 'extractPage (render: parse + indent + escape the text)', () => extractPage('en', csrfToken, one.row, one.content));

  await time('/ban', 'findBanState', () => findBanState(db, person));
  const ban = await findBanState(db, person);
  await time('/ban', 'banPage (render)', () => banPage('en', csrfToken, ban, today));

  await time('/notifications', 'personNotifications', () => personNotifications(db, person));
  await time('/notifications', 'notificationsPage (render)', () => notificationsPage('en', csrfToken, true));
  return steps;
}

/**
 * Planning and execution time of the heaviest statements as the server reports them
 * (EXPLAIN ANALYZE, the median of `rounds`): a statement sent unnamed is parsed and planned
 * again on every request. The session UPDATE and extractsAbout are repeated here from
 * src/eservice/sessions.ts and src/extract/store.ts.
 */
export async function planning(db: Database, person: string, today: string, rounds = 50): Promise<{ statement: string; planningMs: number; executionMs: number }[]> {
  const w = incomeWindow(today);
  const { token } = await createSession(db, person, 'en');
  const digest = createHash('sha256').update(token).digest();
  const statements: [string, string, unknown[]][] = [
    ['findSession: UPDATE eservice_sessions … RETURNING', `UPDATE eservice_sessions SET last_seen_at = now() WHERE token_sha256 = $1 AND last_seen_at > now() - make_interval(secs => $2)
     RETURNING person, csrf_token AS "csrfToken", language`, [digest, 900]],
    ['readExtractData: READ_PERSONS (loans + last payment each, income, ban, death)', READ_PERSON_FOR_TEST, [[person], Math.floor(w.first / 12), (w.first % 12) + 1, Math.floor(w.last / 12), (w.last % 12) + 1, today]],
    ['extractsAbout (first page)', `SELECT e.extract_reference AS "extractReference", e.created_at AS "createdAt", o.name AS lender, e.purposes
     FROM extracts e JOIN organisations o ON o.id = e.organisation_id
     WHERE e.person = $1 AND ($2::uuid IS NULL OR (e.created_at, e.extract_reference) <
       (SELECT b.created_at, b.extract_reference FROM extracts b WHERE b.person = $1 AND b.extract_reference = $2::uuid))
     ORDER BY e.created_at DESC, e.extract_reference DESC LIMIT $3`, [person, null, 21]],
    ['organisationNames (the authorities\' and companies\' lists)', 'SELECT id, name FROM organisations WHERE id = ANY($1::bigint[])', [[1, 2]]],
  ];
  const out = [];
  for (const [statement, sql, params] of statements) {
    const planningMs: number[] = [];
    const executionMs: number[] = [];
    for (let k = 0; k < rounds; k++) {
      const { rows } = await db.query<Record<string, string>>(`EXPLAIN (ANALYZE, SUMMARY, TIMING OFF, COSTS OFF) ${sql}`, params);
      const text = rows.map((r) => Object.values(r)[0]).join('\n');
      planningMs.push(Number(/Planning Time: ([\d.]+)/.exec(text)?.[1] ?? NaN));
      executionMs.push(Number(/Execution Time: ([\d.]+)/.exec(text)?.[1] ?? NaN));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    out.push({ statement, planningMs: median(planningMs), executionMs: median(executionMs) });
  }
  return out;
}
