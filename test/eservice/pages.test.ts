/**
 * The e-service's pages beyond login (issue 12): Loans in detail (interest, repayment plan,
 * delays, deferments, "No data reported"), Guarantees, Income, Who has asked with the
 * authorities' deliveries and the ban's deliveries to companies (each list paged), the
 * Notifications switch (recorded as done by the person), the accessibility statement, the ban
 * form's errors in Finnish; and that every page shows the session's person's data only, whatever
 * identifier a request carries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { finnishDate } from '../../src/common/dates.ts';
import { incomeWindow } from '../../src/extract/content.ts';
import { storeIncome, validateIncome } from '../../src/extract/income.ts';
import { findPerson } from '../../src/extract/persons.ts';
import { feedMarkPassed } from '../helpers/bans.ts';
import { deliveriesSettled } from '../helpers/deliveries.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { leasingContract, lumpSumLoan, report, runningAccountLoan, testPerson, type Json } from '../helpers/reports.ts';
import { actionOf, WebClient } from '../helpers/web.ts';

let reg: TestRegister;
let base: string;
const anna = testPerson(); // borrower of two loans, guarantor of one, with income
const ben = testPerson(); // borrower of the guaranteed loan
const borrower = (idCode: string) => ({ idCodeType: 'PersonalIdentityCode', idCode });
const clients: WebClient[] = [];
const today = finnishDate();
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

async function loggedIn(code: string, language = 'en'): Promise<WebClient> {
  const web = new WebClient(reg.register.ca.certPem, language);
  clients.push(web);
  const welcome = await web.get(`${base}/`);
  const idp = await web.submit(welcome, '/login');
  const landed = await web.submit(idp, actionOf(idp.body, '/idp-login/'), { personalIdentityCode: code });
  assert.equal(landed.status, 200, landed.body.slice(0, 300));
  return web;
}
const csrfOf = (body: string) => /name="csrfToken" value="([^"]+)"/.exec(body)![1]!;

let bankName: string;
let financeName: string;

before(async () => {
  reg = await startTestRegister();
  base = reg.server.web!.url;
  const bank = await reg.lender();
  const finance = await reg.lender();
  bankName = (await reg.register.db.query<{ name: string }>('SELECT name FROM organisations WHERE id_code = $1', [bank.ref.idCode])).rows[0]!.name;
  financeName = (await reg.register.db.query<{ name: string }>('SELECT name FROM organisations WHERE id_code = $1', [finance.ref.idCode])).rows[0]!.name;
  const ok = async (l: typeof bank, op: Parameters<typeof report>[2], reports: Json[]) => {
    const s = await report(l.client, l.ref, op, reports);
    assert.equal(s.batchStatus, 'FinishedSuccess', JSON.stringify(s.rejectedReports));
  };
  const housing = lumpSumLoan({
    borrowers: [borrower(anna)],
    interest: { totalInterestRatePct: 4.25, marginPct: 0.6, interestType: 'Euribor', interestDeterminationPeriod: 12 },
    defermentPeriods: [{ startDate: addDays(today, 10), endDate: addDays(today, 100) }],
    lumpSumLoan: { amountIssued: 150000, amountPaid: 150000, balance: 123456.78, amortizationFrequency: 1, repaymentMethod: 'FixedSizeAmortizations', plannedFinalDueDate: '2045-06-30', purposeOfUse: 'HomeLoan' },
  });
  await ok(bank, 'AddLoans', [housing]);
  await ok(bank, 'DelayedRepayments', [{ reportReference: 'd1', loanNumber: housing.loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 812.4, originalDueDate: addDays(today, -75) }] }]);
  // A credit whose lender left the balance out.
  await ok(finance, 'AddLoans', [runningAccountLoan({ borrowers: [borrower(anna)], runningAccountLoan: { creditLimit: 3000 } })]);
  // Ben's loan, which Anna guarantees: two debtors.
  await ok(finance, 'AddLoans', [lumpSumLoan({ borrowersCount: 2, borrowers: [borrower(ben)], guarantors: [{ idCodeType: 'PersonalIdentityCode', idCode: anna }], lumpSumLoan: { amountIssued: 20000, amountPaid: 20000, balance: 15000, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2030-01-01', purposeOfUse: 'LoanForVehicleOrCraft' } })]);
  const w = incomeWindow(today);
  const monthOf = (index: number) => ({ year: Math.floor(index / 12), month: (index % 12) + 1 });
  const rows = [w.first - 1, w.first, w.last].map((i) => validateIncome({ idCode: anna, ...monthOf(i), wagesGrossAmount: 4200.5, wagesNetAmount: 3100, benefitsGrossAmount: 0, benefitsNetAmount: 0, accuracyDenied: i === w.last }, 'Test', today).row!);
  await storeIncome(reg.register.db, rows, 'test');
});
after(async () => {
  for (const c of clients) c.close();
  await reg.close();
});

test('Loans: grouped by type in words; each loan with its lender, amounts, balance, interest, repayment plan, delays and deferments; "No data reported" where the lender left a value out; the total per currency exact', async () => {
  const web = await loggedIn(anna);
  const page = await web.get(`${base}/loans`);
  assert.equal(page.status, 200);
  const b = page.body;
  assert.match(b, /<h2>Lump-sum loan<\/h2>/);
  assert.match(b, /<h2>Running account credit<\/h2>/);
  assert.ok(b.includes(`<h3>${bankName}</h3>`) && b.includes(`<h3>${financeName}</h3>`), 'each loan under its lender\'s name');
  assert.match(b, /<dt>Amount issued<\/dt><dd>150,000\.00 EUR<\/dd>/);
  assert.match(b, /<dt>Outstanding balance<\/dt><dd>123,456\.78 EUR<\/dd>/);
  assert.match(b, /<dt>Interest<\/dt><dd>4\.25 %, Euribor<\/dd>/);
  assert.match(b, /<dt>Repayment method<\/dt><dd>Fixed-size amortisations<\/dd>/);
  assert.match(b, /<dt>Final due date<\/dt><dd>30 June 2045<\/dd>/);
  assert.match(b, /<dt>Payment delays<\/dt><dd>812\.40 EUR \(oldest due /);
  const [y, , d] = addDays(today, 10).split('-').map(Number);
  assert.ok(b.includes(`<dt>Repayment holidays</dt><dd>${d} `) && b.includes(`${y}–`), 'the deferment period');
  assert.match(b, /<dt>Credit limit<\/dt><dd>3,000\.00 EUR<\/dd>/);
  assert.match(b, /<dt>Outstanding balance<\/dt><dd><span class="not-reported">No data reported<\/span><\/dd>/, 'the balance the finance company left out');
  assert.match(b, /<th scope="row">EUR<\/th><td class="amount">123,456\.78<\/td>/, 'the total counts only reported balances');
  assert.doesNotMatch(b, /15,000\.00/, 'the guaranteed loan is not Anna\'s loan');
  assert.doesNotMatch(b, /m=/);

  const fi = await loggedIn(anna, 'fi');
  const fiPage = await fi.get(`${base}/loans`);
  assert.match(fiPage.body, /<html lang="fi">/);
  assert.match(fiPage.body, /<h2>Kertaluotto<\/h2>/);
  assert.match(fiPage.body, /123\u00a0456,78 EUR/);
  assert.match(fiPage.body, /Tietoa ei ilmoitettu/);
  assert.match(fiPage.body, /<dd>30\.6\.2045<\/dd>/);
});

test('Loans: a total per currency, each of the exact sums of its loans\' balances; a leasing contract with its instalment and end, and no balance', async () => {
  const person = testPerson();
  const lender = await reg.lender();
  const lump = (balance: number, currencyCode: string) => lumpSumLoan({ borrowers: [borrower(person)], currencyCode, lumpSumLoan: { amountIssued: 9000, amountPaid: 9000, balance, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2032-01-01', purposeOfUse: 'OtherConsumerCredit' } });
  // 0.10 + 0.20 is not 0.30 in binary floating point: the total must be.
  const added = await report(lender.client, lender.ref, 'AddLoans', [lump(1000.1, 'EUR'), lump(2000.2, 'EUR'), lump(5000.5, 'SEK'), leasingContract({ borrowers: [borrower(person)] })]);
  assert.equal(added.batchStatus, 'FinishedSuccess', JSON.stringify(added.rejectedReports));
  const web = await loggedIn(person);
  const b = (await web.get(`${base}/loans`)).body;
  const total = b.slice(b.indexOf('<h2 id="total">'));
  assert.deepEqual([...total.matchAll(/<th scope="row">([A-Z]{3})<\/th><td class="amount">([^<]+)<\/td>/g)].map((m) => [m[1], m[2]]), [['EUR', '3,000.30'], ['SEK', '5,000.50']]);
  assert.match(b, /<h2>Leasing contract<\/h2>/);
  const leasing = b.slice(b.indexOf('<h2>Leasing contract</h2>'));
  assert.match(leasing, /<dt>Monthly instalment<\/dt><dd>310\.00 EUR<\/dd>/);
  assert.match(leasing, /1 March 2028/);
  assert.doesNotMatch(leasing.slice(0, leasing.indexOf('</article>')), /Outstanding balance/);
});

test('Guarantees: the loans the person guarantees, with lender, debtor count and balance; the borrower sees none', async () => {
  const page = await (await loggedIn(anna)).get(`${base}/guarantees`);
  assert.equal(page.status, 200);
  assert.match(page.body, /<h1>Guarantees<\/h1>/);
  const row = new RegExp(`<tr><td>${financeName}</td><td>Lump-sum loan</td><td>[^<]+</td><td>2</td><td class="amount">15,000\\.00 EUR</td></tr>`);
  assert.match(page.body, row);
  assert.equal((page.body.match(/<tr><td>/g) ?? []).length, 1);
  const bens = await (await loggedIn(ben)).get(`${base}/guarantees`);
  assert.match(bens.body, /No guarantees have been reported about you\./);
});

test('Income: the months of the last twelve full months the register holds, oldest first, as an extract shows them; a disputed month says so; an older month is not shown', async () => {
  const page = await (await loggedIn(anna)).get(`${base}/income`);
  assert.equal(page.status, 200);
  const months = [...page.body.matchAll(/<tr><th scope="row">([^<]+)<\/th>/g)].map((x) => x[1]);
  const w = incomeWindow(today);
  const name = (i: number) => `${['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'][i % 12]} ${Math.floor(i / 12)}`;
  assert.deepEqual(months, [name(w.first), name(w.last)]);
  assert.match(page.body, /4,200\.50 EUR/);
  assert.equal((page.body.match(/The accuracy of the data is disputed/g) ?? []).length, 1);
  const bens = await (await loggedIn(ben)).get(`${base}/income`);
  assert.match(bens.body, /The register holds no income data about you/);
});

test('Who has asked: extracts, authorities\' deliveries (authority, legal basis, case reference) and the ban\'s deliveries to companies, each its own list newest first; another person\'s cursor shows nothing of theirs', async () => {
  const person = testPerson();
  const lender = await reg.lender('data-use');
  const extract = await lender.client.post('/GetCreditRegisterExtract', {
    targetEnvironment: 'Test', owner: ownerOf(lender.ref),
    request: { idCodeType: 'PersonalIdentityCode', idCode: person, creditRegisterExtractPurpose: ['IncreaseOfConsumerCreditPrincipalOrCreditLimit'] },
  });
  assert.equal(extract.status, 200, extract.text);
  // An authority's PersonLoans delivery about the person.
  const authority = await reg.organisation({ roles: ['authority'], name: 'Finanssivalvonta Test' });
  assert.equal((await reg.cli(['permission', 'grant', '--business-id', authority.idCode, '--permission', 'authority', '--scope', 'all', '--orders', 'PersonLoans', '--identity-codes', 'codes'])).exitCode, 0);
  const authClient = await reg.client(authority, 'data-use');
  const order = await authClient.post<{ orderId: string }>('/OrderData', {
    targetEnvironment: 'Test', owner: ownerOf(authority),
    order: { type: 'PersonLoans', legalBasis: 'Act on the Financial Supervisory Authority 18 §', caseReference: 'FIVA/2026/7', idCodeType: 'PersonalIdentityCode', idCode: person },
  });
  assert.equal(order.status, 200, order.text);
  reg.server.worker.wake();
  await deliveriesSettled(reg.register.db);
  // The ban, consented, read by two companies (25 deliveries in all: a second page).
  const web = await loggedIn(person);
  const banPage = await web.get(`${base}/ban`);
  assert.equal((await web.request('POST', `${base}/ban`, { csrfToken: csrfOf(banPage.body), reason: 'RiskOfIdentityTheft', startDate: today, consent: 'yes' })).status, 200);
  const companies = [];
  for (const name of ['Suomen Asiakastieto Test', 'Bisnode Test']) {
    const ref = await reg.organisation({ roles: ['credit-information-company'], permissions: [{ permission: 'ban-distribution' }], name });
    companies.push({ ref, client: await reg.client(ref, 'data-use') });
  }
  await feedMarkPassed(reg.register.db);
  for (let i = 0; i < 13; i++) {
    for (const c of companies) {
      const res = await c.client.post<{ changes: unknown[] }>('/GetVoluntaryBanChanges', { targetEnvironment: 'Test', owner: ownerOf(c.ref) });
      assert.equal(res.status, 200, res.text);
    }
  }
  const { rows: [{ n }] } = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ban_deliveries WHERE person = $1', [person]);
  assert.ok(n >= 21, `enough deliveries for two pages (${n})`);

  const page = await web.get(`${base}/extracts`);
  assert.equal(page.status, 200);
  const section = (id: string, body: string) => body.slice(body.indexOf(`<h2 id="${id}">`), body.indexOf('</section>', body.indexOf(`<h2 id="${id}">`)));
  assert.match(section('extracts', page.body), /Increase of a consumer credit’s principal or credit limit/);
  assert.match(section('authorities', page.body), /<td>Finanssivalvonta Test<\/td><td>Act on the Financial Supervisory Authority 18 §<\/td><td>FIVA\/2026\/7<\/td>/);
  const firstCompanies = section('companies', page.body);
  assert.equal((firstCompanies.match(/<tr><td>/g) ?? []).length, 20, 'a page of 20');
  assert.match(firstCompanies, /Bisnode Test/);
  assert.match(firstCompanies, /<td>Credit ban set<\/td>/);
  const older = /href="(\/extracts\?companiesBefore=[0-9.]+)#companies"/.exec(firstCompanies)?.[1];
  assert.ok(older, 'a link to older deliveries');
  const second = await web.get(`${base}${older}`);
  assert.equal((section('companies', second.body).match(/<tr><td>/g) ?? []).length, n - 20, 'the rest on the second page, none twice');
  assert.match(section('extracts', second.body), /<tr><td>/, 'the other lists stay on their first page');
  assert.doesNotMatch(firstCompanies, />Newest</, 'a first page has no way back to itself');
  assert.match(section('companies', second.body), /<a href="\/extracts#companies">Newest<span class="visually-hidden">: /, 'an older page leads back to the newest');
  assert.doesNotMatch(section('extracts', second.body), />Newest</, 'only the list that was paged');

  // Another person with the same cursors sees only their own (nothing).
  const other = await loggedIn(testPerson());
  const theirs = await other.get(`${base}${older}`);
  assert.match(theirs.body, /Your credit ban has not been passed to any credit information company\./);
  assert.match(theirs.body, /Your data has not been delivered to any authority\./);
  assert.match(theirs.body, /No extract has been requested about you\./);
  for (const junk of ['companiesBefore=1.2', 'companiesBefore=abc', `authoritiesBefore=${encodeURIComponent("' OR 1=1 --")}`, 'companiesBefore=99999999999999999999.1.1']) {
    assert.equal((await other.get(`${base}/extracts?${junk}`)).status, 200, junk);
  }
});

test('Notifications: switched off and on by the person, each switch recorded as done by them; off means no notification is queued for the next extract', async () => {
  const person = testPerson();
  const web = await loggedIn(person);
  const page = await web.get(`${base}/notifications`);
  assert.equal(page.status, 200);
  assert.match(page.body, /You are notified when a credit register extract has been requested about you/);
  assert.equal((await web.request('POST', `${base}/notifications`, { on: 'no' })).status, 403, 'without the CSRF token nothing changes');
  const off = await web.request('POST', `${base}/notifications`, { csrfToken: csrfOf(page.body), on: 'no' });
  assert.equal(off.status, 200);
  assert.match(off.body, /You are not notified of extracts requested about you\./);
  assert.match(off.body, /Switch notifications on/);
  const lender = await reg.lender('data-use');
  const extract = await lender.client.post('/GetCreditRegisterExtract', {
    targetEnvironment: 'Test', owner: ownerOf(lender.ref),
    request: { idCodeType: 'PersonalIdentityCode', idCode: person, creditRegisterExtractPurpose: ['NewConsumerCredit'] },
  });
  assert.equal(extract.status, 200);
  const queued = async () => (await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_outbox WHERE person = $1', [person])).rows[0]!.n;
  assert.equal(await queued(), 0);
  const on = await web.request('POST', `${base}/notifications`, { csrfToken: csrfOf(off.body), on: 'yes' });
  assert.match(on.body, /You are notified when/);
  const { rows } = await reg.register.db.query<{ actor: string; action: string; before: unknown; after: unknown }>(
    'SELECT actor, action, before, after FROM operator_audit WHERE target = $1 ORDER BY id', [person]);
  assert.deepEqual(rows.map((r) => [r.actor, r.action, r.before, r.after]), [
    ['the person (e-service)', 'person notifications off', { notifications: true }, { notifications: false }],
    ['the person (e-service)', 'person notifications on', { notifications: false }, { notifications: true }],
  ]);
});

test('the ban form says what is wrong in the person\'s language, marks the field, and changes nothing', async () => {
  const person = testPerson();
  const web = await loggedIn(person, 'fi');
  const page = await web.get(`${base}/ban`);
  const csrfToken = csrfOf(page.body);
  const cases: [Record<string, string>, RegExp, string][] = [
    [{ reason: 'Nonsense', startDate: today }, /Valitse luottokiellon syy\./, '<fieldset aria-invalid="true"'],
    [{ reason: 'Other', startDate: '2026-02-30' }, /Anna alkamispäivä muodossa vvvv-kk-pp\./, 'id="startDate" name="startDate"'],
    [{ reason: 'Other', startDate: today, endDate: addDays(today, -1) }, /Päättymispäivä ei voi olla menneisyydessä\./, 'id="endDate"'],
    [{ reason: 'Other', startDate: addDays(today, 5), endDate: addDays(today, 2) }, /Päättymispäivä ei voi olla ennen alkamispäivää\./, 'id="endDate"'],
  ];
  for (const [form, message, field] of cases) {
    const res = await web.request('POST', `${base}/ban`, { csrfToken, ...form });
    assert.equal(res.status, 400, JSON.stringify(form));
    assert.match(res.body, message);
    assert.match(res.body, /<p id="ban-error" role="alert">Virhe: /);
    const marked = res.body.slice(res.body.indexOf(field));
    assert.match(marked.slice(0, 200), /aria-invalid="true" aria-describedby="ban-error"/, `${field} is marked`);
  }
  const { rows } = await reg.register.db.query('SELECT 1 FROM voluntary_bans WHERE person = $1', [person]);
  assert.equal(rows.length, 0);
  const sv = await loggedIn(person, 'sv');
  const svPage = await sv.get(`${base}/ban`);
  const res = await sv.request('POST', `${base}/ban`, { csrfToken: csrfOf(svPage.body), reason: 'Other', startDate: today, endDate: addDays(today, -1) });
  assert.match(res.body, /Slutdagen kan inte ligga i det förflutna\./);
});

test('a form acts on the session\'s own person only: another session\'s valid CSRF token is refused, and a person or identity code added to the form is ignored', async () => {
  const [mine, theirs] = [testPerson(), testPerson()];
  const me = await loggedIn(mine);
  const them = await loggedIn(theirs);
  const myToken = csrfOf((await me.get(`${base}/ban`)).body);
  const theirToken = csrfOf((await them.get(`${base}/ban`)).body);
  const bans = async (person: string) => (await reg.register.db.query('SELECT reason FROM voluntary_bans WHERE person = $1', [person])).rows;
  const notified = async (person: string) => (await findPerson(reg.register.db, person)).notifications;
  // Their valid token with my session: refused, nothing changes for either.
  for (const [path, form] of [['/ban', { reason: 'Other', startDate: today }], ['/ban/consent', { give: 'yes' }], ['/notifications', { on: 'no' }], ['/ban/remove', { confirm: 'yes' }]] as const) {
    const res = await me.request('POST', `${base}${path}`, { ...form, csrfToken: theirToken });
    assert.equal(res.status, 403, path);
  }
  assert.deepEqual([await bans(mine), await bans(theirs), await notified(mine), await notified(theirs)], [[], [], true, true]);
  // My token with fields naming the other person, every way a form could: my own ban is set, theirs is not.
  const tampered = { csrfToken: myToken, reason: 'Other', startDate: today, person: theirs, idCode: theirs, personalIdentityCode: theirs, personIdCode: theirs };
  assert.equal((await me.request('POST', `${base}/ban`, tampered)).status, 200);
  assert.equal((await me.request('POST', `${base}/notifications`, { csrfToken: myToken, on: 'no', person: theirs, idCode: theirs })).status, 200);
  assert.deepEqual([await bans(mine), await bans(theirs), await notified(mine), await notified(theirs)], [[{ reason: 'Other' }], [], false, true]);
});

test('the accessibility statement: reachable logged out and logged in, in each language, linked from every page', async () => {
  const anonymous = new WebClient(reg.register.ca.certPem, 'en');
  clients.push(anonymous);
  const out = await anonymous.get(`${base}/accessibility`);
  assert.equal(out.status, 200);
  assert.match(out.body, /<h1>Accessibility statement<\/h1>/);
  assert.match(out.body, /WCAG 2\.1 level AA/);
  assert.doesNotMatch(out.body, /action="\/logout"/);
  const web = await loggedIn(anna);
  const inside = await web.get(`${base}/accessibility`);
  assert.match(inside.body, /action="\/logout"/);
  for (const path of ['/', '/loans', '/guarantees', '/income', '/extracts', '/ban', '/notifications']) {
    const c = path === '/' ? anonymous : web;
    assert.match((await c.get(`${base}${path}`)).body, /<a href="\/accessibility">/, path);
  }
  const fi = new WebClient(reg.register.ca.certPem, 'fi');
  clients.push(fi);
  assert.match((await fi.get(`${base}/accessibility`)).body, /<h1>Saavutettavuusseloste<\/h1>/);
});

test('every page of a person needs the session: without one the front page; the menu marks the current page', async () => {
  const anonymous = new WebClient(reg.register.ca.certPem, 'en');
  clients.push(anonymous);
  for (const path of ['/loans', '/guarantees', '/income', '/extracts', '/ban', '/notifications', '/extracts/00000000-0000-7000-8000-000000000000']) {
    const res = await anonymous.get(`${base}${path}`);
    assert.equal(res.status, 303, path);
    assert.equal(res.headers.location, '/', path);
  }
  for (const [path, form] of [['/notifications', { on: 'no' }], ['/ban', { reason: 'Other' }], ['/ban/remove', {}], ['/ban/consent', { give: 'yes' }]] as const) {
    const res = await anonymous.request('POST', `${base}${path}`, { ...form, csrfToken: 'x' });
    assert.equal(res.status, 200, path);
    assert.match(res.body, /<h1>Log in<\/h1>/, path);
  }
  const web = await loggedIn(anna);
  const page = await web.get(`${base}/guarantees`);
  assert.match(page.body, /<a href="\/guarantees" aria-current="page">Guarantees<\/a>/);
  assert.equal((page.body.match(/aria-current="page"/g) ?? []).length, 1);
});

test('a page view moves the session\'s last-seen time only when it is over 30 s old (a read is not a write), and the session stays alive either way', async () => {
  const web = await loggedIn(anna);
  const token = web.jar.get('__Host-pcr-session')!.value;
  const { createHash } = await import('node:crypto');
  const key = createHash('sha256').update(token).digest();
  const set = (seconds: number) => reg.register.db.query(`UPDATE eservice_sessions SET last_seen_at = now() - make_interval(secs => $2) WHERE token_sha256 = $1`, [key, seconds]);
  const age = async () => Number((await reg.register.db.query<{ s: number }>(`SELECT extract(epoch FROM now() - last_seen_at)::float8 AS s FROM eservice_sessions WHERE token_sha256 = $1`, [key])).rows[0]!.s);
  await set(20);
  assert.equal((await web.get(`${base}/loans`)).status, 200);
  assert.ok((await age()) >= 19, 'not moved within 30 s');
  await set(40);
  assert.equal((await web.get(`${base}/loans`)).status, 200);
  assert.ok((await age()) < 10, 'moved when older');
});

/** An error answer is a page of the service: HTML with the layout, its status, no script, a way back to the front page. */
function assertErrorPage(res: { status: number; headers: Record<string, unknown>; body: string }, status: number, language: string, title: string, what: string) {
  assert.equal(res.status, status, `${what}: ${res.body.slice(0, 200)}`);
  assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/, what);
  assert.match(res.body, new RegExp(`^<!DOCTYPE html>\\n<html lang="${language}">`), what);
  assert.match(res.body, new RegExp(`<h1>${title}</h1>`), what);
  assert.match(res.body, /<main id="main">/, what);
  assert.match(res.body, /<a href="\/">/, `${what}: the way back`);
  assert.match(res.body, /<a href="\/accessibility">/, `${what}: the layout's footer`);
  assert.doesNotMatch(res.body, /<script|style="/, `${what}: no script, no inline style`);
  assert.match(String(res.headers['content-security-policy']), /default-src 'none'/, what);
}

test('error answers are pages of the service in the person\'s language (Finnish, Swedish, English), with the right status: 404, 403, 400/415', async () => {
  // Not logged in: the browser's language (Finnish by default).
  for (const [language, title] of [['fi', 'Sivua ei löytynyt'], ['sv', 'Sidan hittades inte'], ['en', 'Page not found'], ['', 'Sivua ei löytynyt']] as const) {
    const web = new WebClient(reg.register.ca.certPem, language);
    clients.push(web);
    assertErrorPage(await web.get(`${base}/no-such-page`), 404, language || 'fi', title, `404 in ${language || 'the default'}`);
    assertErrorPage(await web.get(`${base}/language/xx`), 404, language || 'fi', title, `an unknown language in ${language || 'the default'}`);
  }
  const stranger = new WebClient(reg.register.ca.certPem, 'en');
  clients.push(stranger);
  const welcome = await stranger.get(`${base}/`);
  const formToken = /name="formToken" value="([^"]+)"/.exec(welcome.body)![1]!;
  assertErrorPage(await stranger.request('POST', `${base}/login`, { formToken }, { origin: 'https://evil.example' }), 403, 'en', 'The request was refused', 'a login form from another site');

  // Logged in in Swedish, from a browser that says English: the session's language, and the menu (with its logout form).
  const web = await loggedIn(anna, 'sv');
  const english = { 'accept-language': 'en' };
  const csrfToken = csrfOf((await web.get(`${base}/notifications`)).body);
  const cases: [string, Promise<{ status: number; headers: Record<string, unknown>; body: string }>, number, string][] = [
    ['an unknown page', web.request('GET', `${base}/no-such-page`, undefined, english), 404, 'Sidan hittades inte'],
    ['another person\'s or a made-up extract', web.request('GET', `${base}/extracts/00000000-0000-7000-8000-000000000000`, undefined, english), 404, 'Sidan hittades inte'],
    ['a form without its CSRF token', web.request('POST', `${base}/notifications`, { on: 'no' }, english), 403, 'Begäran avvisades'],
    ['a logout without its CSRF token', web.request('POST', `${base}/logout`, { csrfToken: 'x'.repeat(43) }, english), 403, 'Begäran avvisades'],
    ['a form from another site', web.request('POST', `${base}/ban`, { csrfToken, reason: 'Other' }, { ...english, origin: 'https://evil.example' }), 403, 'Begäran avvisades'],
    ['a body that is not a form', web.request('POST', `${base}/ban`, { csrfToken, reason: 'Other' }, { ...english, 'content-type': 'application/json' }), 415, 'Begäran kunde inte behandlas'],
  ];
  for (const [what, answer, status, title] of cases) {
    const res = await answer;
    assertErrorPage(res, status, 'sv', title, what);
    assert.match(res.body, /action="\/logout"/, `${what}: the menu of the logged-in person`);
  }
  // Nothing changed, and the session is alive.
  assert.equal((await reg.register.db.query('SELECT 1 FROM persons WHERE person = $1 AND notifications_off', [anna])).rows.length, 0);
  assert.equal((await web.get(`${base}/loans`)).status, 200);
});

test('when the database fails, the page says so in the browser\'s language: 503 while it is unavailable, 500 for any other failure; never the error\'s text', async () => {
  const db = reg.register.db;
  const browser = (language: string) => {
    const c = new WebClient(reg.register.ca.certPem, language);
    clients.push(c);
    return c;
  };
  // A real failure of the database, no mock: the sessions table replaced for a moment by a view whose rows raise the error.
  const fail = async (sqlstate: string) => {
    await db.query(`CREATE OR REPLACE FUNCTION pcr_test_fail() RETURNS SETOF eservice_sessions_away LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'internal detail xyzzy' USING ERRCODE = '${sqlstate}'; END $$`);
  };
  await db.query('ALTER TABLE eservice_sessions RENAME TO eservice_sessions_away');
  try {
    await fail('57P03'); // cannot_connect_now: the database is starting up
    await db.query('CREATE VIEW eservice_sessions AS SELECT * FROM pcr_test_fail()');
    for (const [language, title] of [['fi', 'Palvelu ei ole juuri nyt käytettävissä'], ['sv', 'Tjänsten är inte tillgänglig just nu'], ['en', 'The service is temporarily unavailable']] as const) {
      const res = await browser(language).request('GET', `${base}/loans`, undefined, { cookie: '__Host-pcr-session=some-token' });
      assertErrorPage(res, 503, language, title, `503 in ${language}`);
      assert.doesNotMatch(res.body, /xyzzy|57P03/);
    }
    await fail('XX000'); // internal_error: not one that passes
    const res = await browser('en').request('GET', `${base}/loans`, undefined, { cookie: '__Host-pcr-session=some-token' });
    assertErrorPage(res, 500, 'en', 'Something went wrong', '500');
    assert.doesNotMatch(res.body, /xyzzy|XX000/);
    assert.ok(reg.logs.some((l) => l.includes('e-service request failed') && l.includes('xyzzy')), 'the operator\'s log has the failure');
  } finally {
    await db.query('DROP VIEW IF EXISTS eservice_sessions');
    await db.query('DROP FUNCTION IF EXISTS pcr_test_fail()');
    await db.query('ALTER TABLE eservice_sessions_away RENAME TO eservice_sessions');
  }
  assert.equal((await (await loggedIn(ben)).get(`${base}/loans`)).status, 200, 'and the service is back');
});
