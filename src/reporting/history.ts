/**
 * Loan states over time, as the register knew them (migration 0010; issue 11): every
 * transaction that changes a loan or its latest payment appends the loan's resulting state to
 * loan_versions, `known_from` the transaction's start. The register's knowledge at a moment T is,
 * per loan, its latest version known from before T; nothing written is ever changed, so what
 * the register knew at the end of a past day stays what it was, whatever is reported later.
 *
 * A transaction that began before T but is still open could yet add versions known from
 * before T; `knowledgeSettled` says when none is left, and only then is T's state read
 * (src/authority/snapshot.ts). Set-based: one statement per batch, whatever its size.
 */
import { scaledToText, toScaled } from '../common/decimal.ts';
import type { Database, Queryable } from '../db/database.ts';
import type { JobKind } from '../jobs/runner.ts';
import { isTransientDatabaseError } from '../db/errors.ts';
import type { LoanState } from './apply.ts';
import type { StoredTransaction } from './rules.ts';
import { unpackContract } from './packed-contract.ts';

type Amount = number | undefined;
const num = (v: Amount) => (v === undefined ? null : v);

/** The columns a loan row and its versions share, named as in SQL (for jsonb_to_recordset). */
export function loanColumns(l: LoanState) {
  return {
    lender_id: l.lenderId,
    loan_number_type: l.loanNumberType,
    loan_number: l.loanNumber,
    loan_type: l.loanType,
    currency_code: l.currencyCode,
    contract_date: l.contractDate,
    status: l.status,
    end_date: l.endDate,
    transferred: l.transferredToAnotherLender,
  };
}

/**
 * The version columns a loan's state gives. `latest` is its latest payment when the caller knows
 * it (null: it has none); undefined leaves the balance to SQL, which reads the latest payment.
 */
function versionRecord(l: LoanState, latest?: StoredTransaction | null) {
  const c = l.contract;
  const t = latest ?? null;
  const delayed = l.delays.delayedAmounts;
  const delayedCents = delayed.reduce((sum, d) => sum + toScaled(d.delayedInstalment, 2)!, 0n);
  return {
    loan_id: l.id!,
    ...loanColumns(l),
    consumer_class: c.consumerCredit.loanConsumerProtectionAct,
    purpose_of_use: c.lumpSumLoan?.purposeOfUse ?? null,
    amount_issued: num(c.lumpSumLoan?.amountIssued ?? c.leasingContract?.transactionPrice),
    // As in GetLoan (loan-view.ts currentBlocks): the latest payment's balance and limit supersede the contract's.
    credit_limit: num(c.runningAccountLoan ? (t?.creditLimit ?? c.runningAccountLoan.creditLimit) : undefined),
    monthly_instalment: num(c.leasingContract?.monthlyInstalment),
    balance: num(t?.balance ?? c.lumpSumLoan?.balance ?? c.runningAccountLoan?.balance),
    balance_date: t?.balance !== undefined ? t.paymentDate : (c.runningAccountLoan?.balanceDate ?? null),
    // Written like the reported amounts (0.3, not 0.30): exact either way.
    delayed_amount: delayed.length > 0 ? scaledToText(delayedCents, 2).replace(/\.?0+$/, '') : null,
    oldest_due_date: delayed.map((d) => d.originalDueDate).sort()[0] ?? null,
    is_foreclosed: l.delays.isForeclosed,
    borrowers: c.borrowers.map((b) => b.idCode),
    guarantors: (c.guarantors ?? []).map((g) => g.idCode),
  };
}

const RECORD = `x(loan_id bigint, lender_id bigint, loan_number_type text, loan_number text, loan_type text, currency_code text,
  contract_date date, status text, end_date date, transferred boolean, consumer_class text, purpose_of_use text, amount_issued numeric,
  credit_limit numeric, monthly_instalment numeric, balance numeric, balance_date date, delayed_amount numeric, oldest_due_date date,
  is_foreclosed boolean, borrowers text[], guarantors text[])`;

const COLUMNS = `loan_id, known_from, lender_id, loan_number_type, loan_number, loan_type, currency_code, contract_date, status, end_date,
  transferred, consumer_class, purpose_of_use, amount_issued, credit_limit, monthly_instalment, balance, balance_date, delayed_amount,
  oldest_due_date, is_foreclosed, borrowers, guarantors`;

/** The versions of loans whose latest payment was known to the caller (its columns are in the records). */
function insertKnownVersions(known: string, onConflict: string): string {
  return `INSERT INTO loan_versions (${COLUMNS})
  SELECT x.loan_id, ${known}, x.lender_id, x.loan_number_type, x.loan_number, x.loan_type, x.currency_code, x.contract_date, x.status, x.end_date,
    x.transferred, x.consumer_class, x.purpose_of_use, x.amount_issued, x.credit_limit, x.monthly_instalment, x.balance, x.balance_date,
    x.delayed_amount, x.oldest_due_date, x.is_foreclosed, x.borrowers, x.guarantors
  FROM jsonb_to_recordset($1::jsonb) AS ${RECORD}
  ${onConflict}`;
}

/**
 * The versions of `loans` as they stand now, known from `known` (SQL), reading each one's latest
 * payment: its balance (and credit limit) supersede the contract's, as in versionRecord.
 */
function insertVersions(known: string, onConflict: string): string {
  return `INSERT INTO loan_versions (${COLUMNS})
  SELECT x.loan_id, ${known}, x.lender_id, x.loan_number_type, x.loan_number, x.loan_type, x.currency_code, x.contract_date, x.status, x.end_date,
    x.transferred, x.consumer_class, x.purpose_of_use, x.amount_issued,
    coalesce((p.data->>'creditLimit')::numeric, x.credit_limit), x.monthly_instalment,
    coalesce((p.data->>'balance')::numeric, x.balance),
    CASE WHEN p.data ? 'balance' THEN p.payment_date ELSE x.balance_date END,
    x.delayed_amount, x.oldest_due_date, x.is_foreclosed, x.borrowers, x.guarantors
  FROM jsonb_to_recordset($1::jsonb) AS ${RECORD}
  LEFT JOIN LATERAL (SELECT payment_date, data FROM payments WHERE loan_id = x.loan_id ORDER BY payment_date DESC LIMIT 1) p ON true
  ${onConflict}`;
}

/** A batch (one transaction) changes a loan once in the history: a later half of a bisected batch replaces the earlier's version. */
const REPLACE = `ON CONFLICT (loan_id, known_from) DO UPDATE SET
  lender_id = EXCLUDED.lender_id, loan_number_type = EXCLUDED.loan_number_type, loan_number = EXCLUDED.loan_number, loan_type = EXCLUDED.loan_type,
  currency_code = EXCLUDED.currency_code, contract_date = EXCLUDED.contract_date, status = EXCLUDED.status, end_date = EXCLUDED.end_date,
  transferred = EXCLUDED.transferred, consumer_class = EXCLUDED.consumer_class, purpose_of_use = EXCLUDED.purpose_of_use,
  amount_issued = EXCLUDED.amount_issued, credit_limit = EXCLUDED.credit_limit, monthly_instalment = EXCLUDED.monthly_instalment,
  balance = EXCLUDED.balance, balance_date = EXCLUDED.balance_date, delayed_amount = EXCLUDED.delayed_amount,
  oldest_due_date = EXCLUDED.oldest_due_date, is_foreclosed = EXCLUDED.is_foreclosed, borrowers = EXCLUDED.borrowers, guarantors = EXCLUDED.guarantors`;
const WRITE = { add: insertVersions('now()', ''), replace: insertVersions('now()', REPLACE) };

/**
 * The versions of loans whose transaction changed only their latest payment (a batch of
 * repayments): the three columns a payment sets come from the caller, every other column from the
 * loan's latest version, which holds the loan's state as it still is (every change writes one).
 * Four arrays instead of a record of 22 fields per loan. A loan without a version yet (a history
 * being backfilled) gets no row here: its id is not returned, and it is written in full.
 */
const WRITE_BALANCES = `INSERT INTO loan_versions (${COLUMNS})
  SELECT x.loan_id, now(), v.lender_id, v.loan_number_type, v.loan_number, v.loan_type, v.currency_code, v.contract_date, v.status, v.end_date,
    v.transferred, v.consumer_class, v.purpose_of_use, v.amount_issued, x.credit_limit, v.monthly_instalment, x.balance, x.balance_date,
    v.delayed_amount, v.oldest_due_date, v.is_foreclosed, v.borrowers, v.guarantors
  FROM unnest($1::bigint[], $2::numeric[], $3::numeric[], $4::date[]) AS x(loan_id, credit_limit, balance, balance_date)
  CROSS JOIN LATERAL (SELECT * FROM loan_versions WHERE loan_id = x.loan_id ORDER BY known_from DESC LIMIT 1) v
  RETURNING loan_id`;
const WRITE_KNOWN = { add: insertKnownVersions('now()', ''), replace: insertKnownVersions('now()', REPLACE) };

/**
 * Appends the current state of `loans` (each written already, with its id and payments) to the
 * history, in the caller's transaction. `latest` gives the latest payment of the loans whose
 * caller knows it (a new loan's: none; a batch of repayments: usually the one just reported),
 * which saves reading it back; the others' is read by the statement. `replace`: this transaction
 * may have written versions of the same loans already (a batch applied in parts, processor.ts
 * applyBisecting); a plain insert otherwise, which costs less than one that checks.
 * `paymentsOnly`: loans whose only change is their payments; with a known latest payment (and
 * not in parts) their versions copy the rest from the previous version (WRITE_BALANCES).
 */
export async function writeVersions(tx: Queryable, loans: Iterable<LoanState>, latest: ReadonlyMap<LoanState, StoredTransaction | null> = new Map(), replace = false,
  paymentsOnly: ReadonlySet<LoanState> = new Set()): Promise<void> {
  const known: ReturnType<typeof versionRecord>[] = [];
  const unknown: ReturnType<typeof versionRecord>[] = [];
  const balances: ReturnType<typeof versionRecord>[] = [];
  for (const l of new Set(loans)) {
    if (!latest.has(l)) unknown.push(versionRecord(l));
    else (paymentsOnly.has(l) && !replace ? balances : known).push(versionRecord(l, latest.get(l)));
  }
  if (balances.length > 0) {
    const { rows } = await tx.query<{ loan_id: number }>(WRITE_BALANCES, [
      balances.map((v) => v.loan_id), balances.map((v) => v.credit_limit), balances.map((v) => v.balance), balances.map((v) => v.balance_date)]);
    if (rows.length < balances.length) {
      const written = new Set(rows.map((r) => Number(r.loan_id)));
      known.push(...balances.filter((v) => !written.has(v.loan_id)));
    }
  }
  const mode = replace ? 'replace' : 'add';
  if (known.length > 0) await tx.query(WRITE_KNOWN[mode], [JSON.stringify(known)]);
  if (unknown.length > 0) await tx.query(WRITE[mode], [JSON.stringify(unknown)]);
}

const START_KEY = 'loan_history_start';
const BACKFILL = /^backfill from (\d+)$/;

/**
 * From when the history is complete (an ISO time), or null while loans that existed before it
 * was kept are still being given their first version.
 */
export async function historyStart(db: Queryable): Promise<Date | null> {
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = '${START_KEY}'`);
  const value = rows[0]?.value;
  return value === undefined || BACKFILL.test(value) ? null : new Date(value);
}

/** The end of a Finnish day (SQL date expression) as a moment: the next day's midnight in Helsinki. */
export const endOfFinnishDay = (day: string) => `((${day}) + 1)::timestamp AT TIME ZONE 'Europe/Helsinki'`;

/**
 * Whether the register's knowledge at a moment (SQL timestamptz expression) is final (SQL
 * condition): the moment has passed, the history is complete (not being backfilled), and no
 * transaction that began before it is still open (it could yet add versions known from before
 * it). Every register process uses one database role, which sees the others' transactions in
 * pg_stat_activity; other roles' sessions and the server's own workers (autovacuum, which may
 * hold a transaction for long on a national table) cannot write loan versions and are not waited for.
 */
const knowledgeFinalSql = (moment: string) => `(now() >= ${moment}
  AND NOT EXISTS (SELECT 1 FROM register_settings WHERE key = '${START_KEY}' AND value LIKE 'backfill%')
  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND usename = current_user
    AND pid <> pg_backend_pid() AND xact_start < ${moment}))`;

/** Whether the knowledge at the end of a Finnish day (SQL date expression) is final (SQL condition). */
export const KNOWLEDGE_FINAL = (day: string) => knowledgeFinalSql(endOfFinnishDay(day));

/** Whether the register's knowledge at `moment` is final (the condition above, asked on its own). */
export async function knowledgeFinal(db: Queryable, moment: Date): Promise<boolean> {
  const { rows } = await db.query<{ final: boolean }>(`SELECT ${knowledgeFinalSql('$1::timestamptz')} AS final`, [moment.toISOString()]);
  return rows[0]!.final;
}

/**
 * The loans' states as the register knew them at `moment` (SQL timestamptz expression): the
 * latest version of each loan known from before it, in loan id order (SQL subquery).
 */
export const KNOWN_AT = (moment: string) => `(SELECT DISTINCT ON (loan_id) * FROM loan_versions WHERE known_from < ${moment} ORDER BY loan_id, known_from DESC)`;

const BACKFILL_CHUNK = 2000;

/**
 * The first version of loans that existed before the history was kept, a chunk per
 * transaction in id order (the cursor is in register_settings, locked, so processes share the
 * work without doing it twice). A loan that a batch changed meanwhile has its version already
 * and is left alone. When the last chunk is done, the history is complete from then on.
 */
export async function backfillChunk(db: Database): Promise<'idle' | 'done' | 'more'> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = '${START_KEY}' FOR UPDATE`);
    const m = BACKFILL.exec(rows[0]?.value ?? '');
    if (!m) return 'idle';
    const loans = await tx.query<Omit<LoanState, 'contract'> & { contract: Uint8Array }>(
      `SELECT id, lender_id AS "lenderId", loan_number_type AS "loanNumberType", loan_number AS "loanNumber", loan_type AS "loanType",
         currency_code AS "currencyCode", contract_date AS "contractDate", status, end_date AS "endDate",
         transferred_to_another_lender AS "transferredToAnotherLender", contract, delays
       FROM loans l WHERE id > $1 AND NOT EXISTS (SELECT 1 FROM loan_versions v WHERE v.loan_id = l.id)
       ORDER BY id LIMIT ${BACKFILL_CHUNK} FOR SHARE`,
      [m[1]],
    );
    const states = loans.rows.map((r) => ({ ...r, contract: unpackContract(r.contract) }));
    if (states.length > 0) await tx.query(insertVersions('now()', 'ON CONFLICT DO NOTHING'), [JSON.stringify(states.map((s) => versionRecord(s)))]);
    const last = states.at(-1)?.id;
    const finished = states.length < BACKFILL_CHUNK;
    await tx.query(
      `UPDATE register_settings SET value = CASE WHEN $2 THEN to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') ELSE $1 END WHERE key = '${START_KEY}'`,
      [`backfill from ${last ?? m[1]}`, finished],
    );
    return finished ? 'done' : 'more';
  });
}

/** The backfill as a kind of background work (jobs/runner.ts): idle once the history is complete. */
export function historyBackfillJob(db: Database): JobKind {
  return {
    name: 'loan history backfill',
    async runNext() {
      let step: Awaited<ReturnType<typeof backfillChunk>>;
      try {
        step = await backfillChunk(db);
      } catch (err) {
        if (isTransientDatabaseError(err)) return { step: 'retry', item: 0, err };
        throw err;
      }
      if (step === 'idle') return { step: 'idle' };
      return { step: 'done', item: 0, message: step === 'done' ? 'loan history complete' : 'loan history backfilled a chunk', details: {} };
    },
  };
}
