/** Builders of valid reports and a client-side batch helper for the reporting tests. */
import { randomUUID } from 'node:crypto';
import type { HttpsJsonClient, JsonResponse } from '../../src/common/https-client.ts';
import { makePersonalIdentityCode } from '../../src/identity/personal-identity-code.ts';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { ownerOf } from './register.ts';

let person = 0;
/** A fresh valid test identity code (individual numbers 900–999). */
export function testPerson(): string {
  person++;
  const day = 1 + (person % 28);
  const year = 1950 + (Math.floor(person / 28) % 50);
  return makePersonalIdentityCode(`${year}-${String(1 + (Math.floor(person / 1400) % 12)).padStart(2, '0')}-${String(day).padStart(2, '0')}`, 900 + (person % 100));
}

let loanCounter = 0;
export function newLoanNumber(): string {
  return `L-${process.pid}-${++loanCounter}-${randomUUID().slice(0, 6)}`;
}

export type Json = Record<string, unknown>;

export function lumpSumLoan(overrides: Json = {}): Json {
  const number = (overrides.loanNumber as { number?: string } | undefined)?.number ?? newLoanNumber();
  return {
    reportReference: `R-${number}`,
    loanNumber: { type: 'Other', number },
    loanType: 'LumpSumLoan',
    contractDate: '2025-03-01',
    currencyCode: 'EUR',
    borrowersCount: 1,
    borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: testPerson() }],
    consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit', isGoodsOrServicesRelatedCredit: false },
    interest: { totalInterestRatePct: 5.5, marginPct: 2.1, interestType: 'Euribor', interestDeterminationPeriod: 12 },
    isLoanWithCollateral: false,
    lumpSumLoan: { amountIssued: 10000.0, amountPaid: 10000.0, balance: 8500.5, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2030-03-01', purposeOfUse: 'OtherConsumerCredit' },
    ...overrides,
  };
}

export function runningAccountLoan(overrides: Json = {}): Json {
  const base = lumpSumLoan(overrides);
  delete base.lumpSumLoan;
  return { ...base, loanType: 'RunningAccountLoan', runningAccountLoan: { creditLimit: 5000, balance: 1200.25, balanceDate: '2026-10-31' }, ...overrides };
}

export function leasingContract(overrides: Json = {}): Json {
  const base = lumpSumLoan(overrides);
  delete base.lumpSumLoan;
  return { ...base, loanType: 'Leasing', leasingContract: { contractPeriodStartDate: '2025-03-01', contractPeriodEndDate: '2028-03-01', monthlyInstalment: 310.0, transactionPrice: 15000 }, ...overrides };
}

export const COLLECTION = { AddLoans: 'loans', UpdateLoans: 'loans', Repayments: 'repayments', DelayedRepayments: 'delayedRepayments', TerminateLoans: 'loanTerminations' } as const;
export type Op = keyof typeof COLLECTION;

export interface BatchStatusBody {
  batchReference: string;
  batchStatus: string;
  reportCount?: number;
  acceptedCount?: number;
  rejectedCount?: number;
  rejectedReports?: { reportReference: string; errorResponses: { fieldName?: string; errorCode: string; errorDescription: string }[] }[];
  errorResponses?: { errorCode: string }[];
}

export function batchRequest(owner: OrganisationRef, op: Op, reports: Json[], environment = 'Test'): Json {
  return { targetEnvironment: environment, owner: ownerOf(owner), [COLLECTION[op]]: reports };
}

export async function postBatch(client: HttpsJsonClient, owner: OrganisationRef, op: Op, reports: Json[], reference = `B-${randomUUID()}`): Promise<JsonResponse<BatchStatusBody> & { reference: string }> {
  const res = await client.post<BatchStatusBody>(`/${op}`, batchRequest(owner, op, reports), { BatchReference: reference });
  return Object.assign(res, { reference });
}

export async function waitForBatch(client: HttpsJsonClient, owner: OrganisationRef, reference: string, timeoutMs = 20_000): Promise<BatchStatusBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.post<BatchStatusBody>('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(owner), batchReference: reference });
    if (res.body.batchStatus?.startsWith('Finished')) return res.body;
    if (Date.now() > deadline) throw new Error(`batch ${reference} not finished: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** Sends a batch, expects 202, waits for its final status. */
export async function report(client: HttpsJsonClient, owner: OrganisationRef, op: Op, reports: Json[]): Promise<BatchStatusBody> {
  const res = await postBatch(client, owner, op, reports);
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${res.text}`);
  return waitForBatch(client, owner, res.reference);
}

export async function getLoan(client: HttpsJsonClient, owner: OrganisationRef, number: string): Promise<JsonResponse<{ loan: Json; errorResponses?: { errorCode: string }[] }>> {
  return client.post('/GetLoan', { targetEnvironment: 'Test', owner: ownerOf(owner), loanNumber: { type: 'Other', number } });
}

/** The error codes of each rejected report, by reportReference. */
export function rejectedCodes(status: BatchStatusBody): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of status.rejectedReports ?? []) out[r.reportReference] = r.errorResponses.map((e) => e.errorCode);
  return out;
}
