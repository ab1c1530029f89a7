/** A50: requests a second per organisation, a token bucket; over real TLS, a refusal before the body is read. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/access/rate-limit.ts';
import { ConfigError, resolveConfig } from '../../src/config.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, postBatch } from '../helpers/reports.ts';

test('the bucket: a burst, then one request per 1/rate seconds; organisations apart; 0 is no limit', () => {
  let now = 0;
  const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
  assert.deepEqual([1, 2, 3].map(() => limiter.take('a').allowed), [true, true, true]);
  assert.deepEqual(limiter.take('a'), { allowed: false, retryAfterSeconds: 1 });
  assert.equal(limiter.take('b').allowed, true, 'another organisation has its own allowance');
  now = 499;
  assert.equal(limiter.take('a').allowed, false, 'not yet a whole request after 499 ms at 2/s');
  now = 500;
  assert.equal(limiter.take('a').allowed, true);
  assert.equal(limiter.take('a').allowed, false);
  now = 60_000;
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a').allowed), [true, true, true, false], 'refilled up to the burst, not beyond');
  const slow = new RateLimiter({ perSecond: 0.1, burst: 1 }, () => now);
  slow.take('a');
  assert.deepEqual(slow.take('a'), { allowed: false, retryAfterSeconds: 10 });
  const off = new RateLimiter({ perSecond: 0, burst: 0 }, () => now);
  assert.ok(Array.from({ length: 1000 }, () => off.take('a').allowed).every(Boolean));
});

test('configuration: PCR_RATE_LIMIT and PCR_RATE_BURST, with a default and refusals of nonsense', () => {
  assert.deepEqual(resolveConfig({}, {}).rateLimit, { perSecond: 200, burst: 400 });
  assert.deepEqual(resolveConfig({}, { PCR_RATE_LIMIT: '5', PCR_RATE_BURST: '7' }).rateLimit, { perSecond: 5, burst: 7 });
  assert.deepEqual(resolveConfig({}, { PCR_RATE_LIMIT: '0' }).rateLimit.perSecond, 0);
  assert.throws(() => resolveConfig({}, { PCR_RATE_LIMIT: 'fast' }), ConfigError);
  assert.throws(() => resolveConfig({}, { PCR_RATE_LIMIT: '-1' }), ConfigError);
  assert.throws(() => resolveConfig({}, { PCR_RATE_LIMIT: '5', PCR_RATE_BURST: '0.5' }), ConfigError);
});

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister({ env: { PCR_RATE_LIMIT: '0.5', PCR_RATE_BURST: '3' } });
});
after(() => reg.close());

test('over the limit → 429 A50 with Retry-After, nothing stored; other organisations go on', async () => {
  const bank = await reg.lender();
  const other = await reg.lender();
  for (let i = 0; i < 3; i++) assert.equal((await bank.client.get('/whoami')).status, 200);
  const res = await postBatch(bank.client, bank.ref, 'AddLoans', [lumpSumLoan()]);
  const reference = res.reference;
  const refusal = res.body as unknown as { errorResponses: { errorCode: string }[]; correlationId: string };
  assert.equal(res.status, 429);
  assert.equal(refusal.errorResponses[0]!.errorCode, 'A50');
  assert.equal(res.headers['retry-after'], '2', 'one request every 2 s at 0.5/s');
  assert.equal(res.headers['x-correlation-id'], refusal.correlationId);
  const stored = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM batches WHERE batch_reference = $1', [reference]);
  assert.equal(stored.rows[0]!.n, 0, 'a refused batch is not stored');
  const remembered = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM batch_refusals WHERE batch_reference = $1', [reference]);
  assert.equal(remembered.rows[0]!.n, 0, 'nor remembered as a refusal: a flood of requests is no flood of writes');
  assert.equal((await other.client.get('/whoami')).status, 200, 'another organisation is not limited by this one');
  const data = await reg.client(bank.ref, 'data-use');
  assert.equal((await data.get('/whoami')).status, 429, "the organisation's other certificates share its allowance");
  assert.equal((await reg.anonymous().get('/whoami')).status, 401, 'no certificate is still 401, not counted');
});

test('the OpenAPI document: 429 with Retry-After on every operation, /Servicebreak answers 503 A90 with Retry-After and nothing else', async () => {
  type Responses = Record<string, { headers?: Record<string, unknown> }>;
  const doc = (await reg.anonymous().get<{ paths: Record<string, { post?: { responses: Responses } }> }>('/openapi.json')).body;
  const limited = Object.entries(doc.paths).filter(([, p]) => p.post?.responses['429']);
  assert.ok(limited.length >= 10, 'the operations document their 429');
  for (const [path, p] of limited) assert.ok(p.post!.responses['429']!.headers?.['Retry-After'], `${path} 429 has Retry-After`);
  const servicebreak = doc.paths['/Servicebreak']!.post!.responses;
  assert.deepEqual(Object.keys(servicebreak), ['503']);
  assert.ok(servicebreak['503']!.headers?.['Retry-After']);
});
