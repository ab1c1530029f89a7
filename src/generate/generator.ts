/**
 * Synthetic national data, deterministic for a seed: persons with valid test identity codes,
 * lenders, a realistic mix of loans (types, currencies, 1–3 borrowers, guarantors), payments,
 * delays and twelve months of income. Written as NDJSON that `pcr upload` (per lender: each
 * line names its lender in `lenderBusinessId`) and `pcr income import` load.
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { makeBusinessId } from '../identity/business-id.ts';
import { makePersonalIdentityCode } from '../identity/personal-identity-code.ts';
import { KELA_BUSINESS_ID } from '../reporting/rules.ts';

/** mulberry32: a small, fast, deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const BIRTH_START = Date.UTC(1940, 0, 1);
const BIRTH_DAYS = Math.floor((Date.UTC(2005, 11, 31) - BIRTH_START) / DAY) + 1;
const SIGNS_1900S = 6;
export const MAX_PERSONS = BIRTH_DAYS * 100 * SIGNS_1900S;

/** The i-th synthetic person: a distinct valid test identity code for every i below MAX_PERSONS. */
export function syntheticPerson(i: number): string {
  const day = (i * 7919) % BIRTH_DAYS; // spread over the dates, still one-to-one (7919 is prime to BIRTH_DAYS)
  const rest = Math.floor(i / BIRTH_DAYS);
  const individual = 900 + (rest % 100);
  const sign = Math.floor(rest / 100);
  const birth = new Date(BIRTH_START + day * DAY).toISOString().slice(0, 10);
  return makePersonalIdentityCode(birth, individual, sign);
}

export function syntheticLenders(count: number): { businessId: string; name: string }[] {
  const out: { businessId: string; name: string }[] = [];
  const used = new Set<string>([KELA_BUSINESS_ID]);
  for (let k = 0; out.length < count; k++) {
    const id = makeBusinessId(3_000_000 + k * 7);
    if (used.has(id)) continue;
    used.add(id);
    out.push({ businessId: id, name: `Synthetic Lender ${out.length + 1} Oy` });
  }
  return out;
}

class Out {
  private stream: WriteStream;
  private buffer: string[] = [];
  private size = 0;
  lines = 0;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
  }
  async write(value: unknown): Promise<void> {
    const line = `${JSON.stringify(value)}\n`;
    this.buffer.push(line);
    this.size += line.length;
    this.lines++;
    if (this.size > 1 << 20) await this.flush();
  }
  private async flush(): Promise<void> {
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((r) => this.stream.once('drain', () => r()));
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((r) => this.stream.end(r));
  }
}

const money = (v: number) => Math.round(v * 100) / 100;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface GenerateResult {
  outDir: string;
  persons: number;
  loans: number;
  guarantees: number;
  repayments: number;
  delays: number;
  incomeMonths: number;
  files: string[];
}

/** One NDJSON output per kind, or with splitByLender one per kind and lender (`loans.<businessId>.ndjson`). */
class Outputs {
  private readonly outs = new Map<string, Out>();
  constructor(
    private readonly dir: string,
    private readonly kind: string,
    private readonly split: boolean,
  ) {}
  write(lender: string, value: unknown): Promise<void> {
    const name = this.split ? `${this.kind}.${lender}.ndjson` : `${this.kind}.ndjson`;
    let out = this.outs.get(name);
    if (!out) this.outs.set(name, (out = new Out(join(this.dir, name))));
    return out.write(value);
  }
  get lines(): number {
    return [...this.outs.values()].reduce((a, o) => a + o.lines, 0);
  }
  get files(): string[] {
    return this.split ? [...this.outs.values()].map((o) => o.path).sort() : [join(this.dir, `${this.kind}.ndjson`)];
  }
  async close(): Promise<void> {
    if (!this.split && this.outs.size === 0) this.outs.set('empty', new Out(join(this.dir, `${this.kind}.ndjson`)));
    await Promise.all([...this.outs.values()].map((o) => o.close()));
  }
}

export async function generate(opts: { persons: number; seed: number; lenders: number; outDir: string; today: string; splitByLender?: boolean }): Promise<GenerateResult> {
  if (opts.persons > MAX_PERSONS) throw new Error(`At most ${MAX_PERSONS} persons`);
  mkdirSync(opts.outDir, { recursive: true });
  const random = prng(opts.seed);
  const pick = <T>(items: readonly (readonly [T, number])[]): T => {
    let r = random();
    for (const [v, w] of items) if ((r -= w) < 0) return v;
    return items.at(-1)![0];
  };
  const lenders = syntheticLenders(opts.lenders);
  const organisations = [
    ...lenders.map((l) => ({ ...l, roles: ['lender'] })),
    { businessId: KELA_BUSINESS_ID, name: 'Kansaneläkelaitos (Kela)', roles: ['lender', 'income-source'] },
  ];
  writeFileSync(join(opts.outDir, 'organisations.json'), `${JSON.stringify(organisations, null, 2)}\n`);
  const split = opts.splitByLender === true;
  const loansOut = new Outputs(opts.outDir, 'loans', split);
  const paymentsOut = new Outputs(opts.outDir, 'repayments', split);
  const delaysOut = new Outputs(opts.outDir, 'delayedRepayments', split);
  const incomeOut = new Out(join(opts.outDir, 'income.ndjson'));
  const todayMs = Date.parse(`${opts.today}T00:00:00Z`);
  const current = { year: Number(opts.today.slice(0, 4)), month: Number(opts.today.slice(5, 7)) };
  let loanSeq = 0;
  let guarantees = 0;

  for (let i = 0; i < opts.persons; i++) {
    const person = syntheticPerson(i);
    const loanCount = pick([[0, 0.15], [1, 0.25], [2, 0.25], [3, 0.15], [4, 0.1], [5, 0.05], [7, 0.03], [10, 0.02]] as const); // 2.27 a person: 12.5 M loans for 5.5 M persons
    for (let k = 0; k < loanCount; k++) {
      loanSeq++;
      const type = pick([['LumpSumLoan', 0.55], ['RunningAccountLoan', 0.35], ['Leasing', 0.07], ['GuaranteeReceivable', 0.03]] as const);
      const lender = type === 'GuaranteeReceivable' ? KELA_BUSINESS_ID : lenders[Math.floor(random() * lenders.length)]!.businessId;
      const number = `G${opts.seed}-${loanSeq}`;
      const coBorrowers = pick([[0, 0.8], [1, 0.17], [2, 0.03]] as const);
      const borrowers = [person];
      for (let c = 1; c <= coBorrowers && opts.persons > c; c++) borrowers.push(syntheticPerson((i + c) % opts.persons));
      const contractMs = todayMs - (30 + Math.floor(random() * 3650)) * DAY;
      const currency = pick([['EUR', 0.98], ['SEK', 0.01], ['USD', 0.01]] as const);
      const base: Record<string, unknown> = {
        lenderBusinessId: lender,
        reportReference: number,
        loanNumber: { type: 'Other', number },
        loanType: type,
        contractDate: isoDate(contractMs),
        currencyCode: currency,
        borrowersCount: borrowers.length,
        borrowers: borrowers.map((idCode) => ({ idCodeType: 'PersonalIdentityCode', idCode })),
        isLoanWithCollateral: false,
      };
      if (random() < 0.05 && opts.persons > 3) {
        base.guarantors = [{ idCodeType: 'PersonalIdentityCode', idCode: syntheticPerson((i + 3) % opts.persons) }];
        guarantees++;
      }
      const rate = money(1 + random() * 9);
      if (type === 'GuaranteeReceivable') {
        const amount = money(1000 + random() * 20000);
        Object.assign(base, {
          consumerCredit: { loanConsumerProtectionAct: 'OtherThanConsumerCredit' },
          lumpSumLoan: { amountIssued: amount, amountPaid: amount, balance: amount, purposeOfUse: 'GuaranteeReceivable', repaymentMethod: 'Other', amortizationFrequency: 0 },
        });
      } else {
        base.interest = { totalInterestRatePct: rate, marginPct: money(rate / 2), interestType: pick([['Euribor', 0.6], ['FixedInterest', 0.25], ['BankReferenceRate', 0.15]] as const), interestDeterminationPeriod: 12 };
        if (type === 'LumpSumLoan') {
          const purpose = pick([['HomeLoan', 0.3], ['LoanForVehicleOrCraft', 0.15], ['OtherConsumerCredit', 0.4], ['StudentLoan', 0.1], ['LoanForBusinessActivities', 0.05]] as const);
          const issued = money(purpose === 'HomeLoan' ? 50_000 + random() * 350_000 : 1_000 + random() * 40_000);
          const secured = purpose === 'HomeLoan';
          Object.assign(base, {
            consumerCredit: { loanConsumerProtectionAct: purpose === 'LoanForBusinessActivities' ? 'OtherThanConsumerCredit' : purpose === 'HomeLoan' ? 'ResidentialPropertyConsumerCredit' : 'ConsumerCredit' },
            isLoanWithCollateral: secured,
            ...(secured ? { collaterals: [{ collateralType: 'ApartmentOrRealEstate' }] } : {}),
            lumpSumLoan: { amountIssued: issued, amountPaid: issued, balance: money(issued * (0.2 + random() * 0.8)), amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: isoDate(contractMs + (2 + Math.floor(random() * 25)) * 365 * DAY), purposeOfUse: purpose },
          });
          if (purpose === 'LoanForBusinessActivities') (base.borrowers as { businessId?: string }[])[0]!.businessId = makeBusinessId(5_000_000 + (i % 4_000_000));
        } else if (type === 'RunningAccountLoan') {
          const limit = money(500 + Math.floor(random() * 20) * 500);
          Object.assign(base, { consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit' }, runningAccountLoan: { creditLimit: limit, balance: money(limit * random()), balanceDate: isoDate(todayMs - 25 * DAY) } });
        } else {
          const monthly = money(100 + random() * 700);
          Object.assign(base, {
            consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit' },
            leasingContract: { contractPeriodStartDate: isoDate(contractMs), contractPeriodEndDate: isoDate(contractMs + 4 * 365 * DAY), monthlyInstalment: monthly, transactionPrice: money(monthly * 40) },
          });
        }
      }
      await loansOut.write(lender, base);

      // The latest payment of most loans, and a delay on a few.
      if (type !== 'GuaranteeReceivable' && random() < 0.7) {
        const paymentDate = isoDate(Math.max(contractMs, todayMs - (1 + Math.floor(random() * 25)) * DAY));
        const p: Record<string, unknown> = { lenderBusinessId: lender, reportReference: `${number}-p`, loanNumber: { type: 'Other', number }, loanType: type };
        if (type === 'RunningAccountLoan') p.runningAccountLoanRepayment = { balanceDate: paymentDate, balance: money(random() * 5000), interestPaid: money(random() * 40), otherExpenses: 0 };
        else if (type === 'Leasing') p.leasingRepayment = { paymentDate, amountPaid: (base.leasingContract as { monthlyInstalment: number }).monthlyInstalment };
        else p.lumpSumLoanRepayment = { paymentDate, balance: money(((base.lumpSumLoan as { balance: number }).balance) * 0.99), amortizationPaid: money(50 + random() * 900), interestPaid: money(random() * 300), otherExpenses: money(random() * 5) };
        await paymentsOut.write(lender, p);
      }
      if (random() < 0.02 && contractMs < todayMs - 120 * DAY) {
        await delaysOut.write(lender, {
          lenderBusinessId: lender, reportReference: `${number}-d`, loanNumber: { type: 'Other', number }, isDelay: true,
          delayedAmounts: [{ delayedInstalment: money(50 + random() * 900), originalDueDate: isoDate(todayMs - (61 + Math.floor(random() * 50)) * DAY) }],
        });
      }
    }
    // Income for most persons: the twelve months before the current one.
    if (random() < 0.73) {
      const wages = random() < 0.8 ? money(1500 + random() * 6000) : 0;
      const benefits = wages === 0 || random() < 0.1 ? money(300 + random() * 2000) : 0;
      for (let m = 12; m >= 1; m--) {
        const index = current.year * 12 + (current.month - 1) - m;
        await incomeOut.write({
          idCode: person, year: Math.floor(index / 12), month: (index % 12) + 1,
          wagesGrossAmount: wages, wagesNetAmount: money(wages * 0.74), benefitsGrossAmount: benefits, benefitsNetAmount: money(benefits * 0.8),
          ...(random() < 0.002 ? { accuracyDenied: true } : {}),
        });
      }
    }
  }
  await Promise.all([loansOut.close(), paymentsOut.close(), delaysOut.close(), incomeOut.close()]);
  return {
    outDir: opts.outDir,
    persons: opts.persons,
    loans: loansOut.lines,
    guarantees,
    repayments: paymentsOut.lines,
    delays: delaysOut.lines,
    incomeMonths: incomeOut.lines,
    files: [join(opts.outDir, 'organisations.json'), ...loansOut.files, ...paymentsOut.files, ...delaysOut.files, join(opts.outDir, 'income.ndjson')],
  };
}
