/**
 * Hostile requests to the e-service and its test identity provider (issue 12): made-up login
 * interactions, junk cursors, cookies and bodies, wrong methods and content types, oversized
 * forms. None gets a 5xx, none changes anything, and no answer or log line carries an
 * identity code or an internal error message.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';
import { actionOf, WebClient } from '../helpers/web.ts';

let reg: TestRegister;
let base: string;
const person = testPerson();
let web: WebClient;
let csrfToken: string;

before(async () => {
  reg = await startTestRegister();
  base = reg.server.web!.url;
  web = new WebClient(reg.register.ca.certPem, 'en');
  const welcome = await web.get(`${base}/`);
  const idp = await web.submit(welcome, '/login');
  const landed = await web.submit(idp, actionOf(idp.body, '/idp-login/'), { personalIdentityCode: person });
  assert.equal(landed.status, 200);
  csrfToken = /name="csrfToken" value="([^"]+)"/.exec(landed.body)![1]!;
});
after(async () => {
  web.close();
  await reg.close();
});

/** A raw request: any method, path, headers and body, as a hostile client sends them. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${base}${path}`, { method, ca: reg.register.ca.certPem, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const session = () => ({ cookie: [...web.jar.values()].map((c) => `${c.name}=${c.value}`).join('; ') });
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

test('no hostile request gets a 5xx, and none leaks an internal message', async () => {
  const cases: [string, string, Record<string, string>, (string | Buffer)?][] = [
    ['GET', '/idp-login/unknown-interaction', {}],
    ['GET', '/idp-login/unknown-interaction', session()],
    ['POST', '/idp-login/unknown-interaction', { 'content-type': 'application/x-www-form-urlencoded' }, form({ personalIdentityCode: person })],
    ['POST', '/idp-login/x', { 'content-type': 'application/json' }, '{"personalIdentityCode":'],
    ['GET', '/idp/auth?client_id=nobody&response_type=code&redirect_uri=https://evil.example/', {}],
    ['GET', '/idp/auth', {}],
    ['POST', '/idp/token', { 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=authorization_code&code=forged'],
    ['GET', '/idp/.well-known/openid-configuration/../../etc/passwd', {}],
    ['GET', '/callback', {}],
    ['GET', '/callback?code=x&state=y&iss=z', { cookie: '__Host-pcr-login=forged' }],
    ['GET', '/callback?error=access_denied', { cookie: '__Host-pcr-login=' + 'a'.repeat(5000) }],
    ['GET', '/loans', { cookie: '__Host-pcr-session=%%%; __Host-pcr-session=' }],
    ['GET', '/loans', { cookie: '=;;;=;__Host-pcr-session' }],
    ['GET', '/extracts?before=%00%ff', session()],
    ['GET', '/extracts?before=a&before=b&companiesBefore[]=1', session()],
    ['GET', `/extracts?companiesBefore=${'9'.repeat(400)}.1.1`, session()],
    ['GET', '/extracts?companiesBefore=9223372036854775807.9223372036854775807.9223372036854775807', session()],
    ['GET', '/extracts?companiesBefore=9223372036854775808.1.1', session()],
    ['GET', '/extracts/%E0%A4%A', session()],
    ['GET', '/extracts/..%2f..%2fetc%2fpasswd', session()],
    ['GET', '/extracts/00000000-0000-0000-0000-00000000000G', session()],
    ['GET', '/language/fi?next=https://evil.example/', {}],
    ['GET', '/language/xx', {}],
    ['GET', '/language/fi?next[]=x', {}],
    ['POST', '/ban', { ...session(), 'content-type': 'application/json' }, JSON.stringify({ csrfToken, reason: 'Other' })],
    ['POST', '/ban', { ...session(), 'content-type': 'application/x-www-form-urlencoded' }, 'csrfToken=' + csrfToken + '&reason=Other&startDate[]=x&endDate=%ZZ'],
    ['POST', '/ban', { ...session(), 'content-type': 'application/x-www-form-urlencoded' }, form({ csrfToken, reason: 'Other', startDate: '9999-99-99' })],
    ['POST', '/ban', { ...session(), 'content-type': 'application/x-www-form-urlencoded' }, form({ csrfToken, reason: 'Other', startDate: '0001-01-01' })],
    ['POST', '/ban', { ...session(), 'content-type': 'application/x-www-form-urlencoded' }, 'x'.repeat(70 * 1024)],
    ['POST', '/ban', { ...session(), 'content-type': 'text/plain' }, 'hello'],
    ['POST', '/ban/consent', { ...session(), 'content-type': 'application/x-www-form-urlencoded' }, `csrfToken=${csrfToken}&give=yes&give=no`],
    ['POST', '/notifications', { ...session(), 'content-type': 'application/x-www-form-urlencoded' }, `csrfToken[]=${csrfToken}&on=no`],
    ['POST', '/ban/remove', { ...session(), 'content-type': 'application/x-www-form-urlencoded' }, `csrfToken=${csrfToken}&confirm[]=yes&confirm=no`],
    ['POST', '/ban/remove', { ...session(), 'content-type': 'application/x-www-form-urlencoded' }, 'csrfToken=forged&confirm=yes'],
    ['GET', '/logged-out?next=https://evil.example/&%ff', {}],
    ['GET', '/logged-out', session()],
    ['GET', '/idp/session/end?id_token_hint=forged.token.here&post_logout_redirect_uri=https://evil.example/', {}],
    ['GET', `/idp/session/end?id_token_hint=${'e'.repeat(5000)}`, session()],
    ['POST', '/idp/session/end/confirm', { 'content-type': 'application/x-www-form-urlencoded' }, 'xsrf=forged&logout=yes'],
    ['POST', '/logout', { ...session(), 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
    ['POST', '/login', { 'content-type': 'application/x-www-form-urlencoded' }, 'formToken=%'],
    ['PUT', '/loans', session()],
    ['DELETE', '/ban', session()],
    ['GET', '/does-not-exist', {}],
    ['GET', '/' + 'a'.repeat(8000), {}],
  ];
  for (const [method, path, headers, body] of cases) {
    const res = await raw(method, path, headers, body);
    const what = `${method} ${path.slice(0, 80)}`;
    assert.ok(res.status < 500, `${what}: ${res.status} ${res.body.slice(0, 200)}`);
    assert.doesNotMatch(res.body, /at .*\.ts:\d+|TypeError|SessionNotFound|stack/i, what);
    assert.ok(!res.body.includes(person), what);
  }
  assert.equal((await raw('GET', '/bench-static?bytes=100', {})).status, 404, 'the benchmark\'s static page only with PCR_BENCH=1');
  // Nothing changed: no ban, notifications on, the session still works.
  assert.equal((await reg.register.db.query('SELECT 1 FROM voluntary_bans WHERE person = $1', [person])).rows.length, 0);
  assert.equal((await reg.register.db.query('SELECT 1 FROM persons WHERE person = $1 AND notifications_off', [person])).rows.length, 0);
  assert.equal((await web.get(`${base}/loans`)).status, 200);
  for (const line of reg.logs) assert.ok(!line.includes(person), 'no identity code in the log');
});
