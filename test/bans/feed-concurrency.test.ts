/**
 * GetVoluntaryBanChanges never skips and never repeats (issue 10), proved against writers that
 * really overlap: several writers change the bans of a shared set of persons while readers page
 * over mutual TLS with small limits; and, on PostgreSQL, transactions held open on purpose (a
 * long one, one that took its id early, one rolled back). The readers' copies must replay to the
 * register's state, and every feed row must reach a reader exactly once, in (pos, id) order.
 *
 * PGlite runs one transaction at a time, so there the writers only interleave transaction by
 * transaction; the same totals are asserted. The tests that hold a transaction open need a
 * second connection and run on PostgreSQL only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import { finnishDate } from '../../src/common/dates.ts';
import type { Database, Queryable } from '../../src/db/database.ts';
import { BAN_REASONS, type FeedChange } from '../../src/bans/ban.ts';
import { findBanState, removeBan, setBan, setConsent } from '../../src/bans/store.ts';
import { BACKEND } from '../helpers/db.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';
import { prng } from '../../src/generate/generator.ts';
import { feedMarkPassed } from '../helpers/bans.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

const TODAY = finnishDate();

/** The writers' choices are the same on every run (the generator's seeded PRNG). */
const seeded = prng;
const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** A ban as a person might ask for it: start today, earlier or later; indefinite or ending at least two days ahead (no job ends it meanwhile). */
function randomBan(rng: () => number): { reason: string; startDate?: string; endDate?: string } {
  const r = rng();
  const startDate = r < 0.5 ? undefined : r < 0.7 ? addDays(TODAY, -Math.floor(rng() * 30)) : addDays(TODAY, 1 + Math.floor(rng() * 60));
  const endDate = rng() < 0.5 ? undefined : addDays(startDate ?? TODAY, 2 + Math.floor(rng() * 300));
  return { reason: pick(rng, BAN_REASONS), ...(startDate ? { startDate } : {}), ...(endDate && endDate >= addDays(TODAY, 2) ? { endDate } : {}) };
}

interface Change {
  personIdCode: string;
  change: FeedChange;
  reason: string | null;
  startDate: string | null;
  endDate: string | null;
  changeTimeUtc: string;
}
interface Page {
  changes: Change[];
  nextCursor: string;
  moreAvailable: boolean;
}
type Copy = { reason: string | null; startDate: string | null; endDate: string | null };

/** Wakes whoever waits for the next event (a writer's commit, the writers' end). */
class Signal {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}

/** A credit information company's integration: pages with small, varying limits and keeps a copy. */
class Reader {
  cursor: string | null = null;
  readonly copy = new Map<string, Copy>();
  readonly received: Change[] = [];
  pages = 0;
  constructor(
    readonly ref: OrganisationRef,
    private readonly client: HttpsJsonClient,
    private readonly rng: () => number,
  ) {}

  async page(): Promise<Page> {
    const limit = 1 + Math.floor(this.rng() * 7);
    const res = await this.client.post<Page>('/GetVoluntaryBanChanges', {
      targetEnvironment: reg.register.environment,
      owner: ownerOf(this.ref),
      ...(this.cursor === null ? {} : { cursor: this.cursor }),
      limit,
    });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.changes.length <= limit, `at most ${limit} changes, got ${res.body.changes.length}`);
    if (this.pages++ > 20_000) throw new Error('the reader never caught up');
    this.cursor = res.body.nextCursor;
    for (const c of res.body.changes) {
      this.received.push(c);
      if (c.change === 'Set' || c.change === 'Changed') this.copy.set(c.personIdCode, { reason: c.reason, startDate: c.startDate, endDate: c.endDate });
      else this.copy.delete(c.personIdCode);
    }
    return res.body;
  }

  /** Pages until the feed has nothing more, once every transaction that wrote to it has ended. */
  async catchUp(): Promise<Change[]> {
    const from = this.received.length;
    await markPassed();
    for (;;) {
      const p = await this.page();
      if (p.changes.length === 0 && !p.moreAvailable) break;
    }
    return this.received.slice(from);
  }
}

async function newReader(seed: number): Promise<Reader> {
  const ref = await reg.organisation({ roles: ['credit-information-company'], permissions: [{ permission: 'ban-distribution' }] });
  return new Reader(ref, await reg.client(ref, 'data-use'), seeded(seed));
}

const markPassed = () => feedMarkPassed(reg.register.db);

/** What the companies should hold of the person now: the ban if consent is in force. */
async function expectedCopy(db: Queryable, person: string): Promise<Copy | undefined> {
  const s = await findBanState(db, person);
  return s.consent && s.ban ? { reason: s.ban.reason, startDate: s.ban.startDate, endDate: s.ban.endDate } : undefined;
}

async function expectedCopies(persons: string[]): Promise<Map<string, Copy>> {
  const m = new Map<string, Copy>();
  for (const p of persons) {
    const c = await expectedCopy(reg.register.db, p);
    if (c) m.set(p, c);
  }
  return m;
}

const sorted = (m: Map<string, Copy>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The feed as stored, in the order it is read. */
async function feedRows(): Promise<(Change & { id: number; pos: string })[]> {
  const { rows } = await reg.register.db.query<{ id: number; pos: string; person: string; change: FeedChange; reason: string | null; startDate: string | null; endDate: string | null; changeTime: Date }>(
    `SELECT f.id, f.pos::text AS pos, f.person, f.change, f.reason, f.start_date AS "startDate", f.end_date AS "endDate", f.change_time AS "changeTime"
     FROM ban_feed f ORDER BY f.pos, f.id`,
  );
  return rows.map((r) => ({ id: r.id, pos: r.pos, personIdCode: r.person, change: r.change, reason: r.reason, startDate: r.startDate, endDate: r.endDate, changeTimeUtc: r.changeTime.toISOString() }));
}

/** The feed rows logged as delivered to the organisation, in delivery order. */
async function deliveredRows(ref: OrganisationRef): Promise<{ feedId: number; resync: boolean }[]> {
  const { rows } = await reg.register.db.query<{ feedId: number; resync: boolean }>(
    `SELECT d.feed_id AS "feedId", d.resync
     FROM ban_deliveries d JOIN organisations o ON o.id = d.organisation_id JOIN ban_feed f ON f.id = d.feed_id
     WHERE o.id_code_type = $1 AND o.id_code = $2 ORDER BY d.delivered_at, d.resync DESC, f.pos, f.id`,
    [ref.idCodeType, ref.idCode],
  );
  return rows;
}

const strip = ({ personIdCode, change, reason, startDate, endDate, changeTimeUtc }: Change): Change => ({ personIdCode, change, reason, startDate, endDate, changeTimeUtc });

test('several writers changing the same persons while readers page with small limits: every change delivered exactly once, in order, and the copies replay to the state', async (t) => {
  const db = reg.register.db;
  const concurrent = BACKEND === 'postgres';
  const persons = Array.from({ length: 8 }, () => testPerson());
  const WRITERS = 5;
  const TRANSACTIONS = 40;

  const first = await newReader(101);
  await first.page(); // starts before any write: its resync is empty, and every change is to come

  let written = 0; // feed changes the writers' calls returned (non-null `delivered`)
  let commits = 0;
  let raised = 0; // rows whose pos was raised above their writer's id (a transaction that took its id before an earlier change of the person committed)
  let writersDone = false;
  const committed = new Signal();
  const halfway = new Signal();

  async function change(tx: Queryable, rng: () => number, person: string, by: string): Promise<FeedChange | null> {
    const r = rng();
    if (r < 0.35) return (await setBan(tx, person, randomBan(rng), by, TODAY)).delivered;
    if (r < 0.45) return (await setBan(tx, person, { ...randomBan(rng), consent: true }, by, TODAY)).delivered;
    if (r < 0.5) return (await setBan(tx, person, { ...randomBan(rng), consent: false }, by, TODAY)).delivered;
    if (r < 0.65) return (await removeBan(tx, person, by)).delivered;
    if (r < 0.85) return (await setConsent(tx, person, true, by)).delivered;
    return (await setConsent(tx, person, false, by)).delivered;
  }

  async function writer(n: number): Promise<void> {
    const rng = seeded(1000 + n);
    const by = `feedconc writer ${n}`;
    for (let i = 0; i < TRANSACTIONS; i++) {
      // Mostly one person a transaction, sometimes two (in a fixed order: no deadlock; one id, two rows).
      const chosen = rng() < 0.2 ? [...new Set([pick(rng, persons), pick(rng, persons)])].sort() : [pick(rng, persons)];
      const delayBefore = concurrent ? Math.floor(rng() * 8) : 0;
      const delayAfter = concurrent && rng() < 0.3 ? Math.floor(rng() * 5) : 0;
      const results = await db.transaction(async (tx) => {
        // The id is taken first, the change made later: ids are taken out of commit order.
        const xid = (await tx.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]!.xid;
        if (delayBefore) await sleep(delayBefore);
        const out: FeedChange[] = [];
        let raisedHere = 0;
        for (const person of chosen) {
          const d = await change(tx, rng, person, by);
          if (d === null) continue;
          out.push(d);
          const { rows } = await tx.query<{ raised: boolean }>(
            'SELECT f.pos > $2::xid8 AS raised FROM persons p JOIN ban_feed f ON f.id = p.ban_feed_id WHERE p.person = $1',
            [person, xid],
          );
          if (rows[0]!.raised) raisedHere++;
        }
        if (delayAfter) await sleep(delayAfter); // holds the persons' locks and the id a little longer
        return { out, raisedHere };
      });
      written += results.out.length;
      raised += results.raisedHere;
      commits++;
      committed.notify();
      if (commits === Math.floor((WRITERS * TRANSACTIONS) / 2)) halfway.notify();
      if (!concurrent) await new Promise((resolve) => setImmediate(resolve)); // let the others (and the readers) in
    }
  }

  /** Pages while the writers write; an empty page waits for the next commit. */
  async function read(reader: Reader): Promise<void> {
    for (;;) {
      const p = await reader.page();
      if (p.changes.length > 0 || p.moreAvailable) continue;
      if (writersDone) break;
      await committed.wait();
    }
  }

  // A second company starts from nothing (a resync) halfway through the writes, and goes on paging.
  const second = await newReader(202);
  const secondRun = halfway.wait().then(() => read(second));

  const started = Date.now();
  const writing = Promise.all(Array.from({ length: WRITERS }, (_, n) => writer(n))).finally(() => {
    writersDone = true;
    committed.notify();
    halfway.notify(); // in case it was never reached
  });
  await Promise.all([writing, read(first), secondRun]);
  await first.catchUp();
  await second.catchUp();
  t.diagnostic(`${BACKEND}: ${commits} transactions wrote ${written} feed changes in ${Date.now() - started} ms; ${raised} pos raised above the writer's id; pages: first ${first.pages}, second ${second.pages}`);

  // The first company: every change written, each exactly once, in the feed's (pos, id) order.
  const feed = await feedRows();
  assert.equal(feed.length, written, 'one feed row per change the writers were told was delivered');
  assert.equal(first.received.length, written, 'the first company received every change written, and no more');
  assert.deepEqual(first.received.map(strip), feed.map(strip), 'in the feed order');
  const firstLog = await deliveredRows(first.ref);
  assert.deepEqual(firstLog.map((d) => d.feedId).sort((a, b) => a - b), feed.map((f) => f.id).sort((a, b) => a - b), 'the delivery log: every feed row once');
  assert.ok(firstLog.every((d) => !d.resync));
  // Per person, the feed order is the commit order (ids are taken after the person's lock).
  for (const p of persons) {
    const ids = feed.filter((f) => f.personIdCode === p).map((f) => f.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'a person\'s changes in the order they were committed');
  }

  // Both copies replay to what the register holds now.
  const expected = await expectedCopies(persons);
  assert.deepEqual(sorted(first.copy), sorted(expected), 'the first company\'s copy is the state now');
  assert.deepEqual(sorted(second.copy), sorted(expected), 'the company that resynced halfway has the same copy');
  const secondLog = await deliveredRows(second.ref);
  const secondIds = secondLog.map((d) => d.feedId);
  assert.equal(new Set(secondIds).size, secondIds.length, 'no feed row reached the second company twice, across its resync and its changes');
  const secondChanges = secondLog.filter((d) => !d.resync).map((d) => d.feedId);
  assert.deepEqual(secondChanges, feed.slice(feed.length - secondChanges.length).map((f) => f.id), 'after its resync, the second company received the rest of the feed, in order');
  assert.equal(second.received.length, secondLog.length);

  // A company that lost its copy starts again at the end: the current state, each person once, then nothing.
  const third = await newReader(303);
  await third.catchUp();
  assert.deepEqual(sorted(third.copy), sorted(expected));
  assert.ok(third.received.every((c) => c.change === 'Set'), 'a resync delivers the current state as Set');
  assert.equal(new Set(third.received.map((c) => c.personIdCode)).size, third.received.length, 'a resync does not replay history: each person once');
  assert.equal(third.received.length, expected.size);
});

class RolledBack extends Error {}

interface HeldTransaction {
  tx: Queryable;
  /** Its transaction id, taken when it was opened. */
  xid: string;
  /** Its server process, to see it wait for a lock. */
  pid: number;
  commit(): Promise<void>;
  /** Rolls back, unless it was told to commit already (the first decision counts). */
  rollback(): Promise<void>;
}

/** A transaction on its own connection of the register's pool, held open until told to commit or roll back. */
async function openTransaction(db: Database): Promise<HeldTransaction> {
  let decide!: (commit: boolean) => void;
  const decision = new Promise<boolean>((resolve) => (decide = resolve));
  let opened!: (tx: Queryable) => void;
  const ready = new Promise<Queryable>((resolve) => (opened = resolve));
  const done = db
    .transaction(async (tx) => {
      opened(tx);
      if (!(await decision)) throw new RolledBack();
    })
    .catch((err: unknown) => {
      if (!(err instanceof RolledBack)) throw err;
    });
  const tx = await ready;
  const { rows } = await tx.query<{ xid: string; pid: number }>('SELECT pg_current_xact_id()::text AS xid, pg_backend_pid() AS pid');
  return { tx, xid: rows[0]!.xid, pid: rows[0]!.pid, commit: () => (decide(true), done), rollback: () => (decide(false), done) };
}

/** Waits until the transaction's statement is waiting for a lock (so it took its snapshot before the lock holder commits). */
async function waitingForLock(t: HeldTransaction): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const { rows } = await reg.register.db.query<{ w: string | null }>('SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = $1', [t.pid]);
    if (rows[0]?.w === 'Lock') return;
    await sleep(5);
  }
  throw new Error('the transaction never waited for the lock');
}

const commitNow = <T>(fn: (tx: Queryable) => Promise<T>) => reg.register.db.transaction(fn);

/** Held transactions of one test, rolled back at its end if still open (a failed assertion leaves none behind). */
function holder(db: Database) {
  const open: HeldTransaction[] = [];
  return {
    async hold(): Promise<HeldTransaction> {
      const t = await openTransaction(db);
      open.push(t);
      return t;
    },
    release: () => Promise.all(open.map((t) => t.rollback())),
  };
}

const PG_ONLY = { skip: BACKEND !== 'postgres' && 'PGlite runs one transaction at a time: a transaction held open would block every other one' };

test('a long transaction holds back what was committed after it; once it commits, its change comes first, then the later ones, each once; a rolled-back change never comes and the feed moves on', PG_ONLY, async () => {
  const db = reg.register.db;
  const reader = await newReader(404);
  await reader.catchUp(); // whatever the first test left: a resync, then up to date
  const [a, b, c, d, e] = [testPerson(), testPerson(), testPerson(), testPerson(), testPerson()];
  const by = 'feedconc';
  const held = holder(db);
  const nothing = async () => {
    for (let i = 0; i < 3; i++) {
      const p = await reader.page();
      assert.deepEqual(p.changes, [], 'nothing may be delivered while an older transaction is open');
      assert.equal(p.moreAvailable, false);
    }
  };

  try {
    // T1 takes its id first and changes A only after T2 has; T2 changes A and stays open.
    const t1 = await held.hold();
    const t2 = await held.hold();
    assert.ok(BigInt(t1.xid) < BigInt(t2.xid));
    assert.equal((await setBan(t2.tx, a, { reason: 'Other', consent: true }, by, TODAY)).delivered, 'Set');
    // B commits after both ids were taken.
    assert.equal((await commitNow((tx) => setBan(tx, b, { reason: 'ControlOfPersonalFinances', consent: true }, by, TODAY))).delivered, 'Set');
    await nothing(); // B is committed but withheld: its pos is above the open transactions' ids
    const t1Change = setBan(t1.tx, a, { reason: 'RiskOfIdentityTheft', endDate: addDays(TODAY, 30) }, by, TODAY);
    await waitingForLock(t1); // for T2's lock on A
    await nothing();

    await t2.commit();
    assert.notEqual((await t1Change).delivered, null, 'T1 changed a consented ban');
    await nothing(); // A's Set and B are committed, but T1 (the oldest id) is still open
    await t1.commit();

    const got = await reader.catchUp();
    assert.deepEqual(
      got.map((x) => [x.personIdCode, x.reason]),
      [[a, 'Other'], [a, 'RiskOfIdentityTheft'], [b, 'ControlOfPersonalFinances']],
      'A as T2 set it, then as T1 changed it (though T1 took its id first), then B; each once',
    );
    const { rows: posA } = await db.query<{ pos: string }>('SELECT pos::text AS pos FROM ban_feed WHERE person = $1 ORDER BY id', [a]);
    assert.deepEqual(posA.map((r) => r.pos), [t2.xid, t2.xid], "T1's row took T2's pos, not its own older id");
    assert.deepEqual(reader.copy.get(a), await expectedCopy(db, a), 'the copy of A is the one committed last');
    assert.deepEqual(reader.copy.get(b), await expectedCopy(db, b));

    // A change rolled back is never delivered; what was committed meanwhile comes once it is gone.
    const t3 = await held.hold();
    assert.equal((await setBan(t3.tx, c, { reason: 'Other', consent: true }, by, TODAY)).delivered, 'Set');
    assert.equal((await commitNow((tx) => setBan(tx, d, { reason: 'Other', consent: true }, by, TODAY))).delivered, 'Set');
    await nothing();
    await t3.rollback();
    assert.deepEqual((await reader.catchUp()).map((x) => [x.personIdCode, x.change]), [[d, 'Set']]);
    assert.equal((await db.query('SELECT 1 FROM ban_feed WHERE person = $1', [c])).rowCount, 0);
    assert.equal(await expectedCopy(db, c), undefined);
    // The feed moves on.
    assert.equal((await commitNow((tx) => setBan(tx, e, { reason: 'Other', consent: true }, by, TODAY))).delivered, 'Set');
    assert.deepEqual((await reader.catchUp()).map((x) => [x.personIdCode, x.change]), [[e, 'Set']]);

    const log = await deliveredRows(reader.ref);
    assert.equal(new Set(log.map((l) => l.feedId)).size, log.length, 'no feed row delivered twice');
    assert.equal(log.length, reader.received.length);
  } finally {
    await held.release();
  }
});

test('a change that waited for another transaction on the same person sees what that transaction committed', PG_ONLY, async () => {
  const db = reg.register.db;
  const reader = await newReader(505);
  await reader.catchUp();
  const by = 'feedconc';
  const held = holder(db);
  /** `first` changes the person and stays open; `second` is started, waits for the person's lock, and ends after `first` commits. */
  async function overlap<T>(first: (tx: Queryable) => Promise<unknown>, second: (tx: Queryable) => Promise<T>): Promise<T> {
    const t1 = await held.hold();
    const t2 = await held.hold();
    await first(t1.tx);
    const result = second(t2.tx);
    await waitingForLock(t2);
    await t1.commit();
    const r = await result;
    await t2.commit();
    return r;
  }

  try {
    // Consent given (no ban yet); one transaction sets a ban while another withdraws the consent.
    const p = testPerson();
    await commitNow((tx) => setConsent(tx, p, true, by));
    const withdrawal = await overlap((tx) => setBan(tx, p, { reason: 'Other' }, by, TODAY), (tx) => setConsent(tx, p, false, by));
    assert.deepEqual(withdrawal, { changed: true, consent: false, delivered: 'ConsentWithdrawn' }, 'the withdrawal saw the ban just set: the companies must delete it');

    // A ban without consent; one transaction removes it while another gives consent.
    const q = testPerson();
    await commitNow((tx) => setBan(tx, q, { reason: 'RiskOfIdentityTheft' }, by, TODAY));
    const consent = await overlap((tx) => removeBan(tx, q, by), (tx) => setConsent(tx, q, true, by));
    assert.deepEqual(consent, { changed: true, consent: true, delivered: null }, 'the consent saw the ban removed: nothing to deliver');

    // No ban; one transaction sets one while another removes it.
    const r = testPerson();
    const removal = await overlap((tx) => setBan(tx, r, { reason: 'Other', consent: true }, by, TODAY), (tx) => removeBan(tx, r, by));
    assert.deepEqual(removal, { removed: true, delivered: 'Removed' }, 'the removal saw the ban just set');

    await reader.catchUp();
    for (const person of [p, q, r]) assert.deepEqual(reader.copy.get(person), await expectedCopy(db, person), 'the company holds what the register holds');
    assert.equal((await findBanState(db, r)).ban, null, 'the removal took effect');
  } finally {
    await held.release();
  }
});
