/**
 * The demo a newcomer gets from the first `npm start`: organisations of every kind, their
 * permissions, and certificates written under <data-dir>/demo/, with requests to paste.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { addOrganisation, grantPermission, organisationRef, type Permission, type Role } from '../access/organisations.ts';
import type { Usage } from '../access/pki.ts';
import { issueCertificate } from '../access/certificates.ts';
import { recordOperatorAction, type Operator } from '../audit/audit.ts';
import { writeCertFiles } from '../cli/client-certs.ts';
import type { Register } from '../register.ts';
import { setBan } from '../bans/store.ts';
import { finnishDate } from '../common/dates.ts';
import { addDays, monthEnd, monthStart, validateOrder, type OrderInput } from '../authority/orders.ts';
import { placeOrder } from '../authority/store.ts';

export interface DemoOrganisation {
  slug: string;
  businessId: string;
  name: string;
  roles: Role[];
  permissions: { permission: Permission; purposes?: string[]; scope?: Record<string, unknown> }[];
  certificates: Usage[];
}

export const DEMO_ORGANISATIONS: DemoOrganisation[] = [
  {
    slug: 'demo-bank', businessId: '1234567-1', name: 'Demo Bank Oyj', roles: ['lender'],
    permissions: [{ permission: 'reporting' }, { permission: 'extract', purposes: ['consumer', 'business'] }],
    certificates: ['reporting', 'data-use'],
  },
  {
    slug: 'demo-finance', businessId: '2345678-0', name: 'Demo Consumer Finance Oy', roles: ['lender'],
    permissions: [{ permission: 'reporting' }, { permission: 'extract', purposes: ['consumer'] }],
    certificates: ['reporting', 'data-use'],
  },
  {
    slug: 'kela', businessId: '0246246-0', name: 'Kansaneläkelaitos (Kela)', roles: ['lender', 'income-source'],
    permissions: [{ permission: 'reporting' }, { permission: 'income-feed' }],
    certificates: ['reporting'],
  },
  {
    slug: 'authority', businessId: '4567890-7', name: 'Demo Supervisory Authority', roles: ['authority'],
    permissions: [{ permission: 'authority', scope: { loans: 'all', orders: ['PersonLoans', 'LoanStockSnapshot', 'MonthlyAggregates', 'LateReporting'], identityCodes: 'codes' } }],
    certificates: ['data-use'],
  },
  {
    slug: 'credit-info', businessId: '5678901-2', name: 'Demo Credit Information Oy', roles: ['credit-information-company'],
    permissions: [{ permission: 'ban-distribution' }],
    certificates: ['data-use'],
  },
];

export function demoDir(register: Register): string {
  return join(register.config.dataDir, 'demo');
}

export async function isEmptyRegister(register: Register): Promise<boolean> {
  const { rows } = await register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM organisations');
  return rows[0]!.n === 0;
}

/** Creates the demo organisations and writes their certificates. */
export async function createDemo(register: Register, operator: Operator): Promise<void> {
  const dir = demoDir(register);
  // Private to the register's user like everything in the data directory (the keys below are secrets).
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'ca.pem'), register.ca.certPem, { mode: 0o600 });
  mkdirSync(join(dir, 'examples'), { recursive: true, mode: 0o700 });
  for (const [name, body] of Object.entries(demoExamples(register.environment))) {
    writeFileSync(join(dir, 'examples', name), `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  }
  let orderId = '';
  // One transaction with its audit entry: the demo is an operator's change too (`pcr serve --demo`).
  await register.db.transaction(async (tx) => {
    const made: { businessId: string; name: string; permissions: string[]; certificates: { usage: string; serial: string }[] }[] = [];
    let authorityId = 0;
    for (const d of DEMO_ORGANISATIONS) {
      const ref = organisationRef('BusinessId', d.businessId);
      const org = await addOrganisation(tx, { ref, name: d.name, roles: d.roles, contact: { name: 'Demo contact', email: `it@${d.slug}.example` } });
      if (d.slug === 'authority') authorityId = org.id;
      for (const p of d.permissions) await grantPermission(tx, ref, p.permission, p);
      const certificates: { usage: string; serial: string }[] = [];
      for (const usage of d.certificates) {
        const issued = await issueCertificate(tx, register.ca, ref, usage, register.environment);
        writeCertFiles(join(dir, `${d.slug}-${usage}`), issued.keyPem, issued.certPem, issued.caPem);
        certificates.push({ usage, serial: issued.serial });
      }
      made.push({ businessId: d.businessId, name: d.name, permissions: d.permissions.map((p) => p.permission), certificates });
    }
    // The example person has a voluntary ban and consents to passing it on: it shows on the
    // extract, and the credit information company receives it (GetVoluntaryBanChanges.json).
    const ban = await setBan(tx, DEMO_PERSON, { reason: 'ControlOfPersonalFinances', consent: true }, operator.actor, finnishDate());
    // The authority has placed an order already, so that GetDataDelivery.json has one to show.
    const valid = validateOrder(demoExamples(register.environment)['OrderData-PersonLoans.json'].order as OrderInput, register.environment, finnishDate());
    if (!('order' in valid)) throw new Error(`the demo order is refused: ${JSON.stringify(valid.problems)}`);
    orderId = (await placeOrder(tx, authorityId, valid.order)).orderId;
    await recordOperatorAction(tx, { operator, action: 'serve --demo', target: null, before: null, after: { organisations: made, bans: [{ ...ban.ban, consent: ban.consent }], orders: [orderId] } });
  });
  const delivery = { targetEnvironment: register.environment, owner: { idCodeType: 'BusinessId', idCode: AUTHORITY_ID }, orderId };
  writeFileSync(join(dir, 'examples', 'GetDataDelivery.json'), `${JSON.stringify(delivery, null, 2)}\n`, { mode: 0o600 });
}

const AUTHORITY_ID = '4567890-7';

/** The test person of the examples (the loan's borrower, the extract's subject, the ban's holder). */
export const DEMO_PERSON = '010190-923E';

/** Example request bodies a newcomer can send with curl, written next to the certificates. */
export function demoExamples(environment: string): Record<string, { [k: string]: unknown; order?: unknown }> {
  const today = finnishDate();
  // The latest month whose figures are final (the day after it has ended): last month from its second day on.
  const lastMonth = monthStart(addDays(monthStart(today), -1));
  const lastFinalMonth = addDays(monthEnd(lastMonth), 2) <= today ? lastMonth : monthStart(addDays(lastMonth, -1));
  const owner = { idCodeType: 'BusinessId', idCode: '1234567-1' };
  const loanNumber = { type: 'Other', number: 'DEMO-0001' };
  return {
    'AddLoans.json': {
      targetEnvironment: environment,
      owner,
      loans: [{
        reportReference: 'DEMO-0001-add', loanNumber, loanType: 'LumpSumLoan', contractDate: '2026-01-15', currencyCode: 'EUR',
        borrowersCount: 1, borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: DEMO_PERSON }],
        consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit', isGoodsOrServicesRelatedCredit: false },
        interest: { totalInterestRatePct: 4.95, marginPct: 1.5, interestType: 'Euribor', interestDeterminationPeriod: 12 },
        isLoanWithCollateral: false,
        lumpSumLoan: { amountIssued: 15000.0, amountPaid: 15000.0, balance: 15000.0, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2031-01-15', purposeOfUse: 'OtherConsumerCredit' },
      }],
    },
    'Repayments.json': {
      targetEnvironment: environment,
      owner,
      repayments: [{ reportReference: 'DEMO-0001-pay', loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: '2026-02-15', balance: 14750.0, amortizationPaid: 250.0, interestPaid: 61.88, otherExpenses: 2.5 } }],
    },
    'GetBatchStatus.json': { targetEnvironment: environment, owner, batchReference: 'demo-batch-1' },
    'GetLoan.json': { targetEnvironment: environment, owner, loanNumber },
    'GetCreditRegisterExtract.json': {
      targetEnvironment: environment,
      owner,
      request: { idCodeType: 'PersonalIdentityCode', idCode: DEMO_PERSON, creditRegisterExtractPurpose: ['NewConsumerCredit'], lenderReference: 'demo-application-1' },
    },
    'GetVoluntaryBanChanges.json': { targetEnvironment: environment, owner: { idCodeType: 'BusinessId', idCode: '5678901-2' }, limit: 100 },
    'OrderData-PersonLoans.json': {
      targetEnvironment: environment,
      owner: { idCodeType: 'BusinessId', idCode: AUTHORITY_ID },
      order: { type: 'PersonLoans', idCodeType: 'PersonalIdentityCode', idCode: DEMO_PERSON, legalBasis: 'Act on the Positive Credit Register (739/2022), section 20', caseReference: 'DEMO-CASE-1' },
    },
    'OrderData-LoanStockSnapshot.json': {
      targetEnvironment: environment,
      owner: { idCodeType: 'BusinessId', idCode: AUTHORITY_ID },
      // The stock at the end of yesterday (the day the demo was made): empty until loans were known then; a Daily order gets each day's.
      order: { type: 'LoanStockSnapshot', snapshotDate: addDays(today, -1), legalBasis: 'Act on the Positive Credit Register (739/2022): financial stability monitoring', caseReference: 'DEMO-STOCK' },
    },
    'OrderData-MonthlyAggregates.json': {
      targetEnvironment: environment,
      owner: { idCodeType: 'BusinessId', idCode: AUTHORITY_ID },
      order: { type: 'MonthlyAggregates', fromMonth: lastFinalMonth.slice(0, 7), toMonth: lastFinalMonth.slice(0, 7), format: 'CSV', legalBasis: 'Statistics Act (280/2004)', caseReference: 'DEMO-STATISTICS' },
    },
    'OrderData-LateReporting.json': {
      targetEnvironment: environment,
      owner: { idCodeType: 'BusinessId', idCode: AUTHORITY_ID },
      order: { type: 'LateReporting', recurrence: 'Monthly', legalBasis: 'Act on the Positive Credit Register (739/2022): supervision of the reporting duty', caseReference: 'DEMO-SUPERVISION' },
    },
  };
}

/** What the server prints at start when the demo is there: requests a newcomer can paste. */
export function demoInstructions(register: Register, url: string, webUrl?: string): string | undefined {
  const dir = demoDir(register);
  if (!existsSync(join(dir, 'demo-bank-reporting', 'cert.pem'))) return undefined;
  const rel = relative(process.cwd(), dir) || '.';
  const curl = (slug: string) => `curl -sS --cacert ${rel}/ca.pem --cert ${rel}/${slug}/cert.pem --key ${rel}/${slug}/key.pem`;
  const post = (op: string, extra = '', cert = 'demo-bank-reporting') => `  ${curl(cert)} -H 'Content-Type: application/json'${extra} --data @${rel}/examples/${op}.json ${url}/${op}`;
  const lines = [
    '',
    `Demo organisations and their certificates are in ${rel}/ (${DEMO_ORGANISATIONS.map((d) => `${d.slug} ${d.businessId}`).join(', ')}).`,
    'Try an authenticated call:',
    '',
    `  ${curl('demo-bank-reporting')} ${url}/whoami`,
    '',
    'Report a loan as Demo Bank, see how the batch went, read the loan back:',
    '',
    post('AddLoans', " -H 'BatchReference: demo-batch-1'"),
    post('GetBatchStatus'),
    post('GetLoan'),
    '',
    'Ask for a credit register extract on the same person (a data-use certificate):',
    '',
    post('GetCreditRegisterExtract', '', 'demo-bank-data-use'),
    '',
    'As the credit information company, page through the voluntary bans persons consented to share',
    '(send the answer\'s nextCursor as "cursor" in the next call):',
    '',
    post('GetVoluntaryBanChanges', '', 'credit-info-data-use'),
    '',
    "As the supervisory authority: see the delivery of the order the demo placed (a person's loans), then",
    'add the deliveryId from the answer (and "page": 1) to the file for the content, as NDJSON; order anew:',
    '',
    post('GetDataDelivery', '', 'authority-data-use'),
    post('OrderData', '', 'authority-data-use').replace('OrderData.json', 'OrderData-PersonLoans.json'),
    post('OrderData', '', 'authority-data-use').replace('OrderData.json', 'OrderData-LoanStockSnapshot.json'),
    post('OrderData', '', 'authority-data-use').replace('OrderData.json', 'OrderData-MonthlyAggregates.json'),
    post('OrderData', '', 'authority-data-use').replace('OrderData.json', 'OrderData-LateReporting.json'),
    '',
    `API reference: ${url}/documentation   error codes: ${url}/error-codes`,
    ...(webUrl
      ? ['', `The e-service for private persons: ${webUrl}/ (your browser will warn about the demo CA's certificate). Log in at the`,
        `test identity provider with the demo person's code ${DEMO_PERSON} to see the loan reported above.`]
      : []),
  ];
  return lines.join('\n');
}
