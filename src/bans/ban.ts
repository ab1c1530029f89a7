/**
 * The rules of the voluntary ban on credits and of what credit information companies see of it
 * (authorities-and-bans.md), without HTTP or SQL: reasons, the validity of a ban's dates, and
 * which change the feed delivers when a person's ban or consent changes.
 */
import { dateInput } from '../common/dates.ts';
import { InputError } from '../common/errors.ts';

export const BAN_REASONS = ['RiskOfIdentityTheft', 'ControlOfPersonalFinances', 'Other'] as const;
export type BanReason = (typeof BAN_REASONS)[number];

/** The ban as the person set it: indefinite when endDate is null. */
export interface Ban {
  reason: BanReason;
  startDate: string;
  endDate: string | null;
}

/** A person's ban and consent: what decides what the companies may see. */
export interface BanState {
  ban: Ban | null;
  consent: boolean;
}

/** The changes of the feed, as the spec names them. */
export const FEED_CHANGES = ['Set', 'Changed', 'Removed', 'ConsentWithdrawn'] as const;
export type FeedChange = (typeof FEED_CHANGES)[number];

/** A change as a company receives it: the ban's data, or nulls for a withdrawal. */
export interface FeedEvent {
  change: FeedChange;
  reason: BanReason | null;
  startDate: string | null;
  endDate: string | null;
}

/** What is wrong with a ban asked for, for a form to say in the person's language. */
export type BanProblem = 'reason' | 'startDate' | 'endDate' | 'endPast' | 'endBeforeStart';

export class BanInputError extends InputError {
  constructor(message: string, readonly problem: BanProblem) {
    super(message);
  }
}

/**
 * A ban from what the person asked for on `today`: the start defaults to today; a start in
 * the future is allowed (the ban is in force from then); an end date before today is refused,
 * because such a ban would have ended already.
 */
export function banFrom(input: { reason: string; startDate?: string; endDate?: string }, today: string): Ban {
  if (!(BAN_REASONS as readonly string[]).includes(input.reason)) throw new BanInputError(`The reason must be one of ${BAN_REASONS.join(', ')}, not "${input.reason}"`, 'reason');
  const date = (value: string | undefined, what: string, problem: BanProblem) => {
    try {
      return dateInput(value, what);
    } catch (err) {
      throw err instanceof InputError ? new BanInputError(err.message, problem) : err;
    }
  };
  const startDate = date(input.startDate, 'The start date', 'startDate') ?? today;
  const endDate = date(input.endDate, 'The end date', 'endDate') ?? null;
  if (endDate !== null && endDate < today) throw new BanInputError(`The end date ${endDate} has passed: such a ban would have ended already`, 'endPast');
  if (endDate !== null && endDate < startDate) throw new BanInputError(`The end date ${endDate} is before the start date ${startDate}`, 'endBeforeStart');
  return { reason: input.reason as BanReason, startDate, endDate };
}

/** Whether a ban is in force on a day (it appears on extracts): started, and not past its end. */
export function inForce(ban: Ban, day: string): boolean {
  return ban.startDate <= day && (ban.endDate === null || ban.endDate >= day);
}

/** Whether a fixed-term ban has ended by itself by `today` (the day after its end date or later). */
export function hasLapsed(ban: Ban, today: string): boolean {
  return ban.endDate !== null && ban.endDate < today;
}

export function sameBan(a: Ban, b: Ban): boolean {
  return a.reason === b.reason && a.startDate === b.startDate && a.endDate === b.endDate;
}

/**
 * What the companies receive when a person's state goes from `before` to `after`, or null when
 * nothing they may see changed. Companies see a ban only while the person's consent is in
 * force: giving consent to an existing ban delivers it as Set; a withdrawal delivers
 * ConsentWithdrawn without the ban's data (the company deletes its copy, and learns nothing
 * more); a ban removed, or ended by itself, while consent is in force is Removed with the data of
 * the ban that ended (so the company knows which copy to delete; an end date before the change
 * time tells that it ended by itself). A ban starting in the future is delivered when it is set,
 * with its dates.
 */
export function feedEvent(before: BanState, after: BanState): FeedEvent | null {
  const was = before.consent ? before.ban : null;
  const is = after.consent ? after.ban : null;
  if (!was && !is) return null;
  if (!was && is) return { change: 'Set', ...is };
  if (was && is) return sameBan(was, is) ? null : { change: 'Changed', ...is };
  if (after.ban === null) return { change: 'Removed', ...was! };
  return { change: 'ConsentWithdrawn', reason: null, startDate: null, endDate: null };
}
