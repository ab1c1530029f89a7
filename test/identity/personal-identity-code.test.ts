import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CHECK_CHARACTERS, isAcceptedPersonalIdentityCode, makePersonalIdentityCode, parsePersonalIdentityCode,
} from '../../src/identity/personal-identity-code.ts';

const birthDate = fc.date({ min: new Date('1800-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const individual = fc.integer({ min: 2, max: 999 });
const validCode = fc.tuple(birthDate, individual, fc.nat(5)).map(([d, n, s]) => ({ code: makePersonalIdentityCode(d, n, s), date: d, n }));

test('known codes: the spec example and the century signs', () => {
  // 010190923 mod 31 = 14 → E: the spec's example is valid, and a test code (923).
  const p = parsePersonalIdentityCode('010190-923E');
  assert.ok(p.ok);
  assert.equal(p.ok && p.value.isTestCode, true);
  assert.equal(p.ok && p.value.birthDate, '1990-01-01');
  assert.ok(parsePersonalIdentityCode('131052-308T').ok);
  const c = parsePersonalIdentityCode('010100A902J');
  assert.ok(c.ok ? c.value.birthDate === '2000-01-01' : false);
  const plus = parsePersonalIdentityCode('010190+923E');
  assert.ok(plus.ok && plus.value.birthDate === '1890-01-01');
});

test('every generated valid code parses, with its birth date and test flag', () => {
  fc.assert(
    fc.property(validCode, ({ code, date, n }) => {
      const p = parsePersonalIdentityCode(code);
      assert.ok(p.ok, code);
      assert.equal(p.value.birthDate, date);
      assert.equal(p.value.isTestCode, n >= 900);
    }),
  );
});

test('codes are compared in upper case: a lower-case code is the same code', () => {
  fc.assert(
    fc.property(validCode, ({ code }) => {
      const p = parsePersonalIdentityCode(code.toLowerCase());
      assert.ok(p.ok);
      assert.equal(p.value.code, code);
    }),
  );
});

test('a wrong check character is refused', () => {
  fc.assert(
    fc.property(validCode, fc.integer({ min: 1, max: 30 }), ({ code }, shift) => {
      const q = CHECK_CHARACTERS[(CHECK_CHARACTERS.indexOf(code[10]!) + shift) % 31]!;
      const p = parsePersonalIdentityCode(code.slice(0, 10) + q);
      assert.deepEqual(p, { ok: false, problem: 'check-character' });
    }),
  );
});

test('a changed digit is caught (by the date, the individual number or the check character)', () => {
  fc.assert(
    fc.property(validCode, fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9), fc.integer({ min: 1, max: 9 }), ({ code }, pos, delta) => {
      const digit = (Number(code[pos]) + delta) % 10;
      const corrupted = code.slice(0, pos) + digit + code.slice(pos + 1);
      assert.equal(parsePersonalIdentityCode(corrupted).ok, false, corrupted);
    }),
  );
});

test('dates that do not exist are refused even with a matching check character', () => {
  for (const ddmmyy of ['300290', '310490', '290223', '000190', '011390']) {
    const zzz = '923';
    const q = CHECK_CHARACTERS[Number(ddmmyy + zzz) % 31];
    assert.deepEqual(parsePersonalIdentityCode(`${ddmmyy}-${zzz}${q}`), { ok: false, problem: 'date' }, ddmmyy);
  }
  // 29 February exists in 2000 (A) but not in 1900 (-).
  assert.ok(parsePersonalIdentityCode(makePersonalIdentityCode('2000-02-29', 923)).ok);
  const q = CHECK_CHARACTERS[Number('290200923') % 31];
  assert.deepEqual(parsePersonalIdentityCode(`290200-923${q}`), { ok: false, problem: 'date' });
});

test('individual numbers 000 and 001 are refused; shapes and century signs checked', () => {
  for (const zzz of ['000', '001']) {
    const q = CHECK_CHARACTERS[Number(`010190${zzz}`) % 31];
    assert.deepEqual(parsePersonalIdentityCode(`010190-${zzz}${q}`), { ok: false, problem: 'individual-number' });
  }
  for (const bad of ['', '010190923E', '010190-923', '010190G923E', '010190-923EE', ' 010190-923E', '010190-92ZE']) {
    assert.equal(parsePersonalIdentityCode(bad).ok, false, bad);
  }
});

test('a Test register accepts only test codes (900–999), a Production register only real ones', () => {
  fc.assert(
    fc.property(validCode, ({ code, n }) => {
      assert.equal(isAcceptedPersonalIdentityCode(code, 'Test'), n >= 900);
      assert.equal(isAcceptedPersonalIdentityCode(code, 'Production'), n < 900);
    }),
  );
  assert.equal(isAcceptedPersonalIdentityCode('garbage', 'Test'), false);
  assert.equal(isAcceptedPersonalIdentityCode('garbage', 'Production'), false);
});
