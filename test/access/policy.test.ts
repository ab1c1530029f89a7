/** The access-policy module, without a server: usage, environment, owner and permission for every operation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCertificateFits, checkOwner, checkPermission, OPERATIONS, type Operation } from '../../src/access/policy.ts';
import type { Caller } from '../../src/access/trust.ts';
import { RegisterError } from '../../src/common/errors.ts';

function caller(usage: 'reporting' | 'data-use', permissions: { permission: string; purposes?: string[] }[], environment: 'Test' | 'Production' = 'Test'): Caller {
  return {
    organisation: { id: 1, idCodeType: 'BusinessId', idCode: '1234567-1', countryCode: 'FI', name: 'Bank', roles: ['lender'], contact: {}, state: 'active' },
    certificate: { serial: 'AB', usage, environment, notBefore: new Date(0), notAfter: new Date(8e15) },
    permissions: permissions.map((p) => ({ permission: p.permission as never, purposes: p.purposes ?? [], scope: {} })),
  };
}

function code(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof RegisterError);
    return err.code;
  }
}

test('every operation names its usage; the other usage is A24', () => {
  for (const [op, rule] of Object.entries(OPERATIONS) as [Operation, { usage: string }][]) {
    if (rule.usage === 'any') {
      assert.equal(code(() => checkCertificateFits(caller('reporting', []), op, 'Test')), undefined);
      assert.equal(code(() => checkCertificateFits(caller('data-use', []), op, 'Test')), undefined);
      continue;
    }
    const other = rule.usage === 'reporting' ? 'data-use' : 'reporting';
    assert.equal(code(() => checkCertificateFits(caller(rule.usage as never, []), op, 'Test')), undefined, op);
    assert.equal(code(() => checkCertificateFits(caller(other, []), op, 'Test')), 'A24', op);
  }
});

test('a certificate of the other environment is A24 for every operation', () => {
  for (const op of Object.keys(OPERATIONS) as Operation[]) {
    assert.equal(code(() => checkCertificateFits(caller('reporting', [], 'Production'), op, 'Test')), 'A24');
  }
});

test('no permission is A22; the right one passes', () => {
  assert.equal(code(() => checkPermission(caller('reporting', []), 'AddLoans')), 'A22');
  assert.equal(code(() => checkPermission(caller('reporting', [{ permission: 'extract', purposes: ['consumer'] }]), 'AddLoans')), 'A22');
  assert.equal(code(() => checkPermission(caller('reporting', [{ permission: 'reporting' }]), 'AddLoans')), undefined);
  assert.equal(code(() => checkPermission(caller('data-use', []), 'GetVoluntaryBanChanges')), 'A22');
  assert.equal(code(() => checkPermission(caller('data-use', [{ permission: 'ban-distribution' }]), 'GetVoluntaryBanChanges')), undefined);
});

test('extract purposes: a consumer-only permission is refused for NewLoan with A22', () => {
  const consumerOnly = caller('data-use', [{ permission: 'extract', purposes: ['consumer'] }]);
  assert.equal(code(() => checkPermission(consumerOnly, 'GetCreditRegisterExtract', { purposes: ['NewConsumerCredit'] })), undefined);
  assert.equal(code(() => checkPermission(consumerOnly, 'GetCreditRegisterExtract', { purposes: ['NewLoan'] })), 'A22');
  assert.equal(code(() => checkPermission(consumerOnly, 'GetCreditRegisterExtract', { purposes: ['NewConsumerCredit', 'ChangesToTerms'] })), 'A22');
  const both = caller('data-use', [{ permission: 'extract', purposes: ['consumer', 'business'] }]);
  assert.equal(code(() => checkPermission(both, 'GetCreditRegisterExtract', { purposes: ['NewLoan', 'NewConsumerCredit'] })), undefined);
});

test("an owner other than the certificate's organisation is A21", () => {
  const c = caller('reporting', []);
  assert.equal(code(() => checkOwner(c, { idCodeType: 'BusinessId', idCode: '1234567-1' })), undefined);
  assert.equal(code(() => checkOwner(c, { idCodeType: 'BusinessId', idCode: '2345678-0' })), 'A21');
  assert.equal(code(() => checkOwner(c, { idCodeType: 'ForeignBusinessId', idCode: '1234567-1', countryCode: 'SE' })), 'A21');
});
