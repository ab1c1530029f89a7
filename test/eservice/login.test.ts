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
import { actionOf, formOf, WebClient, type WebResponse } from '../helpers/web.ts';
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

/** The identity provider's live sessions of a person (oidc-provider's Session rows name the account: the identity code). */
const idpSessions = async (code: string) => (await reg.register.db.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM test_idp_payloads WHERE model = 'Session' AND payload->>'accountId' = $1 AND expires_at > now()`, [code])).rows[0]!.n;
/** The claims of a JWT, as anyone who sees it can read them. */
const jwtClaims = (jwt: string) => Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8');

test('logout ends the identity provider\'s session too (RP-initiated logout, back to the start page): on a shared computer the next "Log in" asks for an identity code, and the next person sees only their own loans', async () => {
  const person = testPerson();
  const web = browser();
  const { landed } = await logIn(web, person);
  assert.equal(await idpSessions(person), 1, 'the provider holds a session of the person');
  const out = await web.submit(landed, '/logout');
  assert.equal(out.status, 200);
  assert.equal(new URL(out.url).pathname, '/logged-out', 'the provider sent the browser back to the start page');
  assert.match(out.body, /<p role="status">You have logged out\.<\/p>/);
  assert.match(out.body, /<form method="post" action="\/login">/, 'the start page, with its Log in button');
  // The browser went through the provider's end-session endpoint, with an ID token that names no one by identity code.
  const end = web.visited.map((u) => new URL(u)).find((u) => u.pathname === '/idp/session/end')!;
  assert.ok(end, `visited the provider's end-session endpoint: ${web.visited.join(' ')}`);
  assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${base}/logged-out`);
  const hint = end.searchParams.get('id_token_hint')!;
  assert.ok(hint, 'the ID token names the session');
  const claims = jwtClaims(hint);
  assert.ok(!claims.includes(person), claims);
  assert.doesNotMatch(claims, STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN);
  assert.equal(await idpSessions(person), 0, 'the provider\'s session has ended');
  assert.equal((await reg.register.db.query('SELECT 1 FROM eservice_sessions WHERE person = $1', [person])).rows.length, 0, 'and the register\'s');

  // The next person at the same browser: "Log in" shows the provider's page, not the previous person's Loans.
  const again = await web.submit(out, '/login');
  assert.equal(again.status, 200);
  assert.match(again.body, /<label for="personalIdentityCode">Personal identity code<\/label>/);
  assert.doesNotMatch(again.body, /<h1>Loans<\/h1>/);
  const next = await web.submit(again, actionOf(again.body, '/idp-login/'), { personalIdentityCode: bob });
  assert.equal(new URL(next.url).pathname, '/loans');
  assert.equal((next.body.match(/<article>/g) ?? []).length, 1, 'Bob\'s one loan');
  assert.doesNotMatch(next.body, /8,400\.50/);
  for (const url of web.visited) assert.doesNotMatch(url, STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN, url);
});

test('every login asks the provider to authenticate the person anew (prompt=login): a session that ended by idling leaves the provider\'s session alive, and "Log in" still asks for the identity code', async () => {
  const person = testPerson();
  const web = browser();
  await logIn(web, person);
  const authorization = web.visited.map((u) => new URL(u)).find((u) => u.pathname === '/idp/auth')!;
  assert.equal(authorization.searchParams.get('prompt'), 'login');
  await reg.register.db.query(`UPDATE eservice_sessions SET last_seen_at = now() - interval '16 minutes' WHERE person = $1`, [person]);
  const ended = await web.get(`${base}/loans`);
  assert.match(ended.body, /Your session has ended/);
  assert.equal(await idpSessions(person), 1, 'the provider\'s session is still there (nothing ended it)');
  const again = await web.submit(ended, '/login');
  assert.equal(again.status, 200);
  assert.match(again.body, /<label for="personalIdentityCode">Personal identity code<\/label>/, 'the provider asks, whatever session it holds');
  assert.doesNotMatch(again.body, /<h1>Loans<\/h1>/);
});

test('logout of a session begun before its ID token was kept (no hint): the register\'s session ends, and the provider, named by the client id alone, asks on a page of the register\'s own', async () => {
  const person = testPerson();
  const web = browser();
  const { landed } = await logIn(web, person);
  await reg.register.db.query('UPDATE eservice_sessions SET id_token = NULL WHERE person = $1', [person]);
  const csrfToken = /name="csrfToken" value="([^"]+)"/.exec(landed.body)![1]!;
  const res = await web.request('POST', `${base}/logout`, { csrfToken });
  assert.equal(res.status, 303);
  const to = new URL(String(res.headers.location));
  assert.equal(to.pathname, '/idp/session/end');
  assert.equal(to.searchParams.get('client_id'), 'pcr-eservice');
  assert.equal(to.searchParams.get('id_token_hint'), null);
  assert.equal((await reg.register.db.query('SELECT 1 FROM eservice_sessions WHERE person = $1', [person])).rows.length, 0, 'the register\'s session has ended');
  const question = await web.follow(res);
  assert.equal(question.status, 200);
  assert.match(question.body, /<html lang="en">/);
  assert.match(question.body, /Do you want to log out of the test environment’s identification service too\?/);
  assert.doesNotMatch(question.body, /<script|style=/, 'no script, no inline style');
  // "Yes": the provider's session ends and the browser is back on the start page.
  const form = /<form id="op\.logoutForm" method="post" action="([^"]+)"><input type="hidden" name="xsrf" value="([^"]+)"/.exec(question.body)!;
  const done = await web.follow(await web.request('POST', form[1]!, { xsrf: form[2]!, logout: 'yes' }));
  assert.equal(new URL(done.url).pathname, '/logged-out');
  assert.match(done.body, /You have logged out\./);
  assert.equal(await idpSessions(person), 0);
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

  // Removing is asked once more, and nothing changes until the person confirms.
  const asked = await web.request('POST', `${base}/ban/remove`, { csrfToken });
  assert.equal(asked.status, 200);
  assert.match(asked.body, /<h2>Remove the credit ban\?<\/h2>/);
  assert.match(asked.body, /<a href="\/ban">Cancel<\/a>/);
  assert.equal((await banRow())!.reason, 'RiskOfIdentityTheft', 'not removed by the first click');
  const removed = await web.request('POST', `${base}/ban/remove`, formOf(asked.body, '/ban/remove'));
  assert.match(removed.body, /You have no credit ban\./);
  assert.equal((await banRow())!.reason, null);
});

test('PCR_WEB_PUBLIC_URL: behind a reverse proxy under a public name, a form from the public origin is accepted and one from the listener\'s own origin refused; login and logout go through the public name end to end', async () => {
  const PUBLIC = 'https://omat.example.test';
  // The public name in the server certificate too: the test's "proxy" passes TLS through, Host and all.
  const proxied = await startTestRegister({ env: { PCR_WEB_PUBLIC_URL: `${PUBLIC}/`, PCR_SERVER_NAMES: 'localhost,127.0.0.1,::1,omat.example.test' } });
  const web = new WebClient(proxied.register.ca.certPem, 'en');
  try {
    const listener = proxied.server.web!.url;
    // The proxy: the browser's URL on the public name, sent on to the listener with the Host it came with.
    const hop = (url: string) => {
      const u = new URL(url, PUBLIC);
      assert.equal(u.origin, PUBLIC, `the browser is sent to the public name, not ${u.origin}`);
      return `${listener}${u.pathname}${u.search}`;
    };
    const send = async (method: string, url: string, form?: Record<string, string>) =>
      web.request(method, hop(url), form, { host: new URL(PUBLIC).host, ...(form ? { origin: PUBLIC } : {}) });
    const follow = async (first: WebResponse) => {
      let res = first;
      for (let i = 0; i < 20 && res.status >= 300 && res.status < 400; i++) res = await send('GET', String(res.headers.location));
      return res;
    };
    const welcome = await send('GET', '/');
    assert.equal(welcome.status, 200);
    const formToken = /name="formToken" value="([^"]+)"/.exec(welcome.body)![1]!;

    // The listener's own origin is another site now: refused, as a page.
    const own = await web.request('POST', `${listener}/login`, { formToken }, { origin: listener });
    assert.equal(own.status, 403);
    assert.match(own.headers['content-type'] as string, /^text\/html/);
    assert.match(own.body, /<h1>The request was refused<\/h1>/);

    // The public origin: the provider (its issuer under the public name) is asked to authenticate, with the public callback.
    const toIdp = await send('POST', '/login', { formToken });
    assert.equal(toIdp.status, 303, toIdp.body.slice(0, 300));
    const authorization = new URL(String(toIdp.headers.location));
    assert.equal(`${authorization.origin}${authorization.pathname}`, `${PUBLIC}/idp/auth`);
    assert.equal(authorization.searchParams.get('redirect_uri'), `${PUBLIC}/callback`);
    assert.equal(authorization.searchParams.get('prompt'), 'login');
    const idpPage = await follow(toIdp);
    assert.match(idpPage.body, /Personal identity code/);
    const landed = await follow(await send('POST', actionOf(idpPage.body, '/idp-login/'), { personalIdentityCode: alice }));
    assert.equal(landed.status, 200, landed.body.slice(0, 300));
    assert.match(landed.body, /<h1>Loans<\/h1>/);
    assert.match(String(landed.headers['content-security-policy']), new RegExp(`form-action 'self' ${PUBLIC.replace(/\./g, '\\.')};`));

    const csrfToken = /name="csrfToken" value="([^"]+)"/.exec(landed.body)![1]!;
    const out = await send('POST', '/logout', { csrfToken });
    assert.equal(new URL(String(out.headers.location)).searchParams.get('post_logout_redirect_uri'), `${PUBLIC}/logged-out`);
    const back = await follow(out);
    assert.match(back.body, /You have logged out\./);
    assert.equal(new URL(back.url).pathname, '/logged-out');
  } finally {
    web.close();
    await proxied.close();
  }
});

test('without PCR_WEB_PUBLIC_URL the listener\'s own origin is the e-service\'s: its forms are accepted, another origin\'s refused', async () => {
  const web = browser();
  const welcome = await web.get(`${base}/`);
  const formToken = /name="formToken" value="([^"]+)"/.exec(welcome.body)![1]!;
  assert.equal((await web.request('POST', `${base}/login`, { formToken }, { origin: 'https://omat.example.test' })).status, 403);
  const accepted = await web.request('POST', `${base}/login`, { formToken }, { origin: new URL(base).origin });
  assert.equal(accepted.status, 303);
  assert.equal(new URL(String(accepted.headers.location)).origin, new URL(base).origin);
});
