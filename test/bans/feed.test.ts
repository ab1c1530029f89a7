/**
 * GetVoluntaryBanChanges over mutual TLS (issue 10): what a credit information company sees of
 * bans and consent, the cursor (paging, resync, tampering), the refusals, and the delivery log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { revokeCertificate } from '../../src/access/certificates.ts';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { createKeyAndCsr, createRootCa, issueClientCertificate, loadCa, readCsr, type CertificateAuthority } from '../../src/access/pki.ts';
import { banEndingsJob } from '../../src/bans/job.ts';
import { BY_REGISTER, endLapsedBans } from '../../src/bans/store.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { feedMarkPassed } from '../helpers/bans.ts';
import { testPerson } from '../helpers/reports.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

const TODAY = finnishDate();
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Every identity code this file used: none may appear in the server's log. */
const persons: string[] = [];
function person(): string {
  const p = testPerson();
  persons.push(p);
  return p;
}

interface Change { personIdCode: string; change: string; reason: string | null; startDate: string | null; endDate: string | null; changeTimeUtc: string }
interface Page { statusMessage: string; correlationId: string; changes: Change[]; nextCursor: string; moreAvailable: boolean }
interface Refusal { errorResponses: { errorCode: string; fieldName?: string; errorDescription: string }[] }
interface Company { ref: OrganisationRef; client: HttpsJsonClient; id: number }

async function company(t: TestRegister = reg, name?: string): Promise<Company> {
  const ref = await t.organisation({ roles: ['credit-information-company'], permissions: [{ permission: 'ban-distribution' }], ...(name ? { name } : {}) });
  const { rows } = await t.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [ref.idCode]);
  return { ref, client: await t.client(ref, 'data-use'), id: Number(rows[0]!.id) };
}

/** A call once every change written so far can be delivered (see feedMarkPassed). */
async function call(c: { ref: OrganisationRef; client: HttpsJsonClient }, body: Record<string, unknown> = {}) {
  await feedMarkPassed(reg.register.db);
  return c.client.post<Page & Refusal>('/GetVoluntaryBanChanges', { targetEnvironment: 'Test', owner: ownerOf(c.ref), ...body });
}

async function page(c: Company, cursor: string | null | undefined, limit?: number): Promise<Page> {
  const res = await call(c, { ...(cursor !== undefined ? { cursor } : {}), ...(limit !== undefined ? { limit } : {}) });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** Pages from `cursor` until moreAvailable is false (bounded), checking that every page but the last is full and says more. */
async function readAll(c: Company, cursor: string | null | undefined, limit?: number): Promise<{ changes: Change[]; cursor: string; pages: number }> {
  const changes: Change[] = [];
  for (let pages = 1; pages <= 2000; pages++) {
    const p = await page(c, cursor, limit);
    changes.push(...p.changes);
    cursor = p.nextCursor;
    if (!p.moreAvailable) return { changes, cursor, pages };
    if (limit !== undefined) assert.equal(p.changes.length, limit, 'a page that says more is full');
  }
  throw new Error('the feed did not end');
}

/** A company that has read everything, and reads what came since each time it is asked. */
async function watcher(c?: Company) {
  const co = c ?? (await company());
  let cursor = (await readAll(co, null)).cursor;
  return {
    company: co,
    get cursor() {
      return cursor;
    },
    /** What came since the last look (all of it, the changes' data without their time). */
    async since(limit?: number): Promise<Change[]> {
      const r = await readAll(co, cursor, limit);
      cursor = r.cursor;
      return r.changes;
    },
  };
}

const data = (changes: Change[]) => changes.map((c) => [c.personIdCode, c.change, c.reason, c.startDate, c.endDate]);

/** Runs an operator command with --json that must succeed; its JSON. */
async function pcr<T = Record<string, unknown>>(...argv: string[]): Promise<T> {
  const r = await reg.cli([...argv, '--json']);
  assert.equal(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

const deliveryCount = async () => Number((await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ban_deliveries')).rows[0]!.n);

test('consent decides: without it nothing; given to a ban → Set; withdrawn → ConsentWithdrawn without data, then nothing until given again; removed → Removed', async () => {
  const w = await watcher();
  const p = person();
  // No consent: a ban set, changed and removed delivers nothing.
  await pcr('ban', 'set', '--id-code', p, '--reason', 'Other');
  await pcr('ban', 'set', '--id-code', p, '--reason', 'RiskOfIdentityTheft');
  assert.deepEqual(await w.since(), []);
  // Consent given to the existing ban: Set with its data.
  await pcr('ban', 'consent', '--id-code', p, '--give');
  assert.deepEqual(data(await w.since()), [[p, 'Set', 'RiskOfIdentityTheft', TODAY, null]]);
  // Changed while consent is in force; an identical re-set delivers nothing.
  await pcr('ban', 'set', '--id-code', p, '--reason', 'ControlOfPersonalFinances', '--end-date', addDays(TODAY, 400));
  await pcr('ban', 'set', '--id-code', p, '--reason', 'ControlOfPersonalFinances', '--end-date', addDays(TODAY, 400));
  assert.deepEqual(data(await w.since()), [[p, 'Changed', 'ControlOfPersonalFinances', TODAY, addDays(TODAY, 400)]]);
  // Withdrawal: ConsentWithdrawn with null data, then nothing of the person's ban changes.
  await pcr('ban', 'consent', '--id-code', p, '--withdraw');
  const withdrawn = await w.since();
  assert.deepEqual(data(withdrawn), [[p, 'ConsentWithdrawn', null, null, null]]);
  await pcr('ban', 'set', '--id-code', p, '--reason', 'Other');
  await pcr('ban', 'remove', '--id-code', p);
  await pcr('ban', 'set', '--id-code', p, '--reason', 'RiskOfIdentityTheft', '--start-date', addDays(TODAY, 3));
  await pcr('ban', 'consent', '--id-code', p, '--withdraw');
  assert.deepEqual(await w.since(), [], 'nothing while consent is withdrawn');
  // Given again: Set with the ban as it is now.
  await pcr('ban', 'consent', '--id-code', p, '--give');
  assert.deepEqual(data(await w.since()), [[p, 'Set', 'RiskOfIdentityTheft', addDays(TODAY, 3), null]]);
  // Removed with consent: Removed carrying the removed ban's data; then a removal of nothing delivers nothing.
  await pcr('ban', 'remove', '--id-code', p);
  await pcr('ban', 'remove', '--id-code', p);
  const removed = await w.since();
  assert.deepEqual(data(removed), [[p, 'Removed', 'RiskOfIdentityTheft', addDays(TODAY, 3), null]]);
  // Consent without a ban delivers nothing; the ban set later is Set.
  const q = person();
  await pcr('ban', 'consent', '--id-code', q, '--give');
  assert.deepEqual(await w.since(), []);
  await pcr('ban', 'set', '--id-code', q, '--reason', 'Other');
  assert.deepEqual(data(await w.since()), [[q, 'Set', 'Other', TODAY, null]]);
  // Times are the changes' own, in UTC, in the order written.
  for (const c of [...withdrawn, ...removed]) assert.match(c.changeTimeUtc, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.ok(withdrawn[0]!.changeTimeUtc <= removed[0]!.changeTimeUtc);
  assert.ok(Date.parse(removed[0]!.changeTimeUtc) <= Date.now());
});

test('a ban with a future start date is delivered at once, as Set with its dates', async () => {
  const w = await watcher();
  const p = person();
  const start = addDays(TODAY, 30);
  const end = addDays(TODAY, 90);
  const set = await pcr<{ delivered: string }>('ban', 'set', '--id-code', p, '--reason', 'RiskOfIdentityTheft', '--start-date', start, '--end-date', end, '--consent');
  assert.equal(set.delivered, 'Set');
  assert.deepEqual(data(await w.since()), [[p, 'Set', 'RiskOfIdentityTheft', start, end]]);
});

test('a fixed-term ban ends by itself the day after its end date: Removed with its data, by the store and by the job kind; the history says Ended', async () => {
  const w = await watcher();
  const p = person();
  const silent = person();
  const end = addDays(TODAY, 1);
  await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--end-date', end, '--consent');
  await pcr('ban', 'set', '--id-code', silent, '--reason', 'Other', '--end-date', end);
  assert.deepEqual(data(await w.since()), [[p, 'Set', 'Other', TODAY, end]]);
  // On the end date itself the ban is still in force.
  assert.equal(await endLapsedBans(reg.register.db, end), 0);
  assert.deepEqual(await w.since(), []);
  // The day after: both end; the company receives the consented one only.
  assert.equal(await endLapsedBans(reg.register.db, addDays(end, 1)), 2);
  assert.deepEqual(data(await w.since()), [[p, 'Removed', 'Other', TODAY, end]]);
  assert.equal(await endLapsedBans(reg.register.db, addDays(end, 1)), 0, 'ended once');
  for (const [who, consent] of [[p, true], [silent, false]] as const) {
    const shown = await pcr<{ ban: unknown; consent: boolean; history: { change: string; changedBy: string; endDate: string | null }[] }>('ban', 'show', '--id-code', who);
    assert.equal(shown.ban, null);
    assert.equal(shown.consent, consent, 'the consent stays as it was');
    assert.deepEqual(shown.history.at(-1), { ...shown.history.at(-1)!, change: 'Ended', changedBy: BY_REGISTER, endDate: end });
  }
  // The job kind the server runs does the same, with the day it is given.
  const q = person();
  await pcr('ban', 'set', '--id-code', q, '--reason', 'ControlOfPersonalFinances', '--end-date', end, '--consent');
  assert.deepEqual(data(await w.since()), [[q, 'Set', 'ControlOfPersonalFinances', TODAY, end]]);
  const job = banEndingsJob(reg.register.db, { today: () => end });
  assert.deepEqual(await job.runNext({ skip: [] }), { step: 'idle' }, 'not yet on the end date');
  const later = banEndingsJob(reg.register.db, { today: () => addDays(end, 1) });
  assert.deepEqual(await later.runNext({ skip: [0] }), { step: 'idle' }, 'backing off: nothing runs');
  assert.deepEqual(await later.runNext({ skip: [] }), { step: 'done', item: 0, message: 'fixed-term bans ended', details: { ended: 1 } });
  assert.deepEqual(await later.runNext({ skip: [] }), { step: 'idle' });
  assert.deepEqual(data(await w.since()), [[q, 'Removed', 'ControlOfPersonalFinances', TODAY, end]]);
  const shown = await pcr<{ history: { change: string; changedBy: string }[] }>('ban', 'show', '--id-code', q);
  assert.deepEqual(shown.history.map((h) => [h.change, h.changedBy]).at(-1), ['Ended', BY_REGISTER]);
});

test('paging with small limits: every change exactly once, in one stable order, moreAvailable until the end; the last cursor then waits for the next change', async () => {
  const w = await watcher();
  const start = w.cursor;
  const ps = [person(), person(), person(), person()];
  const expected: unknown[][] = [];
  // Interleaved changes of four persons, ten rows in all.
  for (const [i, p] of ps.entries()) {
    await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--consent');
    expected.push([p, 'Set', 'Other', TODAY, null]);
    if (i > 0) {
      await pcr('ban', 'set', '--id-code', ps[i - 1]!, '--reason', 'RiskOfIdentityTheft');
      expected.push([ps[i - 1], 'Changed', 'RiskOfIdentityTheft', TODAY, null]);
    }
  }
  await pcr('ban', 'consent', '--id-code', ps[0]!, '--withdraw');
  expected.push([ps[0], 'ConsentWithdrawn', null, null, null]);
  await pcr('ban', 'remove', '--id-code', ps[1]!);
  expected.push([ps[1], 'Removed', 'RiskOfIdentityTheft', TODAY, null]);
  await pcr('ban', 'set', '--id-code', ps[3]!, '--reason', 'ControlOfPersonalFinances');
  expected.push([ps[3], 'Changed', 'ControlOfPersonalFinances', TODAY, null]);
  assert.equal(expected.length, 10);

  const all = await readAll(w.company, start, 1000);
  assert.deepEqual(data(all.changes), expected);
  assert.equal(all.pages, 1);
  for (const limit of [1, 2, 3, 10]) {
    const r = await readAll(w.company, start, limit);
    assert.deepEqual(r.changes, all.changes, `limit ${limit}: the same changes, the same order, times included`);
    assert.ok(r.pages >= Math.ceil(10 / limit) && r.pages <= Math.ceil(10 / limit) + 1, `limit ${limit}: ${r.pages} pages`);
  }
  // A limit-1 reader, page by page: moreAvailable is true on every page but the last.
  const flags: boolean[] = [];
  let cursor: string = start;
  for (let i = 0; i < 20; i++) {
    const p = await page(w.company, cursor, 1);
    flags.push(p.moreAvailable);
    cursor = p.nextCursor;
    if (!p.moreAvailable) break;
  }
  assert.deepEqual(flags.slice(0, 9), Array(9).fill(true));
  assert.equal(flags.at(-1), false);
  assert.ok(flags.length <= 11);
  // Up to date: nothing new, and moreAvailable false, as often as asked.
  for (let i = 0; i < 2; i++) {
    const idle = await page(w.company, all.cursor, 5);
    assert.deepEqual([idle.changes, idle.moreAvailable], [[], false]);
  }
  // The next change, once written, comes once from the last cursor.
  await pcr('ban', 'set', '--id-code', ps[2]!, '--reason', 'Other', '--end-date', addDays(TODAY, 10));
  const next = await page(w.company, all.cursor, 5);
  assert.deepEqual([data(next.changes), next.moreAvailable], [[[ps[2], 'Changed', 'Other', TODAY, addDays(TODAY, 10)]], false]);
  const after = await page(w.company, next.nextCursor, 5);
  assert.deepEqual([after.changes, after.moreAvailable], [[], false]);
  assert.equal(next.statusMessage, 'The request succeeded');
  assert.match(next.correlationId, /\S/);
});

test('resync: without a cursor a company that read before gets the current state of every consented ban once, as Set, by person, then the changes after it', async () => {
  const w = await watcher();
  const several = person();
  const removed = person();
  const withdrawn = person();
  const unconsented = person();
  await pcr('ban', 'set', '--id-code', several, '--reason', 'Other', '--consent');
  await pcr('ban', 'set', '--id-code', several, '--reason', 'RiskOfIdentityTheft', '--end-date', addDays(TODAY, 100));
  await pcr('ban', 'set', '--id-code', several, '--reason', 'ControlOfPersonalFinances', '--start-date', addDays(TODAY, 5), '--end-date', addDays(TODAY, 200));
  await pcr('ban', 'set', '--id-code', removed, '--reason', 'Other', '--consent');
  await pcr('ban', 'remove', '--id-code', removed);
  await pcr('ban', 'set', '--id-code', withdrawn, '--reason', 'Other', '--consent');
  await pcr('ban', 'consent', '--id-code', withdrawn, '--withdraw');
  await pcr('ban', 'set', '--id-code', unconsented, '--reason', 'Other');
  const seen = await w.since();
  let latest = seen.filter((c) => c.personIdCode === several).at(-1)!;
  assert.deepEqual(data([latest]), [[several, 'Changed', 'ControlOfPersonalFinances', addDays(TODAY, 5), addDays(TODAY, 200)]]);

  // What the register holds now, read from the bans themselves (not from the feed).
  const { rows: now } = await reg.register.db.query<{ person: string; reason: string; startDate: string; endDate: string | null }>(
    `SELECT b.person, b.reason, b.start_date::text AS "startDate", b.end_date::text AS "endDate"
     FROM voluntary_bans b JOIN persons p USING (person) WHERE p.ban_consent ORDER BY b.person`,
  );
  const expected = now.map((r) => [r.person, 'Set', r.reason, r.startDate, r.endDate]);
  assert.ok(expected.length >= 3, 'bans of the earlier tests are in it too');
  const logged = async () => {
    const { rows } = await reg.register.db.query<{ changes: number; resync: number }>(
      'SELECT count(*) FILTER (WHERE NOT resync)::int AS changes, count(*) FILTER (WHERE resync)::int AS resync FROM ban_deliveries WHERE organisation_id = $1', [w.company.id]);
    return { changes: Number(rows[0]!.changes), resync: Number(rows[0]!.resync) };
  };
  const was = await logged();
  const before = await deliveryCount();
  for (const limit of [undefined, 2]) {
    const resync = await readAll(w.company, null, limit);
    assert.deepEqual(data(resync.changes), expected, `limit ${limit}: each consented ban once, as it is now, by person`);
    const mine = resync.changes.filter((c) => c.personIdCode === several);
    assert.deepEqual(data(mine), [expected.find((e) => e[0] === several)]);
    assert.equal(mine[0]!.changeTimeUtc, latest.changeTimeUtc, "the time of the person's latest change");
    for (const absent of [removed, withdrawn, unconsented]) assert.equal(resync.changes.some((c) => c.personIdCode === absent), false);
    // Then it continues with the changes after the resync.
    const reason = limit === undefined ? 'Other' : 'RiskOfIdentityTheft';
    await pcr('ban', 'set', '--id-code', several, '--reason', reason);
    const more = await readAll(w.company, resync.cursor, limit);
    assert.deepEqual(data(more.changes), [[several, 'Changed', reason, TODAY, null]]);
    expected.find((e) => e[0] === several)!.splice(2, 3, reason, TODAY, null);
    latest = more.changes[0]!;
  }
  // Logged: the two resyncs' items as resync, the two changes after them as changes; nothing else.
  assert.deepEqual(await logged(), { changes: was.changes + 2, resync: was.resync + 2 * expected.length });
  assert.equal(await deliveryCount(), before + 2 * expected.length + 2);
});

test('limit: 1–10000, default 1000; out of range or not an integer is refused with A10, not cut', async () => {
  const c = await company();
  for (const limit of [0, -1, 10001, 1.5, '10', 1e20, true, [5]]) {
    const res = await call(c, { limit });
    assert.equal(res.status, 400, `limit ${JSON.stringify(limit)}`);
    assert.equal(res.body.errorResponses[0]!.errorCode, 'A10', `limit ${JSON.stringify(limit)}`);
  }
  const { rows } = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM voluntary_bans b JOIN persons p USING (person) WHERE p.ban_consent');
  const max = await call(c, { limit: 10000 });
  assert.equal(max.status, 200, max.text);
  assert.equal(max.body.changes.length, Number(rows[0]!.n));
  for (const none of [{}, { limit: null }]) {
    const byDefault = await call(c, none);
    assert.equal(byDefault.status, 200, byDefault.text);
    assert.deepEqual(data(byDefault.body.changes), data(max.body.changes), 'no limit (null is the same as none): the default');
  }
  for (const cursor of [null, '']) {
    const restart = await call(c, { cursor, limit: 1 });
    assert.equal(restart.status, 200, `cursor ${JSON.stringify(cursor)} starts again`);
    assert.deepEqual(data(restart.body.changes), data(max.body.changes.slice(0, 1)));
  }
});

test("cursor: garbage or altered → A10, another company's → A22, another register's → A10 (fieldName cursor); a refused page logs nothing", async () => {
  const mine = await company();
  const theirs = await company();
  const p = person();
  await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--consent');
  const real = (await page(mine, null, 1)).nextCursor;
  const theirCursor = (await page(theirs, null, 1)).nextCursor;
  const other = await startTestRegister();
  let foreign: string;
  try {
    const otherCompany = await company(other);
    foreign = (await page(otherCompany, null, 1)).nextCursor;
  } finally {
    await other.close();
  }
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  const before = await deliveryCount();
  const cases: [string, string, number, string][] = [
    ['garbage', 'not a cursor', 400, 'A10'],
    ['base64 garbage', 'A'.repeat(80), 400, 'A10'],
    ['altered at its start', flip(real, 0), 400, 'A10'],
    ['altered in its middle', flip(real, Math.floor(real.length / 2)), 400, 'A10'],
    ['truncated', real.slice(0, -4), 400, 'A10'],
    ["another register's", foreign, 400, 'A10'],
    ["another company's", theirCursor, 403, 'A22'],
  ];
  for (const [what, cursor, status, code] of cases) {
    const res = await call(mine, { cursor, limit: 5 });
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.deepEqual([res.body.errorResponses[0]!.errorCode, res.body.errorResponses[0]!.fieldName], [code, 'cursor'], what);
  }
  const tooLong = await call(mine, { cursor: real + 'A'.repeat(1000) });
  assert.deepEqual([tooLong.status, tooLong.body.errorResponses[0]!.errorCode], [400, 'A10']);
  assert.equal(await deliveryCount(), before, 'refused pages deliver and log nothing');
  assert.equal((await call(mine, { cursor: real, limit: 5 })).status, 200, 'the real cursor still works');
  // The cursor is the organisation's, not the certificate's: it survives a new certificate.
  const renewed = await call({ ref: mine.ref, client: await reg.client(mine.ref, 'data-use') }, { cursor: real, limit: 5 });
  assert.equal(renewed.status, 200, renewed.text);
});

test('access: no, revoked, expired or foreign certificate → 401 A23; reporting certificate → A24; another owner → A21; no permission → A22; Production → A20', async () => {
  const c = await company();
  const code = async (client: HttpsJsonClient, body: Record<string, unknown> = {}, owner: OrganisationRef = c.ref) => {
    const res = await client.post<Refusal>('/GetVoluntaryBanChanges', { targetEnvironment: 'Test', owner: ownerOf(owner), ...body });
    return [res.status, res.body.errorResponses?.[0]?.errorCode];
  };
  const before = await deliveryCount();
  assert.deepEqual(await code(reg.anonymous()), [401, 'A23']);
  assert.deepEqual(await code(await reg.client(c.ref, 'reporting')), [403, 'A24']);
  const lender = await reg.lender('data-use');
  assert.deepEqual(await code(lender.client, {}, lender.ref), [403, 'A22'], "a lender's data-use certificate");
  const bare = await reg.organisation({ roles: ['credit-information-company'] });
  assert.deepEqual(await code(await reg.client(bare, 'data-use'), {}, bare), [403, 'A22'], 'a company without ban-distribution');
  const another = await company();
  assert.deepEqual(await code(c.client, {}, another.ref), [403, 'A21']);
  assert.deepEqual(await code(c.client, { targetEnvironment: 'Production' }), [400, 'A20']);
  // Revoked after a successful call.
  const toRevoke = await reg.client(c.ref, 'data-use');
  assert.deepEqual(await code(toRevoke, { limit: 1 }), [200, undefined]);
  await revokeCertificate(reg.register.db, toRevoke.serial, 'test');
  reg.server.trust.invalidate();
  assert.deepEqual(await code(toRevoke), [401, 'A23'], 'revoked');
  // Expired, and one signed by another CA with the very subject of the company.
  assert.deepEqual(await code(await certificateAt(reg.register.ca, c, new Date(Date.now() - 3 * 365 * 86_400_000), true)), [401, 'A23'], 'expired');
  const foreignCa = await createRootCa('Open Positive Credit Register CA');
  assert.deepEqual(await code(await certificateAt(await loadCa(foreignCa.certPem, foreignCa.keyPem), c, new Date(), false)), [401, 'A23'], 'another CA');
  assert.equal(await deliveryCount(), before + 1, 'only the successful call (limit 1) delivered');
  // ban-distribution is for credit information companies only.
  const grant = await reg.cli(['permission', 'grant', '--business-id', lender.ref.idCode, '--permission', 'ban-distribution']);
  assert.notEqual(grant.exitCode, 0, grant.stdout);
});

/** A data-use client certificate of the company signed by `ca` as of `now` (recorded in the register when `record`). */
async function certificateAt(ca: CertificateAuthority, c: Company, now: Date, record: boolean): Promise<HttpsJsonClient> {
  const { keyPem, csrPem } = await createKeyAndCsr('feed test');
  const { rows } = await reg.register.db.query<{ name: string }>('SELECT name FROM organisations WHERE id = $1', [c.id]);
  const issued = await issueClientCertificate(ca, await readCsr(csrPem), { organisationName: rows[0]!.name, idCode: c.ref.idCode, countryCode: c.ref.countryCode, usage: 'data-use', environment: 'Test' }, now);
  if (record) {
    await reg.register.db.query(
      `INSERT INTO certificates (serial, organisation_id, usage, environment, fingerprint256, not_before, not_after, pem) VALUES ($1, $2, 'data-use', 'Test', $3, $4, $5, $6)`,
      [issued.serial, c.id, issued.fingerprint256, issued.notBefore, issued.notAfter, issued.pem],
    );
    reg.server.trust.invalidate();
  }
  const client = new HttpsJsonClient(reg.url, { ca: reg.register.ca.certPem, cert: issued.pem, key: keyPem });
  clients.push(client);
  return client;
}
const clients: HttpsJsonClient[] = [];
after(() => clients.forEach((c) => c.close()));

test('deliveries: each company gets its own log of what it received, resync items flagged; pcr ban deliveries shows them', async () => {
  const a = await company(reg, 'Alpha Credit Information Oy');
  const b = await company(reg, 'Beta Credit Information Oy');
  const p = person();
  await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--consent');
  const aCursor = (await readAll(a, null)).cursor; // a resync: p as Set
  await pcr('ban', 'set', '--id-code', p, '--reason', 'RiskOfIdentityTheft', '--end-date', addDays(TODAY, 50));
  assert.deepEqual(data((await readAll(a, aCursor)).changes), [[p, 'Changed', 'RiskOfIdentityTheft', TODAY, addDays(TODAY, 50)]]);
  await readAll(b, null); // a resync: p as Set, with the data now
  const silent = person();
  await pcr('ban', 'set', '--id-code', silent, '--reason', 'Other');
  await readAll(b, null);
  const { deliveries } = await pcr<{ deliveries: { deliveredAt: string; organisation: { name: string; idCodeType: string; idCode: string }; change: string; reason: string | null; startDate: string | null; endDate: string | null; changeTimeUtc: string; resync: boolean }[] }>('ban', 'deliveries', '--id-code', p);
  assert.deepEqual(
    deliveries.map((d) => [d.organisation.name, d.organisation.idCode, d.change, d.reason, d.endDate, d.resync]),
    [
      ['Alpha Credit Information Oy', a.ref.idCode, 'Set', 'Other', null, true],
      ['Alpha Credit Information Oy', a.ref.idCode, 'Changed', 'RiskOfIdentityTheft', addDays(TODAY, 50), false],
      ['Beta Credit Information Oy', b.ref.idCode, 'Set', 'RiskOfIdentityTheft', addDays(TODAY, 50), true],
      ['Beta Credit Information Oy', b.ref.idCode, 'Set', 'RiskOfIdentityTheft', addDays(TODAY, 50), true],
    ],
  );
  assert.equal(deliveries[0]!.organisation.idCodeType, 'BusinessId');
  assert.ok(deliveries.every((d, i) => i === 0 || deliveries[i - 1]!.deliveredAt <= d.deliveredAt), 'oldest first');
  assert.deepEqual((await pcr<{ deliveries: unknown[] }>('ban', 'deliveries', '--id-code', silent)).deliveries, [], 'no consent: never delivered');
  const text = await reg.cli(['ban', 'deliveries', '--id-code', p]);
  assert.match(text.stdout, /4 deliveries/);
  assert.match(text.stdout, /Beta Credit Information Oy .*Set \(resync\)/);
});

test('no identity code appears in the server log', async () => {
  assert.ok(persons.length > 10);
  const log = reg.logs.join('');
  assert.ok(log.includes('GetVoluntaryBanChanges'), 'the feed calls were logged');
  for (const p of persons) assert.equal(log.includes(p), false, `${p} in the log`);
});
