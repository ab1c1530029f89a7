/** GetCreditRegisterExtract over mutual TLS: permissions, the whole content, and the disclosure log. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { organisationRef, type OrganisationRef } from '../../src/access/organisations.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { uuidV7Time } from '../../src/common/uuid.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import { incomeWindow } from '../../src/extract/content.ts';
import { storeIncome, validateIncome } from '../../src/extract/income.ts';
import { endLapsedBans } from '../../src/bans/store.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { leasingContract, lumpSumLoan, report, runningAccountLoan, testPerson, type Json } from '../helpers/reports.ts';

let reg: TestRegister;
let bank: { ref: OrganisationRef; client: HttpsJsonClient };
let bankData: HttpsJsonClient;
before(async () => {
  reg = await startTestRegister();
  bank = await reg.lender();
  bankData = await reg.client(bank.ref, 'data-use');
});
after(() => reg.close());

type Extract = {
  extractReference: string;
  creationTimeUtc: string;
  creditInformationSummary: { lendersCount: number; loanContractsCount: number; guaranteedLoanContractsCount: number; repaymentsPaidLastAmount: { currencyCode: string; sum: number }[]; sumOfMonthlyLeasingInstalments: { currencyCode: string; sum: number }[] };
  loans: Json[];
  guaranteedLoans: Json[];
  incomeData: Json[];
  voluntaryBanOnCredits?: Json;
  deceasedPerson?: Json;
  personRequested: Json;
  lenderReference?: string;
};

async function extract(client: HttpsJsonClient, owner: OrganisationRef, person: string, purposes: string[] = ['NewConsumerCredit'], lenderReference?: string) {
  return client.post<{ creditRegisterExtract: Extract; errorResponses?: { errorCode: string }[] }>('/GetCreditRegisterExtract', {
    targetEnvironment: 'Test',
    owner: ownerOf(owner),
    request: { idCodeType: 'PersonalIdentityCode', idCode: person, creditRegisterExtractPurpose: purposes, ...(lenderReference ? { lenderReference } : {}) },
  });
}

const CONSUMER = ['NewConsumerCredit', 'IncreaseOfConsumerCreditPrincipalOrCreditLimit', 'ChangesToTermsOfConsumerCredit', 'GuaranteeOrThirdPartyPledgeForConsumerCredit'];
const BUSINESS = ['NewLoan', 'IncreaseOfLoanPrincipalOrCreditLimit', 'ChangesToTerms', 'GuaranteeOrThirdPartyPledge'];

test('the purpose/permission matrix: each of the eight purposes against consumer, business and both permissions', async () => {
  const person = testPerson();
  for (const classes of [['consumer'], ['business'], ['consumer', 'business']]) {
    const ref = await reg.organisation({ permissions: [{ permission: 'extract', purposes: classes }] });
    const client = await reg.client(ref, 'data-use');
    for (const purpose of [...CONSUMER, ...BUSINESS]) {
      const needed = CONSUMER.includes(purpose) ? 'consumer' : 'business';
      const res = await extract(client, ref, person, [purpose]);
      if (classes.includes(needed)) assert.equal(res.status, 200, `${classes} ${purpose}: ${res.text}`);
      else {
        assert.equal(res.status, 403, `${classes} ${purpose}`);
        assert.equal(res.body.errorResponses![0]!.errorCode, 'A22');
      }
    }
  }
});

test('refusals: no extract permission (A22), a reporting certificate (A24), no certificate (A23), another owner (A21), a bad identity code (D04), no purpose (A10)', async () => {
  const person = testPerson();
  const noPermission = await reg.organisation({ permissions: [{ permission: 'reporting' }] });
  const c1 = await reg.client(noPermission, 'data-use');
  assert.equal((await extract(c1, noPermission, person)).body.errorResponses![0]!.errorCode, 'A22');
  assert.equal((await extract(bank.client, bank.ref, person)).body.errorResponses![0]!.errorCode, 'A24');
  const anon = await extract(reg.anonymous(), bank.ref, person);
  assert.equal(anon.status, 401);
  const other = await reg.lender();
  assert.equal((await extract(bankData, other.ref, person)).body.errorResponses![0]!.errorCode, 'A21');
  const bad = await extract(bankData, bank.ref, '010190-923F');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errorResponses![0]!.errorCode, 'D04');
  const real = await extract(bankData, bank.ref, '131052-308T');
  assert.equal(real.body.errorResponses![0]!.errorCode, 'D04', 'a real code in the Test environment');
  const none = await extract(bankData, bank.ref, person, []);
  assert.equal(none.body.errorResponses![0]!.errorCode, 'A10');
  const { rows } = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM extracts WHERE person = $1', [person]);
  assert.equal(rows[0]!.n, 0, 'a refused request logs no extract');
});

test('the whole content: loans of every lender in two currencies, guarantees, ended and cancelled loans absent, income, ban, death', async () => {
  const p = testPerson();
  const me = { idCodeType: 'PersonalIdentityCode', idCode: p };
  const other = await reg.lender();
  const eur = lumpSumLoan({ borrowers: [me] });
  const sek = lumpSumLoan({ borrowers: [me], currencyCode: 'SEK' });
  const lease = leasingContract({ borrowers: [me] });
  const ended = lumpSumLoan({ borrowers: [me] });
  const cancelled = lumpSumLoan({ borrowers: [me] });
  const theirs = runningAccountLoan({ borrowers: [me, { idCodeType: 'PersonalIdentityCode', idCode: testPerson() }], borrowersCount: 2 });
  const guaranteed = lumpSumLoan({ guarantors: [me] });
  assert.equal((await report(bank.client, bank.ref, 'AddLoans', [eur, sek, lease, ended, cancelled, guaranteed])).batchStatus, 'FinishedSuccess');
  assert.equal((await report(other.client, other.ref, 'AddLoans', [theirs])).batchStatus, 'FinishedSuccess');
  await report(bank.client, bank.ref, 'TerminateLoans', [{ reportReference: 't', loanNumber: ended.loanNumber, termination: { endDate: '2026-01-01' } }]);
  await report(bank.client, bank.ref, 'UpdateLoans', [{ ...cancelled, reportType: 'Cancellation' }]);
  const pay = (loan: Json, block: Json, blockName = 'lumpSumLoanRepayment') => ({ reportReference: `p-${(loan.loanNumber as Json).number}-${block.paymentDate}`, loanNumber: loan.loanNumber, loanType: loan.loanType, [blockName]: block });
  const paid = await report(bank.client, bank.ref, 'Repayments', [
    pay(eur, { paymentDate: '2025-10-01', balance: 8000, amortizationPaid: 100.1, interestPaid: 20.2, otherExpenses: 0.3 }),
    pay(eur, { paymentDate: '2025-11-01', balance: 7900, amortizationPaid: 100.1, interestPaid: 19.9, otherExpenses: 0.35 }),
    pay(sek, { paymentDate: '2025-11-01', balance: 1000, amortizationPaid: 1000, interestPaid: 50 }),
    pay(lease, { paymentDate: '2025-11-01', amountPaid: 310 }, 'leasingRepayment'),
  ]);
  assert.equal(paid.batchStatus, 'FinishedSuccess', JSON.stringify(paid.rejectedReports));
  const w = incomeWindow(finnishDate());
  const monthOf = (index: number) => ({ year: Math.floor(index / 12), month: (index % 12) + 1 });
  const rows = [w.first - 1, w.first, w.first + 5, w.last].map((i) => validateIncome({ idCode: p, ...monthOf(i), wagesGrossAmount: 3500, wagesNetAmount: 2600, benefitsGrossAmount: 100, benefitsNetAmount: 80, accuracyDenied: i === w.last }, 'Test', finnishDate()).row!);
  await storeIncome(reg.register.db, rows, 'test');
  assert.equal((await reg.cli(['ban', 'set', '--id-code', p, '--reason', 'ControlOfPersonalFinances', '--start-date', '2026-01-01'])).exitCode, 0);
  assert.equal((await reg.cli(['person', 'deceased', '--id-code', p, '--date', '2026-11-01'])).exitCode, 0);

  const res = await extract(bankData, bank.ref, p, ['NewConsumerCredit', 'NewLoan'], 'application-8812');
  assert.equal(res.status, 200, res.text);
  const x = res.body.creditRegisterExtract;
  assert.deepEqual(x.personRequested, me);
  assert.equal(x.lenderReference, 'application-8812');
  assert.deepEqual(x.creditInformationSummary, {
    lendersCount: 2,
    loanContractsCount: 4,
    guaranteedLoanContractsCount: 1,
    repaymentsPaidLastAmount: [{ currencyCode: 'EUR', sum: 430.35 }, { currencyCode: 'SEK', sum: 1050 }],
    sumOfMonthlyLeasingInstalments: [{ currencyCode: 'EUR', sum: 310 }],
  });
  assert.equal(x.loans.length, 4);
  const eurShown = x.loans.find((l) => l.currencyCode === 'EUR' && l.loanType === 'LumpSumLoan')!;
  assert.deepEqual(eurShown.repaymentsPaidLast, { paymentDate: '2025-11-01', amortizationPaid: 100.1, interestPaid: 19.9, otherExpenses: 0.35 });
  assert.equal((eurShown.lumpSumLoan as Json).balance, 7900);
  assert.deepEqual(Object.keys(eurShown.lumpSumLoan as Json).sort(), ['amortizationFrequency', 'amountIssued', 'amountPaid', 'balance', 'plannedFinalDueDate', 'purposeOfUse', 'repaymentMethod']);
  const ra = x.loans.find((l) => l.loanType === 'RunningAccountLoan')!;
  assert.equal(ra.borrowersCount, 2);
  assert.equal(x.guaranteedLoans.length, 1);
  assert.deepEqual(x.incomeData.map((m) => [m.year, m.month]), [w.first, w.first + 5, w.last].map((i) => [monthOf(i).year, monthOf(i).month]));
  assert.equal(x.incomeData[2]!.accuracyDenied, true);
  assert.deepEqual(x.voluntaryBanOnCredits, { isInEffect: true, reason: 'ControlOfPersonalFinances', startDate: '2026-01-01', endDate: null });
  assert.deepEqual(x.deceasedPerson, { dateOfDeath: '2026-11-01' });
  for (const l of [...x.loans, ...x.guaranteedLoans]) {
    assert.equal('loanNumber' in l, false, 'the lender and its loan number are not shown');
    assert.equal(l.delayedAmounts !== undefined && l.isForeclosed !== undefined, true);
  }
});

test('the log holds exactly what was disclosed, who received it, when, for which purposes', async () => {
  const p = testPerson();
  await report(bank.client, bank.ref, 'AddLoans', [lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: p }] })]);
  // A reference with the characters that need quoting in SQL arrays and JSON.
  const lenderReference = 'case "77", {a\\b} NULL';
  const res = await extract(bankData, bank.ref, p, ['ChangesToTermsOfConsumerCredit', 'NewConsumerCredit'], lenderReference);
  const disclosed = JSON.stringify(JSON.parse(res.text).creditRegisterExtract);
  const start = res.text.indexOf('"creditRegisterExtract":') + '"creditRegisterExtract":'.length;
  const sentText = res.text.slice(start, -1);
  const { rows } = await reg.register.db.query<{ content: string; purposes: string[]; lenderReference: string; businessId: string; createdAt: Date; ref: string }>(
    `SELECT e.content, e.purposes, e.lender_reference AS "lenderReference", o.id_code AS "businessId", e.created_at AS "createdAt", e.extract_reference::text AS ref
     FROM extracts e JOIN organisations o ON o.id = e.organisation_id WHERE e.person = $1`, [p]);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.content, sentText, 'the logged text is the text sent, byte for byte');
  assert.equal(JSON.stringify(JSON.parse(rows[0]!.content)), disclosed);
  assert.deepEqual(rows[0]!.purposes, ['ChangesToTermsOfConsumerCredit', 'NewConsumerCredit']);
  assert.equal(rows[0]!.lenderReference, lenderReference);
  assert.equal(rows[0]!.businessId, bank.ref.idCode);
  assert.equal(rows[0]!.ref, res.body.creditRegisterExtract.extractReference);
  // A version 7 UUID made at the extract's creation time (the log's key grows at its right edge).
  assert.equal(uuidV7Time(rows[0]!.ref), rows[0]!.createdAt.getTime());
  assert.equal(new Date(uuidV7Time(rows[0]!.ref)).toISOString(), res.body.creditRegisterExtract.creationTimeUtc);
});

test('two concurrent extracts are both logged; the person gets one notification a day', async () => {
  const p = testPerson();
  const results = await Promise.all([extract(bankData, bank.ref, p), extract(bankData, bank.ref, p), extract(bankData, bank.ref, p, ['NewLoan'])]);
  assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
  const refs = new Set(results.map((r) => r.body.creditRegisterExtract.extractReference));
  assert.equal(refs.size, 3);
  const { rows } = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM extracts WHERE person = $1', [p]);
  assert.equal(rows[0]!.n, 3);
  const outbox = await reg.register.db.query<{ notifyOn: string; count: number }>('SELECT notify_on AS "notifyOn", extract_count AS count FROM notification_outbox WHERE person = $1', [p]);
  assert.equal(outbox.rows.length, 1);
  assert.equal(outbox.rows[0]!.count, 3);
  assert.ok(outbox.rows[0]!.notifyOn > finnishDate(), 'sent the day after');
});

test('a person who switched notifications off gets none, but every extract is still logged; switched on again, notified', async () => {
  const p = testPerson();
  assert.equal((await reg.cli(['person', 'notifications', '--id-code', p, '--off'])).exitCode, 0);
  assert.equal((await extract(bankData, bank.ref, p)).status, 200);
  const count = async (table: string) => (await reg.register.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE person = $1`, [p])).rows[0]!.n;
  assert.equal(await count('extracts'), 1);
  assert.equal(await count('notification_outbox'), 0);
  assert.equal((await reg.cli(['person', 'notifications', '--id-code', p, '--on'])).exitCode, 0);
  assert.equal((await extract(bankData, bank.ref, p)).status, 200);
  assert.equal(await count('extracts'), 2);
  assert.equal(await count('notification_outbox'), 1);
  assert.equal((await reg.cli(['person', 'notifications', '--id-code', p])).exitCode, 2, 'neither --on nor --off');
});

test('a person with no loans gets a valid, empty extract, and it is logged', async () => {
  const p = testPerson();
  const res = await extract(bankData, bank.ref, p);
  assert.equal(res.status, 200);
  const x = res.body.creditRegisterExtract;
  assert.deepEqual(x.creditInformationSummary, { lendersCount: 0, loanContractsCount: 0, guaranteedLoanContractsCount: 0, repaymentsPaidLastAmount: [], sumOfMonthlyLeasingInstalments: [] });
  assert.deepEqual([x.loans, x.guaranteedLoans, x.incomeData], [[], [], []]);
});

test('a fixed-term ban ends by itself; a removed ban is gone', async () => {
  const p = testPerson();
  const today = finnishDate();
  // A ban whose end date has passed would have ended already: refused, nothing stored.
  const ended = await reg.cli(['ban', 'set', '--id-code', p, '--reason', 'Other', '--start-date', '2025-01-01', '--end-date', '2025-12-31']);
  assert.equal(ended.exitCode, 2);
  assert.match(ended.stderr, /has passed/);
  assert.equal((await reg.cli(['ban', 'set', '--id-code', p, '--reason', 'Other', '--end-date', today])).exitCode, 0);
  assert.equal((await extract(bankData, bank.ref, p)).body.creditRegisterExtract.voluntaryBanOnCredits!.reason, 'Other', 'in force on its last day');
  // The day after its end date the register ends it (the background job's step, with that day as today).
  const tomorrow = new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  assert.ok((await endLapsedBans(reg.register.db, tomorrow)) >= 1);
  assert.equal('voluntaryBanOnCredits' in (await extract(bankData, bank.ref, p)).body.creditRegisterExtract, false);
  assert.equal((await reg.cli(['ban', 'set', '--id-code', p, '--reason', 'RiskOfIdentityTheft'])).exitCode, 0);
  assert.equal((await extract(bankData, bank.ref, p)).body.creditRegisterExtract.voluntaryBanOnCredits!.reason, 'RiskOfIdentityTheft');
  assert.equal((await reg.cli(['ban', 'remove', '--id-code', p])).exitCode, 0);
  assert.equal('voluntaryBanOnCredits' in (await extract(bankData, bank.ref, p)).body.creditRegisterExtract, false);
  const { rows } = await reg.register.db.query<{ change: string }>('SELECT change FROM voluntary_ban_changes WHERE person = $1 ORDER BY id', [p]);
  assert.deepEqual(rows.map((r) => r.change), ['Set', 'Ended', 'Set', 'Removed']);
  const bad = await reg.cli(['ban', 'set', '--id-code', p, '--reason', 'Boredom']);
  assert.equal(bad.exitCode, 2);
  const backwards = await reg.cli(['ban', 'set', '--id-code', p, '--reason', 'Other', '--start-date', '2026-02-01', '--end-date', '2026-01-01']);
  assert.equal(backwards.exitCode, 2);
});

test('billing lists extracts per lender for a month, as CSV and JSON', async () => {
  const small = await reg.organisation({ name: 'Small, "Quoted" Lender', permissions: [{ permission: 'extract', purposes: ['consumer'] }] });
  const smallClient = await reg.client(small, 'data-use');
  await extract(smallClient, small, testPerson());
  await extract(smallClient, small, testPerson());
  const month = finnishDate().slice(0, 7);
  const json = await reg.cli(['billing', '--month', month, '--json']);
  assert.equal(json.exitCode, 0, json.stderr);
  const lenders = (JSON.parse(json.stdout) as { lenders: { businessId: string; extracts: number }[] }).lenders;
  assert.equal(lenders.find((l) => l.businessId === small.idCode)!.extracts, 2);
  const csv = await reg.cli(['billing', '--month', month]);
  assert.match(csv.stdout, /^month,businessId,name,extracts\n/);
  assert.ok(csv.stdout.includes(`${month},${small.idCode},"Small, ""Quoted"" Lender",2`), csv.stdout);
  const empty = await reg.cli(['billing', '--month', '2001-01', '--json']);
  assert.deepEqual(JSON.parse(empty.stdout).lenders, []);
  assert.equal((await reg.cli(['billing', '--month', '2026-13'])).exitCode, 2);
});

test('the income feed API: income-feed permission, accepted and rejected months, a later month replaces the earlier', async () => {
  const kelaRef = organisationRef('BusinessId', '0246246-0');
  await reg.organisation({ businessId: '0246246-0', name: 'Kela', roles: ['lender', 'income-source'], permissions: [{ permission: 'income-feed' }] }).catch(() => undefined);
  const kela = await reg.client(kelaRef, 'reporting');
  const p = testPerson();
  const w = incomeWindow(finnishDate());
  const y = Math.floor(w.last / 12);
  const m = (w.last % 12) + 1;
  const body = (wages: number) => ({ targetEnvironment: 'Test', owner: ownerOf(kelaRef), incomeMonths: [
    { idCode: p, year: y, month: m, wagesGrossAmount: wages, wagesNetAmount: 1, benefitsGrossAmount: 0, benefitsNetAmount: 0 },
    { idCode: 'bad', year: y, month: m },
    { idCode: p, year: y, month: 13 },
    { idCode: p, year: y, month: m, wagesGrossAmount: -1 },
  ] });
  const res = await kela.post<{ acceptedCount: number; rejectedCount: number; rejected: { index: number; errorResponses: { errorCode: string }[] }[] }>('/IncomeFeed', body(1000));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.acceptedCount, 1);
  assert.deepEqual(res.body.rejected.map((r) => [r.index, r.errorResponses[0]!.errorCode]), [[1, 'D04'], [2, 'D26'], [3, 'D17']]);
  await kela.post('/IncomeFeed', body(2000));
  const x = (await extract(bankData, bank.ref, p)).body.creditRegisterExtract;
  assert.deepEqual(x.incomeData.map((i) => i.wagesGrossAmount), [2000]);
  const noPermission = await reg.client(bank.ref, 'reporting');
  const refused = await noPermission.post<{ errorResponses: { errorCode: string }[] }>('/IncomeFeed', { ...body(1), owner: ownerOf(bank.ref) });
  assert.equal(refused.body.errorResponses[0]!.errorCode, 'A22');
});

test('extracts of many concurrent requests share transactions, and each is logged exactly as sent', async () => {
  const persons = Array.from({ length: 8 }, () => testPerson());
  // References with what a text disclosed escapes (quotes, backslashes, tabs): the log keeps
  // them exactly. (The separator of the log statement's texts, U+0001, is refused at the door.)
  const reference = (i: number) => `group-${i}"\\\t${i}`;
  const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => extract(bankData, bank.ref, persons[i % 8]!, ['NewConsumerCredit'], reference(i))));
  assert.ok(responses.every((r) => r.status === 200));
  const { rows } = await reg.register.db.query<{ ref: string; content: string; lenderReference: string }>(
    'SELECT extract_reference::text AS ref, content, lender_reference AS "lenderReference" FROM extracts WHERE person = ANY($1::text[])', [persons]);
  assert.equal(rows.length, 40);
  const logged = new Map(rows.map((r) => [r.ref, r]));
  for (const [i, res] of responses.entries()) {
    const x = res.body.creditRegisterExtract;
    const row = logged.get(x.extractReference)!;
    assert.equal(row.lenderReference, reference(i));
    assert.equal(x.lenderReference, reference(i));
    assert.equal(res.text.slice(res.text.indexOf('"creditRegisterExtract":') + 24, -1), row.content);
  }
  const outbox = await reg.register.db.query<{ n: number }>('SELECT sum(extract_count)::int AS n FROM notification_outbox WHERE person = ANY($1::text[])', [persons]);
  assert.equal(outbox.rows[0]!.n, 40);
});

test('an operator date outside 1900–2199 (year 0000 included) is bad input: exit 2, one line, nothing stored', async () => {
  const p = testPerson();
  for (const argv of [
    ['ban', 'set', '--id-code', p, '--reason', 'Other', '--start-date', '0000-01-01'],
    ['ban', 'set', '--id-code', p, '--reason', 'Other', '--start-date', '2026-01-01', '--end-date', '9999-12-31'],
    ['person', 'deceased', '--id-code', p, '--date', '1899-12-31'],
  ]) {
    const r = await reg.cli(argv);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /^pcr: .*1900–2199.*\n$/);
  }
  const { rows } = await reg.register.db.query<{ n: number }>(
    'SELECT (SELECT count(*) FROM voluntary_bans WHERE person = $1) + (SELECT count(*) FROM persons WHERE person = $1) AS n', [p.toUpperCase()]);
  assert.equal(Number(rows[0]!.n), 0);
});
