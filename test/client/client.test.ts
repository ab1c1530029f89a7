/**
 * The client library (client/, issue 14) against a real register: certificate folders, every
 * family of operations, one reference through the retries of a batch, retries that honour
 * Retry-After (the register's own rate limit), typed refusals with the register's codes, and
 * the paging helpers of the ban change feed and of deliveries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate } from '../../src/access/certificates.ts';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import type { Usage } from '../../src/access/pki.ts';
import { writeCertFiles } from '../../src/cli/client-certs.ts';
import { finnishDate } from '../../src/common/dates.ts';
import {
  RawJson, RegisterApiError, RegisterClient, RegisterConnectionError, httpsTransport, readCertDir,
  type LoanReport, type RegisterClientOptions, type RetryEvent, type Transport,
} from '../../client/src/index.ts';
import { feedMarkPassed } from '../helpers/bans.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, testPerson } from '../helpers/reports.ts';
import { tempDir } from '../helpers/temp.ts';

let reg: TestRegister;
let dir: string;
const clients: RegisterClient[] = [];
before(async () => {
  reg = await startTestRegister();
  dir = tempDir('pcr-client-');
});
after(async () => {
  for (const c of clients) c.close();
  await reg.close();
  rmSync(dir, { recursive: true, force: true });
});

let dirs = 0;
/** A certificate folder (key.pem, cert.pem, ca.pem) as `pcr cert retrieve` writes it. */
async function certDir(t: TestRegister, ref: OrganisationRef, usage: Usage): Promise<string> {
  const issued = await issueCertificate(t.register.db, t.register.ca, ref, usage, t.register.environment);
  return writeCertFiles(join(dir, `cert-${++dirs}`), issued.keyPem, issued.certPem, issued.caPem).dir;
}

function client(opts: RegisterClientOptions): RegisterClient {
  const c = new RegisterClient(opts);
  clients.push(c);
  return c;
}

async function lender(t: TestRegister = reg, usage: Usage = 'reporting', extra: Partial<RegisterClientOptions> = {}) {
  const ref = await t.organisation({ permissions: [{ permission: 'reporting' }, { permission: 'extract', purposes: ['consumer'] }] });
  const folder = await certDir(t, ref, usage);
  return { ref, folder, client: client({ url: t.url, certDir: folder, ...extra }) };
}

const loan = () => lumpSumLoan() as unknown as LoanReport;

async function refusal(p: Promise<unknown>): Promise<RegisterApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RegisterApiError) return err;
    throw err;
  }
  assert.fail('expected a refusal');
}

test('a certificate folder: the envelope from /whoami, a batch to its final status, the loan read back, typed refusals D03 and A40', async () => {
  const bank = await lender();
  const good = loan();
  const bad = { ...loan(), currencyCode: 'ZZZ' };
  const sent = await bank.client.addLoans([good, bad], { batchReference: 'Batch_AddLoans_client_1' });
  assert.deepEqual(sent, { batchReference: 'Batch_AddLoans_client_1', batchStatus: 'Received', attempts: 1 });
  const status = await bank.client.waitForBatch(sent.batchReference);
  assert.equal(status.batchStatus, 'FinishedPartialSuccess');
  assert.deepEqual(status.rejectedReports?.map((r) => [r.reportReference, r.errorResponses[0]!.errorCode]), [[bad.reportReference, 'D16']]);

  const read = await bank.client.getLoan(good.loanNumber);
  assert.equal(read.loan.loanStatus, 'Active');
  assert.deepEqual(read.loan.loanNumber, good.loanNumber);

  const missing = await refusal(bank.client.getLoan('no-such-loan'));
  assert.deepEqual([missing.status, missing.code, missing.errors[0]!.fieldName], [404, 'D03', 'loanNumber']);
  assert.match(missing.correlationId!, /^[0-9a-f-]{36}$/);
  const unknown = await refusal(bank.client.getBatchStatus('never-sent'));
  assert.deepEqual([unknown.status, unknown.code, (unknown.body as { batchStatus: string }).batchStatus], [400, 'A40', 'NotFound']);

  // The same folder's files given one by one, as PEM text or as file names.
  const files = readCertDir(bank.folder);
  const byText = client({ url: reg.url, cert: files.cert, key: files.key, ca: files.ca });
  const byName = client({ url: reg.url, cert: join(bank.folder, 'cert.pem'), key: join(bank.folder, 'key.pem'), ca: join(bank.folder, 'ca.pem') });
  for (const c of [byText, byName]) assert.equal((await c.whoami()).organisation.idCode, bank.ref.idCode);
});

test('a lost answer: the batch is sent again under the same reference and body, the register answers it as the batch it holds, nothing applied twice', async () => {
  const bank = await lender();
  const seen: { reference: string | undefined; body: string | undefined }[] = [];
  const real = httpsTransport(reg.url, readCertDir(bank.folder), { timeoutMs: 30_000 });
  let lost = 0;
  const losing: Transport = async (r) => {
    const res = await real.send(r);
    if (r.path === '/AddLoans') {
      seen.push({ reference: r.headers.BatchReference, body: r.body });
      if (lost++ === 0) throw Object.assign(new Error('connection reset after the request arrived'), { code: 'ECONNRESET' });
    }
    return res;
  };
  const retries: RetryEvent[] = [];
  const c = client({ url: reg.url, transport: losing, retry: { baseDelayMs: 10 }, onRetry: (e) => retries.push(e) });
  const reports = [loan(), loan()];
  const sent = await c.addLoans(reports);
  real.close();
  assert.equal(sent.attempts, 2);
  assert.equal(seen.length, 2);
  assert.equal(seen[1]!.reference, seen[0]!.reference, 'one reference for both sends');
  assert.equal(seen[1]!.body, seen[0]!.body, 'the same bytes');
  assert.equal(sent.batchReference, seen[0]!.reference);
  assert.match(sent.batchReference, /^Batch_AddLoans_\d{14}_[0-9a-f]{8}$/);
  assert.deepEqual(retries.map((e) => [e.operation, e.errorCode]), [['AddLoans', 'ECONNRESET']]);
  const final = await c.waitForBatch(sent.batchReference);
  assert.deepEqual([final.batchStatus, final.acceptedCount, final.rejectedCount], ['FinishedSuccess', 2, 0], 'no D01: the loans were added once');
  const { rows } = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM batches WHERE batch_reference = $1', [sent.batchReference]);
  assert.equal(rows[0]!.n, 1);

  // Raw JSON reports are sent byte for byte; other content under a used reference is 409 A30.
  const raw = new RawJson(JSON.stringify(loan()).replace('"amountIssued":10000', '"amountIssued":10000.00'));
  const again = await c.submitBatchAndWait('AddLoans', [raw]);
  assert.equal(again.batchStatus, 'FinishedSuccess');
  const conflict = await refusal(c.addLoans([loan()], { batchReference: sent.batchReference }));
  assert.deepEqual([conflict.status, conflict.code], [409, 'A30']);
});

test('an extract is never resent after a broken connection (each one is logged and charged); a refused connection is retried, then a RegisterConnectionError', async () => {
  const bank = await lender(reg, 'data-use');
  const real = httpsTransport(reg.url, readCertDir(bank.folder), { timeoutMs: 30_000 });
  let extracts = 0;
  const breaking: Transport = async (r) => {
    const res = await real.send(r);
    if (r.path === '/GetCreditRegisterExtract' && extracts++ === 0) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    return res;
  };
  const c = client({ url: reg.url, transport: breaking, retry: { baseDelayMs: 10 } });
  const err = await c.getCreditRegisterExtract({ idCode: testPerson(), creditRegisterExtractPurpose: ['NewConsumerCredit'] }).catch((e: unknown) => e);
  real.close();
  assert.ok(err instanceof RegisterConnectionError);
  assert.deepEqual([err.attempts, err.maybeDelivered, extracts], [1, true, 1]);

  const ok = await bank.client.getCreditRegisterExtract({ idCode: testPerson(), creditRegisterExtractPurpose: ['NewConsumerCredit'], lenderReference: 'app-1' });
  assert.equal(ok.creditRegisterExtract.creditInformationSummary.loanContractsCount, 0);
  assert.equal(ok.creditRegisterExtract.lenderReference, 'app-1');

  const retries: RetryEvent[] = [];
  const nowhere = client({ url: 'https://127.0.0.1:1', certDir: bank.folder, retry: { baseDelayMs: 5, maxAttempts: 3 }, onRetry: (e) => retries.push(e) });
  const refused = await nowhere.whoami().catch((e: unknown) => e);
  assert.ok(refused instanceof RegisterConnectionError);
  assert.deepEqual([refused.attempts, refused.maybeDelivered, retries.map((e) => e.errorCode)], [3, false, ['ECONNREFUSED', 'ECONNREFUSED']]);
});

test('refusals as typed errors with the register codes: A10 with its field, A22 without the permission, A24 with the wrong certificate', async () => {
  const bank = await lender();
  const malformed = await refusal(bank.client.addLoans([{ ...loan(), surprise: 1 } as unknown as LoanReport]));
  assert.deepEqual([malformed.status, malformed.code, malformed.errors[0]!.fieldName], [400, 'A10', 'loans[0].surprise']);
  assert.ok(malformed.has('A10'));
  assert.match(malformed.message, /AddLoans refused with 400 A10/);

  const noExtract = await reg.organisation({ permissions: [{ permission: 'reporting' }] });
  const dataUse = client({ url: reg.url, certDir: await certDir(reg, noExtract, 'data-use') });
  const denied = await refusal(dataUse.getCreditRegisterExtract({ idCode: testPerson(), creditRegisterExtractPurpose: ['NewConsumerCredit'] }));
  assert.deepEqual([denied.status, denied.code], [403, 'A22']);
  const wrongUsage = await refusal(bank.client.getCreditRegisterExtract({ idCode: testPerson(), creditRegisterExtractPurpose: ['NewConsumerCredit'] }));
  assert.deepEqual([wrongUsage.status, wrongUsage.code], [403, 'A24']);

  const breakErr = await refusal(bank.client.servicebreak());
  assert.deepEqual([breakErr.status, breakErr.code, breakErr.retryAfterSeconds, breakErr.attempts], [503, 'A90', 60, 1]);
});

test("the register's rate limit: 429 A50 waited out as Retry-After says; a wait above the cap is thrown as A50 at once", async () => {
  const limited = await startTestRegister({ env: { PCR_RATE_LIMIT: '1', PCR_RATE_BURST: '1' } });
  try {
    const retries: RetryEvent[] = [];
    const bank = await lender(limited, 'reporting', { onRetry: (e) => retries.push(e) });
    await bank.client.whoami(); // the burst
    const sent = await bank.client.addLoans([loan()]);
    const final = await bank.client.waitForBatch(sent.batchReference);
    assert.equal(final.batchStatus, 'FinishedSuccess');
    assert.ok(retries.length >= 1, 'the limit was met');
    for (const e of retries) assert.deepEqual([e.status, e.errorCode, e.delayMs], [429, 'A50', 1000], 'waited the Retry-After seconds');
    const { rows } = await limited.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM batches WHERE batch_reference = $1', [sent.batchReference]);
    assert.equal(rows[0]!.n, 1);

    const impatient = client({ url: limited.url, certDir: bank.folder, retry: { maxRetryAfterSeconds: 0 } });
    await impatient.whoami().catch(() => undefined);
    const err = await refusal(Promise.all([impatient.whoami(), impatient.whoami()]));
    assert.deepEqual([err.status, err.code, err.attempts], [429, 'A50', 1]);
    assert.ok(err.retryAfterSeconds! >= 1);
  } finally {
    await limited.close();
  }
});

test('banChanges pages the change feed by its cursor until no more are ready; resuming from the saved cursor gives only what is new', async () => {
  const ref = await reg.organisation({ roles: ['credit-information-company'], permissions: [{ permission: 'ban-distribution' }] });
  const company = client({ url: reg.url, certDir: await certDir(reg, ref, 'data-use') });
  const ban = async (p: string) => assert.equal((await reg.cli(['ban', 'set', '--id-code', p, '--reason', 'ControlOfPersonalFinances', '--consent'])).exitCode, 0);
  const persons = Array.from({ length: 5 }, () => testPerson());
  for (const p of persons) await ban(p);
  await feedMarkPassed(reg.register.db);
  const pages = [];
  let cursor: string | undefined;
  for await (const page of company.banChanges({ limit: 2 })) {
    pages.push(page);
    cursor = page.nextCursor;
  }
  const mine = pages.flatMap((p) => p.changes).filter((c) => persons.includes(c.personIdCode));
  assert.deepEqual(mine.map((c) => c.personIdCode).sort(), [...persons].sort());
  assert.ok(pages.length >= 3);
  assert.ok(pages.slice(0, -1).every((p) => p.moreAvailable && p.changes.length === 2));
  assert.equal(pages.at(-1)!.moreAvailable, false);

  const later = testPerson();
  await ban(later);
  await feedMarkPassed(reg.register.db);
  const resumed = [];
  for await (const page of company.banChanges({ cursor: cursor! })) resumed.push(...page.changes);
  assert.deepEqual(resumed.map((c) => [c.personIdCode, c.change]), [[later, 'Set']]);
});

test('OrderData → waitForDelivery → deliveryPages (content hash checked); the income feed', async () => {
  const subject = testPerson();
  const bank = await lender();
  const added = await bank.client.submitBatchAndWait('AddLoans', [{ ...loan(), borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: subject }] }]);
  assert.equal(added.batchStatus, 'FinishedSuccess');
  const authority = await reg.organisation({ roles: ['authority'] });
  const grant = await reg.cli(['permission', 'grant', '--business-id', authority.idCode, '--permission', 'authority', '--scope', 'all', '--orders', 'PersonLoans', '--identity-codes', 'codes']);
  assert.equal(grant.exitCode, 0, grant.stderr);
  const fiva = client({ url: reg.url, certDir: await certDir(reg, authority, 'data-use') });
  const { orderId } = await fiva.orderData({ type: 'PersonLoans', legalBasis: 'Act on the Financial Supervisory Authority 18 §', caseReference: 'FIVA/2026/7', idCodeType: 'PersonalIdentityCode', idCode: subject });
  const delivery = await fiva.waitForDelivery(orderId, { intervalMs: 25 });
  assert.equal(delivery.status, 'Ready');
  const pages = [];
  for await (const page of fiva.deliveryPages(orderId, delivery.deliveryId)) pages.push(page);
  assert.equal(pages.length, delivery.pageCount);
  assert.equal(createHash('sha256').update(pages.map((p) => p.text).join('')).digest('hex'), delivery.contentSha256);
  assert.equal(pages.flatMap((p) => p.records ?? []).length, delivery.rowCount);
  const notOurs = await refusal(fiva.getDataDelivery('00000000-0000-4000-8000-000000000000'));
  assert.deepEqual([notOurs.status, notOurs.code], [404, 'A41']);

  const source = await reg.organisation({ roles: ['income-source'], permissions: [{ permission: 'income-feed' }] });
  const feed = client({ url: reg.url, certDir: await certDir(reg, source, 'reporting') });
  const [year, month] = finnishDate().split('-').map(Number) as [number, number];
  const last = month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 };
  const answer = await feed.incomeFeed([{ idCode: subject, ...last, wagesGrossAmount: 3500.5, wagesNetAmount: 2600 }, { idCode: subject, year, month: 13 }]);
  assert.deepEqual([answer.acceptedCount, answer.rejectedCount, answer.rejected[0]!.index], [1, 1, 1]);
});
