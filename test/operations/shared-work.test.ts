/**
 * Issue 13: several register processes on one PostgreSQL database share all the background work
 * without doing any of it twice. Three `pcr serve --database-url` processes under load at the
 * same time: lenders send AddLoans and Repayments batches and ask for extracts through each; an
 * authority's recurring Daily orders have several periods come due at once; persons have
 * notifications due from earlier days, delivered by each process's file adapter into a mailbox
 * of its own. Then: every batch processed once by one process (its effects once), every extract
 * answered logged once, every period's delivery created and produced once, every notification in
 * exactly one mailbox exactly once and a person's second row left for another day. PostgreSQL
 * only: the embedded database is open in one process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate } from '../../src/access/certificates.ts';
import { addOrganisation, findOrganisation, grantPermission, organisationRef, type OrganisationRef } from '../../src/access/organisations.ts';
import { addDays } from '../../src/authority/orders.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { HttpsJsonClient, type TlsIdentity } from '../../src/common/https-client.ts';
import { resolveConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { MailboxEntry } from '../../src/notifications/adapters.ts';
import { openRegister } from '../../src/register.ts';
import { BACKEND, createTestDatabaseUrl } from '../helpers/db.ts';
import { ownerOf, uniqueBusinessId } from '../helpers/register.ts';
import { batchRequest, lumpSumLoan, testPerson, type BatchStatusBody, type Json, type Op } from '../helpers/reports.ts';
import { spawnServe, type RegisterTarget, type ServeProcess } from '../helpers/serve-process.ts';
import { extractsAt } from '../notifications/helpers.ts';
import { tempDir } from '../helpers/temp.ts';
import { reached } from '../helpers/until.ts';

const skip = BACKEND === 'pglite' ? 'the embedded database is open in one process only: several register processes need PostgreSQL' : false;

/** How many register processes share the database. */
const PROCESSES = 3;
const LENDERS = 4;
const ROUNDS = 2;
const LOANS_PER_BATCH = 20;
const EXTRACTS_PER_LENDER = 16;
const ORDERS = 4;
/** How many past days each recurring order has come due for at once. */
const PAST_DAYS = 8;
/** Persons with a notification due from each of three earlier days, and how many of them also have one of the day after. */
const NOTIFIED_PER_DAY = 40;
const NOTIFIED_TWICE = 12;
const DAY = 86_400_000;

interface Org {
  ref: OrganisationRef;
  id: number;
  /** Certificates by usage: reporting for batches, data-use for extracts and orders. */
  reporting?: TlsIdentity;
  dataUse: TlsIdentity;
}

let dataDir: string;
let database: Awaited<ReturnType<typeof createTestDatabaseUrl>>;
let db: Database;
let lenders: Org[];
let authority: Org;
let servers: ServeProcess[];
const mailboxes: string[] = [];
const clients: HttpsJsonClient[] = [];

/** The lenders (reporting and extract permissions) and an authority allowed recurring LateReporting orders, before any process runs. */
async function setUp(t: Extract<RegisterTarget, { kind: 'postgres' }>): Promise<void> {
  const register = await openRegister(resolveConfig({ dataDir: t.dataDir, databaseUrl: t.databaseUrl, caDir: join(t.dataDir, 'ca') }));
  try {
    const cert = async (ref: OrganisationRef, usage: 'reporting' | 'data-use'): Promise<TlsIdentity> => {
      const c = await issueCertificate(register.db, register.ca, ref, usage, register.environment);
      return { ca: register.ca.certPem, cert: c.certPem, key: c.keyPem };
    };
    const org = async (ref: OrganisationRef) => Number((await findOrganisation(register.db, ref))!.id);
    lenders = [];
    for (let i = 0; i < LENDERS; i++) {
      const ref = organisationRef('BusinessId', uniqueBusinessId());
      await addOrganisation(register.db, { ref, name: `Shared Lender ${i + 1}`, roles: ['lender'] });
      await grantPermission(register.db, ref, 'reporting');
      await grantPermission(register.db, ref, 'extract', { purposes: ['consumer'] });
      lenders.push({ ref, id: await org(ref), reporting: await cert(ref, 'reporting'), dataUse: await cert(ref, 'data-use') });
    }
    const ref = organisationRef('BusinessId', uniqueBusinessId());
    await addOrganisation(register.db, { ref, name: 'Shared Authority', roles: ['authority'] });
    await grantPermission(register.db, ref, 'authority', { scope: { loans: 'all', orders: ['LateReporting'], identityCodes: 'pseudonyms' } });
    authority = { ref, id: await org(ref), dataUse: await cert(ref, 'data-use') };
  } finally {
    await register.close();
  }
}

before(async () => {
  if (skip) return;
  dataDir = tempDir('pcr-shared-');
  database = await createTestDatabaseUrl();
  const target = { kind: 'postgres' as const, databaseUrl: database!.url, dataDir };
  await setUp(target);
  servers = await Promise.all(
    Array.from({ length: PROCESSES }, (_, i) => {
      mailboxes.push(join(dataDir, `mailbox-${i}.ndjson`));
      // Info level: the runner logs each item it ran (batch, delivery) with its id, which tells which process ran it.
      return spawnServe(target, { PCR_LOG_LEVEL: 'info', PCR_NOTIFY_ADAPTER: 'file', PCR_NOTIFY_MAILBOX: mailboxes[i]!, PCR_METRICS_PORT: '0' });
    }),
  );
  db = await openPostgres(database!.url, { max: 2 });
});

after(async () => {
  if (skip) return;
  for (const c of clients) c.close();
  const codes = await Promise.all(servers.map((s) => s.stop()));
  await db.close();
  await database!.drop();
  rmSync(dataDir, { recursive: true, force: true });
  assert.deepEqual(codes, servers.map(() => 0), 'every process stops gracefully');
});

function client(server: ServeProcess, identity: TlsIdentity): HttpsJsonClient {
  const c = new HttpsJsonClient(server.url, identity);
  clients.push(c);
  return c;
}


/** The JSON log lines of a process with this message. */
function logged(server: ServeProcess, msg: string): Record<string, unknown>[] {
  return server.lines.filter((l) => l.startsWith('{') && l.includes(msg)).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === msg);
}

/** How often each id was logged with the message, per process. */
function countsBy(msg: string, key: string): Map<string, number>[] {
  return servers.map((s) => {
    const m = new Map<string, number>();
    for (const e of logged(s, msg)) m.set(String(e[key]), (m.get(String(e[key])) ?? 0) + 1);
    return m;
  });
}

/** Every line of each mailbox file (not readMailbox, which keeps the first of each external id: a repeat must show here). */
function mailboxLines(): MailboxEntry[][] {
  return mailboxes.map((path) => {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as MailboxEntry);
  });
}

/**
 * That the work was shared at all, or the test proves nothing: at least two of the processes did
 * some of it. Not all of them: which process claims what is up to the scheduler, and a process
 * that happened to find nothing due is correct, not a failure (only its share would be timing).
 */
function assertShared(what: string, split: number[]): void {
  assert.ok(split.filter((n) => n > 0).length >= Math.min(2, split.length), `${what} by more than one process: ${split.join(', ')}`);
}

// ---- the load

interface Sent {
  lender: Org;
  op: Op;
  reference: string;
  count: number;
}

const sent: Sent[] = [];
const loansOf = new Map<Org, Json[]>();
/** Extract references answered, and the persons they were about. */
const answered: { reference: string; person: string; by: number }[] = [];
const orderIds: string[] = [];
/** The persons of the notifications due from earlier days, by the day of their notification. */
const notified = new Map<string, string[]>();
let firstPeriod = '';
let today = '';

const payment = (loan: Json, date: string, amortizationPaid: number, extra: Json = {}): Json => ({
  reportReference: `P-${(loan.loanNumber as { number: string }).number}-${date}-${amortizationPaid}`,
  loanNumber: loan.loanNumber,
  loanType: 'LumpSumLoan',
  lumpSumLoanRepayment: { paymentDate: date, balance: 9000 - amortizationPaid, amortizationPaid, interestPaid: 10.1, otherExpenses: 2.2 },
  ...extra,
});

let serial = 0;
async function send(c: HttpsJsonClient, lender: Org, op: Op, reports: Json[]): Promise<void> {
  const reference = `shared-${op}-${++serial}`;
  const res = await c.post(`/${op}`, batchRequest(lender.ref, op, reports), { BatchReference: reference });
  assert.equal(res.status, 202, res.text);
  sent.push({ lender, op, reference, count: reports.length });
}

/**
 * Each lender, round by round: adds loans through one process, then at once (not waiting) pays
 * them through the other, then corrects one payment and cancels the other through the first.
 * Only in this order do the batches end as asserted: a payment before its AddLoans is D03, a
 * Cancellation applied again is D23, and the first Repayments batch applied again after the
 * correction would put back the cancelled payment and the corrected amount.
 */
async function reportingLoad(): Promise<void> {
  await Promise.all(
    lenders.map(async (lender, i) => {
      const via = servers.map((s) => client(s, lender.reporting!));
      const mine: Json[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const loans = Array.from({ length: LOANS_PER_BATCH }, () => lumpSumLoan());
        mine.push(...loans);
        const first = via[(i + r) % via.length]!;
        const other = via[(i + r + 1) % via.length]!;
        await send(first, lender, 'AddLoans', loans);
        await send(other, lender, 'Repayments', loans.flatMap((l) => [payment(l, '2025-05-01', 100), payment(l, '2025-06-01', 200)]));
        await send(first, lender, 'Repayments', loans.flatMap((l) => [
          payment(l, '2025-06-01', 250, { reportType: 'ErrorCorrection' }),
          payment(l, '2025-05-01', 0, { reportType: 'Cancellation' }),
        ]));
      }
      loansOf.set(lender, mine);
    }),
  );
}

/** Each lender asks for extracts through every process in turn, four at a time, about persons some of whom others ask about too. */
async function extractLoad(): Promise<void> {
  const persons = Array.from({ length: 24 }, () => testPerson());
  await Promise.all(
    lenders.map(async (lender, i) => {
      const via = servers.map((s) => client(s, lender.dataUse));
      let next = 0;
      const worker = async () => {
        for (let n = next++; n < EXTRACTS_PER_LENDER; n = next++) {
          const by = (i + n) % via.length;
          const person = persons[(i * 5 + n) % persons.length]!;
          const res = await via[by]!.post<{ creditRegisterExtract: { extractReference: string } }>('/GetCreditRegisterExtract', {
            targetEnvironment: 'Test',
            owner: ownerOf(lender.ref),
            request: { idCodeType: 'PersonalIdentityCode', idCode: person, creditRegisterExtractPurpose: ['NewConsumerCredit'] },
          });
          assert.equal(res.status, 200, res.text);
          answered.push({ reference: res.body.creditRegisterExtract.extractReference, person, by });
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    }),
  );
}

/**
 * Recurring Daily LateReporting orders placed through both processes, then aged: their next
 * period moved PAST_DAYS back, as if placed that long ago and the register had been down since,
 * so that every process's scheduler finds PAST_DAYS periods of each due at once.
 */
async function orderLoad(): Promise<void> {
  const placed = await Promise.all(
    Array.from({ length: ORDERS }, async (_, i) => {
      const res = await client(servers[i % servers.length]!, authority.dataUse).post<{ orderId: string }>('/OrderData', {
        targetEnvironment: 'Test', owner: ownerOf(authority.ref), order: { type: 'LateReporting', recurrence: 'Daily' },
      });
      assert.equal(res.status, 200, res.text);
      return res.body.orderId;
    }),
  );
  orderIds.push(...placed);
  const { rows } = await db.query<{ first: string }>(
    `UPDATE authority_orders SET next_period = next_period - $2::int WHERE id = ANY($1::uuid[]) RETURNING to_char(next_period, 'YYYY-MM-DD') AS first`,
    [orderIds, PAST_DAYS],
  );
  assert.equal(rows.length, ORDERS);
  assert.equal(new Set(rows.map((r) => r.first)).size, 1, 'the orders were placed on one day');
  firstPeriod = rows[0]!.first;
}

/**
 * Extracts logged on three earlier days, as the extract routes log them (each with its person's
 * notification for the day after): due now, so every process's notification job delivers some of them.
 * Some persons have rows of two days: only the older is sent today, the other waits a day.
 */
async function notificationLoad(): Promise<void> {
  const lender = { id: lenders[0]!.id, businessId: lenders[0]!.ref.idCode };
  let previous: string[] = [];
  for (const back of [4, 3, 2]) {
    const when = new Date(Date.now() - back * DAY);
    const persons = [...Array.from({ length: NOTIFIED_PER_DAY }, () => testPerson()), ...previous.slice(0, back === 2 ? 0 : NOTIFIED_TWICE)];
    await extractsAt(db, lender, persons, when);
    const day = addDays(finnishDate(when), 1);
    notified.set(day, persons);
    previous = persons;
  }
}

test(`${PROCESSES} register processes under load at once: batches, extracts, recurring deliveries and notifications`, { skip, timeout: 110_000 }, async () => {
  today = finnishDate();
  // One deadline for all the waiting (well inside the test's timeout): what is not done by then is reported, not waited for.
  const deadline = Date.now() + 90_000;
  await Promise.all([reportingLoad(), extractLoad(), orderLoad(), notificationLoad()]);

  // Every batch finishes.
  const statusVia = new Map(lenders.map((l, i) => [l, client(servers[i % servers.length]!, l.reporting!)]));
  const finals = new Map<Sent, BatchStatusBody>();
  const batchesDone = await reached(async () => {
    await Promise.all(sent.filter((s) => !finals.has(s)).map(async (s) => {
      const st = (await statusVia.get(s.lender)!.post<BatchStatusBody>('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(s.lender.ref), batchReference: s.reference })).body;
      if (st.batchStatus.startsWith('Finished')) finals.set(s, st);
    }));
    return finals.size === sent.length;
  }, deadline, 100);
  assert.ok(batchesDone, `batches not finished: ${sent.filter((s) => !finals.has(s)).map((s) => s.reference).join(', ')}`);
  for (const [s, st] of finals) {
    const codes = (st.rejectedReports ?? []).flatMap((r) => r.errorResponses.map((e) => e.errorCode));
    assert.equal(st.batchStatus, 'FinishedSuccess', `${s.op} ${s.reference}: ${st.batchStatus} ${[...new Set(codes)].join(',')}`);
    assert.equal(st.acceptedCount, s.count, s.reference);
  }

  // Every period that has ended gets its delivery, produced.
  const periods = Math.round((Date.parse(`${finnishDate()}T00:00:00Z`) - Date.parse(`${firstPeriod}T00:00:00Z`)) / DAY);
  const deliveriesDone = await reached(async () => {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM data_deliveries WHERE order_id = ANY($1::uuid[]) AND status = 'Ready'`, [orderIds]);
    return rows[0]!.n >= ORDERS * periods;
  }, deadline, 100);
  assert.ok(deliveriesDone, 'every due delivery produced');

  // Every due notification is sent (the rows are ended after the message is in a mailbox).
  const due = [...new Set([...notified.values()].flat())];
  const sentDone = await reached(async () => {
    const { rows } = await db.query<{ n: number }>(`SELECT count(DISTINCT person)::int AS n FROM notification_outbox WHERE person = ANY($1::text[]) AND state = 'Sent'`, [due]);
    return rows[0]!.n === due.length;
  }, deadline, 100);
  assert.ok(sentDone, 'every person with a notification due got one');
});

test('every batch was processed exactly once, by one of the processes, and took effect once', { skip }, async (t) => {
  const { rows: batches } = await db.query<{ id: string; reference: string; status: string; accepted: number }>(
    'SELECT id::text, batch_reference AS reference, status, accepted_count AS accepted FROM batches WHERE batch_reference = ANY($1::text[])',
    [sent.map((s) => s.reference)],
  );
  assert.equal(batches.length, sent.length, 'each batch stored once');
  const counts = countsBy('batch processed', 'batchId');
  const split = counts.map(() => 0);
  for (const b of batches) {
    const by = counts.map((m) => m.get(b.id) ?? 0);
    assert.equal(by.reduce((a, n) => a + n, 0), 1, `batch ${b.reference} (${b.id}) processed once in all: by process ${by.join(', ')}`);
    split[by.indexOf(1)]!++;
  }
  t.diagnostic(`batches processed per process: ${split.join(', ')}`);
  assertShared('batches processed', split);
  const { rows: reports } = await db.query<{ batch: string; n: number }>(
    'SELECT batch_id::text AS batch, count(*)::int AS n FROM reports WHERE batch_id = ANY($1::bigint[]) GROUP BY batch_id', [batches.map((b) => b.id)]);
  const reportsOf = new Map(reports.map((r) => [r.batch, r.n]));
  for (const b of batches) assert.equal(reportsOf.get(b.id), sent.find((s) => s.reference === b.reference)!.count, `batch ${b.reference}: each report's outcome written once`);

  // The effects: each lender's loans once; each loan with the one payment left, at its corrected amount.
  for (const lender of lenders) {
    const loans = loansOf.get(lender)!;
    const { rows } = await db.query<{ number: string; status: string; payments: { date: string; amortizationPaid: unknown }[] }>(
      `SELECT l.loan_number AS number, l.status,
         coalesce((SELECT json_agg(json_build_object('date', to_char(p.payment_date, 'YYYY-MM-DD'), 'amortizationPaid', p.data->'amortizationPaid') ORDER BY p.payment_date)
                   FROM payments p WHERE p.loan_id = l.id), '[]') AS payments
       FROM loans l WHERE l.lender_id = $1`,
      [lender.id],
    );
    assert.equal(rows.length, loans.length, `lender ${lender.ref.idCode}: every loan added once`);
    assert.deepEqual(new Set(rows.map((r) => r.number)), new Set(loans.map((l) => (l.loanNumber as { number: string }).number)));
    for (const r of rows) {
      assert.equal(r.status, 'Active');
      assert.deepEqual(r.payments, [{ date: '2025-06-01', amortizationPaid: 250 }], `loan ${r.number}: the payments as the last batch left them`);
    }
  }
});

test('every extract answered by any process is logged once, and counted once in its person’s notification', { skip }, async () => {
  assert.equal(answered.length, LENDERS * EXTRACTS_PER_LENDER);
  assert.ok(servers.every((_, i) => answered.some((a) => a.by === i)), 'every process answered extracts');
  const { rows } = await db.query<{ reference: string; person: string; n: number }>(
    `SELECT extract_reference::text AS reference, person, count(*) OVER (PARTITION BY extract_reference)::int AS n
     FROM extracts WHERE organisation_id = ANY($1::bigint[]) AND created_at >= now() - interval '1 day'`,
    [lenders.map((l) => l.id)],
  );
  assert.equal(rows.length, answered.length, 'as many logged today as answered');
  const logged = new Map(rows.map((r) => [r.reference, r]));
  for (const a of answered) {
    assert.equal(logged.get(a.reference)?.n, 1, `extract ${a.reference} logged once`);
    assert.equal(logged.get(a.reference)!.person, a.person);
  }
  const persons = [...new Set(answered.map((a) => a.person))];
  const { rows: outbox } = await db.query<{ person: string; n: number }>(
    `SELECT person, sum(extract_count)::int AS n FROM notification_outbox WHERE person = ANY($1::text[]) GROUP BY person`, [persons]);
  const want = new Map<string, number>();
  for (const a of answered) want.set(a.person, (want.get(a.person) ?? 0) + 1);
  assert.deepEqual(new Map(outbox.map((r) => [r.person, r.n])), want, 'each person’s notification counts each of their extracts once');
});

test('each period of each recurring order got one delivery, produced once by one process', { skip }, async (t) => {
  const { rows } = await db.query<{ id: string; order: string; start: string; status: string }>(
    `SELECT id::text, order_id::text AS order, to_char(period_start, 'YYYY-MM-DD') AS start, status FROM data_deliveries WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, period_start`,
    [orderIds],
  );
  const ended = Math.round((Date.parse(`${finnishDate()}T00:00:00Z`) - Date.parse(`${firstPeriod}T00:00:00Z`)) / DAY);
  assert.ok(ended >= PAST_DAYS);
  const days = Array.from({ length: ended }, (_, i) => addDays(firstPeriod, i));
  for (const order of orderIds) {
    assert.deepEqual(rows.filter((r) => r.order === order).map((r) => r.start), days, `order ${order}: one delivery a day that has ended, none twice`);
  }
  assert.ok(rows.every((r) => r.status === 'Ready'), JSON.stringify(rows.filter((r) => r.status !== 'Ready')));
  const counts = countsBy('delivery produced', 'deliveryId');
  const split = counts.map(() => 0);
  for (const r of rows) {
    const by = counts.map((m) => m.get(r.id) ?? 0);
    assert.equal(by.reduce((a, n) => a + n, 0), 1, `delivery ${r.start} of ${r.order} produced once in all: by process ${by.join(', ')}`);
    split[by.indexOf(1)]!++;
  }
  const scheduled = servers.map((s) => logged(s, 'deliveries of recurring orders scheduled').reduce((a, e) => a + Number(e.deliveries), 0));
  assert.equal(scheduled.reduce((a, n) => a + n, 0), rows.length, `the schedulers created each delivery once between them: ${scheduled.join(', ')}`);
  t.diagnostic(`deliveries produced per process: ${split.join(', ')}; scheduled: ${scheduled.join(', ')}`);
  assertShared('deliveries produced', split);
});

test('every due notification is in exactly one mailbox, once; a person’s second row waits for another day', { skip }, async (t) => {
  const boxes = mailboxLines();
  const { rows } = await db.query<{ id: string; person: string; notifyOn: string; state: string; count: number }>(
    `SELECT id::text, person, to_char(notify_on, 'YYYY-MM-DD') AS "notifyOn", state, extract_count AS count
     FROM notification_outbox WHERE person = ANY($1::text[]) ORDER BY person, notify_on`,
    [[...new Set([...notified.values()].flat())]],
  );
  const where = new Map<string, number[]>();
  boxes.forEach((lines, i) => lines.forEach((m) => where.set(m.externalId, [...(where.get(m.externalId) ?? []), i])));
  const oldest = new Map<string, string>();
  for (const r of rows) if (!oldest.has(r.person)) oldest.set(r.person, r.id);
  const sameDay = finnishDate() === today; // past midnight, a person's second row may go too: it is a new day
  for (const r of rows) {
    const boxesOf = where.get(r.id) ?? [];
    if (oldest.get(r.person) === r.id) {
      assert.equal(r.state, 'Sent', `${r.notifyOn}: sent`);
      assert.equal(boxesOf.length, 1, `row ${r.id} of ${r.notifyOn}: in exactly one mailbox once (mailboxes ${boxesOf.join(', ') || 'none'})`);
      const m = boxes[boxesOf[0]!]!.find((e) => e.externalId === r.id)!;
      assert.equal(m.recipient, r.person);
    } else if (sameDay) {
      assert.equal(r.state, 'Pending', `the person’s row of ${r.notifyOn} waits: one message a person a day`);
      assert.deepEqual(boxesOf, [], `row ${r.id} not sent`);
    }
  }
  const ids = new Set(rows.map((r) => r.id));
  assert.ok(boxes.flat().every((m) => ids.has(m.externalId)), 'no other message in the mailboxes');
  assert.equal(oldest.size, NOTIFIED_PER_DAY * 3, 'every person once');
  t.diagnostic(`messages per mailbox: ${boxes.map((b) => b.length).join(', ')}`);
  assertShared('notifications delivered', boxes.map((b) => b.length));
});

test('no process logged an error, nor any identity code', { skip }, async () => {
  const codes = [...new Set([...[...notified.values()].flat(), ...answered.map((a) => a.person)])];
  servers.forEach((s, i) => {
    const errors = s.lines.filter((l) => l.startsWith('{') && (JSON.parse(l) as { level?: number }).level! >= 50);
    assert.deepEqual(errors, [], `process ${i}: no error`);
    const text = s.lines.join('\n');
    assert.ok(!codes.some((c) => text.includes(c)), `process ${i}: no identity code in the log`);
  });
});
