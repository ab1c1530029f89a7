import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { canonicalContract, inSchemaOrder } from '../../src/reporting/loan-view.ts';
import type { StoredContract } from '../../src/reporting/rules.ts';

test('values come back in the schema order, nested objects and array items too; keys the schema does not name follow in their order', () => {
  const Item = Type.Object({ a: Type.Number(), b: Type.Number() });
  const schema = Type.Object({ x: Type.String(), items: Type.Array(Item), inner: Type.Object({ p: Type.Number(), q: Type.Number() }), tags: Type.Array(Type.String()) });
  const value = { extra: 1, inner: { q: 2, p: 1, z: 0 }, items: [{ b: 2, a: 1 }, { b: 4, a: 3, c: 5 }], x: 'x', tags: ['t'], unset: undefined };
  const ordered = inSchemaOrder(value, schema);
  assert.equal(JSON.stringify(ordered), '{"x":"x","items":[{"a":1,"b":2},{"a":3,"b":4,"c":5}],"inner":{"p":1,"q":2,"z":0},"tags":["t"],"extra":1}');
  assert.deepEqual(Object.keys(ordered), ['x', 'items', 'inner', 'tags', 'extra', 'unset']);
  assert.deepEqual(value.inner, { q: 2, p: 1, z: 0 }, 'the value given is not changed');
  assert.equal(inSchemaOrder(null, schema), null);
  assert.equal(inSchemaOrder('text', schema), 'text');
});

test('a contract read back from jsonb (keys by length) is shown in the order of the reference', () => {
  const fromJsonb = {
    loanType: 'LumpSumLoan', borrowers: [{ idCode: '010190-923E', idCodeType: 'PersonalIdentityCode' }], contractDate: '2026-01-01', currencyCode: 'EUR',
    lumpSumLoan: { balance: 900, amountPaid: 1000, amountIssued: 1000, purposeOfUse: 'Other', repaymentMethod: 'Annuities', plannedFinalDueDate: '2030-01-01', amortizationFrequency: 1 },
    borrowersCount: 1, consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit' }, isLoanWithCollateral: false,
  } as unknown as StoredContract;
  const c = canonicalContract(fromJsonb);
  assert.deepEqual(Object.keys(c), ['loanType', 'contractDate', 'currencyCode', 'borrowersCount', 'borrowers', 'consumerCredit', 'isLoanWithCollateral', 'lumpSumLoan']);
  assert.deepEqual(Object.keys(c.borrowers[0]!), ['idCodeType', 'idCode']);
  assert.deepEqual(Object.keys(c.lumpSumLoan!), ['amountIssued', 'amountPaid', 'balance', 'amortizationFrequency', 'repaymentMethod', 'plannedFinalDueDate', 'purposeOfUse']);
});
