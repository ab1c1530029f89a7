/** A whole certificate life over real TLS: order → retrieve with a client-side CSR → call → renew → revoke → refused. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { orderCertificate, retrieveCertificate } from '../../src/access/certificates.ts';
import { createKeyAndCsr } from '../../src/access/pki.ts';
import { renewOverHttps, retrieveOverHttps } from '../../src/cli/client-certs.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { tempDir } from '../helpers/temp.ts';

// Folders holding keys this file made come from tempDir(): removed when the file's process ends, whatever happened.

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

function clientFrom(dir: string): HttpsJsonClient {
  return new HttpsJsonClient(reg.url, { ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') });
}

test('order → retrieve → authenticated call → renew → revoke → refused', async () => {
  const ref = await reg.organisation({ name: 'Life Bank', permissions: [{ permission: 'reporting' }] });
  // 1. The operator orders: transfer id and password, shown once.
  const ordered = await reg.cli(['cert', 'order', '--business-id', ref.idCode, '--usage', 'reporting', '--json']);
  assert.equal(ordered.exitCode, 0, ordered.stderr);
  const order = JSON.parse(ordered.stdout) as { transferId: string; transferPassword: string; expiresAt: string };
  const days = (Date.parse(order.expiresAt) - Date.now()) / 86_400_000;
  assert.ok(days > 13.9 && days <= 14, `transfer codes valid 14 days, got ${days}`);

  // 2. The organisation makes its own key and CSR and retrieves over server-authenticated TLS.
  const dir = tempDir('pcr-life-');
  const got = await retrieveOverHttps({ url: reg.url, serverCaPem: reg.register.ca.certPem, transferId: order.transferId, transferPassword: order.transferPassword, outDir: dir });
  const cert = new X509Certificate(readFileSync(got.cert, 'utf8'));
  assert.match(cert.subject, /CN=Life Bank/);
  assert.match(cert.subject, new RegExp(`organizationIdentifier=NTRFI-${ref.idCode}`));
  assert.match(cert.subject, new RegExp(`serialNumber=${ref.idCode}`));
  assert.ok(cert.checkIssued(new X509Certificate(reg.register.ca.certPem)));
  const validityDays = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
  assert.ok(Math.abs(validityDays - 730) < 1, `two years, got ${validityDays}`);
  assert.ok(cert.keyUsage === undefined || true);

  // The codes are spent.
  const again = await reg.anonymous().post('/certificates/sign', { transferId: order.transferId, transferPassword: order.transferPassword, csr: (await createKeyAndCsr('x')).csrPem });
  assert.equal(again.status, 401);
  assert.equal((again.body as { errorResponses: { errorCode: string }[] }).errorResponses[0]!.errorCode, 'A25');

  // 3. An authenticated call.
  const c1 = clientFrom(dir);
  const who = await c1.get<{ organisation: { idCode: string }; certificate: { serial: string; usage: string } }>('/whoami');
  assert.equal(who.status, 200);
  assert.equal(who.body.organisation.idCode, ref.idCode);
  assert.equal(who.body.certificate.serial, got.serial);

  // 4. Renewal is refused more than 60 days before expiry …
  const early = await c1.post('/certificates/renew', { csr: (await createKeyAndCsr('x')).csrPem });
  assert.equal(early.status, 400);
  assert.equal((early.body as { errorResponses: { errorCode: string }[] }).errorResponses[0]!.errorCode, 'A26');
  c1.close();

  // … and allowed within the window: a certificate retrieved 700 days ago expires in 30.
  const order2 = await orderCertificate(reg.register.db, { ref, usage: 'reporting', environment: 'Test' });
  const { keyPem, csrPem } = await createKeyAndCsr('old');
  const old = await retrieveCertificate(reg.register.db, reg.register.ca, { transferId: order2.transferId, transferPassword: order2.transferPassword, csr: csrPem }, new Date(Date.now() - 700 * 86_400_000));
  const oldDir = tempDir('pcr-renew-');
  const { writeCertFiles } = await import('../../src/cli/client-certs.ts');
  writeCertFiles(oldDir, keyPem, old.certificate, reg.register.ca.certPem);
  const renewed = await renewOverHttps({ url: reg.url, certDir: oldDir });
  assert.notEqual(renewed.serial, old.serial);
  assert.ok(Date.parse(renewed.notAfter) > Date.now() + 700 * 86_400_000);
  const c2 = clientFrom(oldDir);
  const who2 = await c2.get<{ certificate: { serial: string; usage: string } }>('/whoami');
  assert.equal(who2.body.certificate.serial, renewed.serial);
  assert.equal(who2.body.certificate.usage, 'reporting', 'a renewal keeps the usage');

  // 5. Revocation by the operator → refused, on the already open connection too.
  const revoked = await reg.cli(['cert', 'revoke', '--serial', renewed.serial]);
  assert.equal(revoked.exitCode, 0, revoked.stderr);
  const refused = await c2.get<{ errorResponses: { errorCode: string }[] }>('/whoami');
  assert.equal(refused.status, 401);
  assert.equal(refused.body.errorResponses[0]!.errorCode, 'A23');
  assert.equal(refused.localPort, who2.localPort, 'the same keep-alive connection');
  c2.close();
});

test('revocation from another process takes effect on an open connection within seconds', async () => {
  const ref = await reg.organisation({ permissions: [{ permission: 'reporting' }] });
  const client = await reg.client(ref, 'reporting');
  const first = await client.get('/whoami');
  assert.equal(first.status, 200);
  // Another register process (or the operator's PostgreSQL session) revokes: no cache invalidation here.
  await reg.register.db.query('UPDATE certificates SET revoked_at = now() WHERE serial = $1', [client.serial]);
  let status = 200;
  let res = first;
  const deadline = Date.now() + 5000;
  while (status === 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    res = await client.get('/whoami');
    status = res.status;
  }
  assert.equal(status, 401, 'refused within the trust cache time');
  assert.equal(res.localPort, first.localPort, 'on the same connection');
});

test('five wrong transfer passwords spend the codes', async () => {
  const ref = await reg.organisation();
  const order = await orderCertificate(reg.register.db, { ref, usage: 'data-use', environment: 'Test' });
  const { csrPem } = await createKeyAndCsr('x');
  const anon = reg.anonymous();
  for (let i = 1; i <= 5; i++) {
    const r = await anon.post<{ errorResponses: { errorCode: string; errorDescription: string }[] }>('/certificates/sign', { transferId: order.transferId, transferPassword: 'WRONG', csr: csrPem });
    assert.equal(r.status, 401);
    assert.equal(r.body.errorResponses[0]!.errorCode, 'A25');
    if (i < 5) assert.match(r.body.errorResponses[0]!.errorDescription, new RegExp(`${5 - i} tries left`));
  }
  const right = await anon.post('/certificates/sign', { transferId: order.transferId, transferPassword: order.transferPassword, csr: csrPem });
  assert.equal(right.status, 401, 'the right password no longer helps');
});

test('expired transfer codes are refused', async () => {
  const ref = await reg.organisation();
  const order = await orderCertificate(reg.register.db, { ref, usage: 'reporting', environment: 'Test' }, new Date(Date.now() - 15 * 86_400_000));
  const r = await reg.anonymous().post('/certificates/sign', { transferId: order.transferId, transferPassword: order.transferPassword, csr: (await createKeyAndCsr('x')).csrPem });
  assert.equal(r.status, 401);
});

test('a CSR that is not a valid signed request is A10 and spends nothing', async () => {
  const ref = await reg.organisation();
  const order = await orderCertificate(reg.register.db, { ref, usage: 'reporting', environment: 'Test' });
  const bad = await reg.anonymous().post<{ errorResponses: { errorCode: string; fieldName: string }[] }>('/certificates/sign', { transferId: order.transferId, transferPassword: order.transferPassword, csr: 'not a csr' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errorResponses[0]!.errorCode, 'A10');
  assert.equal(bad.body.errorResponses[0]!.fieldName, 'csr');
  const good = await reg.anonymous().post('/certificates/sign', { transferId: order.transferId, transferPassword: order.transferPassword, csr: (await createKeyAndCsr('x')).csrPem });
  assert.equal(good.status, 200, 'the codes still work');
});

test('certificates expiring within 60 days are listed for the operator', async () => {
  const ref = await reg.organisation();
  const order = await orderCertificate(reg.register.db, { ref, usage: 'reporting', environment: 'Test' });
  const soon = await retrieveCertificate(reg.register.db, reg.register.ca, { transferId: order.transferId, transferPassword: order.transferPassword, csr: (await createKeyAndCsr('x')).csrPem }, new Date(Date.now() - 700 * 86_400_000));
  await reg.client(ref, 'data-use');
  const listed = await reg.cli(['cert', 'list', '--expiring-within-days', '60', '--json']);
  const certs = JSON.parse(listed.stdout) as { serial: string; businessId: string; usage: string; environment: string; notAfter: string; revoked: boolean }[];
  const mine = certs.filter((c) => c.businessId === ref.idCode);
  assert.deepEqual(mine.map((c) => c.serial), [soon.serial]);
  assert.deepEqual(Object.keys(mine[0]!).sort(), ['businessId', 'environment', 'notAfter', 'notBefore', 'organisationName', 'revoked', 'revokedAt', 'serial', 'usage']);
});
