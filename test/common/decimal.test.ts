import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExactNumber, parseDecimal, scaledToText, toScaled } from '../../src/common/decimal.ts';

test('at most two decimals by value: trailing zeros do not count', () => {
  assert.equal(toScaled(new ExactNumber('10000.0'), 2), 1_000_000n);
  assert.equal(toScaled(new ExactNumber('10000.00'), 2), 1_000_000n);
  assert.equal(toScaled(new ExactNumber('8.90'), 2), 890n);
  assert.equal(toScaled(new ExactNumber('8.9000000'), 2), 890n);
  assert.equal(toScaled(new ExactNumber('0.001'), 2), null);
  assert.equal(toScaled(new ExactNumber('0.1000000000000000001'), 2), null, 'judged from the text, not a double');
  assert.equal(toScaled(new ExactNumber('1.5e2'), 2), 15000n);
  assert.equal(toScaled(new ExactNumber('125e-2'), 2), 125n);
  assert.equal(toScaled(new ExactNumber('-3.25'), 2), -325n);
  assert.equal(toScaled(0, 2), 0n);
  assert.equal(toScaled(42, 2), 4200n);
});

test('percentages keep four decimals', () => {
  assert.equal(scaledToText(toScaled(new ExactNumber('6.5'), 4)!, 4), '6.5000');
  assert.equal(toScaled(new ExactNumber('6.12345'), 4), null);
});

test('scaled text round-trips for any integer of cents', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (cents) => {
      const text = scaledToText(cents, 2);
      assert.equal(toScaled(new ExactNumber(text), 2), cents);
    }),
  );
});

test('sums of amounts are exact where binary floats are not', () => {
  const amounts = ['0.10', '0.20', '0.30'].map((t) => toScaled(new ExactNumber(t), 2)!);
  assert.equal(scaledToText(amounts.reduce((a, b) => a + b, 0n), 2), '0.60');
  assert.notEqual(0.1 + 0.2 + 0.3, 0.6);
});

test('garbage is not a number', () => {
  for (const bad of ['', '1.', '.5', '1e', '--1', 'NaN', '0x10']) assert.equal(parseDecimal(bad), null, bad);
});
