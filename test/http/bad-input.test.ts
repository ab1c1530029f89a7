/** Bad input and attacks: each gets the error body with the right code and status, never a 500 or a stack trace. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister({ env: { PCR_REQUEST_TIMEOUT_MS: '1500' } });
});
after(() => reg.close());

type Refusal = { statusMessage: string; correlationId: string; errorResponses: { errorCode: string; fieldName?: string; errorDescription: string }[] };

function errorCode(body: unknown): string {
  return (body as Refusal).errorResponses[0]!.errorCode;
}

/** Sends raw bytes over TLS and returns everything the server answered before closing. */
function raw(request: string, opts: { endAfterWrite?: boolean; waitMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: reg.server.port, ca: reg.register.ca.certPem, servername: 'localhost' }, () => {
      socket.write(request);
      if (opts.endAfterWrite) socket.end();
    });
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', (e) => (out ? resolve(out) : reject(e)));
    setTimeout(() => socket.destroy(), opts.waitMs ?? 8000);
  });
}

function jsonOf(response: string): Refusal {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Refusal;
}

test('malformed JSON → 400 A10', async () => {
  const res = await reg.anonymous().post('/certificates/sign', '{"transferId": "x",');
  assert.equal(res.status, 400);
  assert.equal(errorCode(res.body), 'A10');
  assert.equal((res.body as Refusal).statusMessage, 'The request was rejected');
});

test('a wrong content type → 415 A13', async () => {
  const res = await reg.anonymous().request('POST', '/certificates/sign', 'transferId=x', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(res.status, 415);
  assert.equal(errorCode(res.body), 'A13');
  const latin = await reg.anonymous().request('POST', '/certificates/sign', '{}', { 'content-type': 'application/json; charset=iso-8859-1' });
  assert.equal(latin.status, 415);
  const none = await reg.anonymous().request('POST', '/certificates/sign', '{}', { 'content-type': '' });
  assert.equal(none.status, 415);
});

test('application/json with charset=utf-8 is accepted', async () => {
  const res = await reg.anonymous().request('POST', '/certificates/sign', '{"transferId":"x","transferPassword":"y","csr":"z"}', { 'content-type': 'application/json; charset=utf-8' });
  assert.notEqual(res.status, 415);
});

test('an oversized body → 413 A12', async () => {
  const res = await reg.anonymous().post('/certificates/sign', { transferId: 'x', transferPassword: 'y', csr: 'A'.repeat(200_000) });
  assert.equal(res.status, 413);
  assert.equal(errorCode(res.body), 'A12');
});

test('an unknown operation → 404 A14, with or without a certificate', async () => {
  const anon = await reg.anonymous().post('/AddLoanz', {});
  assert.equal(anon.status, 404);
  assert.equal(errorCode(anon.body), 'A14');
  const { client } = await reg.lender();
  const authed = await client.post('/v1/AddLoans', {});
  assert.equal(authed.status, 404);
  assert.equal(errorCode(authed.body), 'A14');
  const wrongMethod = await client.request('DELETE', '/whoami');
  assert.equal(wrongMethod.status, 404);
});

test('an unknown property → A10 naming it; a duplicated one → A10 naming it; a missing one → A10 naming it', async () => {
  const unknown = await reg.anonymous().post<Refusal>('/certificates/sign', { transferId: 'x', transferPassword: 'y', csr: 'z', surprise: 1 });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.errorResponses[0]!.errorCode, 'A10');
  assert.equal(unknown.body.errorResponses[0]!.fieldName, 'surprise');
  const dup = await reg.anonymous().post<Refusal>('/certificates/sign', '{"transferId":"x","TransferId":"y","transferPassword":"y","csr":"z"}');
  assert.equal(dup.body.errorResponses[0]!.errorCode, 'A10');
  assert.equal(dup.body.errorResponses[0]!.fieldName, 'transferId');
  const missing = await reg.anonymous().post<Refusal>('/certificates/sign', { transferId: 'x', transferPassword: 'y' });
  assert.equal(missing.body.errorResponses[0]!.errorCode, 'A10');
  assert.equal(missing.body.errorResponses[0]!.fieldName, 'csr');
  const wrongType = await reg.anonymous().post<Refusal>('/certificates/sign', { transferId: 5, transferPassword: 'y', csr: 'z' });
  assert.equal(wrongType.body.errorResponses[0]!.fieldName, 'transferId');
});

test('PascalCase property names are accepted (.NET clients)', async () => {
  const res = await reg.anonymous().post<Refusal>('/certificates/sign', { TransferId: 'TNOSUCH', TransferPassword: 'y', Csr: 'z' });
  assert.equal(res.status, 401, 'parsed and checked: the codes are unknown');
  assert.equal(res.body.errorResponses[0]!.errorCode, 'A25');
});

test('a slow request → 408 A15 in JSON', async () => {
  const started = Date.now();
  const out = await raw('POST /certificates/sign HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"transferId":', { waitMs: 10_000 });
  assert.match(out, /^HTTP\/1\.1 408/);
  assert.equal(jsonOf(out).errorResponses[0]!.errorCode, 'A15');
  assert.ok(Date.now() - started < 9000, 'answered by the request timeout, not the test');
});

test('a truncated request (client closes mid-body) does no harm and the server goes on', async () => {
  await raw('POST /certificates/sign HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"transferId":', { endAfterWrite: true, waitMs: 3000 });
  const health = await reg.anonymous().get('/health');
  assert.equal(health.status, 200);
  assert.ok(!reg.logs.some((l) => /"status":500|A99/.test(l)), 'no internal error logged');
});

test('garbage instead of HTTP → 400 A10 in JSON', async () => {
  const out = await raw('HELLO THERE\r\n\r\n', { waitMs: 3000 });
  assert.match(out, /^HTTP\/1\.1 400/);
  assert.equal(jsonOf(out).errorResponses[0]!.errorCode, 'A10');
});

test('every answer carries X-Correlation-Id, equal to the body correlationId on refusals', async () => {
  const { client } = await reg.lender();
  for (const res of [await reg.anonymous().get('/health'), await client.get('/whoami'), await reg.anonymous().get('/whoami'), await reg.anonymous().post('/nope', {}), await reg.anonymous().get('/error-codes')]) {
    const id = res.headers['x-correlation-id'];
    assert.match(String(id), /^[0-9a-f-]{36}$/);
    if (res.status >= 400) assert.equal((res.body as Refusal).correlationId, id);
  }
});

test('no answer is a stack trace', async () => {
  const res = await reg.anonymous().post('/certificates/sign', '{"transferId":"\\ud800","transferPassword":"x","csr":"' + 'x'.repeat(100) + '"}');
  assert.ok(res.status < 500);
  assert.doesNotMatch(res.text, /at .*\.ts:\d+/);
});

test('headers larger than 16 KiB → 431 A16 with the error body', async () => {
  const answer = await raw(`POST /AddLoans HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`);
  assert.match(answer, /^HTTP\/1\.1 431 /);
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Refusal;
  assert.equal(errorCode(body), 'A16');
  assert.ok(body.correlationId);
});

test('a request without a Host header gets the register\'s own answer with the error body, not a bare 400', async () => {
  const answer = await raw('POST /AddLoans HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  assert.ok(status >= 400 && status < 500, answer.slice(0, 200));
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Refusal;
  assert.equal(errorCode(body), 'A23', 'no certificate: refused as any such request is');
});

test('BatchReference given twice → 400 A11 (Node would join the two into one value)', async () => {
  const { ref, client } = await reg.lender();
  const res = await client.request('POST', '/AddLoans', JSON.stringify({ targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: ref.idCode }, loans: [] }), {
    'content-type': 'application/json',
    BatchReference: ['B-one', 'B-two'] as unknown as string,
  });
  assert.equal(res.status, 400);
  assert.equal(errorCode(res.body), 'A11');
  const { rows } = await reg.register.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM batches WHERE batch_reference LIKE 'B-one%'`);
  assert.equal(rows[0]!.n, 0);
});

test('an identity code in an unknown path, percent-encoded or not, never reaches the log', async () => {
  const code = '010190-923E';
  for (const path of [`/${code}`, `/x%22${code}%22`, `/GetLoan%2F${code}`, `/%30%31%30%31%39%30-923E`]) {
    const res = await reg.anonymous().post(path, {});
    assert.equal(res.status, 404);
  }
  const lines = reg.logs.filter((l) => l.includes('"status":404'));
  assert.ok(lines.length >= 4);
  for (const l of reg.logs) assert.ok(!l.includes(code) && !l.includes('%30%31%30%31%39%30'), l);
  assert.ok(lines.some((l) => l.includes('[identity code]')), 'the path is logged, the code scrubbed');
});
