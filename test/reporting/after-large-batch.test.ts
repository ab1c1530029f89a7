/**
 * The reporting job runs its afterLargeBatch hook (the embedded register's full garbage
 * collection, src/server.ts) after a batch of at least the given number of reports was
 * processed, and not after a smaller one, nor when there was nothing to process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { addOrganisation, organisationRef } from '../../src/access/organisations.ts';
import type { Database } from '../../src/db/database.ts';
import { reportingJob } from '../../src/reporting/processor.ts';
import { receiveBatch } from '../../src/reporting/store.ts';
import { openTestDatabase } from '../helpers/db.ts';
import { uniqueBusinessId } from '../helpers/register.ts';
import { batchRequest, lumpSumLoan } from '../helpers/reports.ts';

let db: Database;
let lenderId: number;
const owner = organisationRef('BusinessId', uniqueBusinessId());

before(async () => {
  db = await openTestDatabase();
  lenderId = Number((await addOrganisation(db, { ref: owner, name: 'Large Batch Bank', roles: ['lender'] })).id);
});
after(async () => {
  await db.close();
});

async function store(reference: string, count: number): Promise<void> {
  const reports = Array.from({ length: count }, () => lumpSumLoan());
  await receiveBatch(db, { organisationId: lenderId, operation: 'AddLoans', batchReference: reference, rawBody: JSON.stringify(batchRequest(owner, 'AddLoans', reports)), reportCount: count });
}

test('the hook runs after a batch of at least the threshold, not after a smaller batch or an idle turn', async () => {
  let runs = 0;
  const job = reportingJob(db, { environment: 'Test', logger: pino({ level: 'silent' }), afterLargeBatch: { reports: 3, run: () => void runs++ } });
  await store('SMALL', 2);
  await store('LARGE', 3);
  const first = await job.runNext({ skip: [] });
  assert.equal(first.step, 'done');
  assert.equal(runs, 0, 'a batch of 2 reports is below the threshold of 3');
  const second = await job.runNext({ skip: [] });
  assert.equal(second.step, 'done');
  assert.equal(runs, 1, 'a batch of 3 reports reaches the threshold');
  assert.equal((await job.runNext({ skip: [] })).step, 'idle');
  assert.equal(runs, 1, 'nothing processed, nothing run');
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM batches WHERE organisation_id = $1 AND status = 'FinishedSuccess'`, [lenderId]);
  assert.equal(rows[0]!.n, 2);
});
