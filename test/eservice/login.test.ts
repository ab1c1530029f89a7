/**
 * The e-service (issue 12), first part: its own listener, login through the Test register's
 * identity provider (OpenID Connect, code flow with PKCE), the session and its cookie, logout,
 * expiry after inactivity, the security headers, and the Loans page showing only the person's
 * own loans from two lenders. No identity code in any URL visited nor in any log line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN as GLOBAL_PATTERN } from '../../src/identity/personal-identity-code.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, report, runningAccountLoan, testPerson } from '../helpers/reports.ts';
import { actionOf, WebClient, type WebResponse } from '../helpers/web.ts';
import { finnishDate } from '../../src/common/dates.ts';

/** The pattern without its global flag (a /g pattern keeps its position between tests). */
const STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN = new RegExp(GLOBAL_PATTERN.source, 'i');

let reg: TestRegister;
let base: string;
const alice = testPerson();
const bob = testPerson();
const borrower = (idCode: string) => ({ idCodeType: 'PersonalIdentityCode', idCode });
const clients: WebClient[] = [];
const browser = (language = 'en') => {
  const c = new WebClient(reg.register.ca.certPem, language);
  clients.push(c);
  return c;
};

before(async () => {
  reg = await startTestRegister();
  assert.ok(reg.server.web, 'a Test register serves its e-service');
  base = reg.server.web.url;
  const bank = await reg.lender();
  const finance = await reg.lender();
  const ok = async (l: typeof bank, loans: Record<string, unknown>[]) => assert.equal((await report(l.client, l.ref, 'AddLoans', loans)).batchStatus, 'FinishedSuccess');
  await ok(bank, [lumpSumLoan({ borrowers: [borrower(alice)], lumpSumLoan: { amountIssued: 12000, amountPaid: 12000, balance: 8400.5, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2031-01-01', purposeOfUse: 'OtherConsumerCredit' } })]);
  await ok(finance, [runningAccountLoan({ borrowers: [borrower(alice)] }), lumpSumLoan({ borrowers: [borrower(bob)] })]);
});
after(async () => {
  for (const c of clients) c.close();
  await reg.close();
});

/** Logs in as `code` through the test identity provider; the page the e-service answers at the end. */
async function logIn(web: WebClient, code: string): Promise<{ idpPage: WebResponse; landed: WebResponse }> {
  const welcome = await web.get(`${base}/`);
  assert.equal(welcome.status, 200);
  const idpPage = await web.submit(welcome, '/login');
  const landed = await web.submit(idpPage, actionOf(idpPage.body, '/idp-login/'), { personalIdentityCode: code });
  return { idpPage, landed };
}

test('login through the test identity provider: its page asks for "Personal identity code" with "Log in"; the person lands on Loans with their own loans of two lenders only', async () => {
  const web = browser('en');
  const { idpPage, landed } = await logIn(web, alice);
  assert.equal(idpPage.status, 200);
  assert.match(idpPage.body, /<label for="personalIdentityCode">Personal identity code<\/label>/);
  assert.match(idpPage.body, /<button type="submit">Log in<\/button>/);
  assert.equal(landed.status, 200, landed.body.slice(0, 500));
  assert.equal(new URL(landed.url).pathname, '/loans');
  assert.match(landed.body, /<h1>Loans<\/h1>/);
  assert.equal((landed.body.match(/<article>/g) ?? []).length, 2, 'two loans: the bank\'s and the finance company\'s');
  assert.match(landed.body, /8,400\.50 EUR/);
  assert.ok(!landed.body.includes(bob) && !landed.body.includes(alice), 'no identity code on the page, not even the person\'s own');
  // The code never travelled in a URL.
  for (const url of web.visited) assert.doesNotMatch(url, STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN, url);
  assert.ok(web.visited.some((u) => u.includes('/callback?') && u.includes('code=') && u.includes('state=')), 'the provider answered with a code and the state');
});

test('the session cookie is __Host-, Secure, HttpOnly, SameSite=Lax; every page has a strict Content-Security-Policy and no-store', async () => {
  const web = browser();
  const { landed } = await logIn(web, alice);
  const session = web.setCookies.find((c) => c.name === '__Host-pcr-session' && c.value !== '')!;
  assert.ok(session, 'a session cookie');
  for (const attribute of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax']) assert.ok(session.attributes.includes(attribute), `${attribute} in ${session.attributes.join('; ')}`);
  assert.ok(!session.attributes.some((a) => /^domain=/i.test(a)));
  const csp = String(landed.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|script-src/);
  assert.equal(landed.headers['cache-control'], 'no-store');
  assert.doesNotMatch(landed.body, /<script|style="/, 'no script, no inline style');
});

test('logout: without the CSRF token 403 and still logged in; with it the session ends and Loans sends the person to the front page', async () => {
  const web = browser();
  const { landed } = await logIn(web, alice);
  const forged = await web.request('POST', `${base}/logout`, { csrfToken: 'x'.repeat(43) });
  assert.equal(forged.status, 403);
  assert.equal((await web.get(`${base}/loans`)).status, 200, 'still logged in');
  const foreign = await web.request('POST', `${base}/logout`, {}, { origin: 'https://evil.example' });
  assert.equal(foreign.status, 403, 'a form from another site');
  const out = await web.submit(landed, '/logout');
  assert.equal(out.status, 200);
  assert.match(out.body, /You have logged out\./);
  const again = await web.get(`${base}/loans`);
  assert.notEqual(again.status, 200);
  assert.equal(again.headers.location, '/');
});

test('a session idle longer than 15 minutes has ended: the next page says so and asks to log in again', async () => {
  const web = browser();
  await logIn(web, alice);
  await reg.register.db.query(`UPDATE eservice_sessions SET last_seen_at = now() - interval '16 minutes' WHERE person = $1`, [alice]);
  const res = await web.get(`${base}/loans`);
  assert.equal(res.status, 200);
  assert.match(res.body, /Your session has ended/);
  assert.equal((await web.get(`${base}/loans`)).status, 303, 'and the cookie is gone');
});

test('tampering: a made-up or altered session cookie, an altered login answer, a replayed answer are all refused; no page shows another person\'s data', async () => {
  const web = browser();
  await logIn(web, bob);
  const token = web.jar.get('__Host-pcr-session')!.value;
  const altered = browser();
  altered.jar.set('__Host-pcr-session', { name: '__Host-pcr-session', value: `${token.slice(0, -2)}AA`, attributes: [] });
  const res = await altered.get(`${base}/loans`);
  assert.match(res.body, /Your session has ended/);
  // The callback with a forged state, and an answer replayed: refused, no session.
  const forged = browser();
  const welcome = await forged.get(`${base}/`);
  const toIdp = await forged.request('POST', `${base}/login`, { formToken: /name="formToken" value="([^"]+)"/.exec(welcome.body)![1]! });
  assert.equal(toIdp.status, 303);
  const callback = await forged.get(`${base}/callback?code=abc&state=forged&iss=${encodeURIComponent(`${base}/idp`)}`);
  assert.equal(callback.status, 400);
  assert.match(callback.body, /The login did not succeed/);
  const replay = web.visited.find((u) => u.includes('/callback?'))!;
  const replayed = await browser().get(replay);
  assert.equal(replayed.status, 400, 'another browser replaying the answer');
  // Bob's page shows Bob's loan only.
  const page = await web.get(`${base}/loans`);
  assert.equal((page.body.match(/<article>/g) ?? []).length, 1);
  assert.doesNotMatch(page.body, /8,400\.50/);
  // A login form posted without its token (another site's form) starts nothing.
  const noToken = await browser().request('POST', `${base}/login`, {});
  assert.equal(noToken.status, 403);
});

test('the identity provider refuses a code that is not a valid test code, and says so on its page', async () => {
  const web = browser();
  const welcome = await web.get(`${base}/`);
  const idpPage = await web.submit(welcome, '/login');
  const refused = await web.request('POST', new URL(actionOf(idpPage.body, '/idp-login/'), base).href, { personalIdentityCode: '010101-123N' });
  assert.equal(refused.status, 400);
  assert.match(refused.body, /role="alert"/);
  assert.match(refused.body, /aria-invalid="true"/);
});

test('Finnish by default, Swedish and English by the switch; the provider\'s page in English when the browser prefers it', async () => {
  const fi = browser('');
  assert.match((await fi.get(`${base}/`)).body, /<html lang="fi">/);
  const switched = await fi.follow(`${base}/language/sv?next=/`);
  assert.match(switched.body, /<html lang="sv">/);
  assert.match(switched.body, /Logga in/);
  const web = browser('fi');
  const { landed } = await logIn(web, alice);
  assert.match(landed.body, /<h1>Lainat<\/h1>/);
  const en = await web.follow(`${base}/language/en?next=/loans`);
  assert.match(en.body, /<h1>Loans<\/h1>/);
  const offsite = await web.get(`${base}/language/en?next=//evil.example`);
  assert.equal(offsite.headers.location, '/', 'no redirect off the site');
});

test('no identity code in any log line of the e-service or its identity provider', async () => {
  const web = browser();
  await logIn(web, alice);
  const lines = reg.logs.join('');
  assert.match(lines, /e-service request/);
  assert.doesNotMatch(lines, STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN);
  assert.ok(!lines.includes(alice) && !lines.includes(bob));
});

test('a Production register without its identity provider serves no e-service (the test provider is never served there)', async () => {
  const production = await startTestRegister({ environment: 'Production' });
  try {
    assert.equal(production.server.web, undefined);
    assert.match(production.logs.join(''), /The e-service is off/);
  } finally {
    await production.close();
  }
});

test('Who has asked: every extract about the person, newest first, 20 a page with a link to older ones, each opening to exactly what the lender received; another person\'s extract is not found', async () => {
  const lender = await reg.lender('data-use');
  const refs: string[] = [];
  for (let i = 0; i < 21; i++) {
    const purposes = i === 20 ? ['NewConsumerCredit', 'ChangesToTermsOfConsumerCredit'] : ['NewConsumerCredit'];
    const res = await lender.client.post<{ creditRegisterExtract: { extractReference?: string } }>('/GetCreditRegisterExtract', {
      targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: lender.ref.idCode },
      request: { idCodeType: 'PersonalIdentityCode', idCode: alice, creditRegisterExtractPurpose: purposes, lenderReference: `application-${i}` },
    });
    assert.equal(res.status, 200, res.text);
    refs.push(String(res.body.creditRegisterExtract.extractReference));
  }
  const web = browser();
  await logIn(web, alice);
  const first = await web.get(`${base}/extracts`);
  assert.equal(first.status, 200);
  const links = [...first.body.matchAll(/href="\/extracts\/([0-9a-f-]{36})"/g)].map((m) => m[1]!);
  assert.equal(links.length, 20);
  assert.equal(links[0], refs[20], 'the newest first');
  assert.match(first.body, /Several purposes/);
  const older = /href="(\/extracts\?before=[^"]+)"/.exec(first.body)![1]!.replace(/&amp;/g, '&');
  const second = await web.get(`${base}${older}`);
  const rest = [...second.body.matchAll(/href="\/extracts\/([0-9a-f-]{36})"/g)].map((m) => m[1]!);
  assert.deepEqual(rest, [refs[0]], 'the oldest on the second page');
  assert.doesNotMatch(second.body, /extracts\?before=/, 'no page after the last');
  const opened = await web.get(`${base}/extracts/${refs[5]}`);
  assert.equal(opened.status, 200);
  assert.match(opened.body, /application-5/);
  const stored = (await reg.register.db.query<{ content: string }>('SELECT content FROM extracts WHERE extract_reference = $1', [refs[5]])).rows[0]!.content;
  assert.ok(opened.body.includes(JSON.stringify(JSON.parse(stored), null, 2).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')), 'exactly what the lender received');
  // Bob: Alice's extract is not found, and her reference as his page's cursor shows him nothing of hers.
  const bobs = browser();
  await logIn(bobs, bob);
  assert.equal((await bobs.get(`${base}/extracts/${refs[5]}`)).status, 404);
  assert.equal((await bobs.get(`${base}/extracts/not-a-reference`)).status, 404);
  const cursor = await bobs.get(`${base}/extracts?before=${refs[20]}`);
  assert.equal(cursor.status, 200);
  assert.doesNotMatch(cursor.body, /application-|href="\/extracts\/[0-9a-f-]{36}"/);
  assert.equal((await bobs.get(`${base}/extracts?before=${encodeURIComponent("'; DROP TABLE extracts; --")}`)).status, 200);
});

test('Voluntary ban: set with consent (in force at once: the next extract shows it, the companies\' feed has it, recorded as done by the person), consent withdrawn on its own, removed; a bad date or a form without its token changes nothing', async () => {
  const person = testPerson();
  const web = browser();
  await logIn(web, person);
  const page = await web.get(`${base}/ban`);
  assert.equal(page.status, 200);
  assert.match(page.body, /You have no credit ban\./);
  const csrfToken = /name="csrfToken" value="([^"]+)"/.exec(page.body)![1]!;
  const banRow = async () => (await reg.register.db.query<{ reason: string; setBy: string; consent: boolean | null }>(
    `SELECT b.reason, b.set_by AS "setBy", p.ban_consent AS consent FROM persons p LEFT JOIN voluntary_bans b ON b.person = p.person WHERE p.person = $1`, [person])).rows[0];

  assert.equal((await web.request('POST', `${base}/ban`, { reason: 'RiskOfIdentityTheft', startDate: finnishDate() })).status, 403, 'no token');
  const bad = await web.request('POST', `${base}/ban`, { csrfToken, reason: 'RiskOfIdentityTheft', startDate: '2026-02-30' });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /role="alert"/);
  assert.equal((await banRow())?.reason ?? null, null, 'nothing set');

  const set = await web.request('POST', `${base}/ban`, { csrfToken, reason: 'RiskOfIdentityTheft', startDate: finnishDate(), endDate: '', consent: 'yes' });
  assert.equal(set.status, 200, set.body.slice(0, 300));
  assert.match(set.body, /The change is saved/);
  assert.match(set.body, /Risk of identity theft/);
  assert.deepEqual(await banRow(), { reason: 'RiskOfIdentityTheft', setBy: 'the person (e-service)', consent: true });
  const lender = await reg.lender('data-use');
  const extract = await lender.client.post<{ creditRegisterExtract: { voluntaryBanOnCredits?: { reason?: string } } }>('/GetCreditRegisterExtract', {
    targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: lender.ref.idCode },
    request: { idCodeType: 'PersonalIdentityCode', idCode: person, creditRegisterExtractPurpose: ['NewConsumerCredit'] },
  });
  assert.equal(extract.status, 200, extract.text);
  assert.ok(extract.body.creditRegisterExtract.voluntaryBanOnCredits, 'the next extract shows the ban');
  const feed = async () => (await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ban_feed WHERE person = $1', [person])).rows[0]!.n;
  const fed = await feed();
  assert.ok(fed >= 1, 'the companies\' feed has it');

  const withdrawn = await web.request('POST', `${base}/ban/consent`, { csrfToken, give: 'no' });
  assert.match(withdrawn.body, /You have not consented/);
  assert.equal((await banRow())!.consent, false);
  assert.equal((await banRow())!.reason, 'RiskOfIdentityTheft', 'the ban stays');
  assert.ok((await feed()) > fed, 'the withdrawal is in the feed');

  const removed = await web.request('POST', `${base}/ban/remove`, { csrfToken });
  assert.match(removed.body, /You have no credit ban\./);
  assert.equal((await banRow())!.reason, null);
});
