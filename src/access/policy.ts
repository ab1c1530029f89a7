/**
 * The access policy: the one place that decides which certificate usage and which data
 * permission every operation needs. Routes name their operation; nothing else in the
 * code base decides a permission.
 */
import { RegisterError } from '../common/errors.ts';
import type { Caller } from './trust.ts';
import type { Environment, Usage } from './pki.ts';
import type { Permission } from './organisations.ts';
import { authorityScope, type AuthorityScope, type OrderType } from './authority-scope.ts';

export interface OperationRule {
  /** The certificate usage the operation needs; 'any' for certificate management. */
  usage: Usage | 'any';
  /** The data permission it needs, or null (certificate management, self-description). */
  permission: Permission | null;
}

export const OPERATIONS = {
  // Certificates (any valid certificate may renew itself or ask who it is)
  RenewCertificate: { usage: 'any', permission: null },
  WhoAmI: { usage: 'any', permission: null },
  // Reporting
  AddLoans: { usage: 'reporting', permission: 'reporting' },
  UpdateLoans: { usage: 'reporting', permission: 'reporting' },
  Repayments: { usage: 'reporting', permission: 'reporting' },
  DelayedRepayments: { usage: 'reporting', permission: 'reporting' },
  TerminateLoans: { usage: 'reporting', permission: 'reporting' },
  GetBatchStatus: { usage: 'reporting', permission: 'reporting' },
  GetLoan: { usage: 'reporting', permission: 'reporting' },
  ResetTestData: { usage: 'reporting', permission: 'reporting' },
  // Extract and income feed
  GetCreditRegisterExtract: { usage: 'data-use', permission: 'extract' },
  IncomeFeed: { usage: 'reporting', permission: 'income-feed' },
  // Authorities and credit information companies
  OrderData: { usage: 'data-use', permission: 'authority' },
  GetDataDelivery: { usage: 'data-use', permission: 'authority' },
  GetVoluntaryBanChanges: { usage: 'data-use', permission: 'ban-distribution' },
} as const satisfies Record<string, OperationRule>;

export type Operation = keyof typeof OPERATIONS;

/** The extract purposes, by the permission class that covers them (extract.md). */
export const CONSUMER_PURPOSES = [
  'NewConsumerCredit',
  'IncreaseOfConsumerCreditPrincipalOrCreditLimit',
  'ChangesToTermsOfConsumerCredit',
  'GuaranteeOrThirdPartyPledgeForConsumerCredit',
] as const;
export const BUSINESS_PURPOSES = ['NewLoan', 'IncreaseOfLoanPrincipalOrCreditLimit', 'ChangesToTerms', 'GuaranteeOrThirdPartyPledge'] as const;
export type ExtractPurpose = (typeof CONSUMER_PURPOSES)[number] | (typeof BUSINESS_PURPOSES)[number];

export function purposeClass(p: ExtractPurpose): 'consumer' | 'business' {
  return (CONSUMER_PURPOSES as readonly string[]).includes(p) ? 'consumer' : 'business';
}

/** Lock 1 (after authentication): the certificate's usage and environment fit the operation (A24). */
export function checkCertificateFits(caller: Caller, operation: Operation, registerEnvironment: Environment): void {
  const rule: OperationRule = OPERATIONS[operation];
  if (caller.certificate.environment !== registerEnvironment) {
    throw new RegisterError('A24', `The certificate is for the ${caller.certificate.environment} environment; this register is ${registerEnvironment}`);
  }
  if (rule.usage !== 'any' && caller.certificate.usage !== rule.usage) {
    throw new RegisterError('A24', `${operation} needs a ${rule.usage} certificate; this one is for ${caller.certificate.usage}`);
  }
}

/** Lock 2: the organisation holds the data permission for the operation, and for every purpose named (A22). */
export function checkPermission(caller: Caller, operation: Operation, details: { purposes?: readonly ExtractPurpose[] } = {}): void {
  const rule: OperationRule = OPERATIONS[operation];
  if (rule.permission === null) return;
  const granted = caller.permissions.find((p) => p.permission === rule.permission);
  if (!granted) throw new RegisterError('A22', `The organisation has no ${rule.permission} permission`);
  if (rule.permission === 'extract') {
    for (const purpose of details.purposes ?? []) {
      const cls = purposeClass(purpose);
      if (!granted.purposes.includes(cls)) {
        throw new RegisterError('A22', `The organisation's extract permission does not cover ${cls} purposes (${purpose})`, 'request.creditRegisterExtractPurpose');
      }
    }
  }
}

/** Lock 3: the request names the certificate's organisation as its owner (A21). */
export function checkOwner(caller: Caller, owner: { idCodeType: string; idCode: string; countryCode?: string }): void {
  const org = caller.organisation;
  const sameType = owner.idCodeType === org.idCodeType;
  const sameCode = owner.idCode.toUpperCase() === org.idCode.toUpperCase();
  const sameCountry = org.idCodeType === 'BusinessId' || (owner.countryCode ?? '').toUpperCase() === org.countryCode;
  if (!sameType || !sameCode || !sameCountry) {
    throw new RegisterError('A21', 'owner is not the organisation of the client certificate', 'owner');
  }
}

/**
 * For OrderData: the authority permission covers this order type (A22 naming what is outside),
 * and the scope every row of its deliveries is produced within.
 */
export function checkOrderPermitted(caller: Caller, type: OrderType): AuthorityScope {
  const granted = caller.permissions.find((p) => p.permission === 'authority');
  if (!granted) throw new RegisterError('A22', 'The organisation has no authority permission');
  const scope = authorityScope(granted.scope);
  if (!scope.orders.includes(type)) {
    throw new RegisterError('A22', `The organisation's authority permission does not cover ${type} orders (it covers: ${scope.orders.join(', ') || 'none'})`, 'order.type');
  }
  return scope;
}

// ---- The e-service's principal: a person (eservice/), not an organisation

/** A person logged in to the e-service: the identity code their identity provider vouched for. */
export interface PersonPrincipal {
  person: string;
}

/**
 * Whose data a person's request reads or changes: their own, always, and nothing a request
 * carries (a reference, a cursor, a form field) widens it. Every e-service page takes its scope
 * from here; the stores scope their queries by it (a reference of another person's finds nothing).
 */
export function personScope(principal: PersonPrincipal): { person: string } {
  return { person: principal.person };
}
