/** The operator audit trail: one entry per state-changing command, with who, before and after, in the change's own transaction. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BulkAuditEntry, operatorOf, thisOsAccount, type AuditEntry } from '../../src/audit/audit.ts';
import { operatorChannelRunner } from '../../src/cli/main.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { incomeWindow } from '../../src/extract/content.ts';
import { importIncome } from '../../src/extract/income-import.ts';
import { forwardToRunningRegister, serveOperatorChannel } from '../../src/operator/channel.ts';
import { startTestRegister, uniqueBusinessId, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

/** The actor of a command run without --actor in this process. */
const me = operatorOf(thisOsAccount()).actor;

async function entries(): Promise<AuditEntry[]> {
  const { rows } = await reg.register.db.query<AuditEntry & { at: Date }>(
    `SELECT id, at, actor, action, target, before, after, details, in_progress AS "inProgress" FROM operator_audit ORDER BY id`,
  );
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}

/** Runs a command that must succeed and write exactly one audit entry; returns the entry and the command's output. */
async function audited(argv: string[]): Promise<{ entry: AuditEntry; stdout: string }> {
  const was = (await entries()).length;
  const r = await reg.cli(argv);
  assert.equal(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
  const now = await entries();
  assert.equal(now.length, was + 1, `${argv.join(' ')} writes exactly one entry`);
  return { entry: now.at(-1)!, stdout: r.stdout };
}

/** Every table an operator command can change, as one comparable snapshot. */
async function state(): Promise<string> {
  const tables = ['organisations', 'data_permissions', 'certificate_orders', 'certificates', 'voluntary_bans', 'voluntary_ban_changes', 'persons', 'ban_feed', 'income_months', 'operator_audit'];
  const parts: unknown[] = [];
  for (const t of tables) parts.push((await reg.register.db.query(`SELECT * FROM ${t} ORDER BY 1, 2`)).rows);
  return JSON.stringify(parts);
}

test('every state-changing command writes one entry: actor, action, target, before and after', async () => {
  const id = uniqueBusinessId();
  const org = ['--business-id', id];

  let { entry } = await audited(['org', 'add', ...org, '--name', 'Audited Bank', '--roles', 'lender']);
  assert.deepEqual([entry.actor, entry.action, entry.target, entry.before], [me, 'org add', id, null]);
  assert.equal((entry.after as { state: string }).state, 'active');
  assert.equal((entry.details as { osUser: string }).osUser, thisOsAccount().osUser);

  ({ entry } = await audited(['permission', 'grant', ...org, '--permission', 'extract', '--purposes', 'consumer']));
  assert.equal(entry.before, null);
  assert.deepEqual((entry.after as { purposes: string[] }).purposes, ['consumer']);
  // A grant over an existing one overwrites the row: the entry keeps what it was.
  ({ entry } = await audited(['permission', 'grant', ...org, '--permission', 'extract', '--purposes', 'consumer,business', '--actor', 'Alice Admin']));
  assert.equal(entry.actor, 'Alice Admin');
  assert.deepEqual((entry.before as { purposes: string[] }).purposes, ['consumer']);
  assert.deepEqual((entry.after as { purposes: string[] }).purposes, ['consumer', 'business']);
  assert.deepEqual(entry.details, { permission: 'extract', osUser: thisOsAccount().osUser, ...(thisOsAccount().sudoUser ? { sudoUser: thisOsAccount().sudoUser } : {}) });
  // A revocation deletes the row: the entry keeps it.
  ({ entry } = await audited(['permission', 'revoke', ...org, '--permission', 'extract']));
  assert.deepEqual([entry.action, (entry.before as { purposes: string[] }).purposes, entry.after], ['permission revoke', ['consumer', 'business'], null]);

  ({ entry } = await audited(['org', 'suspend', ...org]));
  assert.deepEqual([(entry.before as { state: string }).state, (entry.after as { state: string }).state], ['active', 'suspended']);
  ({ entry } = await audited(['org', 'activate', ...org]));
  assert.deepEqual([entry.action, (entry.after as { state: string }).state], ['org activate', 'active']);

  let stdout: string;
  ({ entry, stdout } = await audited(['cert', 'order', ...org, '--usage', 'data-use', '--json']));
  const order = JSON.parse(stdout) as { transferId: string; transferPassword: string };
  assert.equal((entry.after as { transferId: string }).transferId, order.transferId);
  assert.ok(!JSON.stringify(entry).includes(order.transferPassword), 'the transfer password is never in the trail');
  ({ entry, stdout } = await audited(['cert', 'issue', ...org, '--usage', 'reporting', '--out', join(reg.dataDir, 'audit-cert'), '--json']));
  const serial = (JSON.parse(stdout) as { serial: string }).serial;
  assert.deepEqual([entry.action, (entry.after as { serial: string }).serial], ['cert issue', serial]);
  ({ entry } = await audited(['cert', 'revoke', '--serial', serial, '--reason', 'key lost']));
  assert.equal(entry.target, serial);
  assert.equal((entry.before as { revokedAt: string | null }).revokedAt, null);
  assert.match((entry.after as { revokedAt: string }).revokedAt, /^\d{4}-/);

  const person = testPerson();
  ({ entry } = await audited(['ban', 'set', '--id-code', person, '--reason', 'ControlOfPersonalFinances']));
  type BanAudit = { ban: { reason: string } | null; consent: boolean };
  assert.deepEqual([entry.action, entry.target, entry.before], ['ban set', person, { ban: null, consent: false }]);
  assert.deepEqual([(entry.after as BanAudit).ban?.reason, (entry.after as BanAudit).consent], ['ControlOfPersonalFinances', false]);
  ({ entry } = await audited(['ban', 'set', '--id-code', person, '--reason', 'Other', '--actor', 'bob']));
  assert.deepEqual([(entry.before as BanAudit).ban?.reason, (entry.after as BanAudit).ban?.reason, entry.actor], ['ControlOfPersonalFinances', 'Other', 'bob']);
  ({ entry } = await audited(['ban', 'consent', '--id-code', person, '--give', '--actor', 'dave']));
  assert.deepEqual([entry.action, (entry.before as BanAudit).consent, (entry.after as BanAudit).consent], ['ban consent give', false, true]);
  ({ entry } = await audited(['ban', 'remove', '--id-code', person, '--actor', 'carol']));
  assert.deepEqual([(entry.before as BanAudit).ban?.reason, entry.after], ['Other', { ban: null, consent: true }]);
  // The ban's own history names the operator, not 'operator'.
  const history = await reg.register.db.query<{ change: string; by: string }>('SELECT change, changed_by AS by FROM voluntary_ban_changes WHERE person = $1 ORDER BY id', [person]);
  assert.deepEqual(history.rows, [{ change: 'Set', by: me }, { change: 'Changed', by: 'bob' }, { change: 'ConsentGiven', by: 'dave' }, { change: 'Removed', by: 'carol' }]);

  ({ entry } = await audited(['person', 'deceased', '--id-code', person, '--date', '2026-01-02']));
  assert.deepEqual([entry.target, entry.before, entry.after], [person, { dateOfDeath: null }, { dateOfDeath: '2026-01-02' }]);
  ({ entry } = await audited(['person', 'notifications', '--id-code', person, '--off']));
  assert.deepEqual([entry.action, entry.before, entry.after], ['person notifications off', { notifications: true }, { notifications: false }]);
  ({ entry } = await audited(['person', 'notifications', '--id-code', person, '--on']));
  assert.deepEqual([entry.action, entry.before, entry.after], ['person notifications on', { notifications: false }, { notifications: true }]);

  // An import is one entry with its counts (in chunks: written with the first, completed with the last), no identity codes.
  const w = incomeWindow(finnishDate());
  const earner = testPerson();
  const lines = [0, 1, 2].map((k) => JSON.stringify({ idCode: earner, year: Math.floor((w.last - k) / 12), month: ((w.last - k) % 12) + 1, wagesGrossAmount: 1000 }));
  const file = join(reg.dataDir, 'audit-income.ndjson');
  writeFileSync(file, `${[...lines, '{"idCode": "bad"}'].join('\n')}\n`);
  ({ entry } = await audited(['income', 'import', '--file', 'audit-income.ndjson']));
  assert.deepEqual([entry.action, entry.target, entry.after, entry.inProgress], ['income import', file, { lines: 4, accepted: 3, rejected: 1 }, false]);
  assert.ok(!JSON.stringify(entry).includes(earner), 'no identity code in an import entry');

  ({ entry } = await audited(['loans', 'pack']));
  assert.deepEqual([entry.action, entry.after, entry.inProgress], ['loans pack', { packed: 0 }, false]);

  // Reading commands write nothing.
  const was = (await entries()).length;
  for (const argv of [['org', 'list'], ['cert', 'list'], ['billing', '--month', '2026-01'], ['audit'], ['ca', 'export', '--out', join(reg.dataDir, 'ca-out.pem')]]) {
    assert.equal((await reg.cli(argv)).exitCode, 0, argv.join(' '));
  }
  assert.equal((await entries()).length, was);
});

test('a command that fails writes no entry and changes nothing; the entry and its change commit together', async () => {
  const id = uniqueBusinessId();
  assert.equal((await reg.cli(['org', 'add', '--business-id', id, '--name', 'Failing Bank', '--roles', 'lender'])).exitCode, 0);
  const person = testPerson();
  const before = await state();
  for (const argv of [
    ['permission', 'grant', '--business-id', uniqueBusinessId(), '--permission', 'reporting'], // unknown organisation
    ['permission', 'grant', '--business-id', id, '--permission', 'authority'], // a lender is no authority
    ['org', 'add', '--business-id', id, '--name', 'Again', '--roles', 'lender'], // exists
    ['org', 'suspend', '--business-id', uniqueBusinessId()],
    ['cert', 'revoke', '--serial', 'ABCDEF'],
    ['ban', 'set', '--id-code', person, '--reason', 'NoSuchReason'],
    ['ban', 'set', '--id-code', '010190-123A', '--reason', 'Other'],
    ['ban', 'set', '--id-code', person, '--reason', 'Other', '--end-date', '2001-01-01'], // ended already
    ['ban', 'consent', '--id-code', person, '--give', '--withdraw'],
    ['person', 'deceased', '--id-code', person, '--date', '2026-02-30'],
    ['income', 'import', '--file', 'no-such-file.ndjson'],
    ['org', 'add', '--business-id', uniqueBusinessId(), '--name', 'X', '--roles', 'lender', '--actor', 'bad\u0007name'],
  ]) {
    const r = await reg.cli(argv);
    assert.notEqual(r.exitCode, 0, argv.join(' '));
  }
  assert.equal(await state(), before, 'no change and no entry');

  // The audit write failing undoes the change it records: they are one transaction.
  await reg.register.db.exec(`ALTER TABLE operator_audit ADD CONSTRAINT test_refuse_actor CHECK (actor <> 'refused-actor')`);
  try {
    const other = uniqueBusinessId();
    const r = await reg.cli(['org', 'add', '--business-id', other, '--name', 'Unrecorded', '--roles', 'lender', '--actor', 'refused-actor']);
    assert.equal(r.exitCode, 1);
    const { rows } = await reg.register.db.query('SELECT 1 FROM organisations WHERE id_code = $1', [other]);
    assert.equal(rows.length, 0, 'the organisation was not added without its entry');
    assert.equal((await reg.cli(['ban', 'set', '--id-code', person, '--reason', 'Other', '--actor', 'refused-actor'])).exitCode, 1);
    assert.equal(await state(), before);
  } finally {
    await reg.register.db.exec('ALTER TABLE operator_audit DROP CONSTRAINT test_refuse_actor');
  }

  // The trail is append-only.
  await assert.rejects(reg.register.db.query('DELETE FROM operator_audit'), /append-only/);
  await assert.rejects(reg.register.db.query(`UPDATE operator_audit SET actor = 'someone else'`), /append-only/);
});

test('a chunked import that stops part-way leaves one entry, still in progress, counting what was committed', async () => {
  const w = incomeWindow(finnishDate());
  const people = [testPerson(), testPerson(), testPerson(), testPerson(), testPerson()];
  const file = join(reg.dataDir, 'chunked.ndjson');
  writeFileSync(file, `${people.map((p) => JSON.stringify({ idCode: p, year: Math.floor(w.last / 12), month: (w.last % 12) + 1, wagesGrossAmount: 10 })).join('\n')}\n`);
  const audit = new BulkAuditEntry({ operator: operatorOf(thisOsAccount(), 'chunk-test'), action: 'income import', target: file });
  let chunks = 0;
  await assert.rejects(
    importIncome(reg.register.db, {
      file, format: 'ndjson', environment: 'Test', today: finnishDate(), rejectedFile: `${file}.rejected`, source: 'test', chunk: 2,
      inChunk: async (tx, counts, last) => {
        if (++chunks === 2) throw new Error('stopped'); // the second chunk fails: its rows and its count roll back
        await audit.update(tx, counts, last);
      },
    }),
    /stopped/,
  );
  const entry = (await entries()).at(-1)!;
  assert.deepEqual([entry.actor, entry.after, entry.inProgress], ['chunk-test', { lines: 2, accepted: 2, rejected: 0 }, true]);
  const { rows } = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM income_months WHERE person = ANY($1)', [people]);
  assert.equal(rows[0]!.n, 2);
});

test('through the operator socket the actor is the OS user of the client', async () => {
  const socket = join(mkdtempSync(join(reg.dataDir, 'sock-')), 'pcr.sock');
  const channel = await serveOperatorChannel(socket, operatorChannelRunner({ register: reg.register, afterAccessChange: () => reg.server.trust.invalidate() }));
  try {
    const id = uniqueBusinessId();
    const sent = await forwardToRunningRegister(socket, ['org', 'add', '--business-id', id, '--name', 'Socket Bank', '--roles', 'lender'], { osUser: 'pcr-service', sudoUser: 'dora' });
    assert.equal(sent?.exitCode, 0, sent?.stderr);
    const entry = (await entries()).at(-1)!;
    assert.deepEqual([entry.action, entry.target, entry.actor], ['org add', id, 'dora']);
    assert.deepEqual(entry.details, { osUser: 'pcr-service', sudoUser: 'dora' });
    const plain = await forwardToRunningRegister(socket, ['org', 'suspend', '--business-id', id], { osUser: 'erik' });
    assert.equal(plain?.exitCode, 0, plain?.stderr);
    assert.equal((await entries()).at(-1)!.actor, 'erik');
    const named = await forwardToRunningRegister(socket, ['org', 'activate', '--business-id', id, '--actor', 'Ticket 4711'], { osUser: 'erik' });
    assert.equal(named?.exitCode, 0, named?.stderr);
    assert.deepEqual([(await entries()).at(-1)!.actor, (await entries()).at(-1)!.details], ['Ticket 4711', { osUser: 'erik' }]);
  } finally {
    await channel.close();
  }
});

test('pcr audit lists the entries newest first; --since filters; identity codes are hidden unless asked for', async () => {
  const person = testPerson();
  assert.equal((await reg.cli(['ban', 'set', '--id-code', person, '--reason', 'Other'])).exitCode, 0);
  const all = await entries();
  const list = async (...args: string[]) => {
    const r = await reg.cli(['audit', '--json', '--limit', '1000', ...args]);
    assert.equal(r.exitCode, 0, r.stderr);
    return JSON.parse(r.stdout) as AuditEntry[];
  };
  const listed = await list();
  assert.deepEqual(listed.map((e) => e.id), all.map((e) => e.id).reverse());
  const newest = listed[0]!;
  assert.deepEqual([newest.action, newest.actor, newest.target], ['ban set', me, 'person (identity code hidden; --show-identity-codes)']);
  assert.ok(!JSON.stringify(listed).includes(person));
  assert.equal((await list('--show-identity-codes'))[0]!.target, person);
  assert.deepEqual((await list('--id-code', person.toLowerCase(), '--show-identity-codes')).map((e) => [e.action, e.target]), [['ban set', person]]);

  // --since: a date-time is inclusive; a day is from its start in Finland.
  const middle = all[Math.floor(all.length / 2)]!;
  const since = await list('--since', middle.at);
  assert.deepEqual(since.map((e) => e.id), all.filter((e) => e.at >= middle.at).map((e) => e.id).reverse());
  assert.ok(since.length < all.length && since.length > 0);
  assert.deepEqual(await list('--since', new Date(Date.now() + 86_400_000).toISOString()), []);
  const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  assert.deepEqual(await list('--since', tomorrow), []);
  assert.equal((await list('--since', '2000-01-01')).length, all.length);
  assert.equal((await list('--limit', '2')).length, 2);

  const text = await reg.cli(['audit', '--limit', '1']);
  assert.match(text.stdout, new RegExp(`#${newest.id}  ${me}  ban set  person \\(identity code hidden`));
  assert.match(text.stdout, /before: \{"ban":null,"consent":false\}\n {4}after: {2}\{"ban":\{"reason":"Other"/);
  for (const bad of [['--since', 'yesterday'], ['--since', '2026-02-30'], ['--limit', '0'], ['--id-code', 'nobody']]) {
    const r = await reg.cli(['audit', ...bad]);
    assert.equal(r.exitCode, 2, bad.join(' '));
  }
});
