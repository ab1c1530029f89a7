/** The demo of `pcr serve --demo`: its organisations, certificates and example ban, made in one transaction with one audit entry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { operatorOf } from '../../src/audit/audit.ts';
import { createDemo, DEMO_ORGANISATIONS, DEMO_PERSON, demoDir, isEmptyRegister } from '../../src/demo/demo.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import { startTestRegister } from '../helpers/register.ts';
import { feedMarkPassed } from '../helpers/bans.ts';

test('the demo is one operator change: its organisations, permissions and certificates, and one audit entry naming them', async () => {
  const reg = await startTestRegister();
  try {
    assert.equal(await isEmptyRegister(reg.register), true);
    await createDemo(reg.register, operatorOf({ osUser: 'demo-tester' }));
    const orgs = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM organisations');
    assert.equal(orgs.rows[0]!.n, DEMO_ORGANISATIONS.length);
    const { rows } = await reg.register.db.query<{ actor: string; action: string; after: { organisations: { businessId: string; certificates: { serial: string }[] }[] } }>(
      'SELECT actor, action, after FROM operator_audit',
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.actor, 'demo-tester');
    assert.equal(rows[0]!.action, 'serve --demo');
    assert.deepEqual(rows[0]!.after.organisations.map((o) => o.businessId), DEMO_ORGANISATIONS.map((d) => d.businessId));
    const serials = rows[0]!.after.organisations.flatMap((o) => o.certificates.map((c) => c.serial));
    const certs = await reg.register.db.query<{ serial: string }>('SELECT serial FROM certificates ORDER BY serial');
    assert.deepEqual([...serials].sort(), certs.rows.map((c) => c.serial));
    assert.ok(existsSync(join(demoDir(reg.register), 'demo-bank-reporting', 'key.pem')));

    // The example a newcomer pastes, with the company's certificate: the demo person's consented ban.
    const dir = demoDir(reg.register);
    const company = new HttpsJsonClient(reg.url, {
      ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'credit-info-data-use', 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'credit-info-data-use', 'key.pem'), 'utf8'),
    });
    try {
      await feedMarkPassed(reg.register.db);
      const res = await company.post<{ changes: { personIdCode: string; change: string; reason: string }[] }>(
        '/GetVoluntaryBanChanges', JSON.parse(readFileSync(join(dir, 'examples', 'GetVoluntaryBanChanges.json'), 'utf8')));
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.changes.map((c) => [c.personIdCode, c.change, c.reason]), [[DEMO_PERSON, 'Set', 'ControlOfPersonalFinances']]);
    } finally {
      company.close();
    }

    // The authority's examples: the order the demo placed becomes a delivery; a new order is accepted.
    const authority = new HttpsJsonClient(reg.url, {
      ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'authority-data-use', 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'authority-data-use', 'key.pem'), 'utf8'),
    });
    try {
      const example = (name: string) => JSON.parse(readFileSync(join(dir, 'examples', name), 'utf8')) as Record<string, unknown>;
      reg.server.worker.wake();
      let deliveries: { deliveryId: string; status: string }[] = [];
      for (let i = 0; i < 400 && deliveries[0]?.status !== 'Ready'; i++) {
        const res = await authority.post<{ deliveries: typeof deliveries }>('/GetDataDelivery', example('GetDataDelivery.json'));
        assert.equal(res.status, 200, res.text);
        deliveries = res.body.deliveries;
        if (deliveries[0]?.status !== 'Ready') await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(deliveries[0]?.status, 'Ready');
      const content = await authority.post('/GetDataDelivery', { ...example('GetDataDelivery.json'), deliveryId: deliveries[0]!.deliveryId, page: 1 });
      assert.equal(content.status, 200, content.text);
      assert.match(content.text, new RegExp(`"personIdCode":"${DEMO_PERSON}"`));
      for (const name of ['OrderData-PersonLoans.json', 'OrderData-LoanStockSnapshot.json', 'OrderData-MonthlyAggregates.json', 'OrderData-LateReporting.json']) {
        const res = await authority.post<{ orderId: string }>('/OrderData', example(name));
        assert.equal(res.status, 200, `${name}: ${res.text}`);
        if (name === 'OrderData-LateReporting.json') continue; // recurring: its first delivery comes when the month has ended
        // Each one-off example is produced: Ready, its content downloadable.
        const ask = { ...example('GetDataDelivery.json'), orderId: res.body.orderId };
        let status = '';
        let id = '';
        for (let i = 0; i < 400 && status !== 'Ready'; i++) {
          const d = await authority.post<{ deliveries: { deliveryId: string; status: string }[] }>('/GetDataDelivery', ask);
          [status, id] = [d.body.deliveries[0]?.status ?? '', d.body.deliveries[0]?.deliveryId ?? ''];
          if (status !== 'Ready') await new Promise((r) => setTimeout(r, 25));
        }
        assert.equal(status, 'Ready', name);
        const page = await authority.post('/GetDataDelivery', { ...ask, deliveryId: id, page: 1 });
        assert.equal(page.status, 200, `${name}: ${page.text}`);
        if (name === 'OrderData-MonthlyAggregates.json') assert.match(page.text, /^month,loanType,/);
      }
    } finally {
      authority.close();
    }
  } finally {
    await reg.close();
  }
});
