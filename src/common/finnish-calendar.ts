/**
 * The Finnish working-day calendar and the reporting deadlines of the register
 * (spec reporting.md "Reporting deadlines"; authorities-and-bans.md `LateReporting`).
 *
 * Pure: no I/O, no clock, no time zone. Every date is a 'yyyy-mm-dd' string of the
 * proleptic Gregorian calendar, computed with UTC day arithmetic (Date.UTC on whole days),
 * and an invalid one throws a RangeError. A report's "received date" is the Finnish
 * calendar day of its received time (`finnishDate(receivedAt)` in dates.ts): converting a
 * timestamp to a day is the caller's step, so that this module never depends on a time zone.
 *
 * **Which days are not working days.** A working day is Monday–Friday and not a day listed
 * by `finnishHolidays`. The rule is the Finnish banking calendar: the bank holidays
 * ("pankkivapaapäivät", published yearly by Finance Finland and followed by every Finnish
 * bank, so also by the lenders who report) are exactly these weekdays: New Year's Day,
 * Epiphany, Good Friday, Easter Monday, May Day, Ascension Day, Midsummer Eve, Independence
 * Day, Christmas Eve, Christmas Day and St Stephen's Day. Midsummer Eve and Christmas Eve are
 * not public holidays by statute, but banks and offices are closed, and the issue names them.
 * Easter Sunday, Whitsun, Midsummer Day and All Saints' Day always fall on a Sunday or a
 * Saturday; they are listed too, with their names, so that the calendar is complete.
 *
 * **Historical rules are not modelled: today's rules apply to every year.** Finland moved
 * Epiphany and Ascension Day to Saturdays in 1973–1990, and Midsummer Day and All Saints'
 * Day were fixed dates (24 June, 1 November) before 1955. Deadlines concern reports that the
 * register received, i.e. recent years under today's rules; a second rule set for dates no
 * report can be received on would be untested weight. The years accepted are 1583–9999 (the
 * Gregorian calendar with four-digit years; the Easter algorithm holds for all of them): the
 * register's own dates are 1900–2199 (dates.ts), and the deadline of an event on 2199-12-31
 * falls in 2200, so the calendar must not stop at 2199.
 */

export type ReportKind = 'NewLoan' | 'OtherEvent';

export interface FinnishHoliday {
  /** yyyy-mm-dd */
  readonly date: string;
  /** English name with the Finnish one, e.g. "Midsummer Eve (juhannusaatto)". */
  readonly name: string;
}

const FIRST_YEAR = 1583;
const LAST_YEAR = 9999;
const DAY_MS = 86_400_000;
/** Days before each month in a common year. */
const MONTH_STARTS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < FIRST_YEAR || year > LAST_YEAR) {
    throw new RangeError(`the Finnish calendar covers the years ${FIRST_YEAR}–${LAST_YEAR}, not ${year}`);
  }
}

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** Days since 1970-01-01 by whole UTC days (years ≥ 1583, so Date.UTC's 0–99 quirk never applies). */
function dayNumberOf(y: number, m: number, d: number): number {
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** 0 = Sunday … 6 = Saturday; 1970-01-01 (day 0) was a Thursday. */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** Easter Sunday's day number: the anonymous Gregorian algorithm (Meeus, Astronomical Algorithms; Jones 1876; Butcher 1876). */
function easterDay(y: number): number {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const dayOfMonth = ((h + l - 7 * m + 114) % 31) + 1;
  return dayNumberOf(y, month, dayOfMonth);
}

/** The first day on or after `from` that falls on `wd` (0 = Sunday). */
function onOrAfter(from: number, wd: number): number {
  return from + ((wd - weekday(from) + 7) % 7);
}

/** Easter Sunday of a year (Gregorian, as the Evangelical Lutheran Church of Finland keeps it). */
export function easterSunday(year: number): string {
  checkYear(year);
  return new Date(easterDay(year) * DAY_MS).toISOString().slice(0, 10);
}

/** One year's calendar, by day of the year (index 0 = 1 January). */
interface YearCalendar {
  readonly year: number;
  /** Day number of 1 January. */
  readonly first: number;
  /** 1 for a working day. */
  readonly working: Uint8Array;
  /** Each day's yyyy-mm-dd, so that answers are not formatted again. */
  readonly dates: readonly string[];
  readonly list: readonly FinnishHoliday[];
}

/**
 * The years asked, each built once (~15 KB). Bounded: a run over reports touches a handful of
 * years; past 64, the year built longest ago is dropped (and rebuilt if asked again).
 */
const years = new Map<number, YearCalendar>();
const CACHED_YEARS = 64;
let lastCalendar: YearCalendar | undefined;

function yearCalendar(y: number): YearCalendar {
  if (lastCalendar?.year === y) return lastCalendar;
  let cal = years.get(y);
  if (!cal) {
    cal = buildYear(y);
    if (years.size >= CACHED_YEARS) years.delete(years.keys().next().value!);
    years.set(y, cal);
  }
  lastCalendar = cal;
  return cal;
}

function buildYear(y: number): YearCalendar {
  const first = dayNumberOf(y, 1, 1);
  const length = isLeap(y) ? 366 : 365;
  const dates: string[] = [];
  for (let m = 1; m <= 12; m++) {
    const days = MONTH_STARTS[m]! - MONTH_STARTS[m - 1]! + (m === 2 && length === 366 ? 1 : 0);
    const prefix = `${y}-${String(m).padStart(2, '0')}-`;
    for (let d = 1; d <= days; d++) dates.push(prefix + String(d).padStart(2, '0'));
  }
  const easter = easterDay(y);
  const fixed = (m: number, d: number) => dayNumberOf(y, m, d);
  const entries: [number, string][] = [
    [fixed(1, 1), "New Year's Day (uudenvuodenpäivä)"],
    [fixed(1, 6), 'Epiphany (loppiainen)'],
    [easter - 2, 'Good Friday (pitkäperjantai)'],
    [easter, 'Easter Sunday (pääsiäispäivä)'],
    [easter + 1, 'Easter Monday (2. pääsiäispäivä)'],
    [fixed(5, 1), 'May Day (vappu)'],
    [easter + 39, 'Ascension Day (helatorstai)'],
    [easter + 49, 'Whitsun (helluntaipäivä)'],
    [onOrAfter(fixed(6, 19), 5), 'Midsummer Eve (juhannusaatto)'],
    [onOrAfter(fixed(6, 20), 6), 'Midsummer Day (juhannuspäivä)'],
    [onOrAfter(fixed(10, 31), 6), "All Saints' Day (pyhäinpäivä)"],
    [fixed(12, 6), 'Independence Day (itsenäisyyspäivä)'],
    [fixed(12, 24), 'Christmas Eve (jouluaatto)'],
    [fixed(12, 25), 'Christmas Day (joulupäivä)'],
    [fixed(12, 26), "St Stephen's Day (tapaninpäivä)"],
  ];
  // Stable sort: when Ascension Day falls on 1 May (Easter on 23 March, as in 2008), both are listed, May Day first.
  entries.sort((p, q) => p[0] - q[0]);
  const working = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const wd = weekday(first + i);
    working[i] = wd === 0 || wd === 6 ? 0 : 1;
  }
  for (const [day] of entries) working[day - first] = 0;
  const list = Object.freeze(entries.map(([day, name]) => Object.freeze({ date: dates[day - first]!, name })));
  return { year: y, first, working, dates: Object.freeze(dates), list };
}

/** The decimal digits of s[from, to) as a number, or -1 when one is not a digit. */
function digitsAt(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** A day as its year's calendar and its index in that year. */
interface Day {
  cal: YearCalendar;
  index: number;
}

/** Parses a yyyy-mm-dd string; RangeError when not a real date of the years covered. */
function parse(date: string, what = 'date'): Day {
  if (typeof date === 'string' && date.length === 10 && date[4] === '-' && date[7] === '-') {
    const y = digitsAt(date, 0, 4);
    const m = digitsAt(date, 5, 7);
    const d = digitsAt(date, 8, 10);
    if (y >= FIRST_YEAR && m >= 1 && m <= 12 && d >= 1) {
      const leapDay = m > 2 && isLeap(y) ? 1 : 0;
      const monthLength = MONTH_STARTS[m]! - MONTH_STARTS[m - 1]! + (m === 2 && isLeap(y) ? 1 : 0);
      if (d <= monthLength) return { cal: yearCalendar(y), index: MONTH_STARTS[m - 1]! + leapDay + d - 1 };
    }
  }
  throw new RangeError(`${what} must be a real date yyyy-mm-dd of the years ${FIRST_YEAR}–${LAST_YEAR}, not ${JSON.stringify(date)}`);
}

/** The next day, into the next year's calendar after 31 December. */
function nextDay(day: Day): void {
  day.index++;
  if (day.index >= day.cal.working.length) {
    if (day.cal.year >= LAST_YEAR) throw new RangeError(`the date falls after ${LAST_YEAR}-12-31, beyond the Finnish calendar`);
    day.cal = yearCalendar(day.cal.year + 1);
    day.index = 0;
  }
}

/**
 * The Finnish holidays of a year in date order, with their names: the bank holidays that
 * close a weekday, and the four holidays that always fall on a weekend (see the module comment).
 * A fixed-date holiday is listed also in a year where it falls on a Saturday or Sunday.
 */
export function finnishHolidays(year: number): { date: string; name: string }[] {
  checkYear(year);
  return yearCalendar(year).list.map((h) => ({ date: h.date, name: h.name }));
}

/** Monday–Friday and not a Finnish holiday. */
export function isFinnishWorkingDay(date: string): boolean {
  const { cal, index } = parse(date);
  return cal.working[index] === 1;
}

/**
 * The n-th Finnish working day after `date` (n a whole number ≥ 0). The days are counted
 * strictly after `date`, whether or not `date` is itself a working day: from Friday or from
 * Saturday, n = 1 is the Monday (when a working day). n = 0 gives `date` itself when it is a
 * working day, else the first working day after it (the "following working day" of banking).
 */
export function addFinnishWorkingDays(date: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`the number of working days must be a whole number ≥ 0, not ${n}`);
  const day = parse(date);
  if (n === 0) {
    while (day.cal.working[day.index] !== 1) nextDay(day);
  } else {
    for (let left = n; left > 0; ) {
      nextDay(day);
      if (day.cal.working[day.index] === 1) left--;
    }
  }
  return day.cal.dates[day.index]!;
}

/**
 * The last day on which a report is on time (the deadline day itself is on time).
 *
 * - `NewLoan`: "due by the calendar day after the contract date" — the deadline is
 *   contractDate + 1 calendar day, whatever that day is (a Saturday or a holiday included):
 *   a new loan reported on its contract date or on the next day is on time, from the second
 *   day after it is late. Weekends do not extend it: the duty is a calendar day, and reporting
 *   is a machine interface open every day.
 * - `OtherEvent` (changes, payments, endings): "within two Finnish working days" of the event
 *   date — the second working day counted strictly after the event date
 *   (`addFinnishWorkingDays(eventDate, 2)`), inclusive. An event on Monday is due by
 *   Wednesday; on Friday or on Saturday, by Tuesday; on Wednesday 2026-12-23, by Tuesday
 *   2026-12-29 (24–27 December are not working days).
 */
export function reportingDeadline(kind: ReportKind, eventDate: string): string {
  if (kind === 'NewLoan') {
    const day = parse(eventDate, 'the contract date');
    nextDay(day);
    return day.cal.dates[day.index]!;
  }
  if (kind === 'OtherEvent') return addFinnishWorkingDays(eventDate, 2);
  throw new RangeError(`the report kind must be NewLoan or OtherEvent, not ${JSON.stringify(kind)}`);
}

/** Calendar days from the deadline to the received date: 0 when received on or before the deadline. */
export function daysLate(deadline: string, receivedDate: string): number {
  const received = parse(receivedDate, 'the received date');
  const due = parse(deadline, 'the deadline');
  const late = received.cal.first + received.index - (due.cal.first + due.index);
  return late > 0 ? late : 0;
}

/** Whether a report of the event was received after its deadline (a report received before its event date is not late). */
export function isLate(kind: ReportKind, eventDate: string, receivedDate: string): boolean {
  return daysLate(reportingDeadline(kind, eventDate), receivedDate) > 0;
}
