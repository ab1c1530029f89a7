/** Every refusal of access.md over real TLS, each in its own test. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { orderCertificate, retrieveCertificate } from '../../src/access/certificates.ts';
import { createKeyAndCsr, createRootCa, issueClientCertificate, loadCa, readCsr } from '../../src/access/pki.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

type Refusal = { errorResponses: { errorCode: string; errorDescription: string }[]; correlationId: string };

function assertRefused(res: { status: number; body: unknown; headers: Record<string, unknown> }, status: number, code: string) {
  assert.equal(res.status, status);
  const body = res.body as Refusal;
  assert.equal(body.errorResponses[0]!.errorCode, code);
  assert.equal(res.headers['x-correlation-id'], body.correlationId);
}

test('no client certificate → 401 A23, in JSON', async () => {
  assertRefused(await reg.anonymous().get('/whoami'), 401, 'A23');
});

test('a certificate from another CA, with the very subject of a real organisation → 401 A23', async () => {
  const ref = await reg.organisation({ name: 'Real Bank' });
  const real = await reg.client(ref, 'reporting');
  assert.equal((await real.get('/whoami')).status, 200);
  const foreign = await loadCa(...(Object.values(await createRootCa('Open Positive Credit Register CA')) as [string, string]));
  const { keyPem, csrPem } = await createKeyAndCsr('x');
  const forged = await issueClientCertificate(foreign, await readCsr(csrPem), { organisationName: 'Real Bank', idCode: ref.idCode, countryCode: 'FI', usage: 'reporting', environment: 'Test' });
  const client = new HttpsJsonClient(reg.url, { ca: reg.register.ca.certPem, cert: forged.pem, key: keyPem });
  try {
    const res = await client.get<Refusal>('/whoami');
    assertRefused(res, 401, 'A23');
    assert.match(res.body.errorResponses[0]!.errorDescription, /not issued by this register/);
  } finally {
    client.close();
  }
});

test('a certificate of our CA whose serial the register does not know → 401 A23', async () => {
  const ref = await reg.organisation();
  const { keyPem, csrPem } = await createKeyAndCsr('x');
  const unknown = await issueClientCertificate(reg.register.ca, await readCsr(csrPem), { organisationName: 'Whoever', idCode: ref.idCode, countryCode: 'FI', usage: 'reporting', environment: 'Test' });
  const client = new HttpsJsonClient(reg.url, { ca: reg.register.ca.certPem, cert: unknown.pem, key: keyPem });
  try {
    const res = await client.get<Refusal>('/whoami');
    assertRefused(res, 401, 'A23');
    assert.match(res.body.errorResponses[0]!.errorDescription, /not known/);
  } finally {
    client.close();
  }
});

test('an expired certificate → 401 A23', async () => {
  const ref = await reg.organisation();
  const order = await orderCertificate(reg.register.db, { ref, usage: 'reporting', environment: 'Test' });
  const { keyPem, csrPem } = await createKeyAndCsr('x');
  const old = await retrieveCertificate(reg.register.db, reg.register.ca, { transferId: order.transferId, transferPassword: order.transferPassword, csr: csrPem }, new Date(Date.now() - 3 * 365 * 86_400_000));
  const client = new HttpsJsonClient(reg.url, { ca: reg.register.ca.certPem, cert: old.certificate, key: keyPem });
  try {
    const res = await client.get<Refusal>('/whoami');
    assertRefused(res, 401, 'A23');
    assert.match(res.body.errorResponses[0]!.errorDescription, /expired/);
    // An expired certificate cannot be renewed either.
    assertRefused(await client.post('/certificates/renew', { csr: (await createKeyAndCsr('y')).csrPem }), 401, 'A23');
  } finally {
    client.close();
  }
});

test('a revoked certificate → 401 A23', async () => {
  const ref = await reg.organisation();
  const client = await reg.client(ref, 'reporting');
  assert.equal((await reg.cli(['cert', 'revoke', '--serial', client.serial, '--reason', 'key lost'])).exitCode, 0);
  const res = await client.get<Refusal>('/whoami');
  assertRefused(res, 401, 'A23');
  assert.match(res.body.errorResponses[0]!.errorDescription, /revoked/);
});

test("a suspended organisation's certificates stop at once → 401 A23; activation restores them", async () => {
  const ref = await reg.organisation();
  const reporting = await reg.client(ref, 'reporting');
  const dataUse = await reg.client(ref, 'data-use');
  assert.equal((await reg.cli(['org', 'suspend', '--business-id', ref.idCode])).exitCode, 0);
  assertRefused(await reporting.get('/whoami'), 401, 'A23');
  assertRefused(await dataUse.get('/whoami'), 401, 'A23');
  assert.equal((await reg.cli(['org', 'activate', '--business-id', ref.idCode])).exitCode, 0);
  assert.equal((await reporting.get('/whoami')).status, 200);
});

test("a certificate of the other environment → 403 A24", async () => {
  const ref = await reg.organisation();
  const prod = await reg.client(ref, 'reporting', { environment: 'Production' });
  const res = await prod.get<Refusal>('/whoami');
  assertRefused(res, 403, 'A24');
  assert.match(res.body.errorResponses[0]!.errorDescription, /Production/);
});

test('renewal more than 60 days before expiry → 400 A26', async () => {
  const ref = await reg.organisation();
  const client = await reg.client(ref, 'data-use');
  assertRefused(await client.post('/certificates/renew', { csr: (await createKeyAndCsr('x')).csrPem }), 400, 'A26');
});

test('a refused request leaves no trace in the data', async () => {
  const before = await reg.register.db.query<{ n: number }>('SELECT (SELECT count(*) FROM certificates) + (SELECT count(*) FROM certificate_orders) AS n');
  await reg.anonymous().post('/certificates/sign', { transferId: 'TNOSUCHCODE', transferPassword: 'x', csr: (await createKeyAndCsr('x')).csrPem });
  await reg.anonymous().post('/certificates/renew', { csr: (await createKeyAndCsr('x')).csrPem });
  const after = await reg.register.db.query<{ n: number }>('SELECT (SELECT count(*) FROM certificates) + (SELECT count(*) FROM certificate_orders) AS n');
  assert.equal(after.rows[0]!.n, before.rows[0]!.n);
});
