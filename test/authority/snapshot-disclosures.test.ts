/**
 * A LoanStockSnapshot delivered with identity codes discloses every person on a loan in it: each
 * of them sees it in the e-service's "Who has asked", in the list of authorities' deliveries
 * next to PersonLoans deliveries (src/authority/store.ts disclosuresAbout, read by
 * src/eservice/person-data.ts personAsked), newest first and paged by the person's own delivery
 * ids. Who is shown is who was in the snapshot: the same statement writes the page and its
 * persons (src/authority/snapshot.ts). A pseudonymised snapshot, a delivery still in progress
 * or failed are about no one; an expired one was delivered and stays.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { authorityScope } from '../../src/access/authority-scope.ts';
import { addDays, validateOrder } from '../../src/authority/orders.ts';
import { produceLoanStockSnapshot } from '../../src/authority/snapshot.ts';
import { disclosuresAbout, expireDeliveries, failDelivery, historyFrom, placeOrder, produceDelivery, type DisclosureEntry } from '../../src/authority/store.ts';
import { finnishDate } from '../../src/common/dates.ts';
import type { Queryable } from '../../src/db/database.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import { personAsked } from '../../src/eservice/person-data.ts';
import { authorityCells, formatDate } from '../../src/eservice/views.ts';
import { ageHistory } from '../helpers/history.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, report, testPerson, type Json } from '../helpers/reports.ts';

type Delivery = { deliveryId: string; status: string; pageCount: number | null };
type Authority = { ref: OrganisationRef; client: HttpsJsonClient; id: number; name: string };

const today = finnishDate();
const yesterday = addDays(today, -1);
const code = (idCode: string) => ({ idCodeType: 'PersonalIdentityCode', idCode });
const business = { loanConsumerProtectionAct: 'OtherThanConsumerCredit', isGoodsOrServicesRelatedCredit: false };

let reg: TestRegister;
/** Every loan, identity codes, PersonLoans and snapshots. */
let codesAuthority: Authority;
/** Consumer credit only, identity codes. */
let consumerAuthority: Authority;
/** Every loan, pseudonyms (the default). */
let pseudonymAuthority: Authority;

/** The persons: borrower and guarantor of a loan in yesterday's stock; on a business loan only; on a loan reported today only; on an ended loan only; on nothing. */
const p = { borrower: '', guarantor: '', coBorrower: '', businessOnly: '', reportedToday: '', ended: '', nobody: '' };

async function newAuthority(name: string, grant: string[]): Promise<Authority> {
  const ref = await reg.organisation({ roles: ['authority'], name });
  const r = await reg.cli(['permission', 'grant', '--business-id', ref.idCode, '--permission', 'authority', ...grant]);
  assert.equal(r.exitCode, 0, r.stderr);
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [ref.idCode]);
  return { ref, client: await reg.client(ref, 'data-use'), id: Number(rows[0]!.id), name };
}

const getDelivery = (a: Authority, body: Json) =>
  a.client.post<{ deliveries: Delivery[] }>('/GetDataDelivery', { targetEnvironment: 'Test', owner: ownerOf(a.ref), ...body });

/** Places an order over mutual TLS and waits until the register's runner has produced it. */
async function ordered(a: Authority, order: Json): Promise<{ orderId: string; delivery: Delivery }> {
  const placed = await a.client.post<{ orderId: string }>('/OrderData', { targetEnvironment: 'Test', owner: ownerOf(a.ref), order });
  assert.equal(placed.status, 200, placed.text);
  const { orderId } = placed.body;
  for (let i = 0; i < 400; i++) {
    const res = await getDelivery(a, { orderId });
    assert.equal(res.status, 200, res.text);
    const d = res.body.deliveries[0];
    if (d && d.status !== 'Pending' && d.status !== 'InProgress') {
      assert.equal(d.status, 'Ready', JSON.stringify(d));
      return { orderId, delivery: d };
    }
    reg.server.worker.wake();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`order ${orderId}: delivery not produced`);
}

const snapshot = (a: Authority, extra: Json = {}) => ordered(a, { type: 'LoanStockSnapshot', snapshotDate: yesterday, ...extra });
const personLoans = (a: Authority, person: string) =>
  ordered(a, { type: 'PersonLoans', legalBasis: 'Act on the Financial Supervisory Authority 18 §', caseReference: `FIVA/2026/${person.slice(0, 6)}`, ...code(person) });

/** The whole list of a person's authority deliveries, read `size` at a time, following the cursor. */
async function everyPage(person: string, size: number): Promise<DisclosureEntry[][]> {
  const pages: DisclosureEntry[][] = [];
  let before: string | undefined;
  for (;;) {
    const page = await disclosuresAbout(reg.register.db, person, size, before);
    if (page.length === 0) return pages;
    pages.push(page);
    before = page.at(-1)!.deliveryId;
  }
}
const idsOf = async (person: string) => (await disclosuresAbout(reg.register.db, person, 100)).map((e) => e.deliveryId);

/** The persons the delivery's content names (borrowers and guarantors of its lines). */
async function personsIn(a: Authority, orderId: string, d: Delivery): Promise<string[]> {
  const found = new Set<string>();
  for (let page = 1; page <= (d.pageCount ?? 0); page++) {
    const res = await getDelivery(a, { orderId, deliveryId: d.deliveryId, page });
    assert.equal(res.status, 200, res.text);
    for (const line of res.text.split('\n').filter((l) => l !== '')) {
      const l = JSON.parse(line) as { borrowers: string[]; guarantors: string[] };
      for (const c of [...l.borrowers, ...l.guarantors]) found.add(c);
    }
  }
  return [...found].sort();
}

async function recorded(deliveryId: string): Promise<string[]> {
  const { rows } = await reg.register.db.query<{ person: string }>('SELECT DISTINCT person FROM authority_snapshot_disclosures WHERE delivery_id = $1 ORDER BY person', [deliveryId]);
  return rows.map((r) => r.person);
}

before(async () => {
  reg = await startTestRegister();
  const orders = ['--orders', 'PersonLoans,LoanStockSnapshot'];
  codesAuthority = await newAuthority('Poliisihallitus Test', ['--scope', 'all', ...orders, '--identity-codes', 'codes']);
  consumerAuthority = await newAuthority('Kuluttajavirasto Test', ['--scope', 'consumer', ...orders, '--identity-codes', 'codes']);
  pseudonymAuthority = await newAuthority('Tilastokeskus Test', ['--scope', 'all', ...orders]);
  for (const k of Object.keys(p) as (keyof typeof p)[]) p[k] = testPerson();
  const bank = await reg.lender();
  const ok = async (op: Parameters<typeof report>[2], reports: Json[]) => {
    const s = await report(bank.client, bank.ref, op, reports);
    assert.equal(s.batchStatus, 'FinishedSuccess', `${op}: ${JSON.stringify(s.rejectedReports ?? s.errorResponses)}`);
  };
  const ended = lumpSumLoan({ borrowers: [code(p.ended)] });
  await ok('AddLoans', [
    lumpSumLoan({ borrowers: [code(p.borrower), code(p.coBorrower)], borrowersCount: 2, guarantors: [code(p.guarantor)] }),
    lumpSumLoan({ borrowers: [code(p.businessOnly)], consumerCredit: business, lumpSumLoan: { amountIssued: 50000, amountPaid: 50000, balance: 42000, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2032-03-01', purposeOfUse: 'LoanForBusinessActivities' } }),
    ended,
    // Other loans between them, so that a person's loans fall in different pages below.
    lumpSumLoan(), lumpSumLoan(),
    lumpSumLoan({ borrowers: [code(p.borrower)] }),
  ]);
  await ageHistory(reg.register.db, 3);
  await ok('TerminateLoans', [{ reportReference: 't1', loanNumber: ended.loanNumber, termination: { isTerminated: true, endDate: addDays(today, -3) } }]);
  await ageHistory(reg.register.db, 2);
  // Known from today on: not in yesterday's stock.
  await ok('AddLoans', [lumpSumLoan({ borrowers: [code(p.reportedToday)] })]);
});
after(() => reg.close());

let codesSnapshot: { orderId: string; delivery: Delivery };

test('a snapshot with identity codes is shown to exactly the persons whose loans it holds (borrowers, co-borrowers, guarantors), once each, with the authority and what it was', async () => {
  codesSnapshot = await snapshot(codesAuthority);
  const { deliveryId } = codesSnapshot.delivery;
  const named = await personsIn(codesAuthority, codesSnapshot.orderId, codesSnapshot.delivery);
  assert.ok(named.includes(p.borrower) && named.includes(p.coBorrower) && named.includes(p.guarantor) && named.includes(p.businessOnly));
  assert.deepEqual(await recorded(deliveryId), named, 'the persons recorded are those the content names');
  for (const person of [p.borrower, p.coBorrower, p.guarantor, p.businessOnly]) {
    const list = await disclosuresAbout(reg.register.db, person, 20);
    assert.deepEqual(list.map((e) => e.deliveryId), [deliveryId], 'one entry, though the borrower has two loans in it');
    assert.deepEqual([list[0]!.authority, list[0]!.kind, list[0]!.legalBasis, list[0]!.caseReference, list[0]!.snapshotDay], [codesAuthority.name, 'LoanStockSnapshot', null, null, yesterday]);
  }
  // As the e-service's page shows it: no legal basis stated, so it says what was delivered.
  const asked = await personAsked(reg.register.db, p.guarantor, {});
  assert.equal(asked.authorities.rows.length, 1);
  assert.equal(asked.authorities.rows[0]!.authority, codesAuthority.name);
  assert.deepEqual(authorityCells(asked.authorities.rows[0]!, 'en'), [`Loan stock snapshot of ${formatDate(yesterday, 'en')}`, '']);
  assert.deepEqual(authorityCells(asked.authorities.rows[0]!, 'fi'), [`Tiedot kaikista luotoista ${formatDate(yesterday, 'fi')}`, '']);
  assert.equal(asked.authorities.older, null);
});

test('a person not in the snapshot does not see it: a loan ended before the day, a loan reported after it, no loan, a loan outside a consumer-only scope', async () => {
  for (const person of [p.ended, p.reportedToday, p.nobody]) assert.deepEqual(await idsOf(person), [], person);
  const consumer = await snapshot(consumerAuthority);
  assert.deepEqual(await recorded(consumer.delivery.deliveryId), await personsIn(consumerAuthority, consumer.orderId, consumer.delivery));
  assert.ok(!(await idsOf(p.businessOnly)).includes(consumer.delivery.deliveryId), 'the business loan was not in the consumer-only snapshot');
  assert.ok((await idsOf(p.guarantor)).includes(consumer.delivery.deliveryId));
});

test('a pseudonymised snapshot is about no identifiable person: not listed, nothing recorded', async () => {
  const psn = await snapshot(pseudonymAuthority);
  assert.deepEqual(await recorded(psn.delivery.deliveryId), []);
  for (const person of Object.values(p)) assert.ok(!(await idsOf(person)).includes(psn.delivery.deliveryId));
});

test('PersonLoans deliveries and snapshots in one list, newest first, paged by the cursor without a gap or a repeat; the page shows the legal basis a snapshot order stated', async () => {
  const person = p.coBorrower;
  const before = await idsOf(person); // the snapshots above: the consumer one, then the codes one
  const first = await personLoans(codesAuthority, person);
  const withBasis = await snapshot(codesAuthority, { legalBasis: 'Police Act 4:3', caseReference: 'POL/2026/1' });
  const second = await personLoans(consumerAuthority, person);
  const want = [second.delivery.deliveryId, withBasis.delivery.deliveryId, first.delivery.deliveryId, ...before];
  assert.equal(want.length, 5);
  assert.deepEqual(await idsOf(person), want);
  for (const size of [1, 2, 3]) {
    const pages = await everyPage(person, size);
    assert.deepEqual(pages.map((pg) => pg.length), size === 1 ? [1, 1, 1, 1, 1] : size === 2 ? [2, 2, 1] : [3, 2], `pages of ${size}`);
    assert.deepEqual(pages.flat().map((e) => e.deliveryId), want, `pages of ${size}`);
  }
  const entries = await disclosuresAbout(reg.register.db, person, 3);
  assert.deepEqual(entries.map((e) => e.kind), ['PersonLoans', 'LoanStockSnapshot', 'PersonLoans']);
  assert.ok(entries[0]!.disclosedAt > entries[1]!.disclosedAt && entries[1]!.disclosedAt > entries[2]!.disclosedAt);
  const rows = (await personAsked(reg.register.db, person, {})).authorities.rows;
  const day = formatDate(yesterday, 'en');
  assert.deepEqual(rows.map((r) => [r.authority, ...authorityCells(r, 'en')]), [
    [consumerAuthority.name, 'Act on the Financial Supervisory Authority 18 §', `FIVA/2026/${person.slice(0, 6)}`],
    [codesAuthority.name, 'Police Act 4:3', `POL/2026/1 (Loan stock snapshot of ${day})`],
    [codesAuthority.name, 'Act on the Financial Supervisory Authority 18 §', `FIVA/2026/${person.slice(0, 6)}`],
    [consumerAuthority.name, `Loan stock snapshot of ${day}`, ''],
    [codesAuthority.name, `Loan stock snapshot of ${day}`, ''],
  ]);
  // The e-service's own cursor: the last entry of a page.
  const after = await personAsked(reg.register.db, person, { authorities: withBasis.delivery.deliveryId });
  assert.equal(after.authorities.rows.length, 3);
  assert.equal(after.authorities.rows[0]!.legalBasis, 'Act on the Financial Supervisory Authority 18 §');
});

test("a cursor that is not one of the person's own entries finds nothing: another person's PersonLoans delivery, a snapshot they are not in, an unknown id", async () => {
  const theirs = await personLoans(codesAuthority, p.ended);
  const psn = await snapshot(pseudonymAuthority, { snapshotDate: addDays(today, -2) });
  for (const cursor of [theirs.delivery.deliveryId, psn.delivery.deliveryId, randomUUID()]) {
    assert.deepEqual(await disclosuresAbout(reg.register.db, p.borrower, 20, cursor), [], cursor);
  }
  // The snapshot of the borrower, as the cursor of one not in it.
  assert.deepEqual(await disclosuresAbout(reg.register.db, p.nobody, 20, codesSnapshot.delivery.deliveryId), []);
  assert.deepEqual(await disclosuresAbout(reg.register.db, p.ended, 20, codesSnapshot.delivery.deliveryId), []);
  assert.deepEqual((await disclosuresAbout(reg.register.db, p.ended, 20)).map((e) => e.deliveryId), [theirs.delivery.deliveryId], 'their own list is theirs');
  // Through the e-service: an unknown cursor is no page of entries either.
  assert.deepEqual((await personAsked(reg.register.db, p.borrower, { authorities: theirs.delivery.deliveryId })).authorities.rows, []);
});

test('a snapshot in progress or failed is not listed and leaves no row; one produced again after an attempt died records each person once, however many pages name them; an expired one stays listed', async () => {
  const { db } = reg.register;
  // A delivery the register's runner leaves alone (its knowledge day is tomorrow), produced here.
  const v = validateOrder({ type: 'LoanStockSnapshot', snapshotDate: yesterday }, 'Test', today, await historyFrom(db));
  assert.ok('order' in v, JSON.stringify(v));
  const ids = { failing: randomUUID(), retried: randomUUID() };
  await db.transaction(async (tx) => {
    const placed = await placeOrder(tx, codesAuthority.id, { ...v.order, recurrence: 'Daily' });
    await tx.query(`UPDATE authority_orders SET next_period = $2 WHERE id = $1`, [placed.orderId, addDays(today, 30)]);
    let day = 10;
    for (const id of Object.values(ids)) {
      await tx.query(`INSERT INTO data_deliveries (id, order_id, period_start, period_end, knowledge_day, status) VALUES ($1, $2, $3, $4, $5, 'InProgress')`,
        [id, placed.orderId, addDays(today, -day++), yesterday, addDays(today, 1)]);
    }
  });
  const scope = authorityScope({ loans: 'all', identityCodes: 'codes' });
  const production = (deliveryId: string) => ({ deliveryId, organisationId: codesAuthority.id, period: { start: yesterday, end: yesterday }, scope, parameters: { type: 'LoanStockSnapshot' as const } });
  const pages = { lines: 2, parallel: 1, run: <T,>(fn: (tx: Queryable) => Promise<T>) => db.transaction(fn) };

  // Pages (and persons) written, the delivery still in progress: not listed.
  await produceLoanStockSnapshot(db, production(ids.failing), pages);
  await produceLoanStockSnapshot(db, production(ids.retried), pages);
  assert.ok((await recorded(ids.failing)).includes(p.borrower), 'the pages wrote their persons');
  assert.ok(!(await idsOf(p.borrower)).includes(ids.failing), 'not while in progress');
  await failDelivery(db, ids.failing, 'a test failure');
  assert.deepEqual(await recorded(ids.failing), [], 'a failure deletes them');
  assert.ok(!(await idsOf(p.borrower)).includes(ids.failing));

  // The retried one: what the dead attempt wrote goes first; pages of two lines, the borrower's loans in different pages.
  const ready = new Date();
  assert.equal(await produceDelivery(db, ids.retried, ready, { pageLines: 2 }), 'produced');
  const { rows } = await db.query<{ n: number; times: number }>(
    'SELECT count(*)::int AS n, count(DISTINCT disclosed_at)::int AS times FROM authority_snapshot_disclosures WHERE delivery_id = $1 AND person = $2', [ids.retried, p.borrower]);
  assert.deepEqual(rows[0], { n: 1, times: 1 }, 'one row, though the borrower is in two pages (and none an earlier attempt left)');
  const pagesOfBorrower = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM data_delivery_pages WHERE delivery_id = $1 AND position($2::bytea IN body) > 0`, [ids.retried, Buffer.from(p.borrower)]);
  assert.equal(pagesOfBorrower.rows[0]!.n, 2, 'the borrower\'s two loans are in two pages');
  const listed = await disclosuresAbout(db, p.borrower, 20);
  assert.equal(listed.filter((e) => e.deliveryId === ids.retried).length, 1, 'one entry');
  assert.equal(listed[0]!.deliveryId, ids.retried, 'the newest');
  assert.equal(listed[0]!.disclosedAt.getTime(), ready.getTime(), 'at the time it was produced');

  // 90 days on, the content is deleted; it was delivered, and stays listed.
  assert.ok((await expireDeliveries(db, new Date(Date.now() + 91 * 86_400_000), 1000)) > 0);
  const { rows: [expired] } = await db.query<{ status: string }>('SELECT status FROM data_deliveries WHERE id = $1', [ids.retried]);
  assert.equal(expired!.status, 'Expired');
  assert.equal((await disclosuresAbout(db, p.borrower, 20))[0]!.deliveryId, ids.retried);
});
