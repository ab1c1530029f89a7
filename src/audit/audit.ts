/**
 * The operator audit trail: every state-changing operator command, with who ran it, what it
 * changed, the state before and after, and when. An entry is written with the caller's
 * transaction, the one that makes the change, so the trail and the state never disagree: a
 * command that fails rolls its entry back with its change.
 */
import { userInfo } from 'node:os';
import type { Queryable } from '../db/database.ts';

/** Who ran a command: the name recorded as actor, and the OS account it ran under. */
export interface Operator {
  /** `--actor` when given, else the OS user (the one sudo was run by, when run through sudo). */
  actor: string;
  osUser: string;
  /** SUDO_USER of the command's process, when it ran through sudo. */
  sudoUser?: string;
}

/** The OS account of this process: what a command sent through the operator socket carries. */
export interface OsAccount {
  osUser: string;
  sudoUser?: string;
}

const NAME = /^[\p{L}\p{N}._@+\- ]{1,64}$/u;

/** A name fit for the actor column: 1–64 letters, digits, spaces and . _ @ + - (no control characters). */
export function isActorName(s: unknown): s is string {
  return typeof s === 'string' && NAME.test(s) && s.trim() === s;
}

export function thisOsAccount(env: NodeJS.ProcessEnv = process.env): OsAccount {
  let osUser: string;
  try {
    osUser = userInfo().username;
  } catch {
    osUser = `uid ${process.getuid?.() ?? 'unknown'}`; // no passwd entry (some containers)
  }
  const sudo = env.SUDO_USER;
  return { osUser, ...(sudo && isActorName(sudo) && sudo !== osUser ? { sudoUser: sudo } : {}) };
}

/** The operator of a command: --actor if given, else the account's sudo user or OS user. */
export function operatorOf(account: OsAccount, actor?: string): Operator {
  return { actor: actor ?? account.sudoUser ?? account.osUser, osUser: account.osUser, ...(account.sudoUser ? { sudoUser: account.sudoUser } : {}) };
}

export interface OperatorAction {
  operator: Operator;
  /** The command, e.g. `permission grant`. */
  action: string;
  /** What it acted on: an organisation's Business ID, a certificate serial, a person's identity code, a file. */
  target: string | null;
  /** The state of the target before and after (null: did not exist / no longer exists). */
  before: unknown;
  after: unknown;
  /** The command's parameters worth keeping (never a secret such as a transfer password). */
  details?: Record<string, unknown>;
}

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

function detailsOf(a: OperatorAction): string {
  return JSON.stringify({ ...a.details, osUser: a.operator.osUser, ...(a.operator.sudoUser ? { sudoUser: a.operator.sudoUser } : {}) });
}

/** Records one operator action. Call it in the transaction that makes the change. */
export async function recordOperatorAction(tx: Queryable, a: OperatorAction): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO operator_audit (actor, action, target, before, after, details) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [a.operator.actor, a.action, a.target, json(a.before), json(a.after), detailsOf(a)],
  );
  return rows[0]!.id;
}

/** Who a person's own change (in the e-service) is recorded as done by: the row's target is the person. */
export const BY_PERSON = 'the person (e-service)';

/** Records a change a person made to their own data in the e-service. Call it in the transaction that makes the change. */
export async function recordPersonAction(tx: Queryable, a: { action: string; person: string; before: unknown; after: unknown }): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO operator_audit (actor, action, target, before, after, details) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [BY_PERSON, a.action, a.person, json(a.before), json(a.after), JSON.stringify({ channel: 'e-service' })],
  );
  return rows[0]!.id;
}

/**
 * A bulk command that commits in chunks (income import, loans pack) has one entry: written with
 * its first chunk, its `after` (the counts so far) brought up to date in each later chunk's
 * transaction, and closed with the last. An entry still in progress is a command that stopped
 * part-way: its counts are what was committed.
 */
export class BulkAuditEntry {
  private id: number | undefined;
  constructor(private readonly action: Omit<OperatorAction, 'after' | 'before'>) {}

  async update(tx: Queryable, after: unknown, done: boolean): Promise<void> {
    if (this.id === undefined) {
      const { rows } = await tx.query<{ id: number }>(
        `INSERT INTO operator_audit (actor, action, target, before, after, details, in_progress) VALUES ($1, $2, $3, NULL, $4, $5, $6) RETURNING id`,
        [this.action.operator.actor, this.action.action, this.action.target, json(after), detailsOf({ ...this.action, before: null, after }), !done],
      );
      this.id = rows[0]!.id;
    } else {
      await tx.query('UPDATE operator_audit SET after = $2, in_progress = $3 WHERE id = $1', [this.id, json(after), !done]);
    }
  }
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
  details: Record<string, unknown>;
  inProgress: boolean;
}

/** Entries newest first: at or after `since`, of one target, at most `limit`. */
export async function listAudit(db: Queryable, opts: { since?: Date; target?: string; limit?: number } = {}): Promise<AuditEntry[]> {
  const { rows } = await db.query<Omit<AuditEntry, 'at'> & { at: Date }>(
    `SELECT id, at, actor, action, target, before, after, details, in_progress AS "inProgress" FROM operator_audit
     WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::text IS NULL OR target = $2)
     ORDER BY at DESC, id DESC LIMIT $3`,
    [opts.since ?? null, opts.target ?? null, opts.limit ?? 100],
  );
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}
