/**
 * The cross-tenant access matrix (issue 9): every authenticated operation × every
 * certificate condition × every organisation role × own or another organisation's data →
 * the status and error code expected, over real mutual TLS against one shared register.
 *
 * The matrix is data: rows follow the access policy's rule (rule() below, the order of the
 * three locks of access.md), and the exceptions are explicit rows. An operation in
 * OPERATIONS or a route the app serves that is not in the table fails the first tests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, X509Certificate } from 'node:crypto';
import { OPERATIONS, type Operation } from '../../src/access/policy.ts';
import { ROLES, type OrganisationRef, type Role } from '../../src/access/organisations.ts';
import { createKeyAndCsr, type Usage } from '../../src/access/pki.ts';
import type { JsonResponse } from '../../src/common/https-client.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { incomeWindow } from '../../src/extract/content.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, testPerson, waitForBatch, type BatchStatusBody, type Json } from '../helpers/reports.ts';
import { feedMarkPassed } from '../helpers/bans.ts';
import { deliveriesSettled } from '../helpers/deliveries.ts';
import { buildCast, lenderDigest, rolePermissions, StateProbe, type Cast, type Client } from './matrix-actors.ts';

/** The certificate column: the conditions every API must refuse, and the valid certificate. */
const CERTIFICATES = {
  none: 'no certificate',
  'foreign-ca': 'a certificate of another CA',
  expired: 'an expired certificate',
  revoked: 'a revoked certificate',
  suspended: "a suspended organisation's certificate",
  'other-environment': 'a certificate of the other environment',
  'wrong-usage': 'a certificate of the other usage',
  'no-permission': 'a certificate of an organisation without data permissions',
  'owner-other': 'a valid certificate, owner naming another organisation',
  valid: 'a valid certificate',
} as const;
type Certificate = keyof typeof CERTIFICATES;
type Data = 'own' | 'other';

/** For a 202 (a batch), `code` is what its one report gets once processed: null for success. */
interface Expect {
  status: number;
  code: string | null;
}

/** Exceptions that need a caller or a body of their own. */
const VARIANTS = {
  'renewal-not-open': { column: 'certificate', text: 'a valid certificate more than 60 days from expiry' },
  'purpose-not-covered': { column: 'certificate', text: 'a valid certificate, an extract permission for consumer purposes only, a business purpose asked' },
  'refused-reference': { column: 'data', text: "the reference of a batch another lender had refused" },
} as const;
type Variant = keyof typeof VARIANTS;

interface Row {
  operation: Operation;
  certificate: Certificate;
  role: Role;
  data: Data;
  expect: Expect;
  variant?: Variant;
  /** Every lock opened: the operation's own answer, checked by its `check`. */
  locksOpen?: boolean;
}

let reg: TestRegister;
let cast: Cast;
let probe: StateProbe;

interface Call {
  row: Row;
  client: Client;
  /** The caller's organisation (id: organisations.id) and the owner its request names. */
  caller: { ref: OrganisationRef; id: number };
  owner: OrganisationRef;
  batchReference?: string;
}

interface OperationSpec {
  route: { method: 'GET' | 'POST'; path: string };
  /** false: in OPERATIONS, not served yet; every row expects 404 A14 until it is. */
  built: boolean;
  /** The request names an owner (the third lock). */
  owner: boolean;
  /** What "another organisation's data" is for this operation; absent: nothing of another to reach. */
  other?: string;
  /** A batch operation: sent with a BatchReference, answered 202. */
  batch?: boolean;
  body?: (c: Call) => unknown;
  /** The answer when every lock opens. */
  answer?: Partial<Record<Data, Expect>>;
  /** What that answer must mean, beyond its status and code. */
  check?: (c: Call, res: JsonResponse<Json>) => Promise<void>;
}

const ok = (status = 200): Expect => ({ status, code: null });
const refused = (status: number, code: string): Expect => ({ status, code });
const envelope = (c: Call) => ({ targetEnvironment: reg.register.environment, owner: ownerOf(c.owner) });
const loanNumber = (number: string) => ({ type: 'Other', number });
const target = (c: Call) => (c.row.data === 'own' ? cast.own.loanNumber : cast.other.loanNumber);
const reference = () => `m-${randomUUID()}`;

/** A person with a consented ban (made once), and a cursor given to a credit information company that is not the caller. */
const banPerson = testPerson();
let otherCursor: string;
/** An order of the main authority, and one of another authority (placed before the rows run). */
const orders = { own: '', other: '' };
async function prepareOrders(): Promise<void> {
  const main = cast.roles.authority.main.ref;
  const other = await reg.organisation({ roles: ['authority'] });
  for (const ref of [main, other]) {
    assert.equal((await reg.cli(['permission', 'grant', '--business-id', ref.idCode, '--permission', 'authority', '--orders', 'PersonLoans,LateReporting'])).exitCode, 0);
  }
  const place = async (ref: OrganisationRef) => {
    const client = await reg.client(ref, 'data-use');
    const res = await client.post<Json>('/OrderData', {
      targetEnvironment: reg.register.environment, owner: ownerOf(ref),
      order: { type: 'PersonLoans', idCodeType: 'PersonalIdentityCode', idCode: cast.own.person, legalBasis: 'Matrix test basis', caseReference: 'matrix-setup' },
    });
    assert.equal(res.status, 200, res.text);
    return String(res.body.orderId);
  };
  orders.own = await place(main);
  orders.other = await place(other);
  await deliveriesSettled(reg.register.db);
}

async function prepareBans(): Promise<void> {
  assert.equal((await reg.cli(['ban', 'set', '--id-code', banPerson, '--reason', 'Other', '--consent'])).exitCode, 0);
  await feedMarkPassed(reg.register.db); // the ban can be delivered to every row that reads the feed
  otherCursor = await (async () => {
    const ref = await reg.organisation({ roles: ['credit-information-company'], permissions: [{ permission: 'ban-distribution' }] });
    const client = await reg.client(ref, 'data-use');
    const res = await client.post<Json>('/GetVoluntaryBanChanges', { targetEnvironment: reg.register.environment, owner: ownerOf(ref), limit: 1 });
    assert.equal(res.status, 200, res.text);
    return String(res.body.nextCursor);
  })();
}

async function latestExtractOf(person: string): Promise<number> {
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT organisation_id AS id FROM extracts WHERE person = $1 ORDER BY created_at DESC LIMIT 1', [person]);
  return Number(rows[0]?.id);
}

/** An answer to compare a refusal about another's data with: the same request about data that exists nowhere. */
async function nowhere(c: Call, body: Json): Promise<JsonResponse<Json>> {
  return c.client.post<Json>(SPECS[c.row.operation].route.path, body);
}
const sameRefusal = (a: JsonResponse<Json>, b: JsonResponse<Json>) => {
  assert.equal(a.status, b.status);
  assert.deepEqual(a.body.errorResponses, b.body.errorResponses, 'the refusal must not tell that the data exists elsewhere');
  assert.equal(a.body.batchStatus, b.body.batchStatus);
};

const SPECS: Record<Operation, OperationSpec> = {
  RenewCertificate: {
    route: { method: 'POST', path: '/certificates/renew' },
    built: true,
    owner: false,
    other: "a CSR naming another organisation",
    body: async (c) => ({ csr: (await createKeyAndCsr(c.row.data === 'own' ? 'renewal' : `Matrix other lender ${cast.other.ref.idCode}`)).csrPem }),
    answer: { own: ok(), other: ok() },
    async check(c, res) {
      const subject = new X509Certificate(String(res.body.certificate)).subject;
      assert.match(subject, new RegExp(`serialNumber=${c.caller.ref.idCode}`), 'the new certificate names the caller');
      assert.ok(!subject.includes(cast.other.ref.idCode), 'never the organisation a CSR names');
      const { rows } = await reg.register.db.query<{ id: number }>('SELECT organisation_id AS id FROM certificates WHERE serial = $1', [res.body.serial]);
      assert.equal(Number(rows[0]?.id), c.caller.id);
    },
  },
  WhoAmI: {
    route: { method: 'GET', path: '/whoami' },
    built: true,
    owner: false,
    answer: { own: ok() },
    async check(c, res) {
      assert.equal((res.body.organisation as Json).idCode, c.caller.ref.idCode);
    },
  },
  AddLoans: {
    route: { method: 'POST', path: '/AddLoans' },
    built: true,
    owner: true,
    batch: true,
    other: "a loan number another lender uses",
    body: (c) => ({ ...envelope(c), loans: [c.row.data === 'own' ? lumpSumLoan() : lumpSumLoan({ loanNumber: loanNumber(cast.other.secondLoanNumber) })] }),
    // Loan numbers are the lender's own: another lender's number is no conflict (no D01, which would reveal it).
    answer: { own: ok(202), other: ok(202) },
  },
  UpdateLoans: {
    route: { method: 'POST', path: '/UpdateLoans' },
    built: true,
    owner: true,
    batch: true,
    other: "another lender's loan",
    body: (c) => ({
      ...envelope(c),
      loans: [lumpSumLoan({
        loanNumber: loanNumber(target(c)),
        borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: c.row.data === 'own' ? cast.own.person : testPerson() }],
        lumpSumLoan: { amountIssued: 10000, amountPaid: 10000, balance: 8000, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2030-03-01', purposeOfUse: 'OtherConsumerCredit' },
      })],
    }),
    answer: { own: ok(202), other: refused(202, 'D03') },
  },
  Repayments: {
    route: { method: 'POST', path: '/Repayments' },
    built: true,
    owner: true,
    batch: true,
    other: "another lender's loan",
    body: (c) => ({
      ...envelope(c),
      repayments: [{ reportReference: reference(), loanNumber: loanNumber(target(c)), loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: '2025-04-01', balance: 9000, amortizationPaid: 1000, interestPaid: 45.5 } }],
    }),
    answer: { own: ok(202), other: refused(202, 'D03') },
  },
  DelayedRepayments: {
    route: { method: 'POST', path: '/DelayedRepayments' },
    built: true,
    owner: true,
    batch: true,
    other: "another lender's loan",
    body: (c) => ({
      ...envelope(c),
      delayedRepayments: [{ reportReference: reference(), loanNumber: loanNumber(target(c)), isDelay: true, delayedAmounts: [{ delayedInstalment: 300.1, originalDueDate: '2025-06-01' }] }],
    }),
    answer: { own: ok(202), other: refused(202, 'D03') },
  },
  TerminateLoans: {
    route: { method: 'POST', path: '/TerminateLoans' },
    built: true,
    owner: true,
    batch: true,
    other: "another lender's loan",
    body: (c) => ({
      ...envelope(c),
      loanTerminations: [{ reportReference: reference(), loanNumber: loanNumber(c.row.data === 'own' ? cast.own.loanToTerminate : cast.other.loanNumber), termination: { isTerminated: true, endDate: '2026-01-31' } }],
    }),
    answer: { own: ok(202), other: refused(202, 'D03') },
  },
  GetBatchStatus: {
    route: { method: 'POST', path: '/GetBatchStatus' },
    built: true,
    owner: true,
    other: "another lender's batch reference",
    body: (c) => ({
      ...envelope(c),
      batchReference: c.row.variant === 'refused-reference' ? cast.other.refusedReference : c.row.data === 'own' ? cast.own.batchReference : cast.other.batchReference,
    }),
    answer: { own: ok(), other: refused(400, 'A40') },
    async check(c, res) {
      if (c.row.data === 'own') return assert.equal(res.body.batchStatus, 'FinishedSuccess');
      assert.equal(res.body.batchStatus, 'NotFound');
      sameRefusal(res, await nowhere(c, { ...envelope(c), batchReference: reference() }));
    },
  },
  GetLoan: {
    route: { method: 'POST', path: '/GetLoan' },
    built: true,
    owner: true,
    other: "another lender's loan",
    body: (c) => ({ ...envelope(c), loanNumber: loanNumber(target(c)) }),
    answer: { own: ok(), other: refused(404, 'D03') },
    async check(c, res) {
      if (c.row.data === 'own') return assert.deepEqual((res.body.loan as Json).loanNumber, loanNumber(cast.own.loanNumber));
      sameRefusal(res, await nowhere(c, { ...envelope(c), loanNumber: loanNumber(reference()) }));
    },
  },
  ResetTestData: {
    route: { method: 'POST', path: '/ResetTestData' },
    built: true,
    owner: true,
    other: "another lender's test data (kept)",
    body: (c) => envelope(c),
    answer: { own: ok(), other: ok() },
    async check(c) {
      const { rows } = await reg.register.db.query<{ n: number }>(
        'SELECT (SELECT count(*) FROM loans WHERE lender_id = $1) + (SELECT count(*) FROM batches WHERE organisation_id = $1) AS n', [c.caller.id]);
      assert.equal(Number(rows[0]!.n), 0, "the caller's own test data is gone");
    },
  },
  GetCreditRegisterExtract: {
    route: { method: 'POST', path: '/GetCreditRegisterExtract' },
    built: true,
    owner: true,
    other: "a person whose loan is another lender's",
    body: (c) => ({
      ...envelope(c),
      request: {
        idCodeType: 'PersonalIdentityCode',
        idCode: c.row.data === 'own' ? cast.own.person : cast.other.person,
        creditRegisterExtractPurpose: c.row.variant === 'purpose-not-covered' ? ['NewLoan'] : ['NewConsumerCredit'],
      },
    }),
    // A person's extract is everyone's by design, with the permission: it shows every lender's loans.
    answer: { own: ok(), other: ok() },
    async check(c, res) {
      const person = c.row.data === 'own' ? cast.own.person : cast.other.person;
      assert.equal(((res.body.creditRegisterExtract as Json).loans as unknown[]).length, 1);
      assert.equal(await latestExtractOf(person), c.caller.id, 'logged and charged to the caller');
    },
  },
  IncomeFeed: {
    route: { method: 'POST', path: '/IncomeFeed' },
    built: true,
    owner: true,
    body: (c) => {
      const last = incomeWindow(finnishDate()).last;
      return { ...envelope(c), incomeMonths: [{ idCode: testPerson(), year: Math.floor(last / 12), month: (last % 12) + 1, wagesGrossAmount: 1000, wagesNetAmount: 800, benefitsGrossAmount: 0, benefitsNetAmount: 0 }] };
    },
    answer: { own: ok() },
    async check(_c, res) {
      assert.equal(res.body.acceptedCount, 1);
    },
  },
  // authorities-and-bans.md: not built yet. When a route appears, the route test below fails until
  // its spec here says built, with its body, answer and check.
  OrderData: {
    route: { method: 'POST', path: '/OrderData' },
    built: true,
    owner: true,
    body: (c) => ({
      ...envelope(c),
      order: { type: 'PersonLoans', idCodeType: 'PersonalIdentityCode', idCode: cast.own.person, legalBasis: 'Matrix test basis', caseReference: `matrix-${randomUUID()}` },
    }),
    answer: { own: ok() },
    async check(c, res) {
      const { rows } = await reg.register.db.query<{ id: number }>('SELECT organisation_id AS id FROM authority_orders WHERE id = $1', [res.body.orderId]);
      assert.equal(Number(rows[0]?.id), c.caller.id, "the order is the caller's");
      await deliveriesSettled(reg.register.db); // produced in the background: not a later row's change
    },
  },
  GetDataDelivery: {
    route: { method: 'POST', path: '/GetDataDelivery' },
    built: true,
    owner: true,
    other: "another authority's order",
    body: (c) => ({ ...envelope(c), orderId: c.row.data === 'own' ? orders.own : orders.other }),
    answer: { own: ok(), other: refused(404, 'A41') },
    async check(c, res) {
      if (c.row.data === 'own') return assert.equal((res.body.order as Json).orderId, orders.own);
      sameRefusal(res, await nowhere(c, { ...envelope(c), orderId: randomUUID() }));
    },
  },
  GetVoluntaryBanChanges: {
    route: { method: 'POST', path: '/GetVoluntaryBanChanges' },
    built: true,
    owner: true,
    other: "another company's cursor",
    body: async (c) => ({ ...envelope(c), limit: 10, ...(c.row.data === 'other' ? { cursor: otherCursor } : {}) }),
    answer: { own: ok(), other: refused(403, 'A22') },
    async check(c, res) {
      if (c.row.data === 'other') return assert.match(String((res.body.errorResponses as Json[])[0]!.errorDescription), /another organisation/);
      const changes = res.body.changes as { personIdCode: string }[];
      assert.ok(changes.some((x) => x.personIdCode === banPerson), 'the consented ban is delivered');
      const { rows } = await reg.register.db.query<{ id: number }>('SELECT organisation_id AS id FROM ban_deliveries WHERE person = $1 ORDER BY delivered_at DESC LIMIT 1', [banPerson]);
      assert.equal(Number(rows[0]?.id), c.caller.id, 'the delivery is logged to the caller');
    },
  },
};

/** Routes served without a client certificate, each for a reason. */
const PUBLIC_ROUTES: { method: string; path: string; prefix?: true; why: string }[] = [
  { method: 'GET', path: '/health', why: 'liveness, no data' },
  { method: 'GET', path: '/error-codes', why: 'the published error catalogue' },
  { method: 'GET', path: '/openapi.json', why: 'the published contract' },
  { method: 'GET', path: '/documentation', prefix: true, why: 'the API reference pages' },
  { method: 'POST', path: '/certificates/sign', why: 'retrieval with the transfer codes, before there is a certificate' },
  { method: 'POST', path: '/Servicebreak', why: 'Test environment only: answers 503 A90 to anyone' },
];

/**
 * The rule of the three locks, in the order the register opens them: the certificate
 * (A23, then A24 for environment and usage), the owner (A21), the data permission (A22).
 * undefined: the cell does not exist (no owner to name).
 */
function rule(operation: Operation, certificate: Certificate, role: Role, data: Data): Expect | undefined {
  const spec = SPECS[operation];
  const policy: { usage: string; permission: string | null } = OPERATIONS[operation];
  if (certificate === 'owner-other' && !spec.owner) return undefined;
  if (!spec.built) return refused(404, 'A14');
  switch (certificate) {
    case 'none':
    case 'foreign-ca':
    case 'expired':
    case 'revoked':
    case 'suspended':
      return refused(401, 'A23');
    case 'other-environment':
      return refused(403, 'A24');
    case 'wrong-usage':
      if (policy.usage !== 'any') return refused(403, 'A24');
      break; // any certificate will do: the other usage is as good as the right one
    case 'owner-other':
      return refused(403, 'A21');
    case 'no-permission':
      if (policy.permission !== null) return refused(403, 'A22');
      break; // needs no data permission
    case 'valid':
      break;
  }
  if (policy.permission !== null && !rolePermissions(role).some((p) => p.permission === policy.permission)) return refused(403, 'A22');
  return spec.answer?.[data];
}

function generate(): Row[] {
  const rows: Row[] = [];
  for (const operation of Object.keys(SPECS) as Operation[]) {
    for (const certificate of Object.keys(CERTIFICATES) as Certificate[]) {
      for (const role of ROLES) {
        const expect = rule(operation, certificate, role, 'own');
        if (expect) rows.push({ operation, certificate, role, data: 'own', expect, locksOpen: expect === SPECS[operation].answer?.own });
        if (certificate === 'valid' && SPECS[operation].built && SPECS[operation].other) {
          const other = rule(operation, certificate, role, 'other')!;
          rows.push({ operation, certificate, role, data: 'other', expect: other, locksOpen: other === SPECS[operation].answer?.other });
        }
      }
    }
  }
  rows.push(
    { operation: 'RenewCertificate', certificate: 'valid', role: 'lender', data: 'own', variant: 'renewal-not-open', expect: refused(400, 'A26') },
    { operation: 'GetCreditRegisterExtract', certificate: 'valid', role: 'lender', data: 'other', variant: 'purpose-not-covered', expect: refused(403, 'A22') },
    { operation: 'GetBatchStatus', certificate: 'valid', role: 'lender', data: 'other', variant: 'refused-reference', expect: refused(400, 'A40'), locksOpen: true },
  );
  // ResetTestData deletes the caller's data that other rows read: its rows run last.
  return rows.sort((a, b) => Number(a.operation === 'ResetTestData') - Number(b.operation === 'ResetTestData'));
}
const ROWS = generate();

function rowName(r: Row): string {
  const variant = r.variant ? VARIANTS[r.variant] : undefined;
  const certificate = variant?.column === 'certificate' ? variant.text : CERTIFICATES[r.certificate];
  const data = variant?.column === 'data' ? variant.text : r.data === 'own' ? 'own data' : SPECS[r.operation].other;
  const outcome = r.expect.status === 202 ? `202, then ${r.expect.code ?? 'FinishedSuccess'}` : `${r.expect.status}${r.expect.code ? ` ${r.expect.code}` : ''}`;
  return `${r.operation}: ${certificate}, as ${r.role}, ${data} → ${outcome}`;
}

/** The usage the operation needs ('any': reporting), or the other one. */
function usageFor(r: Row): Usage {
  const needed = OPERATIONS[r.operation].usage;
  const usage: Usage = needed === 'any' ? 'reporting' : needed;
  return r.certificate === 'wrong-usage' ? (usage === 'reporting' ? 'data-use' : 'reporting') : usage;
}

function callFor(row: Row): Call {
  const role = cast.roles[row.role];
  const usage = usageFor(row);
  let client: Client;
  let caller: { ref: OrganisationRef; id: number } = role.main;
  if (row.variant === 'renewal-not-open') client = cast.fresh;
  else if (row.variant === 'purpose-not-covered') (client = cast.consumerOnly.dataUse), (caller = cast.consumerOnly);
  else {
    switch (row.certificate) {
      case 'none': client = cast.anonymous; break;
      case 'foreign-ca': client = role.main.foreign[usage]; break;
      case 'expired': client = role.main.expired[usage]; break;
      case 'revoked': client = role.main.revoked[usage]; break;
      case 'other-environment': client = role.main.production[usage]; break;
      case 'suspended': (client = role.suspended.valid[usage]), (caller = role.suspended); break;
      case 'no-permission': (client = role.bare.valid[usage]), (caller = role.bare); break;
      default: client = role.main.valid[usage];
    }
  }
  return { row, client, caller, owner: row.certificate === 'owner-other' ? cast.other.ref : caller.ref };
}

async function send(c: Call): Promise<JsonResponse<Json>> {
  const spec = SPECS[c.row.operation];
  if (spec.route.method === 'GET') return c.client.get<Json>(spec.route.path);
  if (spec.batch) c.batchReference = `B-${randomUUID()}`;
  return c.client.post<Json>(spec.route.path, await spec.body!(c), c.batchReference ? { BatchReference: c.batchReference } : {});
}

function assertUniformRefusal(res: JsonResponse<Json>, code: string): void {
  const body = res.body as { statusMessage?: string; correlationId?: string; errorResponses?: { errorCode: string; errorDescription: string }[] };
  assert.equal(body.statusMessage, 'The request was rejected', res.text);
  assert.equal(typeof body.correlationId, 'string');
  assert.equal(res.headers['x-correlation-id'], body.correlationId);
  assert.equal(body.errorResponses?.[0]?.errorCode, code, res.text);
  assert.ok(body.errorResponses[0]!.errorDescription.length > 0, 'a refusal says why');
}

async function runRow(row: Row): Promise<void> {
  const c = callFor(row);
  const refusal = row.expect.status >= 400;
  const before = refusal ? await probe.read() : undefined;
  const otherBefore = row.data === 'other' ? await lenderDigest(reg, cast.other.id) : undefined;

  const res = await send(c);
  assert.equal(res.status, row.expect.status, `answered ${res.status}: ${res.text.slice(0, 400)}`);
  if (refusal) assertUniformRefusal(res, row.expect.code!);
  if (res.status === 202) {
    const status: BatchStatusBody = await waitForBatch(c.client, c.owner, c.batchReference!);
    const codes = (status.rejectedReports ?? []).flatMap((r) => r.errorResponses.map((e) => e.errorCode));
    if (row.expect.code === null) assert.equal(status.batchStatus, 'FinishedSuccess', JSON.stringify(status));
    else assert.deepEqual(codes, [row.expect.code], JSON.stringify(status));
  }
  if (row.locksOpen) await SPECS[row.operation].check?.(c, res);

  if (before) {
    const afterwards = await probe.read();
    assert.deepEqual(afterwards.digest, before.digest, 'a refused request changes nothing');
    const seen = new Set(before.refusals.map((r) => r.line));
    const changed = afterwards.refusals.filter((r) => !seen.has(r.line));
    // A refused batch may be remembered for GetBatchStatus, under the caller's own organisation, and
    // only when the caller could read it back (certificate and permission fit: here, an owner naming
    // someone else); an unauthenticated, wrong-usage or unpermitted request writes nothing.
    const permission = OPERATIONS[row.operation].permission;
    const mayRecord = row.certificate === 'owner-other' && rolePermissions(row.role).some((p) => p.permission === permission);
    assert.deepEqual(changed.filter((r) => !mayRecord || r.organisationId !== c.caller.id), [], 'no refusal recorded but the caller\'s own');
  }
  if (otherBefore !== undefined) assert.equal(await lenderDigest(reg, cast.other.id), otherBefore, "another lender's data is unchanged");
}

before(async () => {
  reg = await startTestRegister({ env: { PCR_RATE_LIMIT: '0' } });
  cast = await buildCast(reg);
  probe = new StateProbe(reg);
  await prepareBans();
  await prepareOrders();
});
after(async () => {
  cast?.close();
  await reg?.close();
});

/** Every method and path the app serves (HEAD aside), from Fastify's route tree. */
function servedRoutes(): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of reg.server.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) out.push({ method, path: stack.join('') });
  }
  return out;
}

describe('the table', () => {
  test('names every operation of the access policy, and every role', () => {
    assert.deepEqual(Object.keys(SPECS).sort(), Object.keys(OPERATIONS).sort());
    for (const operation of Object.keys(OPERATIONS) as Operation[]) {
      for (const certificate of Object.keys(CERTIFICATES) as Certificate[]) {
        for (const role of ROLES) {
          const has = ROWS.some((r) => r.operation === operation && r.certificate === certificate && r.role === role && !r.variant);
          assert.equal(has, certificate !== 'owner-other' || SPECS[operation].owner, `${operation} × ${certificate} × ${role}`);
        }
      }
    }
  });

  test('every route the app serves is an operation of the table or public for a reason', () => {
    const served = servedRoutes();
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    const tabled = new Map(Object.entries(SPECS).map(([op, s]) => [key(s.route), { op, built: s.built }]));
    const unexplained = served.filter((r) => !tabled.has(key(r)) && !PUBLIC_ROUTES.some((p) => p.method === r.method && (p.prefix ? r.path.startsWith(p.path) : p.path === r.path)));
    assert.deepEqual(unexplained, [], 'a route without a row in the access matrix (or a reason to be public)');
    for (const [op, s] of Object.entries(SPECS)) {
      const isServed = served.some((r) => key(r) === key(s.route));
      assert.equal(isServed, reg.server.app.hasRoute({ method: s.route.method, url: s.route.path }));
      assert.equal(isServed, s.built, s.built ? `${op} is not served at ${key(s.route)}` : `${op} is served now: mark it built in the matrix, with its body, answer and check`);
    }
  });
});

for (const operation of new Set(ROWS.map((r) => r.operation))) {
  describe(operation, () => {
    for (const row of ROWS.filter((r) => r.operation === operation)) test(rowName(row), () => runRow(row));
  });
}
