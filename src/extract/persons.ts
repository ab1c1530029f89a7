/** What the operator records of persons: voluntary bans (set, changed, removed) and a known date of death. */
import type { Queryable } from '../db/database.ts';
import { InputError } from '../access/organisations.ts';
import { FIRST_DATE, isValidDate, LAST_DATE } from '../common/dates.ts';
import type { Environment } from '../access/pki.ts';
import { parsePersonalIdentityCode } from '../identity/personal-identity-code.ts';

export const BAN_REASONS = ['RiskOfIdentityTheft', 'ControlOfPersonalFinances', 'Other'] as const;
export type BanReason = (typeof BAN_REASONS)[number];

/** An identity code the register of this environment accepts, in upper case; else a clear InputError. */
export function personCode(idCode: string, environment: Environment): string {
  const p = parsePersonalIdentityCode(idCode);
  if (!p.ok) throw new InputError(`"${idCode}" is not a valid personal identity code`);
  if (p.value.isTestCode !== (environment === 'Test')) {
    throw new InputError(environment === 'Test' ? 'A Test register holds only test identity codes (individual number 900–999)' : 'A Production register does not hold test identity codes');
  }
  return p.value.code;
}

function date(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !isValidDate(value)) throw new InputError(`${what} must be a date yyyy-mm-dd, not "${value}"`);
  if (value < FIRST_DATE || value > LAST_DATE) throw new InputError(`${what} must be a date of the years ${FIRST_DATE.slice(0, 4)}–${LAST_DATE.slice(0, 4)}, not "${value}"`);
  return value;
}

export interface BanInput {
  person: string;
  reason: string;
  startDate?: string;
  endDate?: string;
  consentToShare?: boolean;
}

/** The voluntary ban in force as stored (without the person), or undefined: the audit trail's before and after. */
export async function findBan(db: Queryable, person: string) {
  const { rows } = await db.query<{ reason: BanReason; startDate: string; endDate: string | null; consentToShare: boolean; setAt: Date; setBy: string }>(
    `SELECT reason, start_date AS "startDate", end_date AS "endDate", consent_to_share AS "consentToShare", set_at AS "setAt", set_by AS "setBy"
     FROM voluntary_bans WHERE person = $1`,
    [person],
  );
  return rows[0] && { ...rows[0], setAt: rows[0].setAt.toISOString() };
}

/** What the register knows of a person besides loans and income (defaults when nothing), for the audit trail. */
export async function findPerson(db: Queryable, person: string): Promise<{ dateOfDeath: string | null; notifications: boolean }> {
  const { rows } = await db.query<{ dateOfDeath: string | null; notificationsOff: boolean }>(
    'SELECT date_of_death AS "dateOfDeath", notifications_off AS "notificationsOff" FROM persons WHERE person = $1',
    [person],
  );
  return { dateOfDeath: rows[0]?.dateOfDeath ?? null, notifications: !(rows[0]?.notificationsOff ?? false) };
}

/**
 * Sets or changes a person's ban, recorded in its history as by `by` (the operator). Run it in
 * a transaction (it reads the ban FOR UPDATE): the ban, its history and the audit entry commit together.
 */
export async function setBan(tx: Queryable, input: BanInput, by: string, today: string) {
  if (!(BAN_REASONS as readonly string[]).includes(input.reason)) throw new InputError(`--reason must be one of ${BAN_REASONS.join(', ')}`);
  const startDate = date(input.startDate, '--start-date') ?? today;
  const endDate = date(input.endDate, '--end-date') ?? null;
  if (endDate && endDate < startDate) throw new InputError('--end-date is before --start-date');
  const before = await tx.query<{ consent: boolean }>('SELECT consent_to_share AS consent FROM voluntary_bans WHERE person = $1 FOR UPDATE', [input.person]);
  const consent = input.consentToShare ?? before.rows[0]?.consent ?? false;
  await tx.query(
    `INSERT INTO voluntary_bans (person, reason, start_date, end_date, consent_to_share, set_by) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (person) DO UPDATE SET reason = EXCLUDED.reason, start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date,
       consent_to_share = EXCLUDED.consent_to_share, set_at = now(), set_by = EXCLUDED.set_by`,
    [input.person, input.reason, startDate, endDate, consent, by],
  );
  const change = before.rows[0] ? 'Changed' : 'Set';
  await recordBanChange(tx, input.person, change, { reason: input.reason, startDate, endDate }, by);
  if (before.rows[0] && before.rows[0].consent !== consent) await recordBanChange(tx, input.person, consent ? 'ConsentGiven' : 'ConsentWithdrawn', { reason: input.reason, startDate, endDate }, by);
  return { change, reason: input.reason, startDate, endDate, consentToShare: consent };
}

async function recordBanChange(tx: Queryable, person: string, change: string, ban: { reason: string | null; startDate: string | null; endDate: string | null }, by: string) {
  await tx.query(
    'INSERT INTO voluntary_ban_changes (person, change, reason, start_date, end_date, changed_by) VALUES ($1, $2, $3, $4, $5, $6)',
    [person, change, ban.reason, ban.startDate, ban.endDate, by],
  );
}

/** Removes a person's ban and records it in its history; run it in a transaction. */
export async function removeBan(tx: Queryable, person: string, by: string): Promise<boolean> {
  const removed = await tx.query('DELETE FROM voluntary_bans WHERE person = $1', [person]);
  if (removed.rowCount === 0) return false;
  await recordBanChange(tx, person, 'Removed', { reason: null, startDate: null, endDate: null }, by);
  return true;
}

/** Switches a person's extract notifications off or back on (extract.md: "a person can switch notifications off"). */
export async function setNotifications(db: Queryable, person: string, on: boolean): Promise<void> {
  await db.query(
    `INSERT INTO persons (person, notifications_off) VALUES ($1, $2) ON CONFLICT (person) DO UPDATE SET notifications_off = EXCLUDED.notifications_off`,
    [person, !on],
  );
}

export async function setDateOfDeath(db: Queryable, person: string, dateOfDeath: string | null): Promise<void> {
  const d = dateOfDeath === null ? null : date(dateOfDeath, '--date');
  await db.query(
    `INSERT INTO persons (person, date_of_death) VALUES ($1, $2) ON CONFLICT (person) DO UPDATE SET date_of_death = EXCLUDED.date_of_death`,
    [person, d],
  );
}
