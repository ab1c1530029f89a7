/** The operator's commands of the extract part (extract.md): income import, deaths, notifications, billing, synthetic data. */
import { Command } from 'commander';
import { dateInput, finnishDate } from '../common/dates.ts';
import { importIncome, type ImportProgress } from '../extract/income-import.ts';
import { dateOfDeathProblem, findPerson, personCode, setDateOfDeath, setNotifications } from '../extract/persons.ts';
import { BulkAuditEntry } from '../audit/audit.ts';
import { billing } from '../extract/store.ts';
import { generate } from '../generate/generator.ts';
import {
  ForwardedResult, operatorFor, resolvePath, withActorOption, withAuditedChange, withDbOptions, withRegister, type ActorOptions, type CliContext, type DbOptions,
} from './context.ts';
import { emit, UsageError } from './io.ts';
import { progressPrinter } from './progress.ts';

export function extractCommands(ctx: CliContext): Command[] {
  const { io } = ctx;

  const income = new Command('income').description('the income feed');
  withActorOption(withDbOptions(income.command('import').description('import monthly income summaries (NDJSON or CSV with a header row); a later import of the same person and month replaces the earlier')))
    .requiredOption('--file <file>', 'idCode, year, month, wagesGrossAmount, wagesNetAmount, benefitsGrossAmount, benefitsNetAmount, accuracyDenied')
    .option('--format <format>', 'ndjson | csv (default: by the file name, else ndjson)')
    .option('--rejected <file>', 'where rejected lines go (default <file>.rejected.ndjson)')
    .action(async (o: DbOptions & ActorOptions & { file: string; format?: string; rejected?: string; json?: boolean }) => {
      const file = resolvePath(ctx, o.file);
      const format = o.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');
      if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--format must be ndjson or csv');
      // One entry per import: the file and the counts, never a line's content (identity codes).
      const audit = new BulkAuditEntry({ operator: operatorFor(ctx, o), action: 'income import', target: file, details: { format } });
      let latest: ImportProgress | undefined;
      const bar = progressPrinter(
        () => (latest ? `[${'#'.repeat(Math.round((latest.bytesRead / Math.max(1, latest.totalBytes)) * 30)).padEnd(30, '-')}] ${latest.lines} lines  ${latest.accepted} stored  ${latest.rejected} rejected  ${Math.round((latest.lines * 1000) / Math.max(1, latest.elapsedMs))} lines/s` : 'starting…'),
        process.stderr,
        o.json === true || ctx.running !== undefined,
      );
      const result = await withRegister(ctx, o, (r) =>
        importIncome(r.db, {
          file, format, environment: r.environment, today: finnishDate(),
          rejectedFile: o.rejected ? resolvePath(ctx, o.rejected) : `${file}.rejected.ndjson`,
          source: 'operator import',
          inChunk: (tx, counts, last) => audit.update(tx, counts, last),
          onProgress: (p) => {
            latest = p;
            bar.update();
          },
        }),
      );
      bar.done();
      emit(io, o.json, result, [
        `Imported ${result.accepted} income months from ${result.lines} lines; ${result.rejected} rejected.`,
        ...result.firstRejections.map((r) => `  line ${r.line}: ${r.errors.map((e) => `${e.errorCode} ${e.errorDescription}`).join('; ')}`),
        ...(result.rejected > result.firstRejections.length ? [`  … all rejected lines with their reasons: ${result.rejectedFile}`] : []),
      ]);
      // A file of which nothing could be stored is a failed import, whatever was printed (a script must see it).
      if (result.lines > 0 && result.accepted === 0) throw new ForwardedResult(1);
    });

  const person = new Command('person').description('what the register knows of a person besides loans and income');
  withActorOption(withDbOptions(person.command('deceased').description('record a date of death (shown on extracts as deceasedPerson; our design)')))
    .requiredOption('--id-code <code>', 'personal identity code')
    .requiredOption('--date <date>', 'date of death, yyyy-mm-dd')
    .action(async (o: DbOptions & ActorOptions & { idCode: string; date: string; json?: boolean }) => {
      await withAuditedChange(ctx, o, 'person deceased', async (tx, r) => {
        const person = personCode(o.idCode, r.environment);
        dateInput(o.date, '--date');
        const problem = dateOfDeathProblem(person, o.date, finnishDate());
        if (problem) throw new UsageError(problem);
        const before = await findPerson(tx, person);
        await setDateOfDeath(tx, person, o.date);
        const after = await findPerson(tx, person);
        return { result: undefined, target: person, before: { dateOfDeath: before.dateOfDeath }, after: { dateOfDeath: after.dateOfDeath } };
      });
      emit(io, o.json, { dateOfDeath: o.date }, `Recorded the date of death ${o.date}.`);
    });

  withActorOption(withDbOptions(person.command('notifications').description("switch a person's extract notifications off or back on (for the person, until the e-service does it)")))
    .requiredOption('--id-code <code>', 'personal identity code')
    .option('--off', 'no notifications of extracts')
    .option('--on', 'notify of extracts, at most once a day (the default)')
    .action(async (o: DbOptions & ActorOptions & { idCode: string; off?: boolean; on?: boolean; json?: boolean }) => {
      if (o.off === o.on) throw new UsageError('give exactly one of --off and --on');
      const on = o.on === true;
      await withAuditedChange(ctx, o, `person notifications ${on ? 'on' : 'off'}`, async (tx, r) => {
        const person = personCode(o.idCode, r.environment);
        const before = await findPerson(tx, person);
        await setNotifications(tx, person, on);
        const after = await findPerson(tx, person);
        return { result: undefined, target: person, before: { notifications: before.notifications }, after: { notifications: after.notifications } };
      });
      emit(io, o.json, { notifications: on }, `Extract notifications switched ${on ? 'on' : 'off'}.`);
    });

  const bill = withDbOptions(new Command('billing').description('the invoice basis: extracts per lender in a month'))
    .requiredOption('--month <month>', 'yyyy-mm')
    .option('--format <format>', 'csv | json (default csv; --json is json)')
    .action(async (o: DbOptions & { month: string; format?: string; json?: boolean }) => {
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(o.month)) throw new UsageError('--month must be yyyy-mm');
      const format = o.json ? 'json' : (o.format ?? 'csv');
      if (format !== 'csv' && format !== 'json') throw new UsageError('--format must be csv or json');
      const rows = await withRegister(ctx, o, (r) => billing(r.db, o.month));
      if (format === 'json') io.out(`${JSON.stringify({ month: o.month, lenders: rows }, null, 2)}\n`);
      else {
        const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
        io.out(`month,businessId,name,extracts\n${rows.map((r) => `${o.month},${r.businessId},${q(r.name)},${r.extracts}`).join('\n')}${rows.length ? '\n' : ''}`);
      }
    });

  const gen = new Command('generate')
    .description('write deterministic synthetic national data (test identity codes) as NDJSON that pcr upload and pcr income import load')
    .requiredOption('--persons <n>', 'number of persons')
    .option('--seed <seed>', 'the same seed gives the same data', '1')
    .option('--out <dir>', 'output folder', './generated')
    .option('--lenders <n>', 'number of lenders (besides Kela)', '20')
    .option('--split-by-lender', 'write loans.<businessId>.ndjson (and repayments, delays) per lender instead of one file each')
    .option('--json', 'print one JSON document')
    .action(async (o: { persons: string; seed: string; out: string; lenders: string; splitByLender?: boolean; json?: boolean }) => {
      const persons = Number(o.persons);
      const seed = Number(o.seed);
      const lenders = Number(o.lenders);
      if (!Number.isInteger(persons) || persons < 1 || persons > 10_000_000) throw new UsageError('--persons must be a whole number from 1 to 10000000');
      if (!Number.isInteger(seed)) throw new UsageError('--seed must be a whole number');
      if (!Number.isInteger(lenders) || lenders < 1 || lenders > 500) throw new UsageError('--lenders must be a whole number from 1 to 500');
      const result = await generate({ persons, seed, lenders, outDir: resolvePath(ctx, o.out), today: finnishDate(), splitByLender: o.splitByLender === true });
      emit(io, o.json, result, [
        `Generated ${result.persons} persons, ${result.loans} loans (${result.guarantees} guarantees), ${result.repayments} repayments, ${result.delays} delays, ${result.incomeMonths} income months into ${result.outDir}:`,
        ...result.files.map((f) => `  ${f}`),
      ]);
    });

  return [income, person, bill, gen];
}
