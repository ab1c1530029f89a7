/**
 * The change feed after a restore that broke its order (docs/backup.md): positions are
 * transaction ids, so a database restored from a logical dump (new, smaller ids) or to an
 * earlier point (ids given again) would make the feed skip changes silently. The register
 * notices what it can: a feed position at or above the next transaction id holds the whole
 * feed (503 A90, Retry-After, for every company, until the operator raises the epoch), and a
 * cursor beyond the database's history is refused (A10: resync), instead of pages that mislead.
 * Both are simulated here as they would look: a feed row at a position from the database's
 * "future", and a cursor sealed by this register at such a position.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { CURSOR_AHEAD, FEED_HELD } from '../../src/bans/feed.ts';
import { sealCursor } from '../../src/bans/cursor.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import { feedMarkPassed } from '../helpers/bans.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';

let reg: TestRegister;
let company: { ref: OrganisationRef; client: HttpsJsonClient; id: number };
before(async () => {
  reg = await startTestRegister();
  const ref = await reg.organisation({ roles: ['credit-information-company'], permissions: [{ permission: 'ban-distribution' }] });
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [ref.idCode]);
  company = { ref, client: await reg.client(ref, 'data-use'), id: Number(rows[0]!.id) };
});
after(() => reg.close());

interface Answer { changes?: unknown[]; nextCursor?: string; errorResponses?: { errorCode: string; fieldName?: string; errorDescription: string }[] }

async function read(cursor?: string) {
  await feedMarkPassed(reg.register.db);
  return company.client.post<Answer>('/GetVoluntaryBanChanges', { targetEnvironment: 'Test', owner: ownerOf(company.ref), ...(cursor ? { cursor } : {}) });
}

/** A ban with consent, written as the register writes it (a feed row at this transaction's id). */
async function consentedBan(): Promise<void> {
  const person = testPerson();
  await reg.register.db.query(`INSERT INTO persons (person, ban_consent) VALUES ($1, true) ON CONFLICT (person) DO UPDATE SET ban_consent = true`, [person]);
  await reg.register.db.query(
    `WITH f AS (INSERT INTO ban_feed (pos, person, change, reason, start_date, end_date, change_time)
       VALUES (pg_current_xact_id(), $1, 'Set', 'Other', current_date, NULL, now()) RETURNING id)
     UPDATE persons SET ban_feed_id = (SELECT id FROM f) WHERE person = $1`, [person]);
}

async function nextXid(): Promise<bigint> {
  const { rows } = await reg.register.db.query<{ next: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next');
  return BigInt(rows[0]!.next);
}

test('a cursor from beyond the database\'s history (a restore to an earlier point) is refused with A10, asking for a resync; without a cursor the feed reads', async () => {
  await consentedBan();
  const first = await read();
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.changes!.length, 1);
  const { rows } = await reg.register.db.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = 'ban_feed_cursor_key'`);
  const key = Buffer.from(rows[0]!.value, 'base64');
  const ahead = sealCursor(key, { organisationId: company.id, environment: 'Test', position: { phase: 'feed', pos: String((await nextXid()) + 1000n), id: 0 } });
  const refused = await read(ahead);
  assert.equal(refused.status, 400, refused.text);
  assert.deepEqual(refused.body.errorResponses!.map((e) => [e.errorCode, e.fieldName, e.errorDescription]), [['A10', 'cursor', CURSOR_AHEAD]]);
  // A cursor this database gave goes on as before.
  const again = await read(first.body.nextCursor);
  assert.equal(again.status, 200, again.text);
});

test('a feed position at or above the next transaction id (a logical restore) holds the feed: 503 A90 with Retry-After, nothing delivered or logged; the feed reads again once the ids are past it', async () => {
  const before = await read();
  assert.equal(before.status, 200, before.text);
  const ahead = (await nextXid()) + 5n;
  const person = testPerson();
  await reg.register.db.query(`INSERT INTO persons (person, ban_consent) VALUES ($1, true) ON CONFLICT (person) DO UPDATE SET ban_consent = true`, [person]);
  await reg.register.db.query(`INSERT INTO ban_feed (pos, person, change, reason, start_date, end_date, change_time) VALUES ($1::text::xid8, $2, 'Set', 'Other', current_date, NULL, now())`, [String(ahead), person]);
  const deliveries = async () => Number((await reg.register.db.query<{ n: string }>('SELECT count(*) AS n FROM ban_deliveries WHERE organisation_id = $1', [company.id])).rows[0]!.n);
  const logged = await deliveries();
  for (const cursor of [undefined, before.body.nextCursor]) {
    const held = await company.client.post<Answer>('/GetVoluntaryBanChanges', { targetEnvironment: 'Test', owner: ownerOf(company.ref), ...(cursor ? { cursor } : {}) });
    assert.equal(held.status, 503, held.text);
    assert.deepEqual(held.body.errorResponses!.map((e) => [e.errorCode, e.errorDescription]), [['A90', FEED_HELD]]);
    assert.equal(held.headers['retry-after'], '3600');
  }
  assert.equal(await deliveries(), logged, 'a held feed logs no delivery');
  const told = reg.logs.join('').split('\n').filter((l) => l.includes('ban change feed held'));
  assert.equal(told.length, 2, 'the operator is told in the log, at each refused page');
  assert.ok(told.every((l) => JSON.parse(l).level >= 50), 'at error level');
  // What raising the epoch does, in small: the database's ids pass the position; the feed reads again.
  while ((await nextXid()) <= ahead) await reg.register.db.query('SELECT pg_current_xact_id()');
  const after = await read(before.body.nextCursor);
  assert.equal(after.status, 200, after.text);
});
