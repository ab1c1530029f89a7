/** The e-service's pure formatting (views.ts): amounts exact from their digits, dates and times as a person reads them, escaping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { code, esc, formatAmount, formatDate, formatWhen } from '../../src/eservice/views.ts';

test('amounts: two decimals, grouped in the language\'s notation, exact from the digits (no float rounding)', () => {
  assert.equal(formatAmount('8400.5', 'en'), '8,400.50');
  assert.equal(formatAmount('8400.5', 'fi'), '8\u00a0400,50');
  assert.equal(formatAmount('8400.5', 'sv'), '8\u00a0400,50');
  assert.equal(formatAmount('0', 'en'), '0.00');
  assert.equal(formatAmount('-1234567.891', 'en'), '-1,234,567.891', 'more decimals are kept, never rounded');
  // Beyond a double's exact range: a Number would print 9007199254740992.00.
  assert.equal(formatAmount('9007199254740993.01', 'en'), '9,007,199,254,740,993.01');
  assert.equal(formatAmount('999', 'fi'), '999,00');
  assert.equal(formatAmount('1000', 'fi'), '1\u00a0000,00');
  assert.equal(formatAmount('not a number', 'en'), 'not a number');
});

test('dates and times: d.m.yyyy in Finnish and Swedish, the month\'s name in English; times with klo / kl. / at', () => {
  assert.equal(formatDate('2031-01-05', 'fi'), '5.1.2031');
  assert.equal(formatDate('2031-01-05', 'sv'), '5.1.2031');
  assert.equal(formatDate('2031-01-05', 'en'), '5 January 2031');
  assert.equal(formatWhen('2026-12-02 09:05', 'fi'), '2.12.2026 klo 09.05');
  assert.equal(formatWhen('2026-12-02 09:05', 'sv'), '2.12.2026 kl. 09.05');
  assert.equal(formatWhen('2026-12-02 09:05', 'en'), '2 December 2026 at 09:05');
});

test('codes in words, an unknown code as itself; every value escaped', () => {
  assert.equal(code('fi', 'LumpSumLoan'), 'Kertaluotto');
  assert.equal(code('sv', 'NewConsumerCredit'), 'Ny konsumentkredit');
  assert.equal(code('en', 'SomethingNew'), 'SomethingNew');
  assert.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('the accessibility statement names the feedback channel: a mailto link, an https link, or where to find the operator', async () => {
  const { accessibilityPage } = await import('../../src/eservice/views.ts');
  assert.match(accessibilityPage('en', 'a11y@register.example.fi'), /<a href="mailto:a11y@register\.example\.fi">a11y@register\.example\.fi<\/a>/);
  assert.match(accessibilityPage('fi', 'https://register.example.fi/palaute?a=1&b=2'), /<a href="https:\/\/register\.example\.fi\/palaute\?a=1&amp;b=2">/);
  assert.match(accessibilityPage('sv'), /förvaltarens kontaktuppgifter/);
  assert.doesNotMatch(accessibilityPage('en'), /\{feedback\}/);
  assert.match(accessibilityPage('en'), /drawn up on 2 December 2026/);
});
