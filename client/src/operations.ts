/**
 * Every operation of the register that the client calls: its route, the client method, and
 * whether sending it twice is harmless (which decides retries after a connection error).
 * test/client/schemas.test.ts checks that these routes are exactly the server's.
 */
export interface OperationInfo {
  method: 'GET' | 'POST';
  path: string;
  /** The RegisterClient method that performs it. */
  clientMethod: string;
  /**
   * Sending it again has no further effect: reads, the batch operations (the same reference and
   * body are the same batch), the income feed (a month replaces itself). Not idempotent: an
   * extract (each one is logged, charged and shown to the person), an order, a certificate.
   */
  idempotent: boolean;
  /** Carries targetEnvironment and owner (filled in by the client). */
  envelope: boolean;
  /** Needs no client certificate. */
  anonymous?: boolean;
}

const batch = (name: string): OperationInfo => ({ method: 'POST', path: `/${name}`, clientMethod: name[0]!.toLowerCase() + name.slice(1), idempotent: true, envelope: true });

export const OPERATIONS = {
  AddLoans: batch('AddLoans'),
  UpdateLoans: batch('UpdateLoans'),
  Repayments: batch('Repayments'),
  DelayedRepayments: batch('DelayedRepayments'),
  TerminateLoans: batch('TerminateLoans'),
  GetBatchStatus: { method: 'POST', path: '/GetBatchStatus', clientMethod: 'getBatchStatus', idempotent: true, envelope: true },
  GetLoan: { method: 'POST', path: '/GetLoan', clientMethod: 'getLoan', idempotent: true, envelope: true },
  ResetTestData: { method: 'POST', path: '/ResetTestData', clientMethod: 'resetTestData', idempotent: true, envelope: true },
  Servicebreak: { method: 'POST', path: '/Servicebreak', clientMethod: 'servicebreak', idempotent: true, envelope: false },
  GetCreditRegisterExtract: { method: 'POST', path: '/GetCreditRegisterExtract', clientMethod: 'getCreditRegisterExtract', idempotent: false, envelope: true },
  IncomeFeed: { method: 'POST', path: '/IncomeFeed', clientMethod: 'incomeFeed', idempotent: true, envelope: true },
  GetVoluntaryBanChanges: { method: 'POST', path: '/GetVoluntaryBanChanges', clientMethod: 'getVoluntaryBanChanges', idempotent: true, envelope: true },
  OrderData: { method: 'POST', path: '/OrderData', clientMethod: 'orderData', idempotent: false, envelope: true },
  GetDataDelivery: { method: 'POST', path: '/GetDataDelivery', clientMethod: 'getDataDelivery', idempotent: true, envelope: true },
  WhoAmI: { method: 'GET', path: '/whoami', clientMethod: 'whoami', idempotent: true, envelope: false },
  ErrorCodes: { method: 'GET', path: '/error-codes', clientMethod: 'errorCodes', idempotent: true, envelope: false, anonymous: true },
  Health: { method: 'GET', path: '/health', clientMethod: 'health', idempotent: true, envelope: false, anonymous: true },
  RetrieveCertificate: { method: 'POST', path: '/certificates/sign', clientMethod: 'retrieveCertificate', idempotent: false, envelope: false, anonymous: true },
  RenewCertificate: { method: 'POST', path: '/certificates/renew', clientMethod: 'renewCertificate', idempotent: false, envelope: false },
} as const satisfies Record<string, OperationInfo>;

export type OperationName = keyof typeof OPERATIONS;
