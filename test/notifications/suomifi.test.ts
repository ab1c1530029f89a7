/**
 * The Suomi.fi Messages adapter against a fake service that fails and duplicates on purpose
 * (fake-suomifi.ts), driven by the notification job with a clock the test moves.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../src/db/database.ts';
import { SuomiFiMessages } from '../../src/notifications/adapters.ts';
import { notificationsJob } from '../../src/notifications/job.ts';
import { openTestDatabase } from '../helpers/db.ts';
import { testPerson } from '../helpers/reports.ts';
import { FakeSuomiFi } from './fake-suomifi.ts';
import { addDays, at, Clock, drain, queue, rowOf } from './helpers.ts';
import { tempDir } from '../helpers/temp.ts';

const D = '2030-02-11';
let dir: string;
let tokenFile: string;
let passwordFile: string;
before(() => {
  dir = tempDir('pcr-suomifi-');
  tokenFile = join(dir, 'token');
  passwordFile = join(dir, 'password');
  writeFileSync(tokenFile, 'first-token\n');
  writeFileSync(passwordFile, 'secret-pw\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function setting(fn: (s: { db: Database; fake: FakeSuomiFi; clock: Clock; adapter: SuomiFiMessages }) => Promise<void>, auth: 'token' | 'login' = 'token'): Promise<void> {
  const db = await openTestDatabase();
  const fake = await new FakeSuomiFi().start();
  const adapter = new SuomiFiMessages({
    baseUrl: fake.url, serviceId: 'pcr-notices',
    ...(auth === 'token' ? { tokenFile } : { username: 'pcr', passwordFile }),
  });
  try {
    await fn({ db, fake, clock: new Clock(at(D, '10:00')), adapter });
  } finally {
    adapter.close();
    await fake.stop();
    await db.close();
  }
}

test('failures are retried with back-off (Retry-After honoured); an accepted message whose answer was lost is sent again and its 409 counts as delivered', () =>
  setting(async ({ db, fake, clock, adapter }) => {
    const [p, q] = [testPerson(), testPerson()];
    await queue(db, p, addDays(D, -1), 2); // the older: sent first
    await queue(db, q, D, 1);
    fake.script = [{ status: 503, retryAfter: '120' }, { status: 500 }, 'drop-after-accepting'];
    const job = notificationsJob(db, { now: clock.now, adapter, retryBaseMs: 60_000, retryMaxMs: 3_600_000 });

    await drain(job); // p: 503, q: 500
    const [rp, rq] = [await rowOf(db, p), await rowOf(db, q)];
    assert.deepEqual(fake.requests.map((r) => r.body.externalId), [rp.id, rq.id], "each row's id is its message's external id");
    assert.equal(rp.nextAttemptAt?.getTime(), clock.now().getTime() + 120_000, 'after Retry-After: 120 s, longer than the first back-off');
    assert.equal(rq.nextAttemptAt?.getTime(), clock.now().getTime() + 60_000, 'after the first back-off');
    assert.equal(rp.lastError, 'attempt 1: Suomi.fi Messages answered 503: Service unavailable');

    clock.advance(60_000);
    await drain(job); // q again: accepted, the answer dropped
    assert.equal(fake.requests.length, 3);
    assert.equal(fake.requests[2]!.answered, 'dropped');
    assert.equal((await rowOf(db, q)).state, 'Pending', 'no answer: not known to be delivered');
    assert.match((await rowOf(db, q)).lastError!, /^attempt 2: Suomi.fi Messages cannot be reached \(ECONNRESET\)|^attempt 2: the answer of Suomi.fi Messages broke off/);

    clock.advance(120_000);
    await drain(job); // p: 200; q: 409
    assert.deepEqual(fake.requests.slice(3).map((r) => [r.body.externalId, r.answered]).sort(), [[rp.id, 200], [rq.id, 409]].sort());
    assert.equal((await rowOf(db, p)).state, 'Sent');
    assert.equal((await rowOf(db, q)).state, 'Sent', 'the duplicate counts as delivered');
    assert.equal((await rowOf(db, q)).attempts, 3);
    assert.equal(fake.accepted.size, 2, 'the service holds one message per row');

    const m = fake.accepted.get(rp.id)!;
    assert.equal(m.recipient.id, p);
    assert.equal(m.sender.serviceId, 'pcr-notices');
    assert.match(m.electronic.title, /luottotietorekisteri/);
    assert.match(m.electronic.body, /2 kertaa/);
    assert.ok(!m.electronic.body.includes(p), 'no identity code in the text');
    assert.ok(fake.requests.every((r) => r.authorization === 'Bearer first-token'), 'the bearer token of the token file');
  }));

test('a refusal of the message (400) is given up at once, without the identity code the service echoed; 401 is retried with the token file read again', () =>
  setting(async ({ db, fake, clock, adapter }) => {
    const [p, q] = [testPerson(), testPerson()];
    await queue(db, p, D);
    fake.script = [{ status: 400, body: { reason: 'Validation failed', validationErrors: [{ error: `recipient.id ${p} has no mailbox` }] } }];
    const job = notificationsJob(db, { now: clock.now, adapter, retryBaseMs: 1000 });
    await drain(job);
    const rp = await rowOf(db, p);
    assert.equal(rp.state, 'GaveUp');
    assert.equal(rp.lastError, 'attempt 1: Suomi.fi Messages answered 400: Validation failed; recipient.id <identity code> has no mailbox');

    await queue(db, q, D);
    fake.script = [{ status: 401, body: { reason: 'Unauthorized' } }];
    await drain(job);
    assert.equal((await rowOf(db, q)).state, 'Pending', 'the credentials, not the message: retried');
    writeFileSync(tokenFile, 'second-token\n');
    try {
      clock.advance(1000);
      await drain(job);
      assert.equal((await rowOf(db, q)).state, 'Sent');
      assert.equal(fake.requests.at(-1)!.authorization, 'Bearer second-token', 'a rotated token needs no restart');
    } finally {
      writeFileSync(tokenFile, 'first-token\n');
    }
  }));

test('the API login (POST /v1/token): the token is kept, and asked again after a 401', () =>
  setting(async ({ db, fake, clock, adapter }) => {
    const [p, q, r] = [testPerson(), testPerson(), testPerson()];
    for (const x of [p, q, r]) await queue(db, x, D);
    fake.script = ['ok', { status: 401, body: { reason: 'Token expired' } }];
    const job = notificationsJob(db, { now: clock.now, adapter, retryBaseMs: 1000 });
    await drain(job);
    assert.deepEqual(fake.requests.map((x) => x.authorization), ['Bearer token-1', 'Bearer token-1', 'Bearer token-2'], 'one login for many messages, another after the 401');
    clock.advance(1000);
    await drain(job);
    assert.equal(fake.logins, 2);
    for (const x of [p, q, r]) assert.equal((await rowOf(db, x)).state, 'Sent');
  }, 'login'));

test('a service that cannot be reached: retried, the reason stored', async () => {
  const db = await openTestDatabase();
  const fake = await new FakeSuomiFi().start();
  const url = fake.url;
  await fake.stop(); // nothing listens there now
  const adapter = new SuomiFiMessages({ baseUrl: url, serviceId: 's', tokenFile });
  try {
    const p = testPerson();
    await queue(db, p, D);
    await drain(notificationsJob(db, { now: () => at(D), adapter }));
    const row = await rowOf(db, p);
    assert.equal(row.state, 'Pending');
    assert.equal(row.lastError, 'attempt 1: Suomi.fi Messages cannot be reached (ECONNREFUSED)');
  } finally {
    adapter.close();
    await db.close();
  }
});
