/** What the operator records of persons besides bans (bans/): a known date of death, extract notifications; and the identity code a command names. */
import type { Queryable } from '../db/database.ts';
import { InputError } from '../access/organisations.ts';
import { dateInput } from '../common/dates.ts';
import type { Environment } from '../access/pki.ts';
import { parsePersonalIdentityCode } from '../identity/personal-identity-code.ts';

/** An identity code the register of this environment accepts, in upper case; else a clear InputError. */
export function personCode(idCode: string, environment: Environment): string {
  const p = parsePersonalIdentityCode(idCode);
  if (!p.ok) throw new InputError(`"${idCode}" is not a valid personal identity code`);
  if (p.value.isTestCode !== (environment === 'Test')) {
    throw new InputError(environment === 'Test' ? 'A Test register holds only test identity codes (individual number 900–999)' : 'A Production register does not hold test identity codes');
  }
  return p.value.code;
}

/** What the register knows of a person besides loans, income and bans (defaults when nothing), for the audit trail. */
export async function findPerson(db: Queryable, person: string): Promise<{ dateOfDeath: string | null; notifications: boolean }> {
  const { rows } = await db.query<{ dateOfDeath: string | null; notificationsOff: boolean }>(
    'SELECT date_of_death AS "dateOfDeath", notifications_off AS "notificationsOff" FROM persons WHERE person = $1',
    [person],
  );
  return { dateOfDeath: rows[0]?.dateOfDeath ?? null, notifications: !(rows[0]?.notificationsOff ?? false) };
}

/**
 * A date of death the register can record for `person` (upper case, valid) on `today` (a
 * Finnish date): a date, not in the future, and not before the birth date the identity code
 * carries. Pure; null when it may be recorded, else why not.
 */
export function dateOfDeathProblem(person: string, date: string, today: string): string | null {
  if (date > today) return `The date of death ${date} is in the future (today is ${today})`;
  const p = parsePersonalIdentityCode(person);
  if (p.ok && date < p.value.birthDate) return `The date of death ${date} is before the person's birth (${p.value.birthDate}, from the identity code)`;
  return null;
}

/** Switches a person's extract notifications off or back on (extract.md: "a person can switch notifications off"). */
export async function setNotifications(db: Queryable, person: string, on: boolean): Promise<void> {
  await db.query(
    `INSERT INTO persons (person, notifications_off) VALUES ($1, $2) ON CONFLICT (person) DO UPDATE SET notifications_off = EXCLUDED.notifications_off`,
    [person, !on],
  );
}

export async function setDateOfDeath(db: Queryable, person: string, dateOfDeath: string | null): Promise<void> {
  const d = dateOfDeath === null ? null : dateInput(dateOfDeath, '--date');
  await db.query(
    `INSERT INTO persons (person, date_of_death) VALUES ($1, $2) ON CONFLICT (person) DO UPDATE SET date_of_death = EXCLUDED.date_of_death`,
    [person, d],
  );
}
