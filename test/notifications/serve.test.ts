/**
 * What `pcr serve` runs (notificationJobs): a Test register delivers to the file mailbox in its
 * data directory unless told otherwise; a Production register delivers nothing until an adapter
 * is chosen, and says so at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import pino from 'pino';
import { finnishDate } from '../../src/common/dates.ts';
import { resolveConfig } from '../../src/config.ts';
import { readMailbox } from '../../src/notifications/adapters.ts';
import { notificationJobs } from '../../src/notifications/job.ts';
import { startTestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';
import { addDays, queue, rowOf } from './helpers.ts';
import { tempDir } from '../helpers/temp.ts';

function capture(): { logger: pino.Logger; lines: { level: number; msg: string; adapter?: string; mailbox?: string }[] } {
  const lines: { level: number; msg: string; adapter?: string; mailbox?: string }[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
  return { logger, lines };
}

test('a Test register delivers the outbox to <data-dir>/notifications.ndjson by default', async () => {
  const reg = await startTestRegister();
  try {
    const p = testPerson();
    await queue(reg.register.db, p, addDays(finnishDate(), -1), 2);
    reg.server.worker.wake();
    const mailbox = join(reg.dataDir, 'notifications.ndjson');
    for (let i = 0; i < 500 && readMailbox(mailbox).length === 0; i++) await sleep(20);
    const [m] = readMailbox(mailbox);
    const row = await rowOf(reg.register.db, p);
    assert.equal(m?.externalId, row.id);
    assert.equal(m?.recipient, p);
    assert.match(m!.body, /2 kertaa/);
    for (let i = 0; i < 100 && (await rowOf(reg.register.db, p)).state !== 'Sent'; i++) await sleep(20);
    assert.equal((await rowOf(reg.register.db, p)).state, 'Sent');
    assert.ok(!reg.logs.join('').includes(p), 'the identity code is in no log line');
  } finally {
    await reg.close();
  }
});

test('which adapter runs: Test defaults to the file, Production to none with a warning; off is off; suomifi when configured', (t) => {
  const db = {} as never; // the jobs are only built here, not run
  const dir = tempDir('pcr-notify-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 't');
  const config = (env: Record<string, string> = {}) => resolveConfig({ dataDir: '/tmp/pcr-x' }, env);
  const suomifi = { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'https://api.messages-qa.suomi.fi', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_TOKEN_FILE: tokenFile };
  const cases: [string, Record<string, string>, 'Test' | 'Production', string[], RegExp | null, string | undefined][] = [
    ['Test, unset', {}, 'Test', ['notifications'], /^Extract notifications are delivered$/, 'file'],
    ['Production, suomifi', suomifi, 'Production', ['notifications'], /^Extract notifications are delivered$/, 'suomifi'],
    ['Production, unset', {}, 'Production', [], /^Extract notifications are not delivered: a Production register needs PCR_NOTIFY_ADAPTER/, undefined],
    ['Production, off', { PCR_NOTIFY_ADAPTER: 'off' }, 'Production', [], /not delivered \(PCR_NOTIFY_ADAPTER=off\)/, undefined],
    ['Test, off', { PCR_NOTIFY_ADAPTER: 'off' }, 'Test', [], /not delivered/, undefined],
    ['Production, file', { PCR_NOTIFY_ADAPTER: 'file' }, 'Production', ['notifications'], /in a Production register: the file holds identity codes/, 'file'],
  ];
  for (const [what, env, environment, kinds, message, adapter] of cases) {
    const { logger, lines } = capture();
    const jobs = notificationJobs({ db, environment, config: config(env) }, { logger, now: () => new Date() });
    assert.deepEqual(jobs.map((j) => j.name), kinds, what);
    assert.ok(message === null || lines.some((l) => message.test(l.msg)), `${what}: ${JSON.stringify(lines)}`);
    assert.equal(lines.find((l) => l.adapter)?.adapter, adapter, what);
    if (adapter === 'file') assert.equal(lines.find((l) => l.adapter)?.mailbox, '/tmp/pcr-x/notifications.ndjson');
    const warned = lines.some((l) => l.level === 40);
    assert.equal(warned, environment === 'Production' && (env.PCR_NOTIFY_ADAPTER === undefined || env.PCR_NOTIFY_ADAPTER === 'file'), `${what}: a warning only when a Production register is not configured to deliver, or writes a file`);
  }
});
