import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finnishDate } from '../../src/common/dates.ts';

test("Finland's date turns at its midnight: 22:00 UTC in winter, 21:00 UTC in summer, whatever the order asked", () => {
  const at = (iso: string) => finnishDate(new Date(iso));
  assert.equal(at('2026-11-25T21:59:59.999Z'), '2026-11-25');
  assert.equal(at('2026-11-25T22:00:00.000Z'), '2026-11-26');
  assert.equal(at('2026-11-25T21:30:00.000Z'), '2026-11-25', 'an earlier time after a later one');
  assert.equal(at('2026-07-01T20:59:59.999Z'), '2026-07-01');
  assert.equal(at('2026-07-01T21:00:00.000Z'), '2026-07-02');
  // The night summer time begins (03:00 EET becomes 04:00 EEST) and ends.
  assert.equal(at('2026-03-28T21:59:59.999Z'), '2026-03-28');
  assert.equal(at('2026-03-28T22:00:00.000Z'), '2026-03-29');
  assert.equal(at('2026-10-24T20:59:59.999Z'), '2026-10-24');
  assert.equal(at('2026-10-24T21:00:00.000Z'), '2026-10-25');
  assert.equal(at('2026-10-25T21:59:59.999Z'), '2026-10-25');
  assert.equal(at('2026-10-25T22:00:00.000Z'), '2026-10-26');
});
