/** The operator's commands of the voluntary ban (from a person's paper form): the ban, the consent, the history, the deliveries. */
import { Command, Option } from 'commander';
import { BAN_REASONS, type FeedChange } from '../bans/ban.ts';
import { banHistory, deliveriesOf, findBanState, removeBan, setBan, setConsent } from '../bans/store.ts';
import { finnishDate } from '../common/dates.ts';
import { personCode } from '../extract/persons.ts';
import { operatorFor, withActorOption, withAuditedChange, withDbOptions, withRegister, type ActorOptions, type CliContext, type DbOptions } from './context.ts';
import { emit, UsageError } from './io.ts';

type IdOptions = DbOptions & ActorOptions & { idCode: string; json?: boolean };

/** The ban and consent for the audit trail's before and after. */
const auditState = async (db: Parameters<typeof findBanState>[0], person: string) => {
  const s = await findBanState(db, person);
  return { ban: s.ban, consent: s.consent };
};

const toCompanies = (d: FeedChange | null, consent: boolean) =>
  d !== null
    ? `Credit information companies receive it as ${d}.`
    : `Credit information companies receive nothing of it (${consent ? 'nothing they see changed' : 'no consent in force'}).`;

export function banCommands(ctx: CliContext): Command[] {
  const { io } = ctx;
  const ban = new Command('ban').description("voluntary bans on credits and the consent to pass them to credit information companies (from a person's paper form)");

  withActorOption(withDbOptions(ban.command('set').description('set or change the voluntary ban of a person')))
    .requiredOption('--id-code <code>', 'personal identity code')
    .requiredOption('--reason <reason>', BAN_REASONS.join(' | '))
    .option('--start-date <date>', 'yyyy-mm-dd (default today; may be in the future)')
    .option('--end-date <date>', 'yyyy-mm-dd for a fixed term (not before today); without it the ban is indefinite')
    .option('--consent', 'the person also consents to passing the ban to credit information companies (without it, the consent stays as it was)')
    .addOption(new Option('--consent-to-share', 'the same as --consent').hideHelp())
    .action(async (o: IdOptions & { reason: string; startDate?: string; endDate?: string; consent?: boolean; consentToShare?: boolean }) => {
      const { actor } = operatorFor(ctx, o);
      const result = await withAuditedChange(ctx, o, 'ban set', async (tx, r) => {
        const person = personCode(o.idCode, r.environment);
        const before = await auditState(tx, person);
        const result = await setBan(
          tx,
          person,
          { reason: o.reason, ...(o.startDate ? { startDate: o.startDate } : {}), ...(o.endDate ? { endDate: o.endDate } : {}), ...(o.consent || o.consentToShare ? { consent: true } : {}) },
          actor,
          finnishDate(),
        );
        return { result, target: person, before, after: await auditState(tx, person) };
      });
      const b = result.ban;
      const what = `${b.reason}, from ${b.startDate}${b.endDate ? ` to ${b.endDate}` : ', until removed'}`;
      emit(io, o.json, result, result.change === 'Unchanged' ? `The ban already was so (${what}); nothing changed.` : [
        `Voluntary ban ${result.change === 'Set' ? 'set' : 'changed'}: ${what}.`,
        toCompanies(result.delivered, result.consent),
      ]);
    });

  withActorOption(withDbOptions(ban.command('remove').description('remove the voluntary ban of a person')))
    .requiredOption('--id-code <code>', 'personal identity code')
    .action(async (o: IdOptions) => {
      const { actor } = operatorFor(ctx, o);
      const result = await withAuditedChange(ctx, o, 'ban remove', async (tx, r) => {
        const person = personCode(o.idCode, r.environment);
        const before = await auditState(tx, person);
        const result = await removeBan(tx, person, actor);
        return { result, target: person, before, after: await auditState(tx, person) };
      });
      emit(io, o.json, result, result.removed ? ['Voluntary ban removed.', toCompanies(result.delivered, false)] : 'The person had no voluntary ban.');
    });

  withActorOption(withDbOptions(ban.command('consent').description("give or withdraw the person's consent to passing their ban to credit information companies (with or without a ban now)")))
    .requiredOption('--id-code <code>', 'personal identity code')
    .option('--give', 'the person consents')
    .option('--withdraw', 'the person withdraws the consent')
    .action(async (o: IdOptions & { give?: boolean; withdraw?: boolean }) => {
      if (o.give === o.withdraw) throw new UsageError('give exactly one of --give and --withdraw');
      const give = o.give === true;
      const { actor } = operatorFor(ctx, o);
      const result = await withAuditedChange(ctx, o, `ban consent ${give ? 'give' : 'withdraw'}`, async (tx, r) => {
        const person = personCode(o.idCode, r.environment);
        const before = await auditState(tx, person);
        const result = await setConsent(tx, person, give, actor);
        return { result, target: person, before, after: await auditState(tx, person) };
      });
      emit(io, o.json, result, [
        result.changed ? `Consent ${give ? 'given' : 'withdrawn'}.` : `The consent already was ${give ? 'given' : 'withdrawn'}; nothing changed.`,
        ...(result.changed ? [toCompanies(result.delivered, result.consent)] : []),
      ]);
    });

  withDbOptions(ban.command('show').description("a person's ban and consent now, and every change of them with who made it"))
    .requiredOption('--id-code <code>', 'personal identity code')
    .action(async (o: DbOptions & { idCode: string; json?: boolean }) => {
      const out = await withRegister(ctx, o, async (r) => {
        const person = personCode(o.idCode, r.environment);
        return { ...(await findBanState(r.db, person)), history: await banHistory(r.db, person) };
      });
      const b = out.ban;
      emit(io, o.json, out, [
        b ? `Ban: ${b.reason}, from ${b.startDate}${b.endDate ? ` to ${b.endDate}` : ', until removed'} (set ${out.setAt} by ${out.setBy}).` : 'No voluntary ban.',
        `Consent to pass it to credit information companies: ${out.consent ? 'given' : 'not given'}.`,
        ...(out.history.length ? ['History:'] : []),
        ...out.history.map((h) => `  ${h.changedAt}  ${h.change.padEnd(16)} ${h.reason ?? ''}${h.startDate ? ` ${h.startDate}–${h.endDate ?? ''}` : ''}  by ${h.changedBy}`),
      ]);
    });

  withDbOptions(ban.command('deliveries').description("which credit information company received which of a person's ban changes, and when"))
    .requiredOption('--id-code <code>', 'personal identity code')
    .action(async (o: DbOptions & { idCode: string; json?: boolean }) => {
      const deliveries = await withRegister(ctx, o, async (r) => deliveriesOf(r.db, personCode(o.idCode, r.environment)));
      emit(io, o.json, { deliveries }, deliveries.length === 0 ? 'No ban changes of this person were delivered to credit information companies.' : [
        `${deliveries.length} deliveries:`,
        ...deliveries.map((d) => `  ${d.deliveredAt}  ${d.organisation.name} (${d.organisation.idCode})  ${d.change}${d.resync ? ' (resync)' : ''}${d.reason ? ` ${d.reason}` : ''}  changed ${d.changeTimeUtc}`),
      ]);
    });

  return [ban];
}
