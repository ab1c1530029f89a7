/**
 * Synthetic national data, deterministic for a seed: persons with valid test identity codes,
 * lenders, a realistic mix of loans (types, currencies, 1–3 borrowers, guarantors), payments,
 * delays and twelve months of income. For 5.5 M persons its loan stock matches Finland's
 * published figures (see "Calibration" below), so that statistics over it read like Finland's. Written as NDJSON that `pcr upload` (per lender: each
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

/**
 * ECB euro reference rates of 31 December 2024 (units of the currency for one euro). Amounts are
 * drawn in euros and written in the loan's currency at these rates, so a foreign-currency loan is
 * as large as a euro one; statistics convert back at the same rates.
 */
export const EUR_REFERENCE_RATES = { EUR: 1, SEK: 11.459, USD: 1.0389 } as const;
const CURRENCIES = [['EUR', 0.98], ['SEK', 0.01], ['USD', 0.01]] as const;

type Kind = 'home' | 'running' | 'consumer' | 'vehicle' | 'student' | 'leasing' | 'business' | 'guarantee';
type Weights<T> = readonly (readonly [T, number])[];
interface Profile {
  loanType: 'LumpSumLoan' | 'RunningAccountLoan' | 'Leasing' | 'GuaranteeReceivable';
  purposeOfUse?: string;
  /** Euros: issued amount, credit limit, or leasing's monthly instalment; skewed draws favour the low end (mean a third of the way). */
  amount: readonly [number, number];
  skewed?: boolean;
  termYears: readonly [number, number];
  ratePct: readonly [number, number];
  coBorrowers: Weights<number>;
}

/*
 * Calibration: the mix is set so that the data for 5.5 M persons (Finland's adults) matches the
 * published figures within a few per cent (test/extract/generator-figures.test.ts checks it):
 * about 12.5 M loans with an outstanding balance of about €151 bn (the register, December 2024),
 * about 1.3 M persons with a housing loan (Bank of Finland 2025), household consumer credit about
 * €28 bn. Measured for 550 000 persons (seed 1) and scaled to 5.5 M: 12.44 M loans, €150.5 bn;
 * 1.12 M housing loans (€110 bn; 1.30 M borrowers), 6.43 M running accounts and credit cards
 * (€7.0 bn drawn), 3.12 M other consumer credits (€8.6 bn), 0.60 M vehicle loans (€8.8 bn),
 * 0.45 M student loans (€4.0 bn), 0.30 M leasing contracts (no balance), 0.36 M loans for
 * business activities (€12 bn) and 0.06 M Kela guarantee receivables (€0.3 bn). Consumer credit
 * (chapter 7 of the Consumer Protection Act, housing excluded) is €28.3 bn of it.
 */
/** Share of persons who are the first borrower of housing loans; with their co-borrowers about 23.6 % have one. */
const HOME_BORROWER_SHARE = 0.159;
/** A main housing loan, and for some a second or third (top-up, leisure home, investment flat). */
const HOME_CONTRACTS = [[1, 0.78], [2, 0.18], [3, 0.04]] as const;
const HOME_CO_BORROWERS = [[0, 0.45], [1, 0.53], [2, 0.02]] as const;
const FIRST_HOME_PURPOSES = [['HomeLoan', 0.85], ['HomeLoanForFirstHome', 0.15]] as const;
const FURTHER_HOME_PURPOSES = [['HomeLoan', 0.5], ['HomeLoanForLeisureHouse', 0.3], ['HomeLoanForInvestment', 0.2]] as const;
const HOME_INTEREST_TYPES = [['Euribor', 0.85], ['FixedInterest', 0.1], ['BankReferenceRate', 0.05]] as const;
const INTEREST_TYPES = [['Euribor', 0.6], ['FixedInterest', 0.25], ['BankReferenceRate', 0.15]] as const;
/** Share of running accounts with nothing drawn. */
const RUNNING_ACCOUNT_UNUSED = 0.3;
const PROFILES: Record<Kind, Profile> = {
  home: { loanType: 'LumpSumLoan', amount: [30_000, 230_000], termYears: [15, 30], ratePct: [2.5, 5.5], coBorrowers: HOME_CO_BORROWERS }, // drawn once for a person's housing loans
  running: { loanType: 'RunningAccountLoan', amount: [500, 10_000], termYears: [10, 10], ratePct: [8, 20], coBorrowers: [[0, 0.95], [1, 0.05]] },
  consumer: { loanType: 'LumpSumLoan', purposeOfUse: 'OtherConsumerCredit', amount: [500, 16_000], skewed: true, termYears: [1, 8], ratePct: [6, 20], coBorrowers: [[0, 0.9], [1, 0.09], [2, 0.01]] },
  vehicle: { loanType: 'LumpSumLoan', purposeOfUse: 'LoanForVehicleOrCraft', amount: [5_000, 55_000], termYears: [2, 7], ratePct: [3.5, 9], coBorrowers: [[0, 0.75], [1, 0.24], [2, 0.01]] },
  student: { loanType: 'LumpSumLoan', purposeOfUse: 'StudentLoan', amount: [3_000, 30_000], termYears: [5, 15], ratePct: [2.5, 5], coBorrowers: [[0, 1]] },
  leasing: { loanType: 'Leasing', amount: [100, 800], termYears: [2, 5], ratePct: [3.5, 9], coBorrowers: [[0, 0.9], [1, 0.1]] },
  business: { loanType: 'LumpSumLoan', purposeOfUse: 'LoanForBusinessActivities', amount: [5_000, 180_000], skewed: true, termYears: [3, 15], ratePct: [3, 9], coBorrowers: [[0, 0.85], [1, 0.15]] },
  guarantee: { loanType: 'GuaranteeReceivable', amount: [500, 10_000], termYears: [10, 10], ratePct: [0, 0], coBorrowers: [[0, 1]] },
};
/** How many loans of each kind (other than housing) a person has as first borrower. */
const OTHER_KINDS: readonly (readonly [Kind, Weights<number>])[] = [
  ['running', [[0, 0.37], [1, 0.3], [2, 0.2], [3, 0.09], [5, 0.04]]],
  ['consumer', [[0, 0.68], [1, 0.19], [2, 0.07], [3, 0.04], [6, 0.02]]],
  ['vehicle', [[0, 0.895], [1, 0.1], [2, 0.005]]],
  ['student', [[0, 0.918], [1, 0.082]]],
  ['leasing', [[0, 0.945], [1, 0.055]]],
  ['business', [[0, 0.945], [1, 0.045], [2, 0.01]]],
  ['guarantee', [[0, 0.989], [1, 0.011]]],
];

/**
 * An organisation the generated files need, as `pcr org import` admits it: every lender the
 * loans name (Kela for the guarantee receivables, which is also the income source), with the
 * permissions it needs to report them and to ask for extracts of them.
 */
export interface GeneratedOrganisation {
  businessId: string;
  name: string;
  roles: string[];
  permissions: { permission: string; purposes?: string[] }[];
}

const LENDER_PERMISSIONS = [{ permission: 'reporting' }, { permission: 'extract', purposes: ['consumer', 'business'] }];

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
  const organisations: GeneratedOrganisation[] = [
    ...lenders.map((l) => ({ ...l, roles: ['lender'], permissions: LENDER_PERMISSIONS })),
    { businessId: KELA_BUSINESS_ID, name: 'Kansaneläkelaitos (Kela)', roles: ['lender', 'income-source'], permissions: [...LENDER_PERMISSIONS, { permission: 'income-feed' }] },
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
    // The person's loans as primary borrower: a housing loan bundle for some, then the other kinds.
    const kinds: Kind[] = [];
    let homeCoBorrowers = 0;
    if (random() < HOME_BORROWER_SHARE) {
      homeCoBorrowers = pick(HOME_CO_BORROWERS);
      for (let n = pick(HOME_CONTRACTS); n > 0; n--) kinds.push('home');
    }
    for (const [kind, counts] of OTHER_KINDS) for (let n = pick(counts); n > 0; n--) kinds.push(kind);
    for (let k = 0; k < kinds.length; k++) {
      loanSeq++;
      const kind = kinds[k]!;
      const profile = PROFILES[kind];
      const type = profile.loanType;
      const lender = type === 'GuaranteeReceivable' ? KELA_BUSINESS_ID : lenders[Math.floor(random() * lenders.length)]!.businessId;
      const number = `G${opts.seed}-${loanSeq}`;
      const coBorrowers = kind === 'home' ? homeCoBorrowers : pick(profile.coBorrowers);
      const borrowers = [person];
      for (let c = 1; c <= coBorrowers && opts.persons > c; c++) borrowers.push(syntheticPerson((i + c) % opts.persons));
      // A loan still running today: contracted within its term (and within the last ten years).
      const termYears = profile.termYears[0] + random() * (profile.termYears[1] - profile.termYears[0]);
      const ageDays = 30 + Math.floor(random() * (Math.min(termYears, 10) * 365 - 30));
      const contractMs = todayMs - ageDays * DAY;
      const currency = type === 'GuaranteeReceivable' ? 'EUR' : pick(CURRENCIES);
      const fx = EUR_REFERENCE_RATES[currency];
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
      const rate = money(profile.ratePct[0] + random() * (profile.ratePct[1] - profile.ratePct[0]));
      // Amounts are drawn in euros and written in the loan's currency.
      const r = random();
      const drawn = profile.amount[0] + (profile.skewed ? r * r : r) * (profile.amount[1] - profile.amount[0]);
      // Outstanding share: straight-line amortisation over the term, never below 5 %.
      const outstanding = Math.max(0.05, 1 - ageDays / (termYears * 365));
      if (type === 'GuaranteeReceivable') {
        const amount = money(drawn);
        Object.assign(base, {
          consumerCredit: { loanConsumerProtectionAct: 'OtherThanConsumerCredit' },
          lumpSumLoan: { amountIssued: amount, amountPaid: amount, balance: amount, purposeOfUse: 'GuaranteeReceivable', repaymentMethod: 'Other', amortizationFrequency: 0 },
        });
      } else {
        base.interest = { totalInterestRatePct: rate, marginPct: money(rate / 2), interestType: pick(kind === 'home' ? HOME_INTEREST_TYPES : INTEREST_TYPES), interestDeterminationPeriod: 12 };
        if (type === 'LumpSumLoan') {
          const purpose = kind === 'home' ? (k === 0 ? pick(FIRST_HOME_PURPOSES) : pick(FURTHER_HOME_PURPOSES)) : profile.purposeOfUse!;
          const issued = money(drawn * fx);
          const secured = kind === 'home';
          Object.assign(base, {
            consumerCredit: { loanConsumerProtectionAct: kind === 'business' ? 'OtherThanConsumerCredit' : kind === 'home' ? 'ResidentialPropertyConsumerCredit' : 'ConsumerCredit' },
            isLoanWithCollateral: secured,
            ...(secured ? { collaterals: [{ collateralType: 'ApartmentOrRealEstate' }] } : {}),
            lumpSumLoan: { amountIssued: issued, amountPaid: issued, balance: money(issued * outstanding), amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: isoDate(contractMs + Math.round(termYears * 365) * DAY), purposeOfUse: purpose },
          });
          if (kind === 'business') (base.borrowers as { businessId?: string }[])[0]!.businessId = makeBusinessId(5_000_000 + (i % 4_000_000));
        } else if (type === 'RunningAccountLoan') {
          // Limits in steps of 500 €; 30 % of accounts unused, the rest drawn up to 60 % of the limit, 30 % on average.
          const limit = money(Math.round(drawn / 500) * 500 * fx);
          const used = random() < RUNNING_ACCOUNT_UNUSED ? 0 : money(limit * random() * 0.6);
          Object.assign(base, { consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit' }, runningAccountLoan: { creditLimit: limit, balance: used, balanceDate: isoDate(todayMs - 25 * DAY) } });
        } else {
          const monthly = money(drawn * fx);
          Object.assign(base, {
            consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit' },
            leasingContract: { contractPeriodStartDate: isoDate(contractMs), contractPeriodEndDate: isoDate(contractMs + Math.round(termYears * 365) * DAY), monthlyInstalment: monthly, transactionPrice: money(monthly * 40) },
          });
        }
      }
      await loansOut.write(lender, base);

      // The latest payment of most loans (about a month's amortisation and interest), and a delay on a few.
      if (type !== 'GuaranteeReceivable' && random() < 0.7) {
        const paymentDate = isoDate(Math.max(contractMs, todayMs - (1 + Math.floor(random() * 25)) * DAY));
        const p: Record<string, unknown> = { lenderBusinessId: lender, reportReference: `${number}-p`, loanNumber: { type: 'Other', number }, loanType: type };
        if (type === 'RunningAccountLoan') {
          const account = base.runningAccountLoan as { creditLimit: number; balance: number };
          const balance = money(Math.min(account.creditLimit, account.balance * (0.9 + random() * 0.15)));
          p.runningAccountLoanRepayment = { balanceDate: paymentDate, balance, interestPaid: money((balance * rate) / 1200), otherExpenses: 0 };
        } else if (type === 'Leasing') p.leasingRepayment = { paymentDate, amountPaid: (base.leasingContract as { monthlyInstalment: number }).monthlyInstalment };
        else {
          const before = (base.lumpSumLoan as { balance: number }).balance;
          const balance = money(before * 0.99);
          p.lumpSumLoanRepayment = { paymentDate, balance, amortizationPaid: money(before - balance), interestPaid: money((before * rate) / 1200), otherExpenses: money(random() * 5) };
        }
        await paymentsOut.write(lender, p);
      }
      if (random() < 0.02 && contractMs < todayMs - 120 * DAY) {
        await delaysOut.write(lender, {
          lenderBusinessId: lender, reportReference: `${number}-d`, loanNumber: { type: 'Other', number }, isDelay: true,
          delayedAmounts: [{ delayedInstalment: money((50 + random() * 900) * fx), originalDueDate: isoDate(todayMs - (61 + Math.floor(random() * 50)) * DAY) }],
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
