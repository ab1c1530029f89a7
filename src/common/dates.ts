/**
 * Dates and date-times as the contract writes them: dates yyyy-MM-dd; date-times ISO 8601
 * with 0–7 fractional digits, no offset meaning UTC (.NET forms). A date field also accepts
 * a date-time whose time is midnight.
 */
import { InputError } from './errors.ts';
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A day of the proleptic Gregorian calendar (computed, not by Date.UTC, which reads years 0–99 as 1900–1999). */
function realDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]!);
}

function isPlainDate(s: string): boolean {
  const m = DATE.exec(s);
  return !!m && realDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function isValidDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m || !isPlainDate(m[1]!)) return false;
  const [h, min, sec] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (h > 23 || min > 59 || sec > 59) return false;
  const off = m[6];
  if (off && off !== 'Z') {
    const [oh, om] = off.slice(1).split(':').map(Number) as [number, number];
    if (oh > 14 || om > 59) return false;
  }
  return true;
}

/**
 * The register keeps dates of these years only (reports: D27; the operator's dates likewise):
 * no credit of a living person began before 1900 or runs past 2199, and a year such as 0000
 * (which PostgreSQL has no date for) is a typing error.
 */
export const FIRST_DATE = '1900-01-01';
export const LAST_DATE = '2199-12-31';

/** A date field: yyyy-MM-dd, or a date-time at midnight. */
export function isValidDate(s: string): boolean {
  if (isPlainDate(s)) return true;
  const m = DATE_TIME.exec(s);
  return !!m && isValidDateTime(s) && m[2] === '00' && m[3] === '00' && m[4] === '00' && /^0*$/.test(m[5] ?? '');
}

/** A date typed by an operator or a person (yyyy-mm-dd, 1900–2199), or undefined; else an InputError naming `what`. */
export function dateInput(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isPlainDate(value)) throw new InputError(`${what} must be a date yyyy-mm-dd, not "${value}"`);
  if (value < FIRST_DATE || value > LAST_DATE) throw new InputError(`${what} must be a date of the years ${FIRST_DATE.slice(0, 4)}–${LAST_DATE.slice(0, 4)}, not "${value}"`);
  return value;
}

/** The yyyy-MM-dd of a valid date field. */
export function toDateOnly(s: string): string {
  return s.slice(0, 10);
}

const FINNISH_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit' });

let lastHour = NaN;
let lastDay = '';

/**
 * Today's date in Finland (the register's calendar for "in the future" and deadlines).
 * Finland's offset from UTC is whole hours, so the day is formatted once an hour of UTC (Intl
 * with a time zone takes ~10 µs, and every group of extracts asks).
 */
export function finnishDate(at = new Date()): string {
  const hour = Math.floor(at.getTime() / 3_600_000);
  if (hour !== lastHour) {
    lastDay = FINNISH_DAY.format(at);
    lastHour = hour;
  }
  return lastDay;
}
