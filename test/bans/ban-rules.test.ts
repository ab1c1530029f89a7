/** The pure rules of the voluntary ban (src/bans/ban.ts) and the feed's sealed cursor (src/bans/cursor.ts), without a server. */
import { createCipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { banFrom, feedEvent, hasLapsed, inForce, type Ban, type BanState } from '../../src/bans/ban.ts';
import { newCursorKey, openCursor, sealCursor, type CursorContent } from '../../src/bans/cursor.ts';
import { InputError } from '../../src/common/errors.ts';

const TODAY = '2026-03-10';

test('banFrom: the start defaults to today, may be in the future; an end before the start or before today is refused', () => {
  assert.deepEqual(banFrom({ reason: 'Other' }, TODAY), { reason: 'Other', startDate: TODAY, endDate: null });
  assert.deepEqual(banFrom({ reason: 'RiskOfIdentityTheft', startDate: '2027-01-01', endDate: '2027-06-30' }, TODAY), { reason: 'RiskOfIdentityTheft', startDate: '2027-01-01', endDate: '2027-06-30' });
  // A ban that started in the past and runs on is fine; one that ends today is still in force today.
  assert.deepEqual(banFrom({ reason: 'ControlOfPersonalFinances', startDate: '2025-01-01', endDate: TODAY }, TODAY).endDate, TODAY);
  assert.deepEqual(banFrom({ reason: 'Other', startDate: TODAY, endDate: TODAY }, TODAY), { reason: 'Other', startDate: TODAY, endDate: TODAY });
  assert.throws(() => banFrom({ reason: 'Other', startDate: '2027-02-01', endDate: '2027-01-31' }, TODAY), (e: unknown) => e instanceof InputError && /before the start date/.test(e.message));
  assert.throws(() => banFrom({ reason: 'Other', startDate: '2025-01-01', endDate: '2026-03-09' }, TODAY), (e: unknown) => e instanceof InputError && /has passed/.test(e.message));
  assert.throws(() => banFrom({ reason: 'Other', endDate: '2026-03-09' }, TODAY), InputError, 'the default start (today) is after the end');
  for (const reason of ['Boredom', '', 'other', 'RiskOfIdentityTheft ']) {
    assert.throws(() => banFrom({ reason }, TODAY), (e: unknown) => e instanceof InputError && /reason must be one of/.test(e.message), reason);
  }
  for (const date of ['2026-02-30', '2026-3-1', '20260301', '0000-01-01', '1899-12-31', '2200-01-01', '2026-03-01T00:00:00', '']) {
    assert.throws(() => banFrom({ reason: 'Other', startDate: date }, TODAY), InputError, `start ${JSON.stringify(date)}`);
    assert.throws(() => banFrom({ reason: 'Other', endDate: date }, TODAY), InputError, `end ${JSON.stringify(date)}`);
  }
});

test('inForce and hasLapsed at the boundaries: the end date itself is still in force, the day after it has lapsed', () => {
  const fixed: Ban = { reason: 'Other', startDate: '2026-03-01', endDate: '2026-03-31' };
  assert.deepEqual(['2026-02-28', '2026-03-01', '2026-03-31', '2026-04-01'].map((d) => inForce(fixed, d)), [false, true, true, false]);
  assert.deepEqual(['2026-03-01', '2026-03-31', '2026-04-01', '2030-01-01'].map((d) => hasLapsed(fixed, d)), [false, false, true, true]);
  const indefinite: Ban = { reason: 'Other', startDate: '2026-03-01', endDate: null };
  assert.deepEqual(['2026-02-28', '2026-03-01', '2199-12-31'].map((d) => inForce(indefinite, d)), [false, true, true]);
  assert.equal(hasLapsed(indefinite, '2199-12-31'), false);
  // A future ban is not in force yet but has not lapsed either (it is delivered when set).
  const future: Ban = { reason: 'Other', startDate: '2027-01-01', endDate: '2027-01-01' };
  assert.deepEqual([inForce(future, TODAY), hasLapsed(future, TODAY), inForce(future, '2027-01-01'), hasLapsed(future, '2027-01-02')], [false, false, true, true]);
});

test('feedEvent: every transition of the design table', () => {
  const a: Ban = { reason: 'RiskOfIdentityTheft', startDate: '2026-03-10', endDate: null };
  const b: Ban = { reason: 'Other', startDate: '2026-03-10', endDate: '2026-12-31' };
  const s = (ban: Ban | null, consent: boolean): BanState => ({ ban, consent });
  const NULLS = { reason: null, startDate: null, endDate: null };
  // Without consent the companies see nothing at all: set, change, remove.
  assert.equal(feedEvent(s(null, false), s(a, false)), null, 'set without consent');
  assert.equal(feedEvent(s(a, false), s(b, false)), null, 'changed without consent');
  assert.equal(feedEvent(s(a, false), s(null, false)), null, 'removed without consent');
  assert.equal(feedEvent(s(null, false), s(null, true)), null, 'consent given without a ban');
  assert.equal(feedEvent(s(null, true), s(null, false)), null, 'consent withdrawn without a ban');
  // With consent in force.
  assert.deepEqual(feedEvent(s(null, true), s(a, true)), { change: 'Set', ...a }, 'set with consent');
  assert.deepEqual(feedEvent(s(null, false), s(a, true)), { change: 'Set', ...a }, 'set together with the consent');
  assert.deepEqual(feedEvent(s(a, false), s(a, true)), { change: 'Set', ...a }, 'consent given to an existing ban');
  assert.deepEqual(feedEvent(s(a, false), s(b, true)), { change: 'Set', ...b }, 'changed and consented at once: Set with the new data');
  assert.deepEqual(feedEvent(s(a, true), s(b, true)), { change: 'Changed', ...b }, 'changed');
  assert.deepEqual(feedEvent(s(a, true), s({ ...a, endDate: '2026-12-31' }, true)), { change: 'Changed', ...a, endDate: '2026-12-31' }, 'only the end date changed');
  assert.deepEqual(feedEvent(s(a, true), s({ ...a, startDate: '2026-04-01' }, true)), { change: 'Changed', ...a, startDate: '2026-04-01' }, 'only the start date changed');
  assert.equal(feedEvent(s(a, true), s({ ...a }, true)), null, 'an identical re-set');
  assert.equal(feedEvent(s(null, true), s(null, true)), null);
  assert.deepEqual(feedEvent(s(b, true), s(b, false)), { change: 'ConsentWithdrawn', ...NULLS }, 'withdrawal: no data');
  assert.deepEqual(feedEvent(s(a, true), s(b, false)), { change: 'ConsentWithdrawn', ...NULLS }, 'withdrawn while changing: still no data');
  assert.deepEqual(feedEvent(s(b, true), s(null, true)), { change: 'Removed', ...b }, "removed (or ended): the removed ban's data");
  assert.deepEqual(feedEvent(s(b, true), s(null, false)), { change: 'Removed', ...b }, 'removed and withdrawn at once: the copy goes either way');
});

const KEY = newCursorKey();
const ORG = 42;
const SNAPSHOT: CursorContent = { organisationId: ORG, environment: 'Test', position: { phase: 'snapshot', w: '18446744073709551615', after: '010150-901A' } };
const FEED: CursorContent = { organisationId: ORG, environment: 'Production', position: { phase: 'feed', pos: '987654', id: 123456789 } };

test('cursor: sealed and opened, both phases; every cursor is different though the position is the same', () => {
  for (const c of [SNAPSHOT, FEED, { ...SNAPSHOT, position: { phase: 'snapshot' as const, w: '0', after: '' } }]) {
    const sealed = sealCursor(KEY, c);
    assert.match(sealed, /^[A-Za-z0-9_-]+$/, 'URL-safe, opaque');
    assert.equal(sealed.includes(c.position.phase === 'snapshot' ? c.position.after || '\0' : c.position.pos), false, 'nothing readable in it');
    assert.deepEqual(openCursor(KEY, sealed), c);
    assert.notEqual(sealCursor(KEY, c), sealed, 'a fresh nonce each time');
  }
});

test('cursor: another key, truncation, garbage, over-long, non-alphabet → null', () => {
  const sealed = sealCursor(KEY, FEED);
  assert.equal(openCursor(newCursorKey(), sealed), null, "another register's key");
  for (let n = 0; n < sealed.length; n += 3) assert.equal(openCursor(KEY, sealed.slice(0, n)), null, `truncated to ${n}`);
  assert.equal(openCursor(KEY, `${sealed}AAAA`), null, 'extended');
  for (const g of ['', 'garbage', 'A'.repeat(60), `${sealed}=`, `${sealed.slice(0, 10)}+${sealed.slice(11)}`, 'a'.repeat(1001), `${sealed} `]) {
    assert.equal(openCursor(KEY, g), null, g.slice(0, 40));
  }
  // A cursor sealed with this key but with content this register would never write is refused too.
  const bad = (plain: unknown) => sealRaw(JSON.stringify(plain));
  for (const plain of [[2, ORG, 'Test', ['f', '1', 1]], [1, '42', 'Test', ['f', '1', 1]], [1, ORG, 'Dev', ['f', '1', 1]], [1, ORG, 'Test', ['f', '1x', 1]], [1, ORG, 'Test', ['f', '1', 1.5]], [1, ORG, 'Test', ['s', '1', 7]], [1, ORG, 'Test', ['x', '1', 1]], { a: 1 }, 'text']) {
    assert.equal(openCursor(KEY, bad(plain)), null, JSON.stringify(plain));
  }
  assert.deepEqual(openCursor(KEY, bad([1, ORG, 'Test', ['f', '1', 1]])), { organisationId: ORG, environment: 'Test', position: { phase: 'feed', pos: '1', id: 1 } }, 'the helper seals as the register does');
});

test('cursor (property): any change of the sealed bytes — a flipped bit, a changed byte, a cut — is refused', () => {
  const contents = fc.oneof(
    fc.record({ organisationId: fc.nat(), environment: fc.constantFrom('Test' as const, 'Production' as const), position: fc.record({ phase: fc.constant('feed' as const), pos: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), id: fc.nat() }) }),
    fc.record({ organisationId: fc.nat(), environment: fc.constantFrom('Test' as const, 'Production' as const), position: fc.record({ phase: fc.constant('snapshot' as const), w: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), after: fc.string({ maxLength: 20 }) }) }),
  );
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  );
  fc.assert(
    fc.property(contents, mutation, (generated, m) => {
      const c = JSON.parse(JSON.stringify(generated)) as CursorContent; // plain objects (fast-check's records have no prototype)
      const sealed = sealCursor(KEY, c);
      assert.deepEqual(openCursor(KEY, sealed), c);
      const raw = Buffer.from(sealed, 'base64url');
      const at = m.at % raw.length;
      let changed: Buffer;
      if (m.kind === 'flip') {
        changed = Buffer.from(raw);
        changed[at] = changed[at]! ^ (1 << m.bit);
      } else if (m.kind === 'byte') {
        changed = Buffer.from(raw);
        changed[at] = changed[at]! ^ m.value;
      } else if (m.kind === 'cut') {
        changed = raw.subarray(0, at);
      } else {
        changed = Buffer.concat([raw.subarray(0, at), Buffer.from([m.value]), raw.subarray(at)]);
      }
      return openCursor(KEY, changed.toString('base64url')) === null;
    }),
    { numRuns: 500 },
  );
});

/** Seals any text under KEY in the cursor's format (iv | tag | ciphertext), to test what openCursor accepts once authentic. */
function sealRaw(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', KEY, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}
