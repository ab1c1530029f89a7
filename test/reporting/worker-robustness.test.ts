/**
 * The worker never stalls: a batch that fails for good ends (its other reports applied, the
 * failing one rejected), one that fails for a passing reason waits while the others go on,
 * and batches are judged by the day they were received. Failures are injected with real
 * triggers in the real database (no mocks): they stand for whatever still slips past the door.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { ExtractProducer } from '../../src/extract/store.ts';
import { processBatch } from '../../src/reporting/processor.ts';
import { receiveBatch } from '../../src/reporting/store.ts';
import { counting } from '../helpers/db.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, postBatch, rejectedCodes, report, testPerson, waitForBatch } from '../helpers/reports.ts';

let reg: TestRegister;
let a: { ref: OrganisationRef; client: HttpsJsonClient };
let b: { ref: OrganisationRef; client: HttpsJsonClient };
before(async () => {
  reg = await startTestRegister();
  a = await reg.lender();
  b = await reg.lender();
  await reg.register.db.exec(`
    CREATE TABLE test_faults (kind text PRIMARY KEY);
    CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.loan_number LIKE 'POISON-%' THEN
        RAISE EXCEPTION 'injected: this loan cannot be stored' USING ERRCODE = '22023';
      END IF;
      IF NEW.loan_number LIKE 'FLAKY-%' AND EXISTS (SELECT 1 FROM test_faults WHERE kind = 'flaky') THEN
        RAISE EXCEPTION 'injected: the database is having a moment' USING ERRCODE = '40001';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_fault BEFORE INSERT ON loans FOR EACH ROW EXECUTE FUNCTION test_fault();
    CREATE FUNCTION test_extract_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.lender_reference = 'fail-me' THEN RAISE EXCEPTION 'injected: this extract cannot be logged' USING ERRCODE = '22023'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_extract_fault BEFORE INSERT ON extracts FOR EACH ROW EXECUTE FUNCTION test_extract_fault();
    CREATE FUNCTION test_outcome_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.report_reference LIKE 'DOOMED-%' THEN RAISE EXCEPTION 'injected: outcomes cannot be stored' USING ERRCODE = '22023'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_outcome_fault BEFORE INSERT ON reports FOR EACH ROW EXECUTE FUNCTION test_outcome_fault();`);
});
after(() => reg.close());

const loanNumbered = (number: string) => lumpSumLoan({ loanNumber: { type: 'Other', number } });

test('a batch that fails for good ends with its good reports applied and the bad one rejected (A99); every queue moves on', async () => {
  const suffix = Math.random().toString(36).slice(2, 8);
  const poisoned = await postBatch(a.client, a.ref, 'AddLoans', [loanNumbered(`OK1-${suffix}`), loanNumbered(`POISON-${suffix}`), loanNumbered(`OK2-${suffix}`)]);
  assert.equal(poisoned.status, 202);
  // Another lender's batch and the same lender's next batch, both received after the poison.
  const other = await postBatch(b.client, b.ref, 'AddLoans', [lumpSumLoan()]);
  const next = await postBatch(a.client, a.ref, 'AddLoans', [lumpSumLoan()]);

  const status = await waitForBatch(a.client, a.ref, poisoned.reference);
  assert.equal(status.batchStatus, 'FinishedPartialSuccess');
  assert.equal(status.acceptedCount, 2);
  assert.deepEqual(rejectedCodes(status), { [`R-POISON-${suffix}`]: ['A99'] });
  assert.equal((await waitForBatch(b.client, b.ref, other.reference)).batchStatus, 'FinishedSuccess');
  assert.equal((await waitForBatch(a.client, a.ref, next.reference)).batchStatus, 'FinishedSuccess');
  const { rows } = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM loans WHERE loan_number = ANY($1::text[])', [[`OK1-${suffix}`, `OK2-${suffix}`, `POISON-${suffix}`]]);
  assert.equal(rows[0]!.n, 2, 'the two good loans are stored, the poisoned one is not');
  assert.ok(reg.logs.some((l) => l.includes('applying its reports one at a time')), 'the isolation is logged');
});

test('D20 is judged over the whole batch also when its reports are applied one at a time', async () => {
  const suffix = Math.random().toString(36).slice(2, 8);
  const twice = lumpSumLoan();
  const again = { ...lumpSumLoan(), reportReference: twice.reportReference };
  const res = await postBatch(a.client, a.ref, 'AddLoans', [twice, loanNumbered(`POISON-${suffix}`), again]);
  const status = await waitForBatch(a.client, a.ref, res.reference);
  assert.equal(status.batchStatus, 'FinishedFailed');
  assert.deepEqual(
    status.rejectedReports?.map((r) => [r.reportReference, r.errorResponses.map((e) => e.errorCode)]),
    [[twice.reportReference, ['D20']], [`R-POISON-${suffix}`, ['A99']], [twice.reportReference, ['D20']]],
  );
});

test('a stored batch that can no longer be read ends FinishedFailed with the reason; the lender\'s next batch runs', async () => {
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [a.ref.idCode]);
  // As a batch received by an older version that did not refuse \u0000 at the door.
  const body = JSON.stringify({ targetEnvironment: 'Test', owner: {}, loans: [lumpSumLoan({ lenderMarketingName: 'nul\u0000' })] });
  await reg.register.db.query(
    `INSERT INTO batches (organisation_id, operation, batch_reference, body_hash, report_count, body) VALUES ($1, 'AddLoans', 'old-nul', 'x', 1, $2)`,
    [rows[0]!.id, body],
  );
  const next = await postBatch(a.client, a.ref, 'AddLoans', [lumpSumLoan()]);
  const status = await waitForBatch(a.client, a.ref, 'old-nul');
  assert.equal(status.batchStatus, 'FinishedFailed');
  assert.equal(status.errorResponses?.[0]?.errorCode, 'A10');
  assert.equal((await waitForBatch(a.client, a.ref, next.reference)).batchStatus, 'FinishedSuccess');
});

test('a batch that cannot be processed even a report at a time ends FinishedFailed (A99), and the lender\'s queue moves on', async () => {
  const doomed: Record<string, unknown> = { ...lumpSumLoan(), reportReference: `DOOMED-${Math.random().toString(36).slice(2, 8)}` };
  const res = await postBatch(a.client, a.ref, 'AddLoans', [doomed, lumpSumLoan()]);
  const next = await postBatch(a.client, a.ref, 'AddLoans', [lumpSumLoan()]);
  const status = await waitForBatch(a.client, a.ref, res.reference);
  assert.equal(status.batchStatus, 'FinishedFailed');
  assert.equal(status.acceptedCount, 0);
  assert.equal(status.errorResponses?.[0]?.errorCode, 'A99');
  const stored = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM loans WHERE loan_number = $1', [(doomed.loanNumber as { number: string }).number]);
  assert.equal(stored.rows[0]!.n, 0, 'nothing of the batch was applied');
  assert.equal((await waitForBatch(a.client, a.ref, next.reference)).batchStatus, 'FinishedSuccess');
});

test('a stored report that is not a report (null, no loanNumber) ends its batch FinishedFailed with A10', async () => {
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [a.ref.idCode]);
  for (const [i, bad] of [null, 7, { reportReference: 'x' }, { reportReference: 'y', loanNumber: {} }].entries()) {
    await reg.register.db.query(
      `INSERT INTO batches (organisation_id, operation, batch_reference, body_hash, report_count, body) VALUES ($1, 'AddLoans', $2, 'x', 2, $3)`,
      [rows[0]!.id, `not-a-report-${i}`, JSON.stringify({ loans: [lumpSumLoan(), bad] })],
    );
  }
  reg.server.worker.wake();
  for (let i = 0; i < 4; i++) {
    const status = await waitForBatch(a.client, a.ref, `not-a-report-${i}`);
    assert.equal(status.batchStatus, 'FinishedFailed');
    assert.equal(status.errorResponses?.[0]?.errorCode, 'A10');
  }
});

test('a batch failing for a passing reason waits and is retried, while other lenders\' batches go on', async () => {
  const suffix = Math.random().toString(36).slice(2, 8);
  await reg.register.db.query(`INSERT INTO test_faults (kind) VALUES ('flaky')`);
  try {
    const flaky = await postBatch(a.client, a.ref, 'AddLoans', [loanNumbered(`FLAKY-${suffix}`), lumpSumLoan()]);
    // Lender B is not held up by lender A's waiting batch.
    assert.equal((await report(b.client, b.ref, 'AddLoans', [lumpSumLoan()])).batchStatus, 'FinishedSuccess');
    const waiting = await a.client.post<{ batchStatus: string }>('/GetBatchStatus', { targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: a.ref.idCode }, batchReference: flaky.reference });
    assert.equal(waiting.body.batchStatus, 'Received', 'a passing failure does not end the batch');
    await reg.register.db.query(`DELETE FROM test_faults WHERE kind = 'flaky'`);
    const status = await waitForBatch(a.client, a.ref, flaky.reference, 30_000);
    assert.equal(status.batchStatus, 'FinishedSuccess', 'retried whole, nothing rejected');
    assert.ok(reg.logs.some((l) => l.includes('will retry') && l.includes('"failures":1')));
  } finally {
    await reg.register.db.query(`DELETE FROM test_faults WHERE kind = 'flaky'`);
  }
});

test('a batch is judged by the Finnish day it was received, not the day it is processed', async () => {
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [b.ref.idCode]);
  const today = finnishDate();
  const daysAgo = (n: number) => new Date(Date.parse(`${today}T12:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
  const future = lumpSumLoan({ contractDate: daysAgo(5) }); // after the day received: D12
  const past = lumpSumLoan({ contractDate: daysAgo(20) });
  const body = JSON.stringify({ targetEnvironment: 'Test', owner: {}, loans: [future, past] });
  await reg.register.db.query(
    `INSERT INTO batches (organisation_id, operation, batch_reference, body_hash, report_count, body, received_at)
     VALUES ($1, 'AddLoans', 'received-earlier', 'x', 2, $2, now() - interval '10 days')`,
    [rows[0]!.id, body],
  );
  reg.server.worker.wake();
  const status = await waitForBatch(b.client, b.ref, 'received-earlier');
  assert.equal(status.batchStatus, 'FinishedPartialSuccess');
  assert.deepEqual(rejectedCodes(status), { [String(future.reportReference)]: ['D12'] });
});

test("one organisation's extract that cannot be logged does not fail another's in the same group", async () => {
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = ANY($1::text[]) ORDER BY id', [[a.ref.idCode, b.ref.idCode]]);
  const [orgA, orgB] = rows.map((r) => r.id) as [number, number];
  const producer = new ExtractProducer(reg.register.db, { maxInFlight: 1 });
  const request = (lenderReference: string) => ({ person: testPerson(), purposes: ['NewConsumerCredit'], owner: { idCodeType: 'BusinessId', idCode: a.ref.idCode }, lenderReference });
  // The first request takes the one slot; the next two wait and go together as one group.
  const first = producer.produce({ organisationId: orgB, request: request('first') });
  const bad = producer.produce({ organisationId: orgA, request: request('fail-me') });
  const good = producer.produce({ organisationId: orgB, request: request('innocent') });
  const results = await Promise.allSettled([first, bad, good]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected', "the request that cannot be logged fails");
  assert.equal(results[2].status, 'fulfilled', "the other organisation's request in its group is served");
  const logged = await reg.register.db.query<{ ref: string }>(`SELECT lender_reference AS ref FROM extracts WHERE lender_reference IN ('first', 'innocent', 'fail-me') ORDER BY 1`);
  assert.deepEqual(logged.rows.map((r) => r.ref), ['first', 'innocent']);
});

test('the reports of a failing batch are isolated by halving: two bad reports among 1 000 cost tens of statements, not thousands', async () => {
  await reg.server.worker.stop(); // this test processes its batch itself
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [a.ref.idCode]);
  const suffix = Math.random().toString(36).slice(2, 8);
  const loans = Array.from({ length: 1000 }, (_, i) => (i === 137 || i === 800 ? loanNumbered(`POISON-${suffix}-${i}`) : lumpSumLoan()));
  const received = await receiveBatch(reg.register.db, { organisationId: rows[0]!.id, operation: 'AddLoans', batchReference: `halving-${suffix}`, rawBody: JSON.stringify({ targetEnvironment: 'Test', owner: {}, loans }), reportCount: loans.length });
  const c = counting(reg.register.db);
  assert.equal(await processBatch(c.db, received.id, { environment: 'Test' }), true);
  assert.ok(c.count() < 250, `${c.count()} statements`);
  const status = await reg.register.db.query<{ status: string; accepted: number; rejected: number }>('SELECT status, accepted_count AS accepted, rejected_count AS rejected FROM batches WHERE id = $1', [received.id]);
  assert.deepEqual(status.rows[0], { status: 'FinishedPartialSuccess', accepted: 998, rejected: 2 });
  const rejected = await reg.register.db.query<{ seq: number; code: string }>(`SELECT seq, errors->0->>'errorCode' AS code FROM reports WHERE batch_id = $1 AND status = 'rejected' ORDER BY seq`, [received.id]);
  assert.deepEqual(rejected.rows, [{ seq: 137, code: 'A99' }, { seq: 800, code: 'A99' }]);
});
