/**
 * MonthlyAggregates over `pcr generate` data look like Finland (issue 11): generated data is
 * loaded the way lenders load it (`pcr upload` over mutual TLS, AddLoans, Repayments,
 * DelayedRepayments: so the register's loan history is written as in production), an authority
 * orders the aggregates of the last month with OrderData and downloads them with
 * GetDataDelivery, and the stock at the month's end, scaled to Finland's 5.5 M adults, is within
 * 10 % of the published figures; the persons with a housing loan are counted from a
 * LoanStockSnapshot with identity codes of the month's last day. The aggregates are also
 * checked group by group, exactly in cents, against sums computed here from the NDJSON itself,
 * so the test proves the register's aggregation and not only the generator
 * (test/extract/generator-figures.test.ts checks the generator's own output).
 *
 * Dates: the data is generated as of the first day of the month that contains the day before
 * yesterday, so that every contract (at least 30 days old) and every payment falls in the month
 * before it, which can be ordered (its figures are final once the day after it has ended). The
 * history is then moved back 40 days, as if the data had been reported before that day ended.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate } from '../../src/access/certificates.ts';
import { organisationRef, type OrganisationRef } from '../../src/access/organisations.ts';
import { addDays, monthStart } from '../../src/authority/orders.ts';
import { writeCertFiles } from '../../src/cli/client-certs.ts';
import { runCli } from '../../src/cli/main.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { scaledToText, toScaled } from '../../src/common/decimal.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import type { Queryable } from '../../src/db/database.ts';
import { EUR_REFERENCE_RATES, generate } from '../../src/generate/generator.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { tempDir } from '../helpers/temp.ts';

/** The smallest sample whose totals stay well inside the band for any seed (seeds 1–6 measured: within 6 %). */
const PERSONS = 6000;
const SEED = 1;
const ADULTS = 5_500_000n;
const EURO = 100n; // cents
/** Published figures: the register's stock (December 2024), Bank of Finland 2025 (housing loan borrowers). */
const PUBLISHED = {
  loans: 12_500_000n,
  balanceCents: 151_000_000_000n * EURO,
  personsWithHousingLoan: 1_300_000n,
  consumerCreditCents: 28_000_000_000n * EURO,
};

const today = finnishDate();
/** The generator's "today": every contract is at least 30 days before it, every payment before it. */
const generatedFor = monthStart(addDays(today, -2));
/** The month ordered: the one before generatedFor, whose end the whole stock has reached. */
const monthLast = addDays(generatedFor, -1);
const MONTH = monthLast.slice(0, 7);
const monthFirst = `${MONTH}-01`;
const AGE_DAYS = 40;

type Currency = keyof typeof EUR_REFERENCE_RATES;
interface LoanLine {
  lenderBusinessId: string;
  loanNumber: { number: string };
  loanType: string;
  contractDate: string;
  currencyCode: Currency;
  borrowers: { idCode: string }[];
  consumerCredit: { loanConsumerProtectionAct: string };
  lumpSumLoan?: { amountIssued: number; balance: number; purposeOfUse?: string };
  runningAccountLoan?: { creditLimit: number; balance: number };
  leasingContract?: { transactionPrice: number };
}
interface RepaymentLine {
  lenderBusinessId: string;
  loanNumber: { number: string };
  lumpSumLoanRepayment?: { balance?: number };
  runningAccountLoanRepayment?: { balance?: number };
}
interface DelayLine {
  lenderBusinessId: string;
  loanNumber: { number: string };
  delayedAmounts: { delayedInstalment: number; originalDueDate: string }[];
}
/** One group of the aggregates (loan type, purpose, class, currency), amounts in cents. */
interface Group {
  newLoans: bigint;
  amountIssued: bigint;
  creditLimitGranted: bigint;
  stockLoans: bigint;
  stockBalance: bigint;
  loansWithOpenDelay60: bigint;
  delayedAmount: bigint;
}
interface AggregateLine {
  recordType: string;
  month: string;
  loanType: string;
  purposeOfUse: string | null;
  consumerCredit: string;
  currencyCode: Currency;
  newLoans: number;
  amountIssued: string;
  creditLimitGranted: string;
  stockLoans: number;
  stockBalance: string;
  loansWithOpenDelay60: number;
  delayedAmount: string;
}
interface SnapshotLine {
  recordType: string;
  purposeOfUse: string | null;
  borrowers: string[];
}

const isHousing = (purpose: string | null | undefined) => typeof purpose === 'string' && purpose.startsWith('HomeLoan');
const cents = (amount: number | string) => {
  const v = toScaled(amount, 2);
  assert.ok(v !== null, `an amount with at most two decimals: ${amount}`);
  return v;
};
const ndjson = <T>(text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);
const readNdjson = <T>(dir: string, kind: string) =>
  readdirSync(dir).filter((f) => f.startsWith(`${kind}.`) && f.endsWith('.ndjson')).flatMap((f) => ndjson<T>(readFileSync(join(dir, f), 'utf8')));
const groupKey = (loanType: string, purpose: string | null | undefined, consumerClass: string, currency: string) => `${loanType}|${purpose ?? ''}|${consumerClass}|${currency}`;
const emptyGroup = (): Group => ({ newLoans: 0n, amountIssued: 0n, creditLimitGranted: 0n, stockLoans: 0n, stockBalance: 0n, loansWithOpenDelay60: 0n, delayedAmount: 0n });
/** Cents of a currency in euro cents at the generator's fixed reference rate (rounded down). */
const inEuroCents = (value: bigint, currency: Currency) => (value * 10_000n) / toScaled(EUR_REFERENCE_RATES[currency], 4)!;
const national = (v: bigint) => (v * ADULTS) / BigInt(PERSONS);

/** What the month's aggregates must say, computed from the generated files as lenders reported them. */
function expectedGroups(dir: string): { groups: Map<string, Group>; loans: number; housingBorrowers: Set<string> } {
  const loanKey = (l: { lenderBusinessId: string; loanNumber: { number: string } }) => `${l.lenderBusinessId} ${l.loanNumber.number}`;
  const latest = new Map<string, RepaymentLine>();
  for (const p of readNdjson<RepaymentLine>(dir, 'repayments')) {
    assert.ok(!latest.has(loanKey(p)), 'one payment a loan: the latest is unambiguous');
    latest.set(loanKey(p), p);
  }
  const delays = new Map(readNdjson<DelayLine>(dir, 'delayedRepayments').map((d) => [loanKey(d), d]));
  const groups = new Map<string, Group>();
  const housingBorrowers = new Set<string>();
  const loans = readNdjson<LoanLine>(dir, 'loans');
  for (const l of loans) {
    assert.ok(l.contractDate <= monthLast, 'every loan is in the stock at the month end');
    const purpose = l.lumpSumLoan?.purposeOfUse ?? null;
    const key = groupKey(l.loanType, purpose, l.consumerCredit.loanConsumerProtectionAct, l.currencyCode);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = emptyGroup()));
    const p = latest.get(loanKey(l));
    // The current balance: the latest payment's supersedes the contract's; leasing has none.
    const balance = l.lumpSumLoan ? (p?.lumpSumLoanRepayment?.balance ?? l.lumpSumLoan.balance) : l.runningAccountLoan ? (p?.runningAccountLoanRepayment?.balance ?? l.runningAccountLoan.balance) : 0;
    g.stockLoans++;
    g.stockBalance += cents(balance);
    if (l.contractDate >= monthFirst) {
      g.newLoans++;
      g.amountIssued += cents(l.lumpSumLoan?.amountIssued ?? l.leasingContract?.transactionPrice ?? 0);
      g.creditLimitGranted += cents(l.runningAccountLoan?.creditLimit ?? 0);
    }
    const d = delays.get(loanKey(l));
    if (d && d.delayedAmounts.map((a) => a.originalDueDate).sort()[0]! <= addDays(monthLast, -60)) {
      g.loansWithOpenDelay60++;
      g.delayedAmount += d.delayedAmounts.reduce((a, x) => a + cents(x.delayedInstalment), 0n);
    }
    if (isHousing(purpose)) for (const b of l.borrowers) housingBorrowers.add(b.idCode);
  }
  return { groups, loans: loans.length, housingBorrowers };
}

/** Moves the register's knowledge back `days`: as if every report had been processed that much earlier. */
async function ageHistory(db: Queryable, days: number): Promise<void> {
  await db.query('UPDATE loan_versions SET known_from = known_from - make_interval(days => $1)', [days]);
  await db.query(
    `UPDATE register_settings SET value = to_char((value::timestamptz - make_interval(days => $1)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
     WHERE key = 'loan_history_start' AND value NOT LIKE 'backfill%'`,
    [days],
  );
}

let reg: TestRegister;
let dir: string;
let expected: ReturnType<typeof expectedGroups>;
let authority: { ref: OrganisationRef; client: HttpsJsonClient };

/** Loads every generated file through `pcr upload`, lender by lender; nothing may be rejected. */
async function uploadAll(outDir: string): Promise<number> {
  const orgs = JSON.parse(readFileSync(join(outDir, 'organisations.json'), 'utf8')) as { businessId: string; name: string; roles: string[] }[];
  let loaded = 0;
  for (const org of orgs) {
    await reg.organisation({ businessId: org.businessId, name: org.name, roles: org.roles as never, permissions: [{ permission: 'reporting' }] });
    const issued = await issueCertificate(reg.register.db, reg.register.ca, organisationRef('BusinessId', org.businessId), 'reporting', 'Test');
    const certDir = join(dir, `cert-${org.businessId}`);
    writeCertFiles(certDir, issued.keyPem, issued.certPem, issued.caPem);
    for (const [operation, kind] of [['AddLoans', 'loans'], ['Repayments', 'repayments'], ['DelayedRepayments', 'delayedRepayments']] as const) {
      const file = join(outDir, `${kind}.${org.businessId}.ndjson`);
      if (!existsSync(file)) continue;
      let out = '';
      let err = '';
      const rejected = join(dir, `${org.businessId}-${operation}.rejected`);
      const code = await runCli(['upload', '--url', reg.url, '--cert-dir', certDir, '--operation', operation, '--file', file, '--json', '--rejected', rejected], {
        io: { out: (s) => void (out += s), err: (s) => void (err += s) },
        cwd: dir,
      });
      assert.equal(code, 0, err);
      const result = JSON.parse(out) as { rejectedReports: number; acceptedReports: number; skippedLines: number };
      assert.equal(result.rejectedReports, 0, `${org.businessId} ${operation}: ${existsSync(rejected) ? readFileSync(rejected, 'utf8').slice(0, 500) : ''}`);
      assert.equal(result.skippedLines, 0);
      if (operation === 'AddLoans') loaded += result.acceptedReports;
    }
  }
  return loaded;
}

/** Places an order as the authority, waits for its delivery and downloads every page of it. */
async function orderAndDownload(order: Record<string, unknown>): Promise<string> {
  const { client, ref } = authority;
  const placed = await client.post<{ orderId: string }>('/OrderData', { targetEnvironment: 'Test', owner: ownerOf(ref), order });
  assert.equal(placed.status, 200, placed.text);
  const orderId = placed.body.orderId;
  type Answer = { deliveries: { deliveryId: string; status: string; pageCount: number | null; rowCount: number | null }[] };
  let delivery: Answer['deliveries'][number] | undefined;
  for (let i = 0; i < 1200 && !delivery; i++) {
    const res = await client.post<Answer>('/GetDataDelivery', { targetEnvironment: 'Test', owner: ownerOf(ref), orderId });
    assert.equal(res.status, 200, res.text);
    const d = res.body.deliveries[0];
    if (d && d.status !== 'Pending' && d.status !== 'InProgress') delivery = d;
    else {
      reg.server.worker.wake();
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  assert.ok(delivery, `order ${orderId}: delivery not produced`);
  assert.equal(delivery.status, 'Ready');
  let content = '';
  for (let page = 1; page <= Math.max(1, delivery.pageCount ?? 0); page++) {
    const res: { status: number; text: string } = await client.post('/GetDataDelivery', { targetEnvironment: 'Test', owner: ownerOf(ref), orderId, deliveryId: delivery.deliveryId, page });
    assert.equal(res.status, 200, res.text.slice(0, 500));
    content += res.text;
  }
  assert.equal(ndjson(content).length, delivery.rowCount);
  return content;
}

before(async () => {
  reg = await startTestRegister();
  dir = tempDir('pcr-agg-figures-');
  const generated = await generate({ persons: PERSONS, seed: SEED, lenders: 2, outDir: join(dir, 'data'), today: generatedFor, splitByLender: true });
  expected = expectedGroups(generated.outDir);
  assert.equal(await uploadAll(generated.outDir), generated.loans, 'every generated loan is in the register');
  await ageHistory(reg.register.db, AGE_DAYS);
  const ref = await reg.organisation({ roles: ['authority'] });
  const granted = await reg.cli(['permission', 'grant', '--business-id', ref.idCode, '--permission', 'authority', '--scope', 'all',
    '--orders', 'MonthlyAggregates,LoanStockSnapshot', '--identity-codes', 'codes']);
  assert.equal(granted.exitCode, 0, granted.stderr);
  authority = { ref, client: await reg.client(ref, 'data-use') };
});
after(async () => {
  await reg?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let aggregates: AggregateLine[];
/** The aggregates' groups in cents, as the register delivered them. */
function deliveredGroups(): Map<string, Group> {
  return new Map(aggregates.map((a) => [groupKey(a.loanType, a.purposeOfUse, a.consumerCredit, a.currencyCode), {
    newLoans: BigInt(a.newLoans),
    amountIssued: cents(a.amountIssued),
    creditLimitGranted: cents(a.creditLimitGranted),
    stockLoans: BigInt(a.stockLoans),
    stockBalance: cents(a.stockBalance),
    loansWithOpenDelay60: BigInt(a.loansWithOpenDelay60),
    delayedAmount: cents(a.delayedAmount),
  }]));
}
/** Stock count and balance (euro cents at the fixed rates) of the groups `which` selects. */
function stock(which: (a: AggregateLine) => boolean) {
  const rows = aggregates.filter(which);
  return {
    loans: rows.reduce((s, a) => s + BigInt(a.stockLoans), 0n),
    balanceCents: rows.reduce((s, a) => s + inEuroCents(cents(a.stockBalance), a.currencyCode), 0n),
  };
}
function assertWithin10Percent(name: string, actual: bigint, published: bigint, unit: (v: bigint) => string) {
  const off = actual > published ? actual - published : published - actual;
  assert.ok(off * 10n <= published, `${name}: ${unit(actual)} for 5.5 M persons, published ${unit(published)}`);
}
const millions = (v: bigint) => `${scaledToText(v / 10_000n, 2)} M`;
const billions = (v: bigint) => `€${scaledToText(v / 1_000_000_000n, 2)} bn`;

test('the month\'s aggregates are exactly the generated loans, group by group, in cents', async () => {
  const content = await orderAndDownload({ type: 'MonthlyAggregates', fromMonth: MONTH, toMonth: MONTH });
  aggregates = ndjson<AggregateLine>(content);
  assert.ok(aggregates.every((a) => a.recordType === 'MonthlyAggregate' && a.month === MONTH));
  const sorted = (m: Map<string, Group>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual(sorted(deliveredGroups()), sorted(expected.groups));
  assert.equal(stock(() => true).loans, BigInt(expected.loans));
  // Not vacuous: the month has new loans, delays, running-account limits and more than one currency.
  const all = [...expected.groups.values()];
  assert.ok(all.some((g) => g.newLoans > 0n) && all.some((g) => g.loansWithOpenDelay60 > 0n) && all.some((g) => g.creditLimitGranted > 0n));
  assert.ok(new Set(aggregates.map((a) => a.currencyCode)).size > 1);
});

test('scaled to 5.5 M persons: about 12.5 M loans worth about €151 bn, household consumer credit about €28 bn', (t) => {
  assert.ok(aggregates, 'the aggregates were delivered');
  const all = stock(() => true);
  const consumer = stock((a) => a.consumerCredit === 'ConsumerCredit');
  const housing = stock((a) => isHousing(a.purposeOfUse));
  t.diagnostic(`${MONTH}: ${millions(national(all.loans))} loans, ${billions(national(all.balanceCents))}; consumer credit ${millions(national(consumer.loans))} loans, ${billions(national(consumer.balanceCents))}; housing ${millions(national(housing.loans))} loans, ${billions(national(housing.balanceCents))}`);
  assertWithin10Percent('loans', national(all.loans), PUBLISHED.loans, millions);
  assertWithin10Percent('outstanding balance', national(all.balanceCents), PUBLISHED.balanceCents, billions);
  // Household consumer credit is chapter 7 of the Consumer Protection Act: housing loans are a class of their own.
  assert.ok(aggregates.filter((a) => isHousing(a.purposeOfUse)).every((a) => a.consumerCredit === 'ResidentialPropertyConsumerCredit'));
  assertWithin10Percent('consumer credit', national(consumer.balanceCents), PUBLISHED.consumerCreditCents, billions);
});

test('scaled to 5.5 M persons: about 1.3 M persons are borrowers of a housing loan, counted from the month end\'s snapshot', async (t) => {
  const content = await orderAndDownload({ type: 'LoanStockSnapshot', snapshotDate: monthLast });
  const loans = ndjson<SnapshotLine>(content);
  assert.equal(loans.length, expected.loans, 'every loan is active at the month end');
  const borrowers = new Set(loans.filter((l) => isHousing(l.purposeOfUse)).flatMap((l) => l.borrowers));
  assert.deepEqual([...borrowers].sort(), [...expected.housingBorrowers].sort());
  const persons = national(BigInt(borrowers.size));
  t.diagnostic(`${millions(persons)} persons with a housing loan (${borrowers.size} of ${PERSONS})`);
  assertWithin10Percent('persons with a housing loan', persons, PUBLISHED.personsWithHousingLoan, millions);
});
