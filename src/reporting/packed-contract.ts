/**
 * A loan's contract as the database keeps it: packed bytes, not jsonb. The database never
 * looks inside a contract (the register reads it in JavaScript), and the loans table is
 * the largest thing an extract reads: at national scale (12.5 M loans) jsonb contracts
 * (~710 bytes each) made the extract's working set larger than the machine's memory.
 * Packed with raw deflate and a fixed dictionary of typical contracts, one is ~75 bytes.
 *
 * Format: the first byte says how the rest is written.
 *   0  plain UTF-8 JSON (what migration 0004 made of the jsonb contracts; `pcr loans pack` packs them)
 *   1  raw deflate, window 2^12, DICTIONARY_1
 * A format, once written, is never changed: a new dictionary is a new format byte.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { StoredContract } from './rules.ts';

const PLAIN = 0;
const DEFLATE_1 = 1;
const WINDOW_BITS = 12;

/** Typical contracts in the key order rules.ts builds them; at most 2^12 - 262 bytes. Never edit: format 1 depends on every byte. */
const DICTIONARY_1 = Buffer.from(
  [
    '{"loanType":"Leasing","contractDate":"2024-03-01","currencyCode":"EUR","borrowersCount":1,"borrowers":[{"idCodeType":"PersonalIdentityCode","idCode":"010190-923E"}],"consumerCredit":{"loanConsumerProtectionAct":"ConsumerCredit"},"isLoanWithCollateral":false,"leasingContract":{"contractPeriodStartDate":"2024-03-01","contractPeriodEndDate":"2027-02-28","monthlyInstalment":310.5,"transactionPrice":12000}}',
    '{"loanType":"GuaranteeReceivable","contractDate":"2023-01-15","currencyCode":"EUR","isPeerToPeerLoanBroker":false,"lenderMarketingName":"","oneTimeServiceFees":0,"isTransferredFromAnotherLender":true,"borrowersCount":1,"borrowers":[{"idCodeType":"PersonalIdentityCode","idCode":"010190-923E","businessId":"1234567-1"}],"consumerCredit":{"loanConsumerProtectionAct":"NotConsumerCredit","isGoodsOrServicesRelatedCredit":false},"annualPercentageRate":4.5,"collaterals":[{"collateralType":"Other"}],"defermentPeriods":[{"startDate":"2025-01-01","endDate":"2025-06-30"}],"paymentPlan":{"isInDebtArrangement":false,"isInBusinessRestructuringProgram":false}}',
    '{"loanType":"RunningAccountLoan","contractDate":"2021-05-20","currencyCode":"SEK","borrowersCount":2,"borrowers":[{"idCodeType":"PersonalIdentityCode","idCode":"010190-923E"},{"idCodeType":"PersonalIdentityCode","idCode":"020295-934X"}],"consumerCredit":{"loanConsumerProtectionAct":"ConsumerCredit"},"interest":{"totalInterestRatePct":12.5,"marginPct":9.75,"interestType":"ReferenceRate","interestDeterminationPeriod":12},"isLoanWithCollateral":false,"runningAccountLoan":{"creditLimit":5000,"balance":1234.56,"balanceDate":"2026-10-31"}}',
    '{"loanType":"LumpSumLoan","contractDate":"2026-06-09","currencyCode":"EUR","borrowersCount":1,"borrowers":[{"idCodeType":"PersonalIdentityCode","idCode":"221254-900U"}],"guarantors":[{"idCodeType":"PersonalIdentityCode","idCode":"131052-308T"}],"consumerCredit":{"loanConsumerProtectionAct":"ConsumerCredit"},"interest":{"totalInterestRatePct":8.27,"marginPct":4.14,"interestType":"FixedInterest","interestDeterminationPeriod":12},"isLoanWithCollateral":true,"collaterals":[{"collateralType":"ResidentialRealEstate"}],"lumpSumLoan":{"amountIssued":13218.54,"amountPaid":13218.54,"balance":11623.81,"amortizationFrequency":1,"repaymentMethod":"Annuities","plannedFinalDueDate":"2052-06-02","purposeOfUse":"LoanForVehicleOrCraft"}}',
  ].join(''),
  'utf8',
);

/** The contract packed for the loans table (format 1). */
export function packContract(contract: StoredContract): Buffer {
  const deflated = deflateRawSync(JSON.stringify(contract), { level: 6, windowBits: WINDOW_BITS, memLevel: 8, dictionary: DICTIONARY_1 });
  return Buffer.concat([Buffer.of(DEFLATE_1), deflated]);
}

/** The packed contract as PostgreSQL's bytea input text ('\x…'), for JSON records read by jsonb_to_recordset(). */
export function packContractHex(contract: StoredContract): string {
  return `\\x${packContract(contract).toString('hex')}`;
}

/** A packed contract as the database returns it: bytes, or bytea's hex text inside a JSON value. */
export function unpackContract(packed: Uint8Array | string): StoredContract {
  const bytes = typeof packed === 'string' ? Buffer.from(packed.slice(2), 'hex') : Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const body = bytes.subarray(1);
  switch (bytes[0]) {
    case PLAIN:
      return JSON.parse(body.toString('utf8')) as StoredContract;
    case DEFLATE_1:
      return JSON.parse(inflateRawSync(body, { windowBits: WINDOW_BITS, dictionary: DICTIONARY_1 }).toString('utf8')) as StoredContract;
    default:
      throw new Error(`Unknown packed contract format ${bytes[0]}`);
  }
}
