/** The notification job's outcomes in the metrics, and the outbox read from the database at scrape time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryError } from '../../src/notifications/adapters.ts';
import { notificationsJob } from '../../src/notifications/job.ts';
import { createRegisterMetrics } from '../../src/metrics/registry.ts';
import { openTestDatabase } from '../helpers/db.ts';
import { testPerson } from '../helpers/reports.ts';
import { drain, extractsAt, lender, Recorder } from '../notifications/helpers.ts';
import { key, parseSamples } from './scrape.ts';

test('delivery failures by outcome (retrying, gave_up), sent, and the outbox by state', async () => {
  const db = await openTestDatabase();
  try {
    const metrics = createRegisterMetrics({ db });
    const samples = async () => parseSamples(await metrics.scrape());
    const org = await lender(db);
    const [a, b, c] = [testPerson(), testPerson(), testPerson()];
    // Extracts two days ago: their notifications are due whatever the hour in Finland.
    await extractsAt(db, org, [a, b, c], new Date(Date.now() - 2 * 86_400_000));
    let s = await samples();
    assert.equal(s.get(key('pcr_notification_outbox_rows', { state: 'pending' })), 3);
    assert.equal(s.get(key('pcr_notification_outbox_rows', { state: 'due' })), 3);
    assert.equal(s.get(key('pcr_notification_outbox_rows', { state: 'gave_up' })), 0);

    // a: refused for good; b and c: the service is down (retried later).
    const failing = new Recorder((m) => new DeliveryError(m.recipient === a ? 'refused' : 'down', m.recipient === a));
    await drain(notificationsJob(db, { now: () => new Date(), adapter: failing, metrics }));
    s = await samples();
    assert.equal(s.get(key('pcr_notifications_total', { outcome: 'gave_up' })), 1);
    assert.equal(s.get(key('pcr_notifications_total', { outcome: 'retrying' })), 2);
    assert.equal(s.get(key('pcr_notification_outbox_rows', { state: 'pending' })), 2);
    assert.equal(s.get(key('pcr_notification_outbox_rows', { state: 'due' })), 0, 'backing off');
    assert.equal(s.get(key('pcr_notification_outbox_rows', { state: 'gave_up' })), 1);

    // Later (the back-off over): delivered.
    await drain(notificationsJob(db, { now: () => new Date(Date.now() + 3_600_000), adapter: new Recorder(), metrics }));
    s = await samples();
    assert.equal(s.get(key('pcr_notifications_total', { outcome: 'sent' })), 2);
    assert.equal(s.get(key('pcr_notification_outbox_rows', { state: 'pending' })), 0);
    const text = await metrics.scrape();
    for (const p of [a, b, c]) assert.ok(!text.includes(p));
  } finally {
    await db.close();
  }
});
