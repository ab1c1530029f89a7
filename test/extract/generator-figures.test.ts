/**
 * The synthetic national data looks like Finland: statistics over `pcr generate` data (the
 * authorities' MonthlyAggregates) are read as statistics, so a sample scaled to Finland's 5.5 M
 * adults must give the published figures within 10 %. The totals are computed here the way the
 * aggregates compute them from loaded data: per loan type, purpose of use, consumer class and
 * currency, a loan count and an exact sum of current balances (the latest transaction's balance
 * supersedes the contract's), in cents, never in floats.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { scaledToText, toScaled } from '../../src/common/decimal.ts';
import { EUR_REFERENCE_RATES, generate } from '../../src/generate/generator.ts';
import { tempDir } from '../helpers/temp.ts';

const ADULTS = 5_500_000n;
const PERSONS = 25_000;
const SCALE = ADULTS / BigInt(PERSONS);
const EURO = 100n; // cents

/** Published figures: the register's stock (December 2024), Bank of Finland 2025 (housing loan borrowers). */
const PUBLISHED = {
  loans: 12_500_000n,
  balanceCents: 151_000_000_000n * EURO,
  personsWithHousingLoan: 1_300_000n,
  consumerCreditCents: 28_000_000_000n * EURO,
};

interface Line {
  lenderBusinessId: string;
  loanNumber: { number: string };
  loanType: string;
  currencyCode: keyof typeof EUR_REFERENCE_RATES;
  borrowers: { idCode: string }[];
  consumerCredit: { loanConsumerProtectionAct: string };
  lumpSumLoan?: { balance: number; purposeOfUse?: string };
  runningAccountLoan?: { balance: number };
}
interface Repayment {
  lenderBusinessId: string;
  loanNumber: { number: string };
  lumpSumLoanRepayment?: { balance?: number };
  runningAccountLoanRepayment?: { balance?: number };
}
interface StockRow {
  loanType: string;
  purposeOfUse: string | null;
  consumerClass: string;
  currency: keyof typeof EUR_REFERENCE_RATES;
  count: bigint;
  balanceCents: bigint;
}

const isHousing = (purpose: string | null) => purpose !== null && purpose.startsWith('HomeLoan');
const cents = (amount: number) => {
  const v = toScaled(amount, 2);
  assert.ok(v !== null, `an amount with at most two decimals: ${amount}`);
  return v;
};
/** Cents of a currency in euro cents at the generator's fixed reference rate (rounded down). */
const inEuroCents = (value: bigint, currency: keyof typeof EUR_REFERENCE_RATES) => (value * 10_000n) / toScaled(EUR_REFERENCE_RATES[currency], 4)!;
const ndjson = <T>(file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);

let dir: string;
let stock: StockRow[];
let personsWithHousingLoan: number;
before(async () => {
  dir = tempDir('pcr-gen-figures-');
  const r = await generate({ persons: PERSONS, seed: 1, lenders: 5, outDir: dir, today: '2024-12-31' });
  const latest = new Map<string, Repayment>();
  for (const p of ndjson<Repayment>(join(r.outDir, 'repayments.ndjson'))) latest.set(`${p.lenderBusinessId} ${p.loanNumber.number}`, p);
  const rows = new Map<string, StockRow>();
  const housingBorrowers = new Set<string>();
  for (const l of ndjson<Line>(join(r.outDir, 'loans.ndjson'))) {
    const p = latest.get(`${l.lenderBusinessId} ${l.loanNumber.number}`);
    // The current balance; leasing has none. A running account's balance is what is drawn, never the limit.
    const balance = l.lumpSumLoan ? (p?.lumpSumLoanRepayment?.balance ?? l.lumpSumLoan.balance) : l.runningAccountLoan ? (p?.runningAccountLoanRepayment?.balance ?? l.runningAccountLoan.balance) : 0;
    const purposeOfUse = l.lumpSumLoan?.purposeOfUse ?? null;
    const key = `${l.loanType}|${purposeOfUse}|${l.consumerCredit.loanConsumerProtectionAct}|${l.currencyCode}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { loanType: l.loanType, purposeOfUse, consumerClass: l.consumerCredit.loanConsumerProtectionAct, currency: l.currencyCode, count: 0n, balanceCents: 0n }));
    row.count++;
    row.balanceCents += cents(balance);
    if (isHousing(purposeOfUse)) for (const b of l.borrowers) housingBorrowers.add(b.idCode);
  }
  stock = [...rows.values()];
  personsWithHousingLoan = housingBorrowers.size;
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The stock rows summed (balances in euro cents at the fixed rates) and scaled to 5.5 M persons. */
function national(rows: StockRow[]) {
  return {
    count: rows.reduce((a, r) => a + r.count, 0n) * SCALE,
    balanceCents: rows.reduce((a, r) => a + inEuroCents(r.balanceCents, r.currency), 0n) * SCALE,
  };
}

function assertWithin10Percent(name: string, actual: bigint, published: bigint, unit: (v: bigint) => string) {
  const off = actual > published ? actual - published : published - actual;
  assert.ok(off * 10n <= published, `${name}: ${unit(actual)} for 5.5 M persons, published ${unit(published)}`);
}
const millions = (v: bigint) => `${scaledToText(v / 10_000n, 2)} M`;
const billions = (v: bigint) => `€${scaledToText(v / 1_000_000_000n, 2)} bn`;

test('about 12.5 M loans (contracts, running accounts and credit cards included), worth about €151 bn outstanding', (t) => {
  const all = national(stock);
  t.diagnostic(`${millions(all.count)} loans, ${billions(all.balanceCents)} outstanding`);
  assertWithin10Percent('loans', all.count, PUBLISHED.loans, millions);
  assertWithin10Percent('outstanding balance', all.balanceCents, PUBLISHED.balanceCents, billions);
});

test('about 1.3 M persons are borrowers of a housing loan (23.6 % of adults)', (t) => {
  const persons = BigInt(personsWithHousingLoan) * SCALE;
  const housing = national(stock.filter((r) => isHousing(r.purposeOfUse)));
  t.diagnostic(`${millions(persons)} persons, ${millions(housing.count)} housing loans, ${billions(housing.balanceCents)}`);
  assertWithin10Percent('persons with a housing loan', persons, PUBLISHED.personsWithHousingLoan, millions);
  assert.ok(stock.filter((r) => isHousing(r.purposeOfUse)).every((r) => r.consumerClass === 'ResidentialPropertyConsumerCredit'));
});

test('household consumer credit (Consumer Protection Act chapter 7, housing excluded) about €28 bn', (t) => {
  const consumer = national(stock.filter((r) => r.consumerClass === 'ConsumerCredit' && !isHousing(r.purposeOfUse)));
  t.diagnostic(`${millions(consumer.count)} consumer credits, ${billions(consumer.balanceCents)}`);
  assertWithin10Percent('consumer credit', consumer.balanceCents, PUBLISHED.consumerCreditCents, billions);
});
