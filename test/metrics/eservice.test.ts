/**
 * The e-service's requests and logins in the operator's metrics (docs/metrics.md): pages by
 * route pattern and status (never the URL: an extract's reference or an identity code in a path
 * stays out), logins by outcome from zero, and no identity code anywhere in the scrape.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';
import { actionOf, WebClient } from '../helpers/web.ts';
import { delta, key, scrape } from './scrape.ts';

let reg: TestRegister;
let base: string;
const clients: WebClient[] = [];
before(async () => {
  reg = await startTestRegister();
  assert.ok(reg.server.web);
  base = reg.server.web.url;
});
after(async () => {
  for (const c of clients) c.close();
  await reg.close();
});

const browser = () => {
  const c = new WebClient(reg.register.ca.certPem, 'en');
  clients.push(c);
  return c;
};

test('logins by outcome and pages by route and status; no identity code, reference or URL in the scrape', async () => {
  const url = reg.server.metrics.url;
  const first = await scrape(url);
  for (const outcome of ['started', 'succeeded', 'refused', 'provider_unreachable']) {
    assert.ok(first.samples.has(key('pcr_eservice_logins_total', { outcome })), `${outcome} is there from the start`);
  }
  const person = testPerson();
  const web = browser();
  const welcome = await web.get(`${base}/`);
  const idpPage = await web.submit(welcome, '/login');
  const landed = await web.submit(idpPage, actionOf(idpPage.body, '/idp-login/'), { personalIdentityCode: person });
  assert.equal(new URL(landed.url).pathname, '/loans');
  // A callback with no login under way: refused.
  assert.equal((await browser().get(`${base}/callback?code=x&state=y`)).status, 400);
  const reference = randomUUID();
  assert.equal((await web.get(`${base}/extracts/${reference}`)).status, 404);
  assert.equal((await web.get(`${base}/${person}`)).status, 404);
  const after = await scrape(url);
  const d = (name: string, labels: Record<string, string>) => delta(first.samples, after.samples, key(name, labels));
  assert.equal(d('pcr_eservice_logins_total', { outcome: 'started' }), 1);
  assert.equal(d('pcr_eservice_logins_total', { outcome: 'succeeded' }), 1);
  assert.equal(d('pcr_eservice_logins_total', { outcome: 'refused' }), 1);
  assert.equal(d('pcr_eservice_request_duration_seconds_count', { route: '/loans', status: '200' }), 1);
  assert.equal(d('pcr_eservice_request_duration_seconds_count', { route: '/extracts/:ref', status: '404' }), 1);
  assert.ok(d('pcr_eservice_request_duration_seconds_count', { route: '(unmatched)', status: '404' }) >= 1, 'a path that is no route: unmatched, not its path');
  assert.ok(!after.text.includes(person) && !after.text.includes(reference), 'no identity code, no reference');
  // The API's requests metric stays the API's.
  assert.equal(d('http_request_duration_seconds_count', { operation: '/loans', status: '200' }), 0);
});
