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

/** The order types OrderData takes today (LoanStockSnapshot and MonthlyAggregates need the loans' history: a later step of issue 11). */
export const ORDERABLE_TYPES = ['PersonLoans', 'LateReporting'] as const satisfies readonly OrderType[];
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
}

export type OrderParameters = { type: 'PersonLoans'; person: string } | { type: 'LateReporting' };

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
  LateReporting: ['fromDate', 'toDate'],
};
const COMMON: readonly (keyof OrderInput)[] = ['type', 'recurrence', 'legalBasis', 'caseReference'];

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
const monthStart = (day: string) => `${day.slice(0, 7)}-01`;
function nextMonth(first: string): string {
  const y = Number(first.slice(0, 4));
  const m = Number(first.slice(5, 7));
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}
const monthEnd = (first: string) => addDays(nextMonth(first), -1);

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
export function validateOrder(input: OrderInput, environment: Environment, today: string): { order: ValidOrder } | { problems: ErrorResponse[] } {
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
