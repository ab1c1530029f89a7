/** `pcr audit`: the operator audit trail, newest first. */
import { Command, Option } from 'commander';
import { listAudit, type AuditEntry } from '../audit/audit.ts';
import { isValidDateTime } from '../common/dates.ts';
import { parsePersonalIdentityCode } from '../identity/personal-identity-code.ts';
import { withDbOptions, withRegister, type CliContext, type DbOptions } from './context.ts';
import { emit, UsageError } from './io.ts';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const HELSINKI = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Helsinki', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit' });

/**
 * --since: an ISO date-time (no offset: UTC, as the contract reads date-times), or a date
 * yyyy-MM-dd meaning the start of that day in Finland (the register's calendar).
 */
export function parseSince(value: string): Date {
  const day = DAY.exec(value);
  if (day) {
    const utcMidnight = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    if (new Date(utcMidnight).toISOString().slice(0, 10) !== value) throw new UsageError(`--since: "${value}" is not a date`);
    // Finland is UTC+2 or UTC+3: the start of its day is one of these two instants.
    for (const hours of [3, 2]) {
      const at = new Date(utcMidnight - hours * 3_600_000);
      const parts = HELSINKI.formatToParts(at);
      const part = (t: string) => parts.find((p) => p.type === t)?.value;
      if (`${part('year')}-${part('month')}-${part('day')}` === value && part('hour') === '00') return at;
    }
    throw new UsageError(`--since: no start of day ${value} in Finland`);
  }
  if (!isValidDateTime(value)) throw new UsageError(`--since must be a date yyyy-MM-dd or an ISO date-time (e.g. 2026-11-01T08:00:00Z), not "${value}"`);
  const m = /^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(value)!;
  return new Date(`${m[1]}${(m[2] ?? '').slice(0, 4)}${m[3] ?? 'Z'}`);
}

/** An identity code shown only as hidden: the trail holds it (the person is the target), the screen need not. */
function shown(target: string | null, reveal: boolean): string | null {
  if (target === null || reveal || !parsePersonalIdentityCode(target).ok) return target;
  return 'person (identity code hidden; --show-identity-codes)';
}

function line(e: AuditEntry): string {
  const change = (v: unknown) => (v === null || v === undefined ? '-' : JSON.stringify(v));
  return `${e.at}  #${e.id}  ${e.actor}  ${e.action}${e.target ? `  ${e.target}` : ''}${e.inProgress ? '  (did not finish)' : ''}\n    before: ${change(e.before)}\n    after:  ${change(e.after)}`;
}

export function auditCommands(ctx: CliContext): Command[] {
  const audit = withDbOptions(new Command('audit').description('the operator audit trail: who changed what, before and after, newest first'))
    .option('--since <when>', 'from this ISO date-time (UTC without an offset) or date yyyy-MM-dd (from its start in Finland)')
    .addOption(new Option('--limit <n>', 'at most this many entries (default 100)').argParser((v) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1 || n > 1_000_000) throw new UsageError('--limit must be a whole number from 1 to 1000000');
      return n;
    }))
    .option('--id-code <code>', "only the entries about this person (bans, date of death, notifications)")
    .option('--show-identity-codes', "show persons' identity codes (hidden by default: the output may end up in a ticket or a terminal log)")
    .action(async (o: DbOptions & { since?: string; limit?: number; idCode?: string; showIdentityCodes?: boolean; json?: boolean }) => {
      const since = o.since === undefined ? undefined : parseSince(o.since);
      let target: string | undefined;
      if (o.idCode !== undefined) {
        const p = parsePersonalIdentityCode(o.idCode);
        if (!p.ok) throw new UsageError(`"${o.idCode}" is not a valid personal identity code`);
        target = p.value.code;
      }
      const entries = await withRegister(ctx, o, (r) => listAudit(r.db, { ...(since ? { since } : {}), ...(target ? { target } : {}), limit: o.limit ?? 100 }));
      const visible = entries.map((e) => ({ ...e, target: shown(e.target, o.showIdentityCodes === true) }));
      emit(ctx.io, o.json, visible, visible.length === 0 ? 'No audit entries.' : visible.map(line));
    });
  return [audit];
}
