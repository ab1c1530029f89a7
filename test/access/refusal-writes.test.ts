/**
 * Refusals do not amplify into writes: floods of wrong-usage, unpermitted, rate-limited and
 * identical bad batches leave batch_refusals as it was, while GetBatchStatus still tells the
 * first refusal of a reference.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { issueCertificate } from '../../src/access/certificates.ts';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import { createLogger } from '../../src/http/logging.ts';
import { startServer } from '../../src/server.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { batchRequest, lumpSumLoan, type BatchStatusBody } from '../helpers/reports.ts';

/** Each organisation may send BURST requests (a flood and a few more); its bucket refills one request in 1000 s, i.e. not during the test. */
const FLOOD = 300;
const BURST = FLOOD + 10;
let reg: TestRegister;
before(async () => {
  reg = await startTestRegister({ env: { PCR_RATE_LIMIT: '0.001', PCR_RATE_BURST: String(BURST) } });
});
after(() => reg.close());

type Refusal = { errorResponses: { errorCode: string }[] };
const codeOf = (res: { body: unknown }) => (res.body as Refusal).errorResponses?.[0]?.errorCode;

/** The rows of batch_refusals with what changes on any write to a row (a new version, or a row lock). */
async function refusalRows(ref?: OrganisationRef): Promise<{ reference: string; version: string; refusedAt: string; errors: unknown }[]> {
  const { rows } = await reg.register.db.query<{ reference: string; version: string; refusedAt: Date; errors: unknown }>(
    `SELECT r.batch_reference AS reference, r.ctid::text || '/' || r.xmin::text || '/' || r.xmax::text AS version, r.refused_at AS "refusedAt", r.errors
     FROM batch_refusals r JOIN organisations o ON o.id = r.organisation_id
     WHERE $1::text IS NULL OR o.id_code = $1 ORDER BY r.batch_reference`,
    [ref?.idCode ?? null],
  );
  return rows.map((r) => ({ ...r, refusedAt: r.refusedAt.toISOString() }));
}

/** A batch refused at the door after authentication: it names the other environment (A20). */
const wrongEnvironment = (ref: OrganisationRef) => batchRequest(ref, 'AddLoans', [lumpSumLoan()], 'Production');

async function flood(client: HttpsJsonClient, body: (i: number) => unknown, reference: (i: number) => string): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < FLOOD; i++) {
    const res = await client.post('/AddLoans', body(i), { BatchReference: reference(i) });
    const key = `${res.status} ${codeOf(res)}`;
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}

const batchStatus = (client: HttpsJsonClient, ref: OrganisationRef, reference: string) =>
  client.post<BatchStatusBody & { receivedTimeUtc?: string }>('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(ref), batchReference: reference });

/** Spends what is left of the organisation's allowance. */
async function exhaust(client: HttpsJsonClient): Promise<void> {
  for (let i = 0; ; i++) {
    const res = await client.get('/whoami');
    if (res.status === 429) return;
    assert.ok(i <= BURST, 'the allowance ends');
  }
}

test('a flood with a certificate of the wrong usage writes nothing, and is counted by the rate limit', async () => {
  const before = await refusalRows();
  const lender = await reg.lender('data-use');
  const seen = await flood(lender.client, () => wrongEnvironment(lender.ref), (i) => `usage-${i}`);
  assert.deepEqual(seen, { '403 A24': FLOOD });
  assert.deepEqual(await refusalRows(), before);
  await exhaust(lender.client);
  const res = await lender.client.post('/AddLoans', wrongEnvironment(lender.ref), { BatchReference: 'usage-limited' });
  assert.equal(codeOf(res), 'A50', 'the rate limit is taken before the usage check');
});

test('a flood from an organisation without the reporting permission (A22) writes nothing', async () => {
  const before = await refusalRows();
  const ref = await reg.organisation({ roles: ['lender'], permissions: [{ permission: 'extract', purposes: ['consumer'] }] });
  const client = await reg.client(ref, 'reporting');
  const seen = await flood(client, () => batchRequest(ref, 'AddLoans', [lumpSumLoan()]), (i) => `unpermitted-${i}`);
  assert.deepEqual(seen, { '403 A22': FLOOD });
  assert.deepEqual(await refusalRows(), before);
});

test('a flood of bad batches beyond the rate limit writes nothing for the refused requests', async () => {
  const lender = await reg.lender();
  await exhaust(lender.client);
  const before = await refusalRows();
  const seen = await flood(lender.client, () => wrongEnvironment(lender.ref), (i) => `limited-${i}`);
  assert.deepEqual(seen, { '429 A50': FLOOD });
  assert.deepEqual(await refusalRows(), before);
});

test('an unauthenticated flood writes nothing', async () => {
  const before = await refusalRows();
  const seen = await flood(reg.anonymous(), (i) => ({ i }), (i) => `anonymous-${i}`);
  assert.deepEqual(seen, { '401 A23': FLOOD });
  assert.deepEqual(await refusalRows(), before);
});

test('identical bad batches with one reference: one write; GetBatchStatus keeps telling the first refusal', async () => {
  const lender = await reg.lender();
  const body = wrongEnvironment(lender.ref);
  const first = await lender.client.post('/AddLoans', body, { BatchReference: 'same-1' });
  assert.equal(codeOf(first), 'A20');
  const [row] = await refusalRows(lender.ref);
  assert.ok(row, 'the first refusal is remembered');
  const status = await batchStatus(lender.client, lender.ref, 'same-1');
  assert.equal(status.body.batchStatus, 'FinishedFailed');

  const seen = await flood(lender.client, () => body, () => 'same-1');
  assert.deepEqual(seen, { '400 A20': FLOOD });
  assert.deepEqual(await refusalRows(lender.ref), [row], 'the same row version: not updated, not even locked');
  const later = await batchStatus(lender.client, lender.ref, 'same-1');
  assert.equal(later.body.batchStatus, 'FinishedFailed');
  assert.equal(later.body.errorResponses![0]!.errorCode, 'A20');
  assert.equal(later.body.receivedTimeUtc, status.body.receivedTimeUtc, 'the time of the first refusal');
  assert.equal(row.refusedAt, status.body.receivedTimeUtc);
});

test('another refusal of the same reference replaces it, the same one again is written once more; ResetTestData forgets', async () => {
  const lender = await reg.lender();
  const send = (body: unknown) => lender.client.post('/AddLoans', body, { BatchReference: 'changing-1' });
  await send(wrongEnvironment(lender.ref));
  const [a] = await refusalRows(lender.ref);
  const other = await send({ ...batchRequest(lender.ref, 'AddLoans', [lumpSumLoan()]), owner: { idCodeType: 'BusinessId', idCode: '0000000-0' } });
  assert.equal(codeOf(other), 'A21');
  const [b] = await refusalRows(lender.ref);
  assert.notEqual(b!.version, a!.version);
  assert.equal((b!.errors as { errorCode: string }[])[0]!.errorCode, 'A21');
  await send(wrongEnvironment(lender.ref));
  const [c] = await refusalRows(lender.ref);
  assert.equal((c!.errors as { errorCode: string }[])[0]!.errorCode, 'A20', 'back to the first refusal: a change, so written');

  const reset = await lender.client.post('/ResetTestData', { targetEnvironment: 'Test', owner: ownerOf(lender.ref) });
  assert.equal(reset.status, 200);
  assert.deepEqual(await refusalRows(lender.ref), []);
  await send(wrongEnvironment(lender.ref));
  const status = await batchStatus(lender.client, lender.ref, 'changing-1');
  assert.equal(status.body.batchStatus, 'FinishedFailed', 'after a reset the same refusal is remembered again');
  assert.equal(status.body.errorResponses![0]!.errorCode, 'A20');
});

// The statement itself must not write for a refusal already recorded (another process, or one that
// has forgotten it): INSERT … SELECT … WHERE NOT EXISTS (the same errors) ON CONFLICT … DO UPDATE … WHERE
// the errors differ (src/reporting/store.ts recordRefusal).
test('a second register process repeating a recorded refusal writes nothing either', async () => {
  const lender = await reg.lender();
  await lender.client.post('/AddLoans', wrongEnvironment(lender.ref), { BatchReference: 'two-processes' });
  const rows = await refusalRows(lender.ref);
  assert.equal(rows.length, 1);
  const second = await startServer(reg.register, { logger: createLogger({ level: 'silent' }) });
  const issued = await issueCertificate(reg.register.db, reg.register.ca, lender.ref, 'reporting', 'Test');
  const client = new HttpsJsonClient(second.url, { ca: reg.register.ca.certPem, cert: issued.certPem, key: issued.keyPem });
  try {
    const res = await client.post('/AddLoans', wrongEnvironment(lender.ref), { BatchReference: 'two-processes' });
    assert.equal(codeOf(res), 'A20');
    assert.deepEqual(await refusalRows(lender.ref), rows);
  } finally {
    client.close();
    await second.close();
  }
});
