/** The operator's ban commands (src/cli/ban-commands.ts): ban set/remove/consent/show, their JSON, the history with who changed what, and the audit trail. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { operatorOf, thisOsAccount } from '../../src/audit/audit.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

const TODAY = finnishDate();
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
/** The actor of a command run without --actor in this process. */
const me = operatorOf(thisOsAccount()).actor;

async function pcr<T = Record<string, unknown>>(...argv: string[]): Promise<T> {
  const r = await reg.cli([...argv, '--json']);
  assert.equal(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface Shown {
  ban: { reason: string; startDate: string; endDate: string | null } | null;
  consent: boolean;
  setAt: string | null;
  setBy: string | null;
  history: { change: string; reason: string | null; startDate: string | null; endDate: string | null; changedAt: string; changedBy: string }[];
}

interface Entry { actor: string; action: string; target: string | null; before: unknown; after: unknown }
/** The audit entries about a person, oldest first, identity codes shown. */
async function auditOf(person: string): Promise<Entry[]> {
  const r = await reg.cli(['audit', '--id-code', person, '--show-identity-codes', '--json']);
  assert.equal(r.exitCode, 0, r.stderr);
  return (JSON.parse(r.stdout) as Entry[]).reverse();
}

/** Every table a ban command can change, as one comparable snapshot. */
async function state(): Promise<string> {
  const parts: unknown[] = [];
  for (const t of ['voluntary_bans', 'voluntary_ban_changes', 'persons', 'ban_feed', 'ban_deliveries', 'operator_audit']) {
    parts.push((await reg.register.db.query(`SELECT * FROM ${t} ORDER BY 1, 2`)).rows);
  }
  return JSON.stringify(parts);
}

test('ban set --consent, consent --give/--withdraw, remove: what each did and what the companies receive', async () => {
  const p = testPerson();
  const ban = { reason: 'Other', startDate: TODAY, endDate: null };
  assert.deepEqual(await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--consent', '--actor', 'alice'), { change: 'Set', ban, consent: true, delivered: 'Set' });
  // Without --consent the consent stays as it was.
  const changed = { reason: 'RiskOfIdentityTheft', startDate: addDays(TODAY, 2), endDate: addDays(TODAY, 30) };
  assert.deepEqual(
    await pcr('ban', 'set', '--id-code', p, '--reason', changed.reason, '--start-date', changed.startDate, '--end-date', changed.endDate, '--actor', 'bob'),
    { change: 'Changed', ban: changed, consent: true, delivered: 'Changed' },
  );
  assert.deepEqual(await pcr('ban', 'consent', '--id-code', p, '--withdraw', '--actor', 'carol'), { changed: true, consent: false, delivered: 'ConsentWithdrawn' });
  assert.deepEqual(await pcr('ban', 'consent', '--id-code', p, '--withdraw'), { changed: false, consent: false, delivered: null }, 'the same again: no change');
  assert.deepEqual(await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--actor', 'bob'), { change: 'Changed', ban, consent: false, delivered: null }, 'no consent: nothing to the companies');
  assert.deepEqual(await pcr('ban', 'consent', '--id-code', p, '--give', '--actor', 'dave'), { changed: true, consent: true, delivered: 'Set' });
  assert.deepEqual(await pcr('ban', 'consent', '--id-code', p, '--give'), { changed: false, consent: true, delivered: null });
  assert.deepEqual(await pcr('ban', 'remove', '--id-code', p, '--actor', 'erin'), { removed: true, delivered: 'Removed' });
  assert.deepEqual(await pcr('ban', 'remove', '--id-code', p), { removed: false, delivered: null });
  assert.deepEqual(await pcr('ban', 'consent', '--id-code', p, '--withdraw'), { changed: true, consent: false, delivered: null }, 'consent is the person\'s own, with or without a ban');
  // The hidden alias of --consent.
  const q = testPerson();
  assert.deepEqual(await pcr('ban', 'set', '--id-code', q, '--reason', 'Other', '--consent-to-share'), { change: 'Set', ban, consent: true, delivered: 'Set' });
  // The text forms say the same.
  const text = await reg.cli(['ban', 'consent', '--id-code', q, '--withdraw']);
  assert.equal(text.stdout, 'Consent withdrawn.\nCredit information companies receive it as ConsentWithdrawn.\n');
  assert.equal((await reg.cli(['ban', 'consent', '--id-code', q, '--withdraw'])).stdout, 'The consent already was withdrawn; nothing changed.\n');
  assert.match((await reg.cli(['ban', 'set', '--id-code', q, '--reason', 'RiskOfIdentityTheft'])).stdout, /^Voluntary ban changed: RiskOfIdentityTheft, from \d{4}-\d{2}-\d{2}, until removed\.\nCredit information companies receive nothing of it/);
});

test('ban consent needs exactly one of --give and --withdraw: a usage error, nothing changed', async () => {
  const p = testPerson();
  await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--consent');
  const was = await state();
  for (const flags of [[], ['--give', '--withdraw']]) {
    const r = await reg.cli(['ban', 'consent', '--id-code', p, ...flags]);
    assert.equal(r.exitCode, 2, `${flags}: ${r.stdout}`);
    assert.equal(r.stderr, 'pcr: give exactly one of --give and --withdraw\n');
    assert.equal(r.stdout, '');
  }
  assert.equal(await state(), was);
});

test('ban show --json: the ban now, the consent, and every change with who made it', async () => {
  const p = testPerson();
  await pcr('ban', 'consent', '--id-code', p, '--give', '--actor', 'alice');
  await pcr('ban', 'set', '--id-code', p, '--reason', 'ControlOfPersonalFinances', '--end-date', addDays(TODAY, 10), '--actor', 'bob');
  await pcr('ban', 'consent', '--id-code', p, '--withdraw', '--actor', 'carol');
  await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--start-date', addDays(TODAY, 1), '--consent');
  let shown = await pcr<Shown>('ban', 'show', '--id-code', p);
  assert.deepEqual(shown.ban, { reason: 'Other', startDate: addDays(TODAY, 1), endDate: null });
  assert.equal(shown.consent, true);
  assert.equal(shown.setBy, me);
  assert.ok(shown.setAt && Date.parse(shown.setAt) <= Date.now());
  assert.deepEqual(shown.history.map((h) => [h.change, h.changedBy, h.reason, h.startDate, h.endDate]), [
    ['ConsentGiven', 'alice', null, null, null],
    ['Set', 'bob', 'ControlOfPersonalFinances', TODAY, addDays(TODAY, 10)],
    ['ConsentWithdrawn', 'carol', 'ControlOfPersonalFinances', TODAY, addDays(TODAY, 10)],
    ['Changed', me, 'Other', addDays(TODAY, 1), null],
    ['ConsentGiven', me, 'Other', addDays(TODAY, 1), null],
  ]);
  assert.ok(shown.history.every((h, i) => i === 0 || shown.history[i - 1]!.changedAt <= h.changedAt), 'oldest first');
  await pcr('ban', 'remove', '--id-code', p, '--actor', 'dave');
  shown = await pcr<Shown>('ban', 'show', '--id-code', p);
  assert.deepEqual([shown.ban, shown.consent, shown.setAt, shown.setBy], [null, true, null, null]);
  assert.deepEqual(shown.history.at(-1)!.change, 'Removed');
  assert.deepEqual([shown.history.at(-1)!.changedBy, shown.history.at(-1)!.reason], ['dave', 'Other'], 'the removed ban is kept in the entry');
  // A person the register never heard of: nothing, and show creates nothing.
  const was = await state();
  const nobody = await pcr<Shown>('ban', 'show', '--id-code', testPerson());
  assert.deepEqual(nobody, { ban: null, consent: false, setAt: null, setBy: null, history: [] });
  assert.equal(await state(), was);
  const text = await reg.cli(['ban', 'show', '--id-code', p]);
  assert.match(text.stdout, /^No voluntary ban\.\nConsent to pass it to credit information companies: given\.\nHistory:\n/);
  assert.match(text.stdout, /Removed +Other .* by dave\n$/);
});

test('pcr audit records each state-changing ban command with its before and after; show and deliveries record nothing', async () => {
  const p = testPerson();
  await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--consent', '--actor', 'alice');
  await pcr('ban', 'set', '--id-code', p, '--reason', 'RiskOfIdentityTheft', '--end-date', addDays(TODAY, 5), '--actor', 'bob');
  await pcr('ban', 'consent', '--id-code', p, '--withdraw', '--actor', 'carol');
  await pcr('ban', 'consent', '--id-code', p, '--give');
  await pcr('ban', 'remove', '--id-code', p, '--actor', 'dave');
  await pcr('ban', 'show', '--id-code', p);
  await pcr('ban', 'deliveries', '--id-code', p);
  const entries = await auditOf(p);
  const other = { reason: 'Other', startDate: TODAY, endDate: null };
  const risk = { reason: 'RiskOfIdentityTheft', startDate: TODAY, endDate: addDays(TODAY, 5) };
  assert.deepEqual(entries.map((e) => [e.actor, e.action, e.target, e.before, e.after]), [
    ['alice', 'ban set', p, { ban: null, consent: false }, { ban: other, consent: true }],
    ['bob', 'ban set', p, { ban: other, consent: true }, { ban: risk, consent: true }],
    ['carol', 'ban consent withdraw', p, { ban: risk, consent: true }, { ban: risk, consent: false }],
    [me, 'ban consent give', p, { ban: risk, consent: false }, { ban: risk, consent: true }],
    ['dave', 'ban remove', p, { ban: risk, consent: true }, { ban: null, consent: true }],
  ]);
  // Identity codes are hidden unless asked for.
  const hidden = await reg.cli(['audit', '--id-code', p, '--json']);
  assert.equal(hidden.stdout.includes(p), false);
});

test('a refused ban command (end date passed, end before start, bad reason or code) exits non-zero with a clear message and changes nothing', async () => {
  const p = testPerson();
  await pcr('ban', 'set', '--id-code', p, '--reason', 'Other', '--end-date', addDays(TODAY, 20), '--consent');
  const was = await state();
  const cases: [string[], RegExp][] = [
    // With the start left to default (today) the first rule broken is end < start; either message names the end date.
    [['--reason', 'Other', '--end-date', addDays(TODAY, -1)], new RegExp(`^pcr: The end date ${addDays(TODAY, -1)} (has passed|is before the start date ${TODAY})`)],
    [['--reason', 'Other', '--start-date', addDays(TODAY, -30), '--end-date', addDays(TODAY, -1)], new RegExp(`^pcr: The end date ${addDays(TODAY, -1)} has passed: such a ban would have ended already\n$`)],
    [['--reason', 'Other', '--start-date', addDays(TODAY, 10), '--end-date', addDays(TODAY, 9)], /is before the start date/],
    [['--reason', 'Boredom'], /reason must be one of RiskOfIdentityTheft, ControlOfPersonalFinances, Other/],
    [['--reason', 'Other', '--end-date', '2026-02-30'], /end date must be a date yyyy-mm-dd/],
  ];
  for (const [args, message] of cases) {
    const r = await reg.cli(['ban', 'set', '--id-code', p, ...args]);
    assert.notEqual(r.exitCode, 0, args.join(' '));
    assert.equal(r.exitCode, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^pcr: [^\n]*\n$/, 'one line');
    assert.equal(r.stdout, '');
  }
  for (const argv of [['ban', 'set', '--id-code', '131052-308T', '--reason', 'Other'], ['ban', 'consent', '--id-code', 'nobody', '--give'], ['ban', 'remove', '--id-code', '010190-923F']]) {
    const r = await reg.cli(argv);
    assert.equal(r.exitCode, 2, argv.join(' '));
    assert.match(r.stderr, /^pcr: .*(identity code|test identity codes)/);
  }
  assert.equal(await state(), was, 'the ban, its history, the feed and the audit trail are as they were');
  const shown = await pcr<Shown>('ban', 'show', '--id-code', p);
  assert.deepEqual(shown.ban, { reason: 'Other', startDate: TODAY, endDate: addDays(TODAY, 20) });
});
