/**
 * The rules of authorities' orders (authorities-and-bans.md "Data ordering"), without HTTP or
 * SQL: which parameters each order type takes, what is refused and with which code, and the
 * periods a one-off or recurring order is delivered for. Days are Finnish calendar days.
 */
import type { OrderType } from '../access/authority-scope.ts';
import { FIRST_DATE, isValidDate, LAST_DATE } from '../common/dates.ts';
import type { ErrorCode, ErrorResponse } from '../common/errors.ts';
import { parsePersonalIdentityCode } from '../identity/personal-identity-code.ts';
import type { Environment } from '../common/environment.ts';

/** The order types OrderData takes: all four of the contract. */
export const ORDERABLE_TYPES = ['PersonLoans', 'LoanStockSnapshot', 'MonthlyAggregates', 'LateReporting'] as const satisfies readonly OrderType[];
export type OrderableType = (typeof ORDERABLE_TYPES)[number];

export const RECURRENCES = ['Once', 'Daily', 'Monthly'] as const;
export type Recurrence = (typeof RECURRENCES)[number];

/** The order as the authority sent it (the schema has checked the types). */
export interface OrderInput {
  type: OrderableType;
  recurrence?: Recurrence;
  legalBasis?: string;
  caseReference?: string;
  idCodeType?: 'PersonalIdentityCode';
  idCode?: string;
  fromDate?: string;
  toDate?: string;
  snapshotDate?: string;
  fromMonth?: string;
  toMonth?: string;
  format?: DeliveryFormat;
}

export const DELIVERY_FORMATS = ['NDJSON', 'CSV'] as const;
export type DeliveryFormat = (typeof DELIVERY_FORMATS)[number];

export type OrderParameters =
  | { type: 'PersonLoans'; person: string }
  | { type: 'LoanStockSnapshot' }
  | { type: 'MonthlyAggregates'; format: DeliveryFormat }
  | { type: 'LateReporting' };

export interface Period {
  start: string;
  end: string;
}

export interface ValidOrder {
  parameters: OrderParameters;
  recurrence: Recurrence;
  legalBasis: string | null;
  caseReference: string | null;
  /** The one-off order's period, or a recurring order's first. */
  firstPeriod: Period;
}

/** Which parameters each type takes; any other is refused (A10), so a misspelt one is not silently ignored. */
const PARAMETERS: Record<OrderableType, readonly (keyof OrderInput)[]> = {
  PersonLoans: ['idCodeType', 'idCode'],
  LoanStockSnapshot: ['snapshotDate'],
  MonthlyAggregates: ['fromMonth', 'toMonth', 'format'],
  LateReporting: ['fromDate', 'toDate'],
};
const COMMON: readonly (keyof OrderInput)[] = ['type', 'recurrence', 'legalBasis', 'caseReference'];

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
export const monthStart = (day: string) => `${day.slice(0, 7)}-01`;
function nextMonth(first: string): string {
  const y = Number(first.slice(0, 4));
  const m = Number(first.slice(5, 7));
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}
export const monthEnd = (first: string) => addDays(nextMonth(first), -1);

/** The months of a period, by their first days. */
export function monthsOf(p: Period): string[] {
  const out: string[] = [];
  for (let m = monthStart(p.start); m <= p.end; m = nextMonth(m)) out.push(m);
  return out;
}

/**
 * The Finnish day at whose end a delivery's content is read from the register's knowledge
 * (src/reporting/history.ts), or null for an order read from what the register holds when it
 * is produced. A snapshot: the day itself. A month's aggregates: the day after the month, so
 * that a loan made on its last day and reported on time (the next day) counts in its month.
 */
export function knowledgeDay(type: OrderableType, p: Period): string | null {
  if (type === 'LoanStockSnapshot') return p.end;
  if (type === 'MonthlyAggregates') return addDays(p.end, 1);
  return null;
}

/** The period of a recurring order that starts on `start` (a day, or a month's first day). */
export function periodOf(recurrence: Exclude<Recurrence, 'Once'>, start: string): Period {
  return recurrence === 'Daily' ? { start, end: start } : { start, end: monthEnd(start) };
}

/** The period after `p` of a recurring order. */
export function nextPeriod(recurrence: Exclude<Recurrence, 'Once'>, p: Period): Period {
  return periodOf(recurrence, recurrence === 'Daily' ? addDays(p.start, 1) : nextMonth(p.start));
}

/**
 * The periods of a recurring order due on `today`, from `next` on: those that have ended (their
 * last day is before today), at most `max` (a register that was down catches up over rounds).
 */
export function periodsDue(recurrence: Exclude<Recurrence, 'Once'>, next: string, today: string, max = 100): Period[] {
  const out: Period[] = [];
  for (let p = periodOf(recurrence, next); p.end < today && out.length < max; p = nextPeriod(recurrence, p)) out.push(p);
  return out;
}

/** The first Finnish day whose end the loan history covers completely, or null while it is being completed (history.ts). */
export type HistoryFrom = string | null;

/** Months in one aggregates order: ten years. */
export const MAX_MONTHS = 120;

const noHistory = (field: string, history: HistoryFrom, what = 'a day') =>
  bad(field, 'D12', history === null
    ? 'The register is completing its loan history (loans kept before it was recorded); snapshots and aggregates can be ordered once it is complete'
    : `The register knows loan states over time from ${history} on: ${what} before it cannot be ordered`);

function month(value: string | undefined, field: string, problems: ErrorResponse[]): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) {
    problems.push(bad(field, 'A10', `${field} must be a month yyyy-mm`));
    return undefined;
  }
  return day(`${value}-01`, field, problems);
}

const bad = (fieldName: string, errorCode: ErrorCode, errorDescription: string): ErrorResponse => ({ fieldName, errorCode, errorDescription });

function day(value: string | undefined, field: string, problems: ErrorResponse[]): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !isValidDate(value)) {
    problems.push(bad(field, 'A10', `${field} must be a date yyyy-mm-dd`));
    return undefined;
  }
  if (value < FIRST_DATE || value > LAST_DATE) {
    problems.push(bad(field, 'D27', `${field} must be a date of the years 1900–2199`));
    return undefined;
  }
  return value;
}

/**
 * Validates an order placed on `today`: the order, or every problem found (fieldName, code,
 * description), so that an authority fixes them all at once.
 */
export function validateOrder(input: OrderInput, environment: Environment, today: string, history: HistoryFrom = null): { order: ValidOrder } | { problems: ErrorResponse[] } {
  const problems: ErrorResponse[] = [];
  const allowed = new Set([...COMMON, ...PARAMETERS[input.type]]);
  for (const key of Object.keys(input) as (keyof OrderInput)[]) {
    if (!allowed.has(key)) problems.push(bad(`order.${key}`, 'A10', `${key} is not a parameter of a ${input.type} order (it takes ${PARAMETERS[input.type].join(', ')})`));
  }
  const recurrence = input.recurrence ?? 'Once';
  const legalBasis = input.legalBasis?.trim() || null;
  const caseReference = input.caseReference?.trim() || null;
  let parameters: OrderParameters | undefined;
  let firstPeriod: Period = { start: today, end: today };

  if (input.type === 'PersonLoans') {
    if (recurrence !== 'Once') problems.push(bad('order.recurrence', 'A10', 'A PersonLoans order is one-off (recurrence Once)'));
    if (!legalBasis) problems.push(bad('order.legalBasis', 'A10', 'A PersonLoans order states its legal basis'));
    if (!caseReference) problems.push(bad('order.caseReference', 'A10', 'A PersonLoans order states its case reference'));
    if (input.idCode === undefined) problems.push(bad('order.idCode', 'A10', 'A PersonLoans order names the person (idCodeType PersonalIdentityCode, idCode)'));
    else {
      const p = parsePersonalIdentityCode(input.idCode);
      if (!p.ok) problems.push(bad('order.idCode', 'D04', 'Invalid personal identity code'));
      else if (p.value.isTestCode !== (environment === 'Test')) {
        problems.push(bad('order.idCode', 'D04', environment === 'Test' ? 'Only test identity codes are accepted in the Test environment' : 'Test identity codes are not accepted in the Production environment'));
      } else parameters = { type: 'PersonLoans', person: p.value.code };
    }
  } else if (input.type === 'LoanStockSnapshot') {
    parameters = { type: 'LoanStockSnapshot' };
    if (recurrence === 'Once') {
      const d = day(input.snapshotDate, 'order.snapshotDate', problems);
      if (input.snapshotDate === undefined) problems.push(bad('order.snapshotDate', 'A10', 'A one-off LoanStockSnapshot order gives its day: snapshotDate'));
      if (d) {
        if (d >= today) problems.push(bad('order.snapshotDate', 'D12', `The day must have ended: snapshotDate is yesterday (${addDays(today, -1)}) at the latest`));
        else if (history === null || d < history) problems.push(noHistory('order.snapshotDate', history));
        firstPeriod = { start: d, end: d };
      }
    } else {
      if (input.snapshotDate !== undefined) problems.push(bad('order.snapshotDate', 'A10', 'A recurring snapshot has no snapshotDate: each delivery is the stock at the end of a day (Daily) or of a month\'s last day (Monthly), from the current one on'));
      firstPeriod = periodOf(recurrence, recurrence === 'Daily' ? today : monthStart(today));
    }
  } else if (input.type === 'MonthlyAggregates') {
    parameters = { type: 'MonthlyAggregates', format: input.format ?? 'NDJSON' };
    if (recurrence === 'Daily') problems.push(bad('order.recurrence', 'A10', 'MonthlyAggregates are monthly: recurrence Once or Monthly'));
    else if (recurrence === 'Once') {
      const from = month(input.fromMonth, 'order.fromMonth', problems);
      const to = month(input.toMonth, 'order.toMonth', problems);
      if (input.fromMonth === undefined || input.toMonth === undefined) problems.push(bad('order.fromMonth', 'A10', 'A one-off MonthlyAggregates order gives its months: fromMonth and toMonth (yyyy-mm)'));
      if (from && to) {
        const period = { start: from, end: monthEnd(to) };
        const final = addDays(period.end, 2);
        if (to < from) problems.push(bad('order.toMonth', 'D18', `The period ends (${to.slice(0, 7)}) before it starts (${from.slice(0, 7)})`));
        else if (monthsOf(period).length > MAX_MONTHS) problems.push(bad('order.toMonth', 'D18', `At most ${MAX_MONTHS} months in one order`));
        if (final > today) problems.push(bad('order.toMonth', 'D12', `A month's figures are final once the day after it has ended (new loans are reported by the next day): ${to.slice(0, 7)} can be ordered from ${final} on`));
        else if (history === null || addDays(monthEnd(from), 1) < history) problems.push(noHistory('order.fromMonth', history, 'a month'));
        firstPeriod = period;
      }
    } else {
      if (input.fromMonth !== undefined || input.toMonth !== undefined) problems.push(bad('order.fromMonth', 'A10', 'A recurring order has no fromMonth or toMonth: each delivery covers one month, from the current one on'));
      firstPeriod = periodOf('Monthly', monthStart(today));
    }
  } else {
    parameters = { type: 'LateReporting' };
    if (recurrence === 'Once') {
      const from = day(input.fromDate, 'order.fromDate', problems);
      const to = day(input.toDate, 'order.toDate', problems);
      if (input.fromDate === undefined || input.toDate === undefined) problems.push(bad('order.fromDate', 'A10', 'A one-off LateReporting order gives its period: fromDate and toDate (the days the reports were received)'));
      if (from && to) {
        if (to < from) problems.push(bad('order.toDate', 'D18', `The period ends (${to}) before it starts (${from})`));
        if (to >= today) problems.push(bad('order.toDate', 'D12', `The period must have ended: toDate is yesterday (${addDays(today, -1)}) at the latest`));
        firstPeriod = { start: from, end: to };
      }
    } else {
      if (input.fromDate !== undefined || input.toDate !== undefined) {
        problems.push(bad('order.fromDate', 'A10', 'A recurring order has no fromDate or toDate: each delivery covers one day (Daily) or one month (Monthly), from the current one on'));
      }
      firstPeriod = periodOf(recurrence, recurrence === 'Daily' ? today : monthStart(today));
    }
  }
  if (problems.length || !parameters) return { problems };
  return { order: { parameters, recurrence, legalBasis, caseReference, firstPeriod } };
}
