/** What the notification tests share: a lender, extracts at a given moment, a recording adapter, a clock, running a job dry. */
import assert from 'node:assert/strict';
import { addOrganisation, organisationRef } from '../../src/access/organisations.ts';
import type { Database } from '../../src/db/database.ts';
import { produceExtracts } from '../../src/extract/store.ts';
import type { JobKind, JobStep } from '../../src/jobs/runner.ts';
import { DeliveryError, type Delivered, type DeliveryAdapter, type NotificationMessage } from '../../src/notifications/adapters.ts';
import { uniqueBusinessId } from '../helpers/register.ts';

/** A moment in Finland in winter (UTC+2): `at('2030-01-14', '12:00')`. */
export function at(day: string, time = '12:00'): Date {
  return new Date(`${day}T${time}:00+02:00`);
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** A clock a test moves by hand. */
export class Clock {
  constructor(public current: Date) {}
  now = (): Date => this.current;
  set(d: Date): void {
    this.current = d;
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export async function lender(db: Database): Promise<{ id: number; businessId: string }> {
  const ref = organisationRef('BusinessId', uniqueBusinessId());
  const org = await addOrganisation(db, { ref, name: `Lender ${ref.idCode}`, roles: ['lender'] });
  return { id: org.id, businessId: ref.idCode };
}

/** Extracts about these persons, logged at `when` as the extract routes log them (with their notification). */
export async function extractsAt(db: Database, org: { id: number; businessId: string }, persons: string[], when: Date): Promise<void> {
  await produceExtracts(
    db,
    persons.map((person) => ({ organisationId: org.id, request: { person, purposes: ['NewConsumerCredit'], owner: { idCodeType: 'BusinessId', idCode: org.businessId } } })),
    when,
  );
}

/** An adapter that records what it is handed; `behave` may throw a DeliveryError or answer a duplicate instead. */
export class Recorder implements DeliveryAdapter {
  readonly name = 'recorder';
  readonly handed: (NotificationMessage & { at: Date })[] = [];
  constructor(public behave?: (m: NotificationMessage, n: number) => Delivered | DeliveryError | Promise<Delivered | DeliveryError>) {}
  async deliver(m: NotificationMessage, when: Date): Promise<Delivered> {
    this.handed.push({ ...m, at: when });
    const r = this.behave ? await this.behave(m, this.handed.length) : { duplicate: false };
    if (r instanceof DeliveryError) throw r;
    return r;
  }
}

/** Runs the job until it has nothing due; answers its steps. */
export async function drain(job: JobKind, max = 1000): Promise<JobStep[]> {
  const steps: JobStep[] = [];
  for (let i = 0; i < max; i++) {
    const step = await job.runNext({ skip: [] });
    if (step.step === 'idle') return steps;
    steps.push(step);
    if (step.step === 'retry') return steps;
  }
  assert.fail('the job never ran dry');
}

export interface OutboxRow {
  id: string;
  person: string;
  notifyOn: string;
  extractCount: number;
  state: string;
  attempts: number;
  nextAttemptAt: Date | null;
  claimedUntil: Date | null;
  lastError: string | null;
  deliveredAt: Date | null;
  skipReason: string | null;
  notifiedCount: number | null;
}

export async function outbox(db: Database): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    `SELECT id::text, person, notify_on AS "notifyOn", extract_count AS "extractCount", state, attempts, next_attempt_at AS "nextAttemptAt",
       claimed_until AS "claimedUntil", last_error AS "lastError", delivered_at AS "deliveredAt", skip_reason AS "skipReason", notified_count AS "notifiedCount"
     FROM notification_outbox ORDER BY notify_on, person`,
  );
  return rows;
}

export async function rowOf(db: Database, person: string, notifyOn?: string): Promise<OutboxRow> {
  const row = (await outbox(db)).find((r) => r.person === person && (notifyOn === undefined || r.notifyOn === notifyOn));
  assert.ok(row, 'the person has an outbox row');
  return row;
}

/** A row put straight into the outbox (as the disclosure log writes them). */
export async function queue(db: Database, person: string, notifyOn: string, extractCount = 1): Promise<void> {
  await db.query('INSERT INTO notification_outbox (person, notify_on, extract_count) VALUES ($1, $2, $3)', [person, notifyOn, extractCount]);
}
