/**
 * Reporting throughput, end to end on real PostgreSQL: HTTPS with mutual TLS → 202 →
 * processed → FinishedSuccess, for AddLoans and Repayments in batches of 10 000, next to a
 * baseline measured in the same run: COPY of the same rows, as stored, into a plain table with
 * the same columns and no index, key or constraint. That is a floor for the cost of writing the
 * bytes, not the same work: the register also keeps the loans' indexes, borrower rows and report
 * outcomes, and parses and checks every report, so the ratio shows the price of all that.
 *
 *   npm run bench -- reporting            (BENCH_LOANS=200000 to change the size)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { packContractHex } from '../src/reporting/packed-contract.ts';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { HttpsJsonClient } from '../src/common/https-client.ts';
import { cluster, fmt, lender, serve, waitFinished, benchPerson, lumpSumLoanReport } from './common.ts';

const LOANS = Number(process.env.BENCH_LOANS ?? 100_000);
const BATCH = 10_000;
const BUSINESS_ID = '1234567-1';


const loan = (i: number) => lumpSumLoanReport(i, 'BENCH', benchPerson(i));

function repayment(i: number) {
  return {
    reportReference: `P${i}`,
    loanNumber: { type: 'Other', number: `BENCH-${i}` },
    loanType: 'LumpSumLoan',
    lumpSumLoanRepayment: { paymentDate: '2026-10-31', balance: 12100.12, amortizationPaid: 245.55, interestPaid: 50.93, otherExpenses: 2.5 },
  };
}

async function endToEnd(client: HttpsJsonClient, owner: object, operation: string, collection: string, make: (i: number) => object) {
  const bodies: { reference: string; body: string }[] = [];
  for (let start = 0; start < LOANS; start += BATCH) {
    const reports = Array.from({ length: Math.min(BATCH, LOANS - start) }, (_, k) => make(start + k));
    bodies.push({ reference: `bench-${operation}-${start}`, body: JSON.stringify({ targetEnvironment: 'Test', owner, [collection]: reports }) });
  }
  const t0 = performance.now();
  let accepted = 0;
  const waiting: Promise<{ acceptedCount: number }>[] = [];
  for (const b of bodies) {
    const res = await client.post(`/${operation}`, b.body, { BatchReference: b.reference });
    if (res.status !== 202) throw new Error(`${operation} refused: ${res.status} ${res.text.slice(0, 300)}`);
    waiting.push(waitFinished(client, owner, b.reference));
    if (waiting.length >= 2) accepted += (await waiting.shift()!).acceptedCount;
  }
  for (const w of waiting) accepted += (await w).acceptedCount;
  const seconds = (performance.now() - t0) / 1000;
  if (accepted !== LOANS) throw new Error(`${operation}: only ${accepted} of ${LOANS} accepted`);
  return { seconds, perSecond: LOANS / seconds, bytes: bodies.reduce((a, b) => a + b.body.length, 0) };
}

/** The same rows, as stored, COPYed in one transaction into a table with the same columns and defaults, but no index, key or constraint. */
async function copyBaseline(url: string, table: 'loans' | 'payments', make: (i: number) => string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE ${table} INCLUDING DEFAULTS)`);
  const columns = table === 'loans'
    ? '(lender_id, loan_number_type, loan_number, loan_type, currency_code, contract_date, status, contract)'
    : '(loan_id, payment_date, data)';
  const t0 = performance.now();
  await client.query('BEGIN');
  const stream = client.query(copyFrom(`COPY bench_copy ${columns} FROM STDIN`));
  await pipeline(Readable.from((function* () {
    for (let i = 0; i < LOANS; i += 1000) {
      let chunk = '';
      for (let k = i; k < Math.min(LOANS, i + 1000); k++) chunk += make(k);
      yield chunk;
    }
  })()), stream);
  await client.query('COMMIT');
  const seconds = (performance.now() - t0) / 1000;
  await client.query('DROP TABLE bench_copy');
  await client.end();
  return { seconds, perSecond: LOANS / seconds };
}

const esc = (json: unknown) => JSON.stringify(json).replace(/\\/g, '\\\\');

async function main() {
  console.log(`# reporting benchmark: ${fmt(LOANS)} loans, batches of ${fmt(BATCH)}, PostgreSQL, mutual TLS, 2 cores`);
  const pgc = await cluster();
  const caDir = mkdtempSync(join(tmpdir(), 'pcr-bench-ca-'));
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    await (await import('../src/register.ts')).openRegister((await import('../src/config.ts')).resolveConfig({ databaseUrl: pgc.url, caDir })).then((r) => r.close());
    const ids = await lender(pgc.url, caDir, BUSINESS_ID, 'Bench Bank');
    server = await serve(pgc.url, caDir);
    const client = new HttpsJsonClient(server.url, ids.reporting, { maxSockets: 4 });
    const owner = { idCodeType: 'BusinessId', idCode: BUSINESS_ID };

    const add = await endToEnd(client, owner, 'AddLoans', 'loans', loan);
    const pay = await endToEnd(client, owner, 'Repayments', 'repayments', repayment);
    client.close();

    const copyLoans = await copyBaseline(pgc.url, 'loans', (i) => {
      const l = loan(i);
      const { reportReference: _r, loanNumber: _n, ...contract } = l;
      // Contracts are stored packed (reporting/packed-contract.ts): bytea hex, its backslash escaped for COPY.
      return `1\tOther\t${l.loanNumber.number}\tLumpSumLoan\tEUR\t2024-05-01\tActive\t\\\\${packContractHex(contract as never).slice(1)}\n`;
    });
    const copyPayments = await copyBaseline(pgc.url, 'payments', (i) => `${i + 1}\t2026-10-31\t${esc(repayment(i).lumpSumLoanRepayment)}\n`);

    const line = (label: string, r: { seconds: number; perSecond: number }, unit: string) =>
      console.log(`${label.padEnd(36)} ${fmt(LOANS)} ${unit} in ${r.seconds.toFixed(2)} s = ${fmt(r.perSecond)} ${unit}/s`);
    line('AddLoans end to end (mTLS → Finished)', add, 'loans');
    line('  baseline: COPY, unindexed table', copyLoans, 'rows');
    console.log(`  ratio end-to-end / COPY: ${(add.perSecond / copyLoans.perSecond).toFixed(3)}   (target ≥ 7 000 loans/s; 12.5 M loans in ${(12_500_000 / add.perSecond / 60).toFixed(1)} min)`);
    line('Repayments end to end (mTLS → Finished)', pay, 'reports');
    line('  baseline: COPY, unindexed table', copyPayments, 'rows');
    console.log(`  ratio end-to-end / COPY: ${(pay.perSecond / copyPayments.perSecond).toFixed(3)}`);
  } finally {
    await server?.stop();
    pgc.stop();
  }
}

await main();
