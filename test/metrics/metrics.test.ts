/**
 * The operator's metrics of a running register: each counter and histogram moves by what the
 * requests did, with the right labels, and no identity code ever reaches the text.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import { loadMigrations } from '../../src/db/migrate.ts';
import { makePersonalIdentityCode } from '../../src/identity/personal-identity-code.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, postBatch, testPerson, waitForBatch } from '../helpers/reports.ts';
import { receiveBatch } from '../../src/reporting/store.ts';
import { delta, key, plain, scrape, scrapeUntil } from './scrape.ts';

let reg: TestRegister;
let bank: { ref: OrganisationRef; client: HttpsJsonClient };
let bankData: HttpsJsonClient;
/** Every identity code sent to the register by these tests: none may appear in the metrics. */
const sentCodes: string[] = [];
const person = () => {
  const code = testPerson();
  sentCodes.push(code);
  return code;
};

before(async () => {
  reg = await startTestRegister({ env: { PCR_METRICS_PORT: '0' } });
  bank = await reg.lender();
  bankData = await reg.client(bank.ref, 'data-use');
});
after(() => reg.close());

const extract = (client: HttpsJsonClient, idCode: string, purposes: string[]) =>
  client.post<{ errorResponses?: { errorCode: string }[] }>('/GetCreditRegisterExtract', {
    targetEnvironment: 'Test',
    owner: ownerOf(bank.ref),
    request: { idCodeType: 'PersonalIdentityCode', idCode, creditRegisterExtractPurpose: purposes },
  });

test('a batch with a rejected report: received, processed (partly), its reports by outcome and the rejection by its code; the request by operation and status', async () => {
  const url = reg.server.metrics.url;
  const { samples: before } = await scrape(url);
  const loans = [
    lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person() }] }),
    lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person() }] }),
    lumpSumLoan({ currencyCode: 'ZZZ', borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person() }] }),
  ];
  const posted = await postBatch(bank.client, bank.ref, 'AddLoans', loans);
  assert.equal(posted.status, 202, posted.text);
  const status = await waitForBatch(bank.client, bank.ref, posted.reference);
  assert.equal(status.batchStatus, 'FinishedPartialSuccess');
  // The same batch again (a client's retry): 202, and not a second batch received.
  assert.equal((await postBatch(bank.client, bank.ref, 'AddLoans', loans, posted.reference)).status, 202);

  const processed = key('pcr_batches_processed_total', { operation: 'AddLoans', status: 'FinishedPartialSuccess' });
  const { samples: after, text } = await scrapeUntil(url, (s) => delta(before, s, processed) >= 1, 'the batch processed');
  assert.equal(delta(before, after, key('pcr_batches_received_total', { operation: 'AddLoans' })), 1);
  assert.equal(delta(before, after, processed), 1);
  assert.equal(delta(before, after, key('pcr_reports_total', { operation: 'AddLoans', outcome: 'accepted' })), 2);
  assert.equal(delta(before, after, key('pcr_reports_total', { operation: 'AddLoans', outcome: 'rejected' })), 1);
  assert.equal(delta(before, after, key('pcr_report_rejections_total', { operation: 'AddLoans', error_code: 'D16' })), 1);
  assert.equal(delta(before, after, key('pcr_batch_processing_seconds_count', { operation: 'AddLoans' })), 1);
  assert.equal(delta(before, after, key('pcr_batch_latency_seconds_count', { operation: 'AddLoans' })), 1);
  assert.equal(delta(before, after, key('pcr_batch_failures_total', { operation: 'AddLoans', failure: 'passing' })), 0);
  // Both AddLoans requests, by their operation and status; every GetBatchStatus poll too.
  const addLoans202 = { operation: 'AddLoans', status: '202' };
  assert.equal(delta(before, after, key('http_request_duration_seconds_count', addLoans202)), 2);
  assert.equal(
    after.get(key('http_request_duration_seconds_bucket', { ...addLoans202, le: '+Inf' })),
    after.get(key('http_request_duration_seconds_count', addLoans202)),
  );
  assert.ok(delta(before, after, key('http_request_duration_seconds_count', { operation: 'GetBatchStatus', status: '200' })) >= 1);
  // The label is the operation, never the path.
  assert.doesNotMatch(text, /operation="\/AddLoans"/);
  // Nothing waits now.
  assert.equal(after.get('pcr_batches_waiting'), 0);
  assert.equal(after.get('pcr_batch_oldest_waiting_age_seconds'), 0);
  assert.equal(after.get('pcr_database_up'), 1);
  assert.equal(after.get('pcr_job_runner_running'), 1);
});

test('a batch whose every report is rejected ends FinishedFailed and counts under that status', async () => {
  const url = reg.server.metrics.url;
  const { samples: before } = await scrape(url);
  const loan = lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person() }] });
  (loan.lumpSumLoan as { amountPaid: number }).amountPaid = 20_000; // more than issued: D02
  const posted = await postBatch(bank.client, bank.ref, 'AddLoans', [loan]);
  assert.equal((await waitForBatch(bank.client, bank.ref, posted.reference)).batchStatus, 'FinishedFailed');
  const failed = key('pcr_batches_processed_total', { operation: 'AddLoans', status: 'FinishedFailed' });
  const { samples: after } = await scrapeUntil(url, (s) => delta(before, s, failed) >= 1, 'the failed batch');
  assert.equal(delta(before, after, failed), 1);
  assert.equal(delta(before, after, key('pcr_report_rejections_total', { operation: 'AddLoans', error_code: 'D02' })), 1);
  assert.equal(delta(before, after, key('pcr_reports_total', { operation: 'AddLoans', outcome: 'rejected' })), 1);
});

test('an extract: counted once, under each purpose named, in a group commit; a refused one (D04) by its code', async () => {
  const url = reg.server.metrics.url;
  const { samples: before } = await scrape(url);
  const res = await extract(bankData, person(), ['NewConsumerCredit', 'ChangesToTermsOfConsumerCredit']);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const bad = makePersonalIdentityCode('1980-01-01', 500); // a real (not test) code in the Test environment: D04
  sentCodes.push(bad);
  assert.equal((await extract(bankData, bad, ['NewLoan'])).status, 400);
  const { samples: after } = await scrape(url);
  assert.equal(delta(before, after, 'pcr_extracts_total'), 1);
  assert.equal(delta(before, after, key('pcr_extract_purposes_total', { purpose: 'NewConsumerCredit' })), 1);
  assert.equal(delta(before, after, key('pcr_extract_purposes_total', { purpose: 'ChangesToTermsOfConsumerCredit' })), 1);
  assert.equal(delta(before, after, key('pcr_extract_purposes_total', { purpose: 'NewLoan' })), 0);
  assert.equal(delta(before, after, 'pcr_extract_group_commit_size_count'), 1);
  assert.equal(delta(before, after, 'pcr_extract_group_commit_size_sum'), 1);
  assert.equal(delta(before, after, key('http_request_duration_seconds_count', { operation: 'GetCreditRegisterExtract', status: '200' })), 1);
  assert.equal(delta(before, after, key('pcr_api_refusals_total', { operation: 'GetCreditRegisterExtract', error_code: 'D04' })), 1);
});

test('refusals by operation and code: no certificate (A23), an unknown path (A14, not labelled by the path)', async () => {
  const url = reg.server.metrics.url;
  const { samples: before } = await scrape(url);
  const anonymous = reg.anonymous();
  assert.equal((await anonymous.post('/AddLoans', {}, { BatchReference: 'x' })).status, 401);
  const inPath = person();
  assert.equal((await bank.client.post(`/GetLoan/${inPath}`, {})).status, 404);
  const { samples: after, text } = await scrape(url);
  assert.equal(delta(before, after, key('pcr_api_refusals_total', { operation: 'AddLoans', error_code: 'A23' })), 1);
  assert.equal(delta(before, after, key('http_request_duration_seconds_count', { operation: 'AddLoans', status: '401' })), 1);
  assert.equal(delta(before, after, key('pcr_api_refusals_total', { operation: '(unmatched)', error_code: 'A14' })), 1);
  assert.equal(delta(before, after, key('http_request_duration_seconds_count', { operation: '(unmatched)', status: '404' })), 1);
  assert.ok(!text.includes('/GetLoan/'));
});

test('no identity code in the metrics: not one of those sent, nor anything of their form', async () => {
  assert.ok(sentCodes.length >= 5);
  const { text } = await scrape(reg.server.metrics.url);
  for (const code of sentCodes) assert.ok(!text.includes(code), `the metrics hold ${code}`);
  assert.doesNotMatch(text, /\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]/);
  // Nor an organisation's Business ID.
  assert.ok(!text.includes(bank.ref.idCode));
});

test('the process itself: memory and CPU (prom-client default metrics) beside the register’s own', async () => {
  const { samples, text } = await scrape(reg.server.metrics.url);
  assert.ok((samples.get('process_resident_memory_bytes') ?? 0) > 0);
  assert.ok((samples.get('nodejs_heap_size_used_bytes') ?? 0) > 0);
  assert.ok(samples.has('process_cpu_seconds_total'));
  // Each metric once: the process registry and the server's do not overlap.
  const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
  assert.equal(new Set(types).size, types.length);
});

test('on PostgreSQL the pool is shown; on PGlite there is none to show', async () => {
  const { samples } = await scrape(reg.server.metrics.url);
  if (reg.register.db.kind === 'postgres') {
    assert.equal(samples.get(key('pcr_db_pool_connections', { pool: 'primary', state: 'max' })), reg.register.db.concurrency);
    assert.ok((samples.get(key('pcr_db_pool_connections', { pool: 'primary', state: 'open' })) ?? 0) >= 1);
    assert.equal(samples.get(key('pcr_db_pool_waiting', { pool: 'primary' })), 0);
  } else {
    assert.ok(![...samples.keys()].some((k) => k.startsWith('pcr_db_pool_')));
  }
});

test('/ready: the database answers, its schema is current, the runner runs; /health: alive', async () => {
  const ready = await plain(`${reg.server.metrics.url}/ready`);
  assert.equal(ready.status, 200, ready.text);
  const body = JSON.parse(ready.text) as { status: string; notReady: unknown[]; schema: { version: number; expected: number } };
  assert.equal(body.status, 'ready');
  assert.deepEqual(body.notReady, []);
  assert.equal(body.schema.version, loadMigrations().at(-1)!.version);
  assert.equal(body.schema.expected, body.schema.version);
  const health = await plain(`${reg.server.metrics.url}/health`);
  assert.equal(health.status, 200);
  assert.equal((JSON.parse(health.text) as { status: string }).status, 'ok');
});

// Last: it stops the job runner, so that a batch stays waiting.
test('a batch waiting: counted, and the age of the oldest one on the database’s clock', async () => {
  await reg.server.worker.stop();
  const db = reg.register.db;
  const { rows } = await db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [bank.ref.idCode]);
  const loans = [lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person() }] })];
  await receiveBatch(db, { organisationId: rows[0]!.id, operation: 'AddLoans', batchReference: 'waiting-one', rawBody: JSON.stringify({ targetEnvironment: 'Test', owner: ownerOf(bank.ref), loans }), reportCount: 1 });
  await db.query(`UPDATE batches SET received_at = now() - interval '1 hour' WHERE batch_reference = 'waiting-one'`);
  const { samples } = await scrape(reg.server.metrics.url);
  assert.equal(samples.get('pcr_batches_waiting'), 1);
  const age = samples.get('pcr_batch_oldest_waiting_age_seconds')!;
  assert.ok(age >= 3600 && age < 4000, String(age));
});
