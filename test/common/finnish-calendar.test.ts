import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addFinnishWorkingDays,
  daysLate,
  easterSunday,
  finnishHolidays,
  isFinnishWorkingDay,
  isLate,
  reportingDeadline,
} from '../../src/common/finnish-calendar.ts';

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const plusDays = (date: string, n: number) => iso(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS);
const weekdayOf = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

/** Easter by a second, independent method: Knuth's (TAOCP 1.3.2 ex. 14, the Gregorian epact of Lilius and Clavius). */
function knuthEaster(y: number): string {
  const g = (y % 19) + 1;
  const c = Math.floor(y / 100) + 1;
  const x = Math.floor((3 * c) / 4) - 12;
  const z = Math.floor((8 * c + 5) / 25) - 5;
  const d = Math.floor((5 * y) / 4) - x - 10;
  let e = (((11 * g + 20 + z - x) % 30) + 30) % 30;
  if ((e === 25 && g > 11) || e === 24) e++;
  let n = 44 - e;
  if (n < 21) n += 30;
  n = n + 7 - ((d + n) % 7);
  return n > 31 ? `${y}-04-${String(n - 31).padStart(2, '0')}` : `${y}-03-${String(n).padStart(2, '0')}`;
}

const holidayDate = (year: number, name: string) => {
  const found = finnishHolidays(year).filter((h) => h.name.startsWith(name));
  assert.equal(found.length, 1, `${year} ${name}`);
  return found[0]!.date;
};

test('Easter Sunday on well-known dates 1818–2199, including the earliest (22 March) and latest (25 April) possible', () => {
  const known: [number, string][] = [
    [1818, '03-22'], [1886, '04-25'], [1900, '04-15'], [1913, '03-23'], [1943, '04-25'], [1954, '04-18'],
    [1961, '04-02'], [1981, '04-19'], [2000, '04-23'], [2008, '03-23'], [2011, '04-24'], [2019, '04-21'],
    [2024, '03-31'], [2025, '04-20'], [2026, '04-05'], [2027, '03-28'], [2038, '04-25'], [2049, '04-18'],
    [2050, '04-10'], [2099, '04-12'], [2100, '03-28'], [2160, '03-23'], [2199, '04-14'],
  ];
  for (const [year, monthDay] of known) {
    assert.equal(easterSunday(year), `${year}-${monthDay}`, String(year));
    assert.equal(holidayDate(year, 'Easter Sunday'), `${year}-${monthDay}`);
  }
});

test('Easter agrees with an independent algorithm for every year 1900–2199, and is always a Sunday 22 March–25 April', () => {
  for (let y = 1900; y <= 2199; y++) assert.equal(easterSunday(y), knuthEaster(y), String(y));
  fc.assert(
    fc.property(fc.integer({ min: 1583, max: 9999 }), (y) => {
      const easter = easterSunday(y);
      assert.equal(weekdayOf(easter), 0, easter);
      assert.ok(easter >= `${y}-03-22` && easter <= `${y}-04-25`, easter);
      assert.equal(easter, knuthEaster(y));
    }),
  );
});

test('the 2024 holidays, complete and in date order', () => {
  assert.deepEqual(finnishHolidays(2024), [
    { date: '2024-01-01', name: "New Year's Day (uudenvuodenpäivä)" },
    { date: '2024-01-06', name: 'Epiphany (loppiainen)' },
    { date: '2024-03-29', name: 'Good Friday (pitkäperjantai)' },
    { date: '2024-03-31', name: 'Easter Sunday (pääsiäispäivä)' },
    { date: '2024-04-01', name: 'Easter Monday (2. pääsiäispäivä)' },
    { date: '2024-05-01', name: 'May Day (vappu)' },
    { date: '2024-05-09', name: 'Ascension Day (helatorstai)' },
    { date: '2024-05-19', name: 'Whitsun (helluntaipäivä)' },
    { date: '2024-06-21', name: 'Midsummer Eve (juhannusaatto)' },
    { date: '2024-06-22', name: 'Midsummer Day (juhannuspäivä)' },
    { date: '2024-11-02', name: "All Saints' Day (pyhäinpäivä)" },
    { date: '2024-12-06', name: 'Independence Day (itsenäisyyspäivä)' },
    { date: '2024-12-24', name: 'Christmas Eve (jouluaatto)' },
    { date: '2024-12-25', name: 'Christmas Day (joulupäivä)' },
    { date: '2024-12-26', name: "St Stephen's Day (tapaninpäivä)" },
  ]);
  // 366 days − 104 Saturdays and Sundays − 10 weekday holidays (Epiphany was a Saturday).
  let working = 0;
  for (let d = '2024-01-01'; d <= '2024-12-31'; d = plusDays(d, 1)) if (isFinnishWorkingDay(d)) working++;
  assert.equal(working, 252);
});

test('known movable holidays: Midsummer Eve, Ascension Day, All Saints’ Day', () => {
  assert.equal(holidayDate(2025, 'Midsummer Eve'), '2025-06-20');
  assert.equal(holidayDate(2026, 'Midsummer Eve'), '2026-06-19');
  assert.equal(holidayDate(2026, 'Midsummer Day'), '2026-06-20');
  assert.equal(holidayDate(2025, 'Ascension Day'), '2025-05-29');
  assert.equal(holidayDate(2026, 'Ascension Day'), '2026-05-14');
  assert.equal(holidayDate(2025, "All Saints' Day"), '2025-11-01');
  assert.equal(holidayDate(2026, "All Saints' Day"), '2026-10-31');
  assert.equal(holidayDate(2026, 'Whitsun'), '2026-05-24');
  for (const d of ['2025-06-20', '2026-06-19', '2025-05-29', '2026-05-14', '2026-04-03', '2026-04-06', '2025-12-24', '2026-01-06'])
    assert.equal(isFinnishWorkingDay(d), false, d);
  for (const d of ['2026-04-02', '2026-04-07', '2025-12-31', '2026-06-18', '2026-06-22', '2026-01-07', '2026-12-31'])
    assert.equal(isFinnishWorkingDay(d), true, d);
});

test('every year 1900–2199: each holiday on its weekday and in its window, weekday holidays are not working days', () => {
  const windows: Record<string, [number, string, string]> = {
    'Good Friday': [5, '03-20', '04-23'],
    'Easter Monday': [1, '03-23', '04-26'],
    'Ascension Day': [4, '04-30', '06-03'],
    Whitsun: [0, '05-10', '06-13'],
    'Midsummer Eve': [5, '06-19', '06-25'],
    'Midsummer Day': [6, '06-20', '06-26'],
    "All Saints' Day": [6, '10-31', '11-06'],
  };
  for (let y = 1900; y <= 2199; y++) {
    const list = finnishHolidays(y);
    assert.equal(list.length, 15);
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.date <= list[i]!.date, `${y} in order`);
    for (const [name, [wd, from, to]] of Object.entries(windows)) {
      const date = holidayDate(y, name);
      assert.equal(weekdayOf(date), wd, `${name} ${date}`);
      assert.ok(date >= `${y}-${from}` && date <= `${y}-${to}`, `${name} ${date}`);
    }
    for (const md of ['01-01', '01-06', '05-01', '12-06', '12-24', '12-25', '12-26']) assert.equal(isFinnishWorkingDay(`${y}-${md}`), false, `${y}-${md}`);
    for (const h of list) assert.equal(isFinnishWorkingDay(h.date), false, h.date);
  }
});

test('Ascension Day on May Day (Easter on 23 March, 2008): both are listed, May Day first', () => {
  const mayFirst = finnishHolidays(2008).filter((h) => h.date === '2008-05-01').map((h) => h.name);
  assert.deepEqual(mayFirst, ['May Day (vappu)', 'Ascension Day (helatorstai)']);
  assert.equal(isFinnishWorkingDay('2008-05-01'), false);
  assert.equal(isFinnishWorkingDay('2008-05-02'), true);
});

test('the list a caller gets is a copy: changing it does not change the calendar', () => {
  const list = finnishHolidays(2026);
  list.length = 0;
  const first = finnishHolidays(2026)[0]!;
  first.date = '2026-01-02';
  assert.equal(finnishHolidays(2026)[0]!.date, '2026-01-01');
  assert.equal(isFinnishWorkingDay('2026-01-02'), true);
});

test('other events: two working days across weekends and holiday clusters (inclusive deadline day)', () => {
  const cases: [string, string, string][] = [
    ['2026-03-09', '2026-03-11', 'Monday → Wednesday'],
    ['2026-03-13', '2026-03-17', 'Friday → Tuesday'],
    ['2026-03-14', '2026-03-17', 'Saturday → Tuesday'],
    ['2026-03-15', '2026-03-17', 'Sunday → Tuesday'],
    ['2026-12-23', '2026-12-29', 'Christmas: 24–27 Dec not working days → Mon 28, Tue 29'],
    ['2026-12-24', '2026-12-29', 'on Christmas Eve itself'],
    ['2026-04-02', '2026-04-08', 'Easter: Good Friday 3rd and Easter Monday 6th → Tue 7, Wed 8'],
    ['2025-04-17', '2025-04-23', 'Easter 2025'],
    ['2025-12-30', '2026-01-02', 'New Year: Wed 31 Dec, (Thu 1 Jan), Fri 2 Jan'],
    ['2025-12-31', '2026-01-05', 'New Year then Epiphany: Fri 2, Mon 5'],
    ['2026-01-02', '2026-01-07', 'Epiphany Tuesday 6 Jan: Mon 5, Wed 7'],
    ['2026-06-18', '2026-06-23', 'Midsummer Eve Friday 19 June 2026'],
    ['2025-06-19', '2025-06-24', 'Midsummer Eve Friday 20 June 2025'],
    ['2026-05-13', '2026-05-18', 'Ascension Day Thursday 14 May 2026'],
    ['2026-04-30', '2026-05-05', 'May Day Friday 2026'],
    ['2027-12-03', '2027-12-08', 'Independence Day Monday 2027'],
    ['2026-01-30', '2026-02-03', 'month end'],
    ['2028-02-28', '2028-03-01', 'leap year: Tue 29 Feb is a working day'],
    ['2027-02-26', '2027-03-02', 'no 29 Feb in 2027'],
    ['2100-02-25', '2100-03-01', '2100 is not a leap year'],
    ['2026-12-31', '2027-01-05', 'year end: Fri 1 Jan 2027 a holiday'],
    ['2199-12-31', '2200-01-03', 'the last date of the register: the deadline falls in 2200'],
  ];
  for (const [event, deadline, why] of cases) {
    assert.equal(reportingDeadline('OtherEvent', event), deadline, why);
    assert.equal(isLate('OtherEvent', event, deadline), false, `on the deadline day: ${why}`);
    assert.equal(isLate('OtherEvent', event, plusDays(deadline, 1)), true, `the day after: ${why}`);
  }
});

test('new loans: the calendar day after the contract date, whatever day it is, inclusive', () => {
  const cases: [string, string][] = [
    ['2026-03-10', '2026-03-11'],
    ['2026-06-19', '2026-06-20'], // Midsummer Eve → Saturday: no extension
    ['2026-12-23', '2026-12-24'], // Christmas Eve
    ['2026-12-31', '2027-01-01'], // New Year's Day
    ['2026-01-31', '2026-02-01'],
    ['2028-02-28', '2028-02-29'],
    ['2028-02-29', '2028-03-01'],
    ['2027-02-28', '2027-03-01'],
    ['2000-02-28', '2000-02-29'],
    ['2100-02-28', '2100-03-01'],
  ];
  for (const [contract, deadline] of cases) assert.equal(reportingDeadline('NewLoan', contract), deadline, contract);
  assert.equal(isLate('NewLoan', '2026-03-10', '2026-03-10'), false, 'on the contract date');
  assert.equal(isLate('NewLoan', '2026-03-10', '2026-03-11'), false, 'the day after');
  assert.equal(isLate('NewLoan', '2026-03-10', '2026-03-12'), true, 'two days after');
  assert.equal(isLate('NewLoan', '2026-03-10', '2026-03-01'), false, 'received before the contract date');
  assert.equal(isLate('NewLoan', '2026-06-19', '2026-06-22'), true, 'a weekend does not extend it');
});

test('days late counts calendar days after the deadline, 0 when on time', () => {
  assert.equal(daysLate('2026-12-29', '2026-12-29'), 0);
  assert.equal(daysLate('2026-12-29', '2026-12-01'), 0);
  assert.equal(daysLate('2026-12-29', '2026-12-30'), 1);
  assert.equal(daysLate('2026-12-29', '2027-01-02'), 4);
  assert.equal(daysLate('2028-02-28', '2028-03-01'), 2);
  assert.equal(daysLate('2027-02-28', '2027-03-01'), 1);
  assert.equal(daysLate('2025-01-01', '2026-01-01'), 365);
  assert.equal(daysLate('2024-01-01', '2025-01-01'), 366);
});

test('addFinnishWorkingDays: n = 0 is the date itself or the next working day; n ≥ 1 counts strictly after the date', () => {
  assert.equal(addFinnishWorkingDays('2026-03-11', 0), '2026-03-11');
  assert.equal(addFinnishWorkingDays('2026-03-14', 0), '2026-03-16');
  assert.equal(addFinnishWorkingDays('2026-12-24', 0), '2026-12-28');
  assert.equal(addFinnishWorkingDays('2026-03-13', 1), '2026-03-16');
  assert.equal(addFinnishWorkingDays('2026-03-14', 1), '2026-03-16');
  // 2026: 365 days − 104 weekend days − 9 weekday holidays = 252 working days, all after 1 January.
  assert.equal(addFinnishWorkingDays('2026-01-01', 250), '2026-12-29');
  assert.equal(addFinnishWorkingDays('2026-01-01', 252), '2026-12-31');
  assert.equal(addFinnishWorkingDays('2026-01-01', 253), '2027-01-04');
  const inRange = fc.integer({ min: Date.UTC(1900, 0, 1) / DAY_MS, max: Date.UTC(2199, 11, 31) / DAY_MS }).map((d) => iso(d * DAY_MS));
  fc.assert(
    fc.property(inRange, fc.integer({ min: 0, max: 30 }), (date, n) => {
      const result = addFinnishWorkingDays(date, n);
      assert.equal(isFinnishWorkingDay(result), true, result);
      let counted = 0;
      for (let d = plusDays(date, 1); d <= result; d = plusDays(d, 1)) if (isFinnishWorkingDay(d)) counted++;
      if (n === 0) {
        assert.ok(result >= date);
        assert.equal(counted, result === date ? 0 : 1, 'n = 0: no working day skipped');
      } else {
        assert.ok(result > date);
        assert.equal(counted, n, `${date} + ${n}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('invalid dates, years, counts and kinds throw a RangeError', () => {
  const bad = ['2026-02-29', '2100-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '2026-01-32', '26-01-01', '2026-1-1',
    '2026-01-01T00:00:00Z', ' 2026-01-01', '', '1582-12-31', '+02026-01-01', '2026/01/01'];
  for (const date of bad) {
    assert.throws(() => isFinnishWorkingDay(date), RangeError, date);
    assert.throws(() => reportingDeadline('NewLoan', date), RangeError, date);
    assert.throws(() => reportingDeadline('OtherEvent', date), RangeError, date);
    assert.throws(() => daysLate(date, '2026-01-01'), RangeError, date);
    assert.throws(() => daysLate('2026-01-01', date), RangeError, date);
    assert.throws(() => isLate('OtherEvent', '2026-01-01', date), RangeError, date);
  }
  assert.throws(() => isFinnishWorkingDay(undefined as unknown as string), RangeError);
  assert.throws(() => isFinnishWorkingDay(20260101 as unknown as string), RangeError);
  for (const year of [1582, 10000, 2026.5, Number.NaN]) {
    assert.throws(() => finnishHolidays(year), RangeError, String(year));
    assert.throws(() => easterSunday(year), RangeError, String(year));
  }
  for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => addFinnishWorkingDays('2026-01-01', n), RangeError, String(n));
  assert.throws(() => reportingDeadline('Payment' as 'NewLoan', '2026-01-01'), RangeError);
  assert.throws(() => addFinnishWorkingDays('9999-12-31', 1), RangeError, 'past the calendar');
  assert.throws(() => reportingDeadline('NewLoan', '9999-12-31'), RangeError, 'past the calendar');
  assert.equal(addFinnishWorkingDays('9999-12-31', 0), '9999-12-31', 'a Friday, not a holiday');
});

test('the answers do not depend on the process time zone', () => {
  const sample = () => [
    reportingDeadline('OtherEvent', '2026-12-23'), reportingDeadline('NewLoan', '2026-03-28'), isFinnishWorkingDay('2026-10-25'),
    daysLate('2026-03-28', '2026-03-30'), finnishHolidays(2026).map((h) => h.date).join(),
  ];
  const saved = process.env.TZ;
  try {
    process.env.TZ = 'UTC';
    const expected = sample();
    for (const tz of ['Europe/Helsinki', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/Los_Angeles']) {
      process.env.TZ = tz;
      assert.deepEqual(sample(), expected, tz);
    }
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});
