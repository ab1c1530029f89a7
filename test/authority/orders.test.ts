/**
 * Authorities' orders over mutual TLS (authorities-and-bans.md "Data ordering"): a PersonLoans
 * order end to end (content, paging headers, the download and disclosure logs, the consumer-only
 * scope), every refusal of OrderData and GetDataDelivery with its code, other authorities' orders
 * indistinguishable from none, and the background work — recurring periods once each, the
 * 90-day expiry, cancelling — on a clock the test controls.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { authorityOrdersJob } from '../../src/authority/job.ts';
import { addDays, validateOrder, type OrderInput } from '../../src/authority/orders.ts';
import { expireDeliveries, placeOrder, scheduleRecurring } from '../../src/authority/store.ts';
import { finnishDate } from '../../src/common/dates.ts';
import type { HttpsJsonClient, JsonResponse } from '../../src/common/https-client.ts';
import { storeIncome, validateIncome } from '../../src/extract/income.ts';
import type { JobStep } from '../../src/jobs/runner.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, report, runningAccountLoan, testPerson, type Json } from '../helpers/reports.ts';

type ErrorBody = { errorResponses?: { fieldName?: string; errorCode: string; errorDescription: string }[] };
type Delivery = { deliveryId: string; periodStart: string; periodEnd: string; status: string; readyAt: string | null; expiresAt: string | null; rowCount: number | null; pageCount: number | null; contentSha256: string | null };
type DeliveryAnswer = ErrorBody & { order: { orderId: string; type: string; recurrence: string; state: string; legalBasis: string | null; caseReference: string | null }; deliveries: Delivery[] };

let reg: TestRegister;
/** The main authority: every order type, every loan, identity codes delivered. */
let authority: { ref: OrganisationRef; client: HttpsJsonClient; id: number };
/** Every identity code this file sends: none may reach the server's log. */
const codesUsed = new Set<string>();
const person = () => {
  const p = testPerson();
  codesUsed.add(p);
  return p;
};

async function orgId(ref: OrganisationRef): Promise<number> {
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [ref.idCode]);
  return rows[0]!.id;
}

async function newAuthority(grant: string[]): Promise<{ ref: OrganisationRef; client: HttpsJsonClient; id: number }> {
  const ref = await reg.organisation({ roles: ['authority'] });
  if (grant.length) {
    const r = await reg.cli(['permission', 'grant', '--business-id', ref.idCode, '--permission', 'authority', ...grant]);
    assert.equal(r.exitCode, 0, r.stderr);
  }
  return { ref, client: await reg.client(ref, 'data-use'), id: await orgId(ref) };
}

const orderData = (client: HttpsJsonClient, ref: OrganisationRef, order: Json) =>
  client.post<ErrorBody & { orderId: string }>('/OrderData', { targetEnvironment: 'Test', owner: ownerOf(ref), order });
const getDelivery = (client: HttpsJsonClient, ref: OrganisationRef, body: Json) =>
  client.post<DeliveryAnswer>('/GetDataDelivery', { targetEnvironment: 'Test', owner: ownerOf(ref), ...body });
const codes = (res: JsonResponse<ErrorBody>) => (res.body.errorResponses ?? []).map((e) => e.errorCode);
const personLoans = (idCode: string, extra: Json = {}) => ({ type: 'PersonLoans', legalBasis: 'Act on the Financial Supervisory Authority 18 §', caseReference: 'FIVA/2026/118', idCodeType: 'PersonalIdentityCode', idCode, ...extra });

/** Polls the order until its first delivery is no longer Pending/InProgress (the register's runner produces it). */
async function settled(client: HttpsJsonClient, ref: OrganisationRef, orderId: string): Promise<Delivery> {
  for (let i = 0; i < 400; i++) {
    const res = await getDelivery(client, ref, { orderId });
    assert.equal(res.status, 200, res.text);
    const d = res.body.deliveries[0];
    if (d && d.status !== 'Pending' && d.status !== 'InProgress') return d;
    reg.server.worker.wake();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`order ${orderId}: delivery not produced`);
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);
const orderCount = async () => (await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM authority_orders')).rows[0]!.n;

before(async () => {
  reg = await startTestRegister();
  authority = await newAuthority(['--scope', 'all', '--orders', 'PersonLoans,LoanStockSnapshot,MonthlyAggregates,LateReporting', '--identity-codes', 'codes']);
});
after(() => reg.close());

// ---- 1. PersonLoans end to end

/** The person of test 1, with their loans at two lenders. */
let subject: string;
let loans: { active: Json; ended: Json; cancelled: Json; guaranteed: Json; business: Json; housing: Json; theirs: Json };

test('PersonLoans: the person, their loans at two lenders with names, a guarantee, income months; no cancelled loan; paged NDJSON with its hash; logged as downloaded and as disclosed', async () => {
  subject = person();
  const me = { idCodeType: 'PersonalIdentityCode', idCode: subject };
  const bank = await reg.lender();
  const other = await reg.lender();
  const withPurpose = (purposeOfUse: string) => ({ amountIssued: 10000.0, amountPaid: 10000.0, balance: 8500.5, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2030-03-01', purposeOfUse });
  loans = {
    active: lumpSumLoan({ borrowers: [me] }),
    ended: lumpSumLoan({ borrowers: [me], contractDate: '2024-01-10' }),
    cancelled: lumpSumLoan({ borrowers: [me] }),
    guaranteed: lumpSumLoan({ guarantors: [me], borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person() }] }),
    business: lumpSumLoan({ borrowers: [me], consumerCredit: { loanConsumerProtectionAct: 'OtherThanConsumerCredit', isGoodsOrServicesRelatedCredit: false }, lumpSumLoan: withPurpose('LoanForBusinessActivities') }),
    housing: lumpSumLoan({ borrowers: [me], consumerCredit: { loanConsumerProtectionAct: 'ResidentialPropertyConsumerCredit', isGoodsOrServicesRelatedCredit: false }, lumpSumLoan: withPurpose('HomeLoan') }),
    theirs: runningAccountLoan({ borrowers: [me] }),
  };
  const added = await report(bank.client, bank.ref, 'AddLoans', [loans.active, loans.ended, loans.cancelled, loans.guaranteed, loans.business, loans.housing]);
  assert.equal(added.batchStatus, 'FinishedSuccess', JSON.stringify(added.rejectedReports));
  assert.equal((await report(other.client, other.ref, 'AddLoans', [loans.theirs])).batchStatus, 'FinishedSuccess');
  assert.equal((await report(bank.client, bank.ref, 'TerminateLoans', [{ reportReference: 't', loanNumber: loans.ended.loanNumber, termination: { endDate: '2026-01-01' } }])).batchStatus, 'FinishedSuccess');
  assert.equal((await report(bank.client, bank.ref, 'UpdateLoans', [{ ...loans.cancelled, reportType: 'Cancellation' }])).batchStatus, 'FinishedSuccess');
  const income = [{ year: 2026, month: 9 }, { year: 2026, month: 10 }].map((m) => validateIncome({ idCode: subject, ...m, wagesGrossAmount: 3500.5, wagesNetAmount: 2600, benefitsGrossAmount: 100, benefitsNetAmount: 80, accuracyDenied: false }, 'Test', finnishDate()).row!);
  await storeIncome(reg.register.db, income, 'test');

  const placed = await orderData(authority.client, authority.ref, personLoans(subject));
  assert.equal(placed.status, 200, placed.text);
  const { orderId } = placed.body;
  const listed = await getDelivery(authority.client, authority.ref, { orderId });
  assert.equal(listed.status, 200, listed.text);
  assert.equal(listed.body.deliveries.length, 1);
  assert.deepEqual([listed.body.order.type, listed.body.order.recurrence, listed.body.order.state, listed.body.order.caseReference], ['PersonLoans', 'Once', 'Active', 'FIVA/2026/118']);
  const d = await settled(authority.client, authority.ref, orderId);
  assert.equal(d.status, 'Ready');
  assert.equal(d.pageCount, 1);

  const res = await getDelivery(authority.client, authority.ref, { orderId, deliveryId: d.deliveryId });
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
  assert.equal(res.headers['x-page'], '1');
  assert.equal(res.headers['x-page-count'], '1');
  const sha = createHash('sha256').update(res.text).digest('hex');
  assert.equal(res.headers['x-content-sha256'], sha, 'the hash header is the hash of the body (one page: the whole content)');
  assert.equal(d.contentSha256, sha);

  const got = lines(res.text);
  assert.equal(d.rowCount, got.length);
  assert.deepEqual(got[0], { recordType: 'Person', personIdCode: subject });
  const byNumber = new Map(got.filter((l) => l.recordType === 'Loan' || l.recordType === 'Guarantee').map((l) => [(l.loanNumber as Json).number as string, l]));
  const num = (l: Json) => (l.loanNumber as Json).number as string;
  assert.deepEqual([...byNumber.keys()].sort(), [loans.active, loans.ended, loans.guaranteed, loans.business, loans.housing, loans.theirs].map(num).sort(), 'active and ended loans and the guarantee; not the cancelled loan');
  const nameOf = (ref: OrganisationRef) => ({ businessId: ref.idCode, name: `Test Org ${ref.idCode}` });
  const pick = (l: Json) => { const x = byNumber.get(num(l))!; return [x.recordType, x.status, x.lender]; };
  assert.deepEqual(pick(loans.active), ['Loan', 'Active', nameOf(bank.ref)]);
  assert.deepEqual(pick(loans.ended), ['Loan', 'Ended', nameOf(bank.ref)]);
  assert.equal(byNumber.get(num(loans.ended))!.endDate, '2026-01-01');
  assert.deepEqual(pick(loans.theirs), ['Loan', 'Active', nameOf(other.ref)]);
  assert.deepEqual(pick(loans.guaranteed), ['Guarantee', 'Active', nameOf(bank.ref)]);
  assert.equal(((byNumber.get(num(loans.theirs))!.contract as Json).runningAccountLoan as Json).creditLimit, 5000, 'the contract as reported');
  const months = got.filter((l) => l.recordType === 'IncomeMonth');
  assert.deepEqual(months.map((m) => [m.year, m.month, Number(m.wagesGrossAmount), Number(m.wagesNetAmount)]), [[2026, 9, 3500.5, 2600], [2026, 10, 3500.5, 2600]]);
  assert.equal(got.length, 1 + 6 + 2);

  const log = await reg.register.db.query<{ organisation_id: number; order_id: string; delivery_id: string; page: number; rows_sent: number; legal_basis: string; case_reference: string; content_sha256: string }>(
    'SELECT organisation_id::int, order_id::text, delivery_id::text, page, rows_sent, legal_basis, case_reference, content_sha256 FROM data_delivery_log WHERE order_id = $1', [orderId]);
  assert.deepEqual(log.rows, [{ organisation_id: authority.id, order_id: orderId, delivery_id: d.deliveryId, page: 1, rows_sent: got.length, legal_basis: 'Act on the Financial Supervisory Authority 18 §', case_reference: 'FIVA/2026/118', content_sha256: sha }]);
  const disclosed = await reg.register.db.query<{ person: string; organisation_id: number; legal_basis: string; case_reference: string }>(
    'SELECT person, organisation_id::int, legal_basis, case_reference FROM authority_disclosures WHERE delivery_id = $1', [d.deliveryId]);
  assert.deepEqual(disclosed.rows, [{ person: subject, organisation_id: authority.id, legal_basis: 'Act on the Financial Supervisory Authority 18 §', case_reference: 'FIVA/2026/118' }]);

  // The same content read again: the same bytes, and a second log entry.
  const again = await getDelivery(authority.client, authority.ref, { orderId, deliveryId: d.deliveryId, page: 1 });
  assert.equal(again.text, res.text);
  assert.equal((await reg.register.db.query('SELECT 1 FROM data_delivery_log WHERE order_id = $1', [orderId])).rows.length, 2);
});

/** The loan numbers a consumer-credit-only authority receives of the subject's loans. */
async function consumerScopeNumbers(): Promise<unknown[]> {
  const consumerOnly = await newAuthority(['--scope', 'consumer', '--orders', 'PersonLoans', '--identity-codes', 'codes']);
  const placed = await orderData(consumerOnly.client, consumerOnly.ref, personLoans(subject));
  assert.equal(placed.status, 200, placed.text);
  const d = await settled(consumerOnly.client, consumerOnly.ref, placed.body.orderId);
  assert.equal(d.status, 'Ready');
  const res = await getDelivery(consumerOnly.client, consumerOnly.ref, { orderId: placed.body.orderId, deliveryId: d.deliveryId });
  return lines(res.text).filter((l) => l.loanNumber).map((l) => (l.loanNumber as Json).number);
}
const num = (l: Json) => (l.loanNumber as Json).number;

test('PersonLoans with --scope consumer: the non-consumer loan is absent, the consumer ones are there', async () => {
  const numbers = await consumerScopeNumbers();
  assert.ok(!numbers.includes(num(loans.business)), 'the non-consumer loan is outside the scope');
  for (const l of [loans.active, loans.ended, loans.guaranteed, loans.theirs]) assert.ok(numbers.includes(num(l)), `${num(l)} is consumer credit`);
});

test('PersonLoans with --scope consumer: a residential property consumer credit (chapter 7a) is consumer credit too', async () => {
  assert.ok((await consumerScopeNumbers()).includes(num(loans.housing)));
});

test('PersonLoans with --identity-codes pseudonyms: no identity code is delivered; the pseudonym is stable for one authority and differs between authorities', async () => {
  const pseudonymOf = async (a: Awaited<ReturnType<typeof newAuthority>>) => {
    const placed = await orderData(a.client, a.ref, personLoans(subject));
    assert.equal(placed.status, 200, placed.text);
    const d = await settled(a.client, a.ref, placed.body.orderId);
    assert.equal(d.status, 'Ready');
    const res = await getDelivery(a.client, a.ref, { orderId: placed.body.orderId, deliveryId: d.deliveryId });
    assert.ok(!/\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]/.test(res.text), 'a pseudonymous scope delivers no identity code, not even a co-borrower\'s');
    return String((JSON.parse(res.text.split('\n')[0]!) as Json).personIdCode);
  };
  const one = await newAuthority(['--scope', 'all', '--orders', 'PersonLoans', '--identity-codes', 'pseudonyms']);
  const other = await newAuthority(['--scope', 'all', '--orders', 'PersonLoans']); // pseudonyms is the default
  const first = await pseudonymOf(one);
  assert.match(first, /^PSN-[0-9a-f]{32}$/);
  assert.equal(await pseudonymOf(one), first, 'the same for one authority');
  assert.notEqual(await pseudonymOf(other), first, 'another for another authority');
});

// ---- 2. Validation

test('OrderData validation: each problem with its code and field, all at once, and nothing stored after a refusal', async () => {
  const before = await orderCount();
  const today = finnishDate();
  const p = person();
  const expect = async (order: Json, want: [string | undefined, string][], status = 400) => {
    const res = await orderData(authority.client, authority.ref, order);
    assert.equal(res.status, status, `${JSON.stringify(order)}: ${res.text}`);
    const got = (res.body.errorResponses ?? []).map((e) => [e.fieldName, e.errorCode]);
    for (const w of want) assert.ok(got.some((g) => g[1] === w[1] && (w[0] === undefined || g[0] === w[0])), `${JSON.stringify(order)}: want ${w} in ${JSON.stringify(got)}`);
    return res;
  };
  await expect({ type: 'WhateverData' }, [[undefined, 'A10']]);
  const snapshot = (extra: Json) => ({ type: 'LoanStockSnapshot', ...extra });
  await expect(snapshot({}), [['order.snapshotDate', 'A10']]);
  await expect(snapshot({ snapshotDate: today }), [['order.snapshotDate', 'D12']]); // the day has not ended
  await expect(snapshot({ snapshotDate: '2026-02-30' }), [['order.snapshotDate', 'A10']]);
  await expect(snapshot({ recurrence: 'Daily', snapshotDate: addDays(today, -1) }), [['order.snapshotDate', 'A10']]);
  await expect(snapshot({ snapshotDate: addDays(today, -1), fromMonth: '2026-01' }), [['order.fromMonth', 'A10']]);
  const aggregates = (extra: Json) => ({ type: 'MonthlyAggregates', ...extra });
  await expect(aggregates({ fromMonth: '2026-13', toMonth: '2026-01' }), [['order.fromMonth', 'A10']]);
  await expect(aggregates({ fromMonth: today.slice(0, 7), toMonth: today.slice(0, 7) }), [['order.toMonth', 'D12']]); // the month has not ended
  await expect(aggregates({ fromMonth: '2026-05', toMonth: '2026-03' }), [['order.toMonth', 'D18']]);
  await expect(aggregates({ fromMonth: '2001-01', toMonth: '2015-01' }), [['order.toMonth', 'D18']]); // 169 months
  await expect(aggregates({ recurrence: 'Daily' }), [['order.recurrence', 'A10']]);
  await expect(aggregates({ recurrence: 'Monthly', toMonth: '2026-01' }), [['order.fromMonth', 'A10']]);
  await expect(aggregates({ fromMonth: '2026-01', toMonth: '2026-02', format: 'XML' }), [[undefined, 'A10']]);
  const all = await expect({ type: 'PersonLoans', idCodeType: 'PersonalIdentityCode' }, [['order.legalBasis', 'A10'], ['order.caseReference', 'A10'], ['order.idCode', 'A10']]);
  assert.equal(all.body.errorResponses!.length, 3, 'every problem reported at once');
  await expect(personLoans(p, { legalBasis: '   ' }), [['order.legalBasis', 'A10']]);
  await expect(personLoans('010190-923F'), [['order.idCode', 'D04']]);
  await expect(personLoans('131052-308T'), [['order.idCode', 'D04']]); // a production code in the Test register
  await expect(personLoans(p, { recurrence: 'Daily' }), [['order.recurrence', 'A10']]);
  const late = (extra: Json) => ({ type: 'LateReporting', ...extra });
  await expect(late({ fromDate: addDays(today, -5), toDate: today }), [['order.toDate', 'D12']]);
  await expect(late({ fromDate: addDays(today, -5), toDate: addDays(today, 3) }), [['order.toDate', 'D12']]);
  await expect(late({ fromDate: addDays(today, -2), toDate: addDays(today, -5) }), [['order.toDate', 'D18']]);
  await expect(late({ fromDate: '1800-01-01', toDate: addDays(today, -1) }), [['order.fromDate', 'D27']]);
  await expect(late({ fromDate: 'garbage', toDate: addDays(today, -1) }), [['order.fromDate', 'A10']]);
  await expect(late({ fromDate: '2026-02-30', toDate: addDays(today, -1) }), [['order.fromDate', 'A10']]);
  await expect(late({ toDate: addDays(today, -1) }), [['order.fromDate', 'A10']]);
  await expect(late({ fromDate: addDays(today, -5), toDate: addDays(today, -1), idCode: p }), [['order.idCode', 'A10']]);
  await expect(late({ recurrence: 'Daily', fromDate: addDays(today, -5) }), [['order.fromDate', 'A10']]);
  const many = await expect(late({ fromDate: '1800-01-01', toDate: 'x', idCode: p }), [['order.fromDate', 'D27'], ['order.toDate', 'A10'], ['order.idCode', 'A10']]);
  assert.equal(many.body.errorResponses!.length, 3, JSON.stringify(many.body.errorResponses));
  await expect({ ...personLoans(p), idCode: 'x'.repeat(5000) }, [[undefined, 'A10']]); // hostile sizes: 400, not 5xx
  assert.equal(await orderCount(), before, 'a refused order stores nothing');
});

// ---- 3. Scope and permission

test('OrderData refusals: a type outside --orders (A22 naming it), no authority permission, a lender or credit information company, a reporting certificate, no certificate, another owner', async () => {
  const before = await orderCount();
  const p = person();
  const narrow = await newAuthority(['--scope', 'all', '--orders', 'PersonLoans', '--identity-codes', 'codes']);
  const outside = await orderData(narrow.client, narrow.ref, { type: 'LateReporting', fromDate: '2026-01-01', toDate: '2026-01-31' });
  assert.equal(outside.status, 403, outside.text);
  assert.deepEqual(codes(outside), ['A22']);
  assert.match(outside.body.errorResponses![0]!.errorDescription, /LateReporting/);

  const ungranted = await newAuthority([]);
  const none = await orderData(ungranted.client, ungranted.ref, personLoans(p));
  assert.deepEqual([none.status, codes(none)], [403, ['A22']]);

  const lender = await reg.lender();
  const lenderData = await reg.client(lender.ref, 'data-use');
  const asLender = await orderData(lenderData, lender.ref, personLoans(p));
  assert.deepEqual([asLender.status, codes(asLender)], [403, ['A22']]);
  const cic = await reg.organisation({ roles: ['credit-information-company'], permissions: [{ permission: 'ban-distribution' }] });
  const asCic = await orderData(await reg.client(cic, 'data-use'), cic, personLoans(p));
  assert.deepEqual([asCic.status, codes(asCic)], [403, ['A22']]);

  const reporting = await reg.client(authority.ref, 'reporting');
  const wrongUsage = await orderData(reporting, authority.ref, personLoans(p));
  assert.deepEqual([wrongUsage.status, codes(wrongUsage)], [403, ['A24']]);
  const anon = await orderData(reg.anonymous(), authority.ref, personLoans(p));
  assert.deepEqual([anon.status, codes(anon)], [401, ['A23']]);
  const otherOwner = await orderData(authority.client, narrow.ref, personLoans(p));
  assert.deepEqual([otherOwner.status, codes(otherOwner)], [403, ['A21']]);
  // GetDataDelivery has the same locks.
  const anyId = randomUUID();
  assert.deepEqual(codes(await getDelivery(lenderData, lender.ref, { orderId: anyId })), ['A22']);
  assert.deepEqual(codes(await getDelivery(reporting, authority.ref, { orderId: anyId })), ['A24']);
  assert.equal(await orderCount(), before, 'a refused order stores nothing');
});

// ---- 4. Other authorities' orders, and GetDataDelivery's own refusals

test('GetDataDelivery: another authority\'s order or delivery answers exactly as a random id (404 A41); mismatched pairs, pages and ids refused', async () => {
  const rival = await newAuthority(['--scope', 'all', '--orders', 'PersonLoans', '--identity-codes', 'codes']);
  const theirs = await orderData(rival.client, rival.ref, personLoans(subject));
  assert.equal(theirs.status, 200, theirs.text);
  const theirDelivery = await settled(rival.client, rival.ref, theirs.body.orderId);
  const mine1 = await orderData(authority.client, authority.ref, personLoans(subject, { caseReference: 'FIVA/2026/201' }));
  const mine2 = await orderData(authority.client, authority.ref, personLoans(subject, { caseReference: 'FIVA/2026/202' }));
  const d1 = await settled(authority.client, authority.ref, mine1.body.orderId);
  const d2 = await settled(authority.client, authority.ref, mine2.body.orderId);
  assert.equal(d2.status, 'Ready');

  const view = (res: JsonResponse<ErrorBody>) => ({ status: res.status, errorResponses: res.body.errorResponses });
  const random = view(await getDelivery(authority.client, authority.ref, { orderId: randomUUID() }));
  assert.deepEqual(random, { status: 404, errorResponses: [{ fieldName: 'orderId', errorCode: 'A41', errorDescription: random.errorResponses![0]!.errorDescription }] });
  const cases: [string, Json][] = [
    ["another authority's order", { orderId: theirs.body.orderId }],
    ["another authority's order and delivery", { orderId: theirs.body.orderId, deliveryId: theirDelivery.deliveryId }],
    ["another authority's order, upper case", { orderId: theirs.body.orderId.toUpperCase(), deliveryId: theirDelivery.deliveryId.toUpperCase() }],
    ['a random delivery of my order', { orderId: mine1.body.orderId, deliveryId: randomUUID() }],
    ['my order with my other order\'s delivery', { orderId: mine1.body.orderId, deliveryId: d2.deliveryId }],
    ['my order with their delivery', { orderId: mine1.body.orderId, deliveryId: theirDelivery.deliveryId }],
    ['random order and delivery', { orderId: randomUUID(), deliveryId: randomUUID() }],
  ];
  for (const [name, body] of cases) assert.deepEqual(view(await getDelivery(authority.client, authority.ref, body)), random, name);
  assert.equal((await getDelivery(rival.client, rival.ref, { orderId: theirs.body.orderId })).status, 200, 'the owner still sees it');
  // Upper-case ids of one's own order work (UUIDs are case-insensitive).
  assert.equal((await getDelivery(authority.client, authority.ref, { orderId: mine1.body.orderId.toUpperCase(), deliveryId: d1.deliveryId.toUpperCase() })).status, 200);

  const refused = async (body: Json, field?: string) => {
    const res = await getDelivery(authority.client, authority.ref, body);
    assert.deepEqual([res.status, codes(res)], [400, ['A10']], `${JSON.stringify(body)}: ${res.text}`);
    if (field) assert.equal(res.body.errorResponses![0]!.fieldName, field);
  };
  await refused({ orderId: mine1.body.orderId, deliveryId: d1.deliveryId, page: 0 });
  await refused({ orderId: mine1.body.orderId, deliveryId: d1.deliveryId, page: 2 }, 'page');
  await refused({ orderId: mine1.body.orderId, deliveryId: d1.deliveryId, page: 1.5 });
  await refused({ orderId: mine1.body.orderId, page: 1 }, 'page');
  await refused({ orderId: 'not-a-uuid' });
  await refused({ orderId: mine1.body.orderId, deliveryId: `${d1.deliveryId}x` });
  await refused({});
  const logged = await reg.register.db.query('SELECT 1 FROM data_delivery_log WHERE order_id = ANY($1::uuid[])', [[mine1.body.orderId, theirs.body.orderId]]);
  assert.equal(logged.rows.length, 1, 'only the download that was sent is logged (none of the refusals)');
});

// ---- 5. The background work on the test's clock (the register's own runner stopped first)

const DAY = 86_400_000;

async function drain(job: ReturnType<typeof authorityOrdersJob>): Promise<JobStep[]> {
  const steps: JobStep[] = [];
  for (let i = 0; i < 200; i++) {
    const s = await job.runNext({ skip: [] });
    if (s.step === 'idle') return steps;
    assert.notEqual(s.step, 'retry', JSON.stringify(s));
    steps.push(s);
  }
  throw new Error('the job did not become idle');
}

const deliveriesOf = async (orderId: string) =>
  (await reg.register.db.query<{ start: string; end: string; status: string }>(
    `SELECT to_char(period_start, 'YYYY-MM-DD') AS start, to_char(period_end, 'YYYY-MM-DD') AS "end", status FROM data_deliveries WHERE order_id = $1 ORDER BY period_start`, [orderId])).rows;

function place(input: OrderInput, today: string) {
  const v = validateOrder(input, 'Test', today);
  assert.ok('order' in v, JSON.stringify(v));
  return placeOrder(reg.register.db, authority.id, v.order);
}

let produced: { orderId: string; deliveryId: string; readyAt: Date };

test('a delivery not yet produced is 409 A42; the job kind produces it on its clock', async () => {
  await reg.server.worker.stop();
  const placed = await orderData(authority.client, authority.ref, personLoans(subject, { caseReference: 'FIVA/2026/301' }));
  assert.equal(placed.status, 200, placed.text);
  const [d] = (await getDelivery(authority.client, authority.ref, { orderId: placed.body.orderId })).body.deliveries;
  assert.equal(d!.status, 'Pending');
  const early = await getDelivery(authority.client, authority.ref, { orderId: placed.body.orderId, deliveryId: d!.deliveryId });
  assert.deepEqual([early.status, codes(early)], [409, ['A42']]);
  assert.match(early.body.errorResponses![0]!.errorDescription, /Pending/);

  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const steps = await drain(authorityOrdersJob(reg.register.db, { now: () => now }));
  assert.ok(steps.some((s) => s.step === 'done' && s.details?.deliveryId === d!.deliveryId && !s.details.failed), JSON.stringify(steps));
  const ready = await settled(authority.client, authority.ref, placed.body.orderId);
  assert.equal(ready.status, 'Ready');
  assert.equal(ready.readyAt, now.toISOString(), 'ready at the job\'s clock');
  produced = { orderId: placed.body.orderId, deliveryId: d!.deliveryId, readyAt: now };
});

let daily: string;
let monthly: string;

test('recurring orders: each ended period gets one delivery, however often and concurrently the scheduler runs; Monthly periods are whole months', async () => {
  const today = finnishDate();
  daily = (await place({ type: 'LateReporting', recurrence: 'Daily' }, today)).orderId;
  assert.deepEqual(await deliveriesOf(daily), [], 'nothing before the first day has ended');
  assert.equal(await scheduleRecurring(reg.register.db, today), 0, 'today has not ended');
  const later = addDays(today, 3);
  const created = await Promise.all([scheduleRecurring(reg.register.db, later), scheduleRecurring(reg.register.db, later)]);
  assert.equal(created[0]! + created[1]!, 3, `two schedulers at once: ${created}`);
  assert.equal(await scheduleRecurring(reg.register.db, later), 0, 'run again: nothing new');
  const want = [0, 1, 2].map((i) => ({ start: addDays(today, i), end: addDays(today, i), status: 'Pending' }));
  assert.deepEqual(await deliveriesOf(daily), want);

  // Through the runner interface, on a clock three days on: nothing more is scheduled; each delivery is produced.
  const clock = new Date(Date.now() + 3 * DAY);
  const steps = await drain(authorityOrdersJob(reg.register.db, { now: () => clock }));
  const after = await deliveriesOf(daily);
  assert.deepEqual(after.map((d) => [d.start, d.end]), want.map((d) => [d.start, d.end]), 'the job created no other period');
  // LateReporting's content is another test's; here only that each delivery left the queue once.
  for (const d of after) assert.ok(d.status === 'Ready' || d.status === 'Failed', `${d.start}: ${d.status}`);
  assert.equal(steps.filter((s) => s.step === 'done' && s.message?.startsWith('delivery')).length, 3, JSON.stringify(steps));

  const month0 = `${today.slice(0, 7)}-01`;
  monthly = (await place({ type: 'LateReporting', recurrence: 'Monthly' }, today)).orderId;
  const monthAfter = (first: string, n: number) => {
    const [y, m] = first.split('-').map(Number) as [number, number];
    const k = y * 12 + (m - 1) + n;
    return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}-01`;
  };
  await scheduleRecurring(reg.register.db, monthAfter(month0, 3));
  await scheduleRecurring(reg.register.db, addDays(monthAfter(month0, 3), 1));
  assert.deepEqual((await deliveriesOf(monthly)).map((d) => [d.start, d.end]), [0, 1, 2].map((i) => [monthAfter(month0, i), addDays(monthAfter(month0, i + 1), -1)]));
  const dailyNow = await deliveriesOf(daily);
  assert.equal(new Set(dailyNow.map((d) => d.start)).size, dailyNow.length, 'no daily period twice');
});

test('cancelling: pcr order cancel stops the deliveries, shows in pcr order list with who cancelled, twice answers false, and is audited', async () => {
  const before = (await deliveriesOf(daily)).length;
  const cancel = async (id: string) => reg.cli(['order', 'cancel', '--order-id', id, '--actor', 'supervisor-anna', '--json']);
  const first = await cancel(daily);
  assert.equal(first.exitCode, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout), { cancelled: true });
  const second = await cancel(daily.toUpperCase());
  assert.equal(second.exitCode, 0, second.stderr);
  assert.deepEqual(JSON.parse(second.stdout), { cancelled: false });
  assert.equal((await cancel(monthly)).exitCode, 0);
  assert.equal((await reg.cli(['order', 'cancel', '--order-id', 'nope'])).exitCode, 2);

  await scheduleRecurring(reg.register.db, addDays(finnishDate(), 60));
  assert.equal((await deliveriesOf(daily)).length, before, 'no further deliveries after the cancel');
  assert.equal((await deliveriesOf(monthly)).length, 3);

  const list = await reg.cli(['order', 'list', '--json', '--business-id', authority.ref.idCode]);
  assert.equal(list.exitCode, 0, list.stderr);
  const orders = (JSON.parse(list.stdout) as { orders: { orderId: string; state: string; cancelledBy: string | null; deliveries: number; authority: { businessId: string } }[] }).orders;
  const listed = orders.find((o) => o.orderId === daily)!;
  assert.deepEqual([listed.state, listed.cancelledBy, listed.deliveries, listed.authority.businessId], ['Cancelled', 'supervisor-anna', before, authority.ref.idCode]);
  assert.equal(orders.find((o) => o.orderId === produced.orderId)!.state, 'Active');

  const audit = await reg.cli(['audit', '--json', '--limit', '20']);
  const entries = (JSON.parse(audit.stdout) as { action: string; actor: string; target: string | null; after: unknown }[]).filter((e) => e.action === 'order cancel' && e.target === daily);
  assert.deepEqual(entries.map((e) => [e.actor, e.after]), [['supervisor-anna', { cancelled: false }], ['supervisor-anna', { cancelled: true }]]);
});

test('expiry: a delivery is kept 90 days, then its content is deleted and the record stays Expired (store function and job kind)', async () => {
  const { db } = reg.register;
  const row = async () => (await db.query<{ status: string; expiresAt: Date; lines: number }>(
    `SELECT status, expires_at AS "expiresAt", (SELECT coalesce(sum(line_count), 0)::int FROM data_delivery_pages p WHERE p.delivery_id = d.id) AS lines FROM data_deliveries d WHERE id = $1`, [produced.deliveryId])).rows[0]!;
  const start = await row();
  assert.equal(start.status, 'Ready');
  assert.ok(start.lines > 0);
  const ready = produced.readyAt.getTime();
  // 90 days of the session's calendar: exactly 90 × 24 h, or an hour off across a change of summer time.
  assert.ok(Math.abs(start.expiresAt.getTime() - (ready + 90 * DAY)) <= 3_600_000, start.expiresAt.toISOString());

  await expireDeliveries(db, new Date(ready + 89 * DAY));
  assert.deepEqual([(await row()).status, (await row()).lines], ['Ready', start.lines], 'day 89: kept');
  await drain(authorityOrdersJob(db, { now: () => new Date(ready + 89 * DAY) }));
  assert.equal((await row()).status, 'Ready', 'the job on day 89 keeps it too');

  const day90 = new Date(Math.max(ready + 90 * DAY, start.expiresAt.getTime()));
  const steps = await drain(authorityOrdersJob(db, { now: () => day90 }));
  assert.ok(steps.some((s) => s.step === 'done' && s.message === 'deliveries expired'), JSON.stringify(steps));
  const end = await row();
  assert.deepEqual([end.status, end.lines], ['Expired', 0], 'content deleted, record kept');
  const listed = await getDelivery(authority.client, authority.ref, { orderId: produced.orderId });
  assert.equal(listed.body.deliveries[0]!.status, 'Expired');
  const gone = await getDelivery(authority.client, authority.ref, { orderId: produced.orderId, deliveryId: produced.deliveryId });
  assert.deepEqual([gone.status, codes(gone)], [409, ['A42']]);
  const disclosed = await db.query('SELECT 1 FROM authority_disclosures WHERE delivery_id = $1', [produced.deliveryId]);
  assert.equal(disclosed.rows.length, 1, 'the disclosure log outlives the content');
});

// ---- 6. Logs

test('no identity code used by this file reached the server log', () => {
  const text = reg.logs.join('');
  assert.ok(text.length > 0);
  for (const code of codesUsed) assert.ok(!text.includes(code), `identity code ${code.slice(0, 6)}… in the log`);
  for (const code of ['010190-923F', '131052-308T']) assert.ok(!text.includes(code));
});
