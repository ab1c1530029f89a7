/**
 * The fuzzer's register: one organisation holding every role and permission (so that every
 * operation has a caller with the right certificate usage and permission), its loans, and a
 * valid request for every operation, the body the mutations start from.
 */
import { randomUUID } from 'node:crypto';
import { PERMISSIONS, type OrganisationRef, type Permission } from '../../src/access/organisations.ts';
import { OPERATIONS, type Operation } from '../../src/access/policy.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { batchRequest, lumpSumLoan, postBatch, runningAccountLoan, testPerson, waitForBatch, type Json } from '../helpers/reports.ts';
import { identity, type Identity, type Target } from './harness.ts';

export interface FuzzRegister {
  t: TestRegister;
  ref: OrganisationRef;
  reporting: Identity;
  dataUse: Identity;
  /** ResetTestData deletes its caller's data: it gets an organisation of its own. */
  resetter: { ref: OrganisationRef; reporting: Identity };
  loans: { updated: string; terminated: string };
  seededBatch: string;
  /** An order of the fuzzer's organisation (an authority too), for GetDataDelivery. */
  orderId: string;
}

export async function startFuzzRegister(): Promise<FuzzRegister> {
  // No rate limit: the fuzzer's many requests must be judged on their content, not on their number.
  const t = await startTestRegister({ env: { PCR_RATE_LIMIT: '0', PCR_REQUEST_TIMEOUT_MS: '2000' } });
  const ref = await t.organisation({
    roles: ['lender', 'authority', 'credit-information-company', 'income-source'],
    permissions: PERMISSIONS.map((permission: Permission) => (permission === 'extract' ? { permission, purposes: ['consumer', 'business'] } : { permission })),
  });
  const reporting = await identity(t, ref, 'reporting');
  const dataUse = await identity(t, ref, 'data-use');
  const resetterRef = await t.organisation({ roles: ['lender'], permissions: [{ permission: 'reporting' }] });
  const resetter = { ref: resetterRef, reporting: await identity(t, resetterRef, 'reporting') };
  const a = lumpSumLoan();
  const b = lumpSumLoan();
  const seeded = await postBatch(reporting.client, ref, 'AddLoans', [a, b]);
  if (seeded.status !== 202) throw new Error(`seeding: ${seeded.status} ${seeded.text}`);
  const status = await waitForBatch(reporting.client, ref, seeded.reference);
  if (status.batchStatus !== 'FinishedSuccess') throw new Error(`seeding: ${JSON.stringify(status)}`);
  const number = (l: Json) => (l.loanNumber as { number: string }).number;
  const granted = await t.cli(['permission', 'grant', '--business-id', ref.idCode, '--permission', 'authority', '--orders', 'PersonLoans,LateReporting', '--identity-codes', 'codes']);
  if (granted.exitCode !== 0) throw new Error(`authority scope: ${granted.stderr}`);
  const order = await dataUse.client.post<Json>('/OrderData', {
    targetEnvironment: 'Test', owner: ownerOf(ref),
    order: { type: 'PersonLoans', idCodeType: 'PersonalIdentityCode', idCode: testPerson(), legalBasis: 'Fuzz basis', caseReference: 'fuzz-1' },
  });
  if (order.status !== 200) throw new Error(`order: ${order.status} ${order.text}`);
  return { t, ref, reporting, dataUse, resetter, loans: { updated: number(a), terminated: number(b) }, seededBatch: seeded.reference, orderId: String(order.body.orderId) };
}

export function isBatchOperation(op: Operation | undefined): op is 'AddLoans' | 'UpdateLoans' | 'Repayments' | 'DelayedRepayments' | 'TerminateLoans' {
  return op === 'AddLoans' || op === 'UpdateLoans' || op === 'Repayments' || op === 'DelayedRepayments' || op === 'TerminateLoans';
}

/** The caller of a target: a certificate of the usage its operation needs (anonymous for retrieval). */
export function callerOf(f: FuzzRegister, target: Target): Identity | null {
  if (target.path === '/certificates/sign') return null;
  if (target.operation === 'ResetTestData') return f.resetter.reporting;
  if (target.operation && OPERATIONS[target.operation].usage === 'data-use') return f.dataUse;
  return f.reporting;
}

/** The organisation that owns what the caller of a target sends. */
export function ownerRefOf(f: FuzzRegister, target: Target): OrganisationRef {
  return target.operation === 'ResetTestData' ? f.resetter.ref : f.ref;
}

const DUMMY_CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAA==\n-----END CERTIFICATE REQUEST-----\n';

/** A valid request of a target: body and headers; fresh references and loan numbers every time. */
export function validRequest(f: FuzzRegister, target: Target): { body?: unknown; headers: [string, string][] } {
  const env = { targetEnvironment: 'Test', owner: ownerOf(ownerRefOf(f, target)) };
  const reference = () => `FZ-${randomUUID()}`;
  const loan = (number: string) => ({ type: 'Other', number });
  const batch = (op: Parameters<typeof batchRequest>[1], reports: Json[]) => ({ body: batchRequest(f.ref, op, reports), headers: [['BatchReference', reference()]] as [string, string][] });
  switch (target.operation) {
    case 'AddLoans':
      return batch('AddLoans', [lumpSumLoan({ lenderMarketingName: 'Kulutusluotto' }), runningAccountLoan()]);
    case 'UpdateLoans':
      return batch('UpdateLoans', [lumpSumLoan({ loanNumber: loan(f.loans.updated), reportReference: reference(), lenderMarketingName: 'Kulutusluotto' })]);
    case 'Repayments':
      return batch('Repayments', [{ reportReference: reference(), loanNumber: loan(f.loans.updated), loanType: 'LumpSumLoan', reportCreationTimeUtc: '2026-01-15T22:00:03.1234567Z', lumpSumLoanRepayment: { paymentDate: '2025-04-01', balance: 9000.0, amortizationPaid: 1000.0, interestPaid: 45.5 } }]);
    case 'DelayedRepayments':
      return batch('DelayedRepayments', [{ reportReference: reference(), loanNumber: loan(f.loans.updated), isDelay: true, delayedAmounts: [{ delayedInstalment: 300.1, originalDueDate: '2025-06-01' }], isForeclosed: false }]);
    case 'TerminateLoans':
      return batch('TerminateLoans', [{ reportReference: reference(), loanNumber: loan(f.loans.terminated), termination: { isTerminated: true, endDate: '2026-01-31', isTransferredToAnotherLender: false } }]);
    case 'GetBatchStatus':
      return { body: { ...env, batchReference: f.seededBatch }, headers: [] };
    case 'GetLoan':
      return { body: { ...env, loanNumber: loan(f.loans.updated) }, headers: [] };
    case 'GetCreditRegisterExtract':
      return { body: { ...env, request: { idCodeType: 'PersonalIdentityCode', idCode: testPerson(), creditRegisterExtractPurpose: ['NewConsumerCredit', 'NewLoan'], lenderReference: 'case-1' } }, headers: [] };
    case 'IncomeFeed':
      return { body: { ...env, incomeMonths: [{ idCode: testPerson(), year: 2025, month: 6, wagesGrossAmount: 3200.5, wagesNetAmount: 2400, benefitsGrossAmount: 0, benefitsNetAmount: 0, accuracyDenied: false }] }, headers: [] };
    case 'OrderData':
      return { body: { ...env, order: { type: 'LateReporting', fromDate: '2026-01-01', toDate: '2026-01-31', legalBasis: 'Fuzz basis', caseReference: 'fuzz-2' } }, headers: [] };
    case 'GetDataDelivery':
      return { body: { ...env, orderId: f.orderId }, headers: [] };
    case 'GetVoluntaryBanChanges':
      return { body: { ...env, cursor: null, limit: 50 }, headers: [] };
    case 'RenewCertificate':
      return { body: { csr: DUMMY_CSR }, headers: [] };
    case 'WhoAmI':
      return { headers: [] };
    default:
      if (target.path === '/certificates/sign') return { body: { transferId: 'T-NOSUCH', transferPassword: 'not-the-password', csr: DUMMY_CSR }, headers: [] };
      // An operation with no builder here yet (a new one): its envelope, so that it is still fuzzed.
      return { body: env, headers: [] };
  }
}

/**
 * The answer a valid request of a target gets. An operation answered otherwise (a new route
 * still fuzzed with the bare envelope) fails the coverage test until it gets a valid body above.
 */
export function expectedForValid(target: Target): { status: number; code?: string } {
  if (!target.routed) return { status: 404, code: 'A14' };
  if (target.path === '/certificates/sign') return { status: 401, code: 'A25' };
  if (target.path === '/Servicebreak') return { status: 503, code: 'A90' };
  if (target.operation === 'RenewCertificate') return { status: 400, code: 'A26' };
  if (isBatchOperation(target.operation)) return { status: 202 };
  return { status: 200 };
}
