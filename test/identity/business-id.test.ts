import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { businessIdCheckDigit, isValidBusinessId, makeBusinessId, normaliseBusinessId } from '../../src/identity/business-id.ts';

test('known Business IDs: Kela and the demo lenders', () => {
  for (const id of ['0246246-0', '1234567-1', '2345678-0', '4567890-7', '5678901-2']) assert.ok(isValidBusinessId(id), id);
  for (const id of ['0246246-1', '1234567-2', '1234567', '123456-1', '12345678-1', '1234567-X', '']) assert.equal(isValidBusinessId(id), false, id);
});

test('remainder 1 never gives a valid ID', () => {
  // 3456789: weighted sum mod 11 = 1
  assert.equal(businessIdCheckDigit('3456789'), null);
  for (let d = 0; d <= 9; d++) assert.equal(isValidBusinessId(`3456789-${d}`), false);
});

test('generated IDs are valid and exactly one check digit fits', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9_999_998 }), (n) => {
      const id = makeBusinessId(n);
      assert.ok(isValidBusinessId(id), id);
      const fits = [...Array(10).keys()].filter((d) => isValidBusinessId(`${id.slice(0, 8)}${d}`));
      assert.deepEqual(fits, [Number(id[8])]);
    }),
  );
});

test('a changed digit or swapped neighbours are caught', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9_999_998 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 9 }), (n, pos, delta) => {
      const id = makeBusinessId(n);
      const changed = id.slice(0, pos) + ((Number(id[pos]) + delta) % 10) + id.slice(pos + 1);
      assert.equal(isValidBusinessId(changed), false, changed);
    }),
  );
});

test('six-digit IDs are written with a leading zero', () => {
  assert.equal(normaliseBusinessId('246246-0'), '0246246-0');
  assert.equal(normaliseBusinessId(' 0246246-0 '), '0246246-0');
  assert.ok(isValidBusinessId(normaliseBusinessId('246246-0')));
});
