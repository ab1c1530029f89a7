/** What answers without a client certificate: health, the error catalogue, the OpenAPI document and the API reference. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CATALOGUE, catalogueList } from '../../src/common/errors.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

test('GET /health answers without a client certificate', async () => {
  const res = await reg.anonymous().get<{ status: string; environment: string }>('/health');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { status: 'ok', environment: 'Test' });
});

test('GET /error-codes publishes the catalogue of the code', async () => {
  const res = await reg.anonymous().get<{ errorCodes: { code: string; httpStatus: number | null; meaning: string }[] }>('/error-codes');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.errorCodes.map((c) => c.code), Object.keys(CATALOGUE));
  assert.equal(res.body.errorCodes.find((c) => c.code === 'A23')!.httpStatus, 401);
  assert.equal(res.body.errorCodes.find((c) => c.code === 'D02')!.httpStatus, null);
});

test("docs/error-codes.md lists exactly the code's catalogue, with the same status and meaning", () => {
  const doc = readFileSync(new URL('../../docs/error-codes.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| ([AD]\d\d) \| (\d+|—) \| (.+?) \| (ours)? \|$/gm)].map((m) => ({
    code: m[1],
    httpStatus: m[2] === '—' ? null : Number(m[2]),
    meaning: m[3],
    ourDesign: m[4] === 'ours',
  }));
  assert.deepEqual(rows, catalogueList());
});

test('the OpenAPI document describes the operations, and the reference is browsable', async () => {
  const res = await reg.anonymous().get<{ openapi: string; paths: Record<string, unknown> }>('/openapi.json');
  assert.equal(res.status, 200);
  assert.match(res.body.openapi, /^3\./);
  for (const path of ['/certificates/sign', '/certificates/renew', '/whoami', '/error-codes']) assert.ok(res.body.paths[path], path);
  const ui = await reg.anonymous().request('GET', '/documentation/');
  assert.equal(ui.status, 200);
  assert.match(ui.text, /swagger/i);
});

test('TLS 1.2 stays enabled (.NET Framework hosts), with a client certificate', async () => {
  const tls = await import('node:tls');
  const { client } = await reg.lender();
  const protocol = await new Promise<string | null>((resolve, reject) => {
    const agent = client.agent as unknown as { options: { cert: string; key: string } };
    const socket = tls.connect(
      { host: '127.0.0.1', port: reg.server.port, servername: 'localhost', ca: reg.register.ca.certPem, cert: agent.options.cert, key: agent.options.key, maxVersion: 'TLSv1.2' },
      () => {
        const p = socket.getProtocol();
        socket.end();
        resolve(p);
      },
    );
    socket.on('error', reject);
  });
  assert.equal(protocol, 'TLSv1.2');
});
