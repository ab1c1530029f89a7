/**
 * Crash cycles (issue 9): lenders report concurrently to a `pcr serve` process, which is killed
 * with SIGKILL at a seeded moment and restarted on the same database; then every batch answered
 * 202 must be applied exactly once, and a batch whose answer was lost in the crash must be
 * wholly there or wholly absent, and re-sending it must be the same batch. Shared by
 * test/robustness/crash.test.ts (a few cycles) and bench/crash.ts (N cycles, with the counts).
 */
import { randomUUID } from 'node:crypto';
import { HttpsJsonClient, type JsonResponse } from '../../src/common/https-client.ts';
import { prng } from '../../src/generate/generator.ts';
import { ownerOf } from './register.ts';
import { batchRequest, lumpSumLoan, type BatchStatusBody, type Json } from './reports.ts';
import { openTargetDatabase, setUpLenders, spawnServe, type RegisterTarget, type ServeProcess, type SpawnedLender } from './serve-process.ts';

type Operation = 'AddLoans' | 'Repayments';

interface LenderState {
  lender: SpawnedLender;
  index: number;
  /** Loans of batches answered 202: what later Repayments may refer to (they are processed after them). */
  loans: string[];
  /** Per loan, the next payment day (after 2025-03-01, the contract date), so every payment is a new transaction. */
  paymentDay: Map<string, number>;
}

interface Batch {
  reference: string;
  lender: LenderState;
  operation: Operation;
  /** The body exactly as sent: a re-send must be byte for byte the same batch. */
  body: string;
  reportCount: number;
  /** AddLoans: the loan numbers it adds. */
  loans: string[];
  /** Repayments: the payment (loan number, payment date) of each report. */
  payments: { loan: string; date: string }[];
  cycle: number;
  /** acknowledged: answered 202 before the kill; in-flight: the connection failed (stored or not, unknown); refused: another answer. */
  outcome?: 'acknowledged' | 'in-flight' | 'refused';
}

export interface CrashOptions {
  target: RegisterTarget;
  cycles: number;
  seed: number;
  lenders?: number;
  clientsPerLender?: number;
  /** The kill comes after this many 202s of the cycle (seeded in the range), plus up to 30 ms (in half the cycles after the worker's next 'batch processed'). */
  acksBeforeKill?: [number, number];
  /** Environment of the register processes. */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface CycleReport {
  cycle: number;
  /** Batches answered 202 before the kill. */
  acknowledged: number;
  /** Batches whose client saw the connection fail: their fate unknown to the client. */
  inFlight: number;
  /** Of those, the ones the register had stored (found after the restart). */
  inFlightStored: number;
  /** Wall-clock time of the load until the process was gone, of the restart, and of the checks after it. */
  loadMs: number;
  restartMs: number;
  settleMs: number;
}

export interface CrashReport {
  seed: number;
  cycles: CycleReport[];
  acknowledged: number;
  inFlight: number;
  inFlightStored: number;
  /** Batches and reports in the database at the end (every batch sent, the in-flight ones re-sent). */
  batches: number;
  reports: number;
  /** References of batches answered 202 (or re-sent and answered 202) that were missing, or not wholly applied. */
  lost: string[];
  /** References of batches some report of which took effect more than once. */
  appliedTwice: string[];
  /** Anything else that is not as it must be (a refusal, a half-stored batch, a re-send that was another batch). */
  problems: string[];
}

const CONTRACT_DAY = Date.UTC(2025, 2, 1);
/** Payment days stay before today (2025-03-02 + 600 days is in 2026-10). */
const MAX_PAYMENT_DAY = 600;
const isoDay = (day: number) => new Date(CONTRACT_DAY + day * 86_400_000).toISOString().slice(0, 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function status(client: HttpsJsonClient, b: Batch): Promise<JsonResponse<BatchStatusBody & { receivedTimeUtc?: string }>> {
  return client.post('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(b.lender.lender.ref), batchReference: b.reference });
}

function send(client: HttpsJsonClient, b: Batch): Promise<JsonResponse<BatchStatusBody>> {
  return client.post(`/${b.operation}`, b.body, { BatchReference: b.reference });
}

function getLoan(client: HttpsJsonClient, b: Batch, number: string): Promise<JsonResponse> {
  return client.post('/GetLoan', { targetEnvironment: 'Test', owner: ownerOf(b.lender.lender.ref), loanNumber: { type: 'Other', number } });
}

/** What is wrong with a finished batch's status, if anything: every report of ours is valid, so all must be accepted, once. */
function statusProblem(b: Batch, s: BatchStatusBody): string | undefined {
  const ok = s.batchStatus === 'FinishedSuccess' && s.reportCount === b.reportCount && s.acceptedCount === b.reportCount && s.rejectedCount === 0;
  if (ok) return undefined;
  const codes = [...new Set((s.rejectedReports ?? []).flatMap((r) => r.errorResponses.map((e) => e.errorCode)))];
  return `${b.operation} ${b.reference} (${b.reportCount} reports): ${s.batchStatus}, reportCount ${s.reportCount}, accepted ${s.acceptedCount}, rejected ${s.rejectedCount} ${codes.join(',')}`;
}

export async function runCrashCycles(opts: CrashOptions): Promise<CrashReport> {
  const rng = prng(opts.seed); // seeded: the same seed makes the same batches and kill points
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const log = opts.log ?? (() => {});
  const [minAcks, maxAcks] = opts.acksBeforeKill ?? [3, 12];
  const lenders: LenderState[] = (await setUpLenders(opts.target, opts.lenders ?? 3)).map((lender, index) => ({ lender, index, loans: [], paymentDay: new Map() }));
  const all: Batch[] = [];
  const lost = new Set<string>();
  const twice = new Set<string>();
  const problems: string[] = [];
  const cycles: CycleReport[] = [];
  let serial = 0;

  function makeBatch(l: LenderState, cycle: number): Batch {
    const reference = `crash-${cycle}-${l.index}-${++serial}-${randomUUID().slice(0, 8)}`;
    const payable = l.loans.filter((n) => (l.paymentDay.get(n) ?? 1) <= MAX_PAYMENT_DAY);
    if (payable.length >= 20 && rng() < 0.35) {
      const chosen = new Set<string>();
      const want = int(5, Math.min(60, payable.length));
      while (chosen.size < want) chosen.add(payable[Math.floor(rng() * payable.length)]!);
      const payments = [...chosen].map((loan) => {
        const day = l.paymentDay.get(loan) ?? 1;
        l.paymentDay.set(loan, day + int(1, 5));
        return { loan, date: isoDay(day) };
      });
      const reports = payments.map((p, i) => ({
        reportReference: `P-${reference}-${i}`,
        loanNumber: { type: 'Other', number: p.loan },
        loanType: 'LumpSumLoan',
        lumpSumLoanRepayment: { paymentDate: p.date, balance: 8000 - i, amortizationPaid: 100, interestPaid: 12.5 },
      }));
      return { reference, lender: l, operation: 'Repayments', body: JSON.stringify(batchRequest(l.lender.ref, 'Repayments', reports)), reportCount: reports.length, loans: [], payments, cycle };
    }
    const loans: Json[] = Array.from({ length: int(20, 200) }, () => lumpSumLoan());
    const numbers = loans.map((x) => (x.loanNumber as { number: string }).number);
    return { reference, lender: l, operation: 'AddLoans', body: JSON.stringify(batchRequest(l.lender.ref, 'AddLoans', loans)), reportCount: loans.length, loans: numbers, payments: [], cycle };
  }

  /** Records what is wrong with a finished batch's status; D01 (the loan exists already) means its reports were applied before. */
  function checkStatus(when: string, b: Batch, s: BatchStatusBody | undefined): void {
    const p = s && statusProblem(b, s);
    if (!p) return;
    problems.push(`${when}: ${p}`);
    if ((s.rejectedReports ?? []).some((r) => r.errorResponses.some((e) => e.errorCode === 'D01'))) twice.add(b.reference);
  }

  function acknowledge(b: Batch): void {
    b.outcome = 'acknowledged';
    if (b.operation === 'AddLoans') b.lender.loans.push(...b.loans);
  }

  /** Polls GetBatchStatus until each batch is finished (or not found); bounded. */
  async function finished(client: (b: Batch) => HttpsJsonClient, batches: Batch[]): Promise<Map<Batch, BatchStatusBody & { receivedTimeUtc?: string }>> {
    const done = new Map<Batch, BatchStatusBody & { receivedTimeUtc?: string }>();
    let pending = batches;
    const deadline = Date.now() + 60_000;
    while (pending.length > 0) {
      const answers = await Promise.all(pending.map(async (b) => [b, (await status(client(b), b)).body] as const));
      pending = [];
      for (const [b, s] of answers) {
        if (s.batchStatus?.startsWith('Finished') || s.batchStatus === 'NotFound') done.set(b, s);
        else pending.push(b);
      }
      if (pending.length === 0) break;
      if (Date.now() > deadline) {
        for (const b of pending) problems.push(`${b.reference}: not finished within 60 s after the restart`);
        break;
      }
      await sleep(50);
    }
    return done;
  }

  // Info level: the worker's 'batch processed' lines tell when to aim a kill at it.
  const env = { PCR_LOG_LEVEL: 'info', ...opts.env };
  let server: ServeProcess = await spawnServe(opts.target, env);
  try {
    for (let cycle = 1; cycle <= opts.cycles; cycle++) {
      const started = Date.now();
      // Load: clients per lender send batches back to back until the kill.
      const killAfter = int(minAcks, maxAcks);
      // Half the kills aim at the worker: just after it finished a batch, likely amid the next.
      const aimAtWorker = rng() < 0.5;
      const killDelay = int(0, 30);
      let acks = 0;
      let stopping = false;
      let enough!: () => void;
      const enoughAcks = new Promise<void>((r) => (enough = r));
      const sent: Batch[] = [];
      const clients: HttpsJsonClient[] = [];
      const loops = lenders.flatMap((l) =>
        Array.from({ length: opts.clientsPerLender ?? 2 }, async () => {
          const client = new HttpsJsonClient(server.url, l.lender.identity);
          clients.push(client);
          while (!stopping) {
            const b = makeBatch(l, cycle);
            sent.push(b);
            all.push(b);
            let res: JsonResponse<BatchStatusBody>;
            try {
              res = await send(client, b);
            } catch {
              b.outcome = 'in-flight';
              return;
            }
            if (res.status !== 202) {
              b.outcome = 'refused';
              problems.push(`${b.operation} ${b.reference}: answered ${res.status} ${res.text.slice(0, 300)}`);
              return;
            }
            acknowledge(b);
            if (++acks >= killAfter) enough();
          }
        }),
      );
      await Promise.race([enoughAcks, Promise.all(loops)]);
      if (aimAtWorker) await Promise.race([server.nextLine('batch processed'), sleep(2000)]);
      await sleep(killDelay);
      stopping = true;
      await server.kill();
      await Promise.all(loops);
      for (const c of clients) c.close();

      const killed = Date.now();
      server = await spawnServe(opts.target, env);
      const restarted = Date.now();
      const byLender = new Map(lenders.map((l) => [l, new HttpsJsonClient(server.url, l.lender.identity)]));
      const clientOf = (b: Batch) => byLender.get(b.lender)!;
      try {
        // Every batch answered 202 is there, and finishes with each report applied once.
        const acked = sent.filter((b) => b.outcome === 'acknowledged');
        const ackedStatus = await finished(clientOf, acked);
        const resent: Batch[] = [];
        for (const [b, s] of ackedStatus) {
          if (s.batchStatus === 'NotFound') {
            lost.add(b.reference);
            problems.push(`${b.operation} ${b.reference}: answered 202 before the crash, not found after it`);
            // Re-sent so that later repayments to its loans stay valid; it stays counted as lost.
            if ((await send(clientOf(b), b)).status === 202) resent.push(b);
            continue;
          }
          checkStatus('after the restart', b, s);
        }
        await finished(clientOf, resent);

        // A batch in flight at the kill is wholly there or wholly absent; re-sending it is the same batch.
        const inFlight = sent.filter((b) => b.outcome === 'in-flight');
        let stored = 0;
        await Promise.all(
          inFlight.map(async (b) => {
            const client = clientOf(b);
            const before = (await status(client, b)).body;
            const found = before.batchStatus !== 'NotFound';
            let receivedTime: string | undefined;
            if (found) {
              stored++;
              const s = (await finished(clientOf, [b])).get(b);
              receivedTime = s?.receivedTimeUtc;
              checkStatus('in flight, stored', b, s);
            }
            if (b.operation === 'AddLoans') {
              for (const number of [b.loans[0]!, b.loans.at(-1)!]) {
                const got = (await getLoan(client, b, number)).status;
                if (got !== (found ? 200 : 404)) problems.push(`in flight, ${found ? 'stored' : 'not stored'}: ${b.reference} loan ${number} answered ${got}: half a batch`);
              }
            }
            const again = await send(client, b);
            if (again.status !== 202) {
              problems.push(`re-sending in-flight ${b.reference}: answered ${again.status} ${again.text.slice(0, 300)}`);
              return;
            }
            const s = (await finished(clientOf, [b])).get(b);
            if (found && s?.receivedTimeUtc !== receivedTime) problems.push(`re-sending in-flight ${b.reference} made another batch (received ${receivedTime}, now ${s?.receivedTimeUtc})`);
            checkStatus('in flight, re-sent', b, s);
            acknowledge(b);
          }),
        );

        // A re-send of an acknowledged batch after the crash is the same batch too.
        const done = acked.filter((b) => !lost.has(b.reference));
        if (done.length > 0) {
          const b = done[Math.floor(rng() * done.length)]!;
          const first = ackedStatus.get(b)!;
          const again = await send(clientOf(b), b);
          const s = (await status(clientOf(b), b)).body;
          if (again.status !== 202 || s.receivedTimeUtc !== first.receivedTimeUtc || statusProblem(b, s)) {
            problems.push(`re-sending acknowledged ${b.reference}: ${again.status}, ${statusProblem(b, s) ?? `received ${first.receivedTimeUtc}, now ${s.receivedTimeUtc}`}`);
          }
        }
        const report: CycleReport = {
          cycle, acknowledged: acked.length, inFlight: inFlight.length, inFlightStored: stored,
          loadMs: killed - started, restartMs: restarted - killed, settleMs: Date.now() - restarted,
        };
        cycles.push(report);
        log(`cycle ${cycle}: ${report.acknowledged} acknowledged, ${report.inFlight} in flight (${report.inFlightStored} stored); lost so far ${lost.size}, problems so far ${problems.length}; load ${report.loadMs} ms, restart ${report.restartMs} ms, checks ${report.settleMs} ms`);
      } finally {
        for (const c of byLender.values()) c.close();
      }
    }
  } finally {
    const code = await server.stop();
    if (code !== 0) problems.push(`the last register process stopped with ${code}`);
  }

  // The database itself, after the last stop: each report of each batch applied exactly once.
  const counts = await verifyDatabase(opts.target, lenders, all.filter((b) => b.outcome === 'acknowledged'));
  for (const r of counts.lost) lost.add(r);
  for (const r of counts.twice) twice.add(r);
  problems.push(...counts.problems);
  const sum = (f: (c: CycleReport) => number) => cycles.reduce((a, c) => a + f(c), 0);
  return {
    seed: opts.seed,
    cycles,
    acknowledged: sum((c) => c.acknowledged),
    inFlight: sum((c) => c.inFlight),
    inFlightStored: sum((c) => c.inFlightStored),
    batches: counts.batches,
    reports: counts.reports,
    lost: [...lost],
    appliedTwice: [...twice],
    problems,
  };
}

/** Counts in the database: batches and their reports, loans per loan number, payments per loan and date, accepted reports per effect. */
async function verifyDatabase(target: RegisterTarget, lenders: LenderState[], batches: Batch[]) {
  const { db, close } = await openTargetDatabase(target);
  const lost = new Set<string>();
  const twice = new Set<string>();
  const problems: string[] = [];
  try {
    const ids = lenders.map((l) => l.lender.id);
    const rows = (
      await db.query<{ ref: string; status: string; reportCount: number; accepted: number | null; rejected: number | null; reports: number }>(
        `SELECT b.batch_reference AS ref, b.status, b.report_count AS "reportCount", b.accepted_count AS accepted, b.rejected_count AS rejected,
                (SELECT count(*) FROM reports r WHERE r.batch_id = b.id)::int AS reports
         FROM batches b WHERE b.organisation_id = ANY($1::bigint[])`,
        [ids],
      )
    ).rows;
    const byRef = new Map(rows.map((r) => [r.ref, r]));
    for (const b of batches) {
      const r = byRef.get(b.reference);
      if (!r) {
        lost.add(b.reference);
        problems.push(`database: ${b.reference} (answered 202) is not there`);
        continue;
      }
      if (r.reports > b.reportCount) twice.add(b.reference);
      if (r.status !== 'FinishedSuccess' || r.reportCount !== b.reportCount || r.reports !== b.reportCount || r.accepted !== b.reportCount || r.rejected !== 0) {
        problems.push(`database: ${b.reference} (${b.reportCount} reports) is ${r.status}, report_count ${r.reportCount}, ${r.reports} report rows, accepted ${r.accepted}, rejected ${r.rejected}`);
      }
    }
    // A loan of ours reported as existing already (D01) was added by an earlier application of the same report.
    const d01 = await db.query<{ ref: string }>(
      `SELECT DISTINCT b.batch_reference AS ref FROM reports r JOIN batches b ON b.id = r.batch_id, jsonb_array_elements(r.errors) e
       WHERE b.organisation_id = ANY($1::bigint[]) AND r.status = 'rejected' AND e->>'errorCode' = 'D01'`,
      [ids],
    );
    for (const r of d01.rows) twice.add(r.ref);
    const sentRefs = new Set(batches.map((b) => b.reference));
    for (const r of rows) if (!sentRefs.has(r.ref)) problems.push(`database: batch ${r.ref} was never answered 202 (nor re-sent)`);

    // Loans: each added loan number once (the table, and the accepted AddLoans reports that made it).
    const key = (lender: number, ...parts: string[]) => [lender, ...parts].join('|');
    const loanBatch = new Map<string, Batch>();
    const paymentBatch = new Map<string, Batch>();
    for (const b of batches) {
      for (const n of b.loans) loanBatch.set(key(b.lender.lender.id, n), b);
      for (const p of b.payments) paymentBatch.set(key(b.lender.lender.id, p.loan, p.date), b);
    }
    /** Each expected effect once: absent is lost (when `effect`), more than once is applied twice; reported per batch. */
    const compare = (what: string, expected: Map<string, Batch>, found: { k: string; n: number }[], effect: boolean) => {
      const seen = new Map(found.map((f) => [f.k, f.n]));
      const wrong = new Map<Batch, number[]>();
      for (const [k, b] of expected) {
        const n = seen.get(k) ?? 0;
        if (n === 0 && effect) lost.add(b.reference);
        if (n > 1) twice.add(b.reference);
        if (n !== 1) wrong.set(b, [...(wrong.get(b) ?? []), n]);
      }
      for (const [b, ns] of wrong) problems.push(`database: ${ns.length} ${what}s of ${b.reference} are there ${[...new Set(ns)].join(' or ')} times, not once`);
      const extra = found.filter((f) => !expected.has(f.k));
      if (extra.length > 0) problems.push(`database: ${extra.length} ${what}s nobody sent, e.g. ${extra[0]!.k}`);
    };
    const loans = await db.query<{ lender: number; number: string; n: number }>(
      `SELECT lender_id AS lender, loan_number AS number, count(*)::int AS n FROM loans WHERE lender_id = ANY($1::bigint[]) GROUP BY 1, 2`,
      [ids],
    );
    compare('loan', loanBatch, loans.rows.map((r) => ({ k: key(Number(r.lender), r.number), n: r.n })), true);
    const added = await db.query<{ lender: number; number: string; n: number }>(
      `SELECT b.organisation_id AS lender, r.loan_number AS number, count(*)::int AS n FROM reports r JOIN batches b ON b.id = r.batch_id
       WHERE b.organisation_id = ANY($1::bigint[]) AND b.operation = 'AddLoans' AND r.status = 'accepted' GROUP BY 1, 2`,
      [ids],
    );
    compare('accepted AddLoans report', loanBatch, added.rows.map((r) => ({ k: key(Number(r.lender), r.number), n: r.n })), false);
    // Payments: one transaction per loan and date, made by one accepted Repayments report.
    const payments = await db.query<{ lender: number; number: string; date: string; n: number }>(
      `SELECT l.lender_id AS lender, l.loan_number AS number, to_char(p.payment_date, 'YYYY-MM-DD') AS date, count(*)::int AS n
       FROM payments p JOIN loans l ON l.id = p.loan_id WHERE l.lender_id = ANY($1::bigint[]) GROUP BY 1, 2, 3`,
      [ids],
    );
    compare('payment', paymentBatch, payments.rows.map((r) => ({ k: key(Number(r.lender), r.number, r.date), n: r.n })), true);
    const repaid = await db.query<{ lender: number; number: string; date: string; n: number }>(
      `SELECT b.organisation_id AS lender, r.loan_number AS number, to_char(r.event_date, 'YYYY-MM-DD') AS date, count(*)::int AS n
       FROM reports r JOIN batches b ON b.id = r.batch_id
       WHERE b.organisation_id = ANY($1::bigint[]) AND b.operation = 'Repayments' AND r.status = 'accepted' GROUP BY 1, 2, 3`,
      [ids],
    );
    compare('accepted Repayments report', paymentBatch, repaid.rows.map((r) => ({ k: key(Number(r.lender), r.number, r.date), n: r.n })), false);
    return { lost, twice, problems, batches: rows.length, reports: rows.reduce((a, r) => a + r.reports, 0) };
  } finally {
    await close();
  }
}
