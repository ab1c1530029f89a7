/** `pcr upload`: a lender's bulk upload of reports from an NDJSON file. */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { progressLine, upload, UploadError, type UploadProgress } from '../reporting/upload.ts';
import { BATCH_OPERATIONS, type BatchOperation } from '../reporting/schemas.ts';
import { certFiles } from './client-certs.ts';
import { operatorFor, resolvePath, withActorOption, withAuditedChange, withDbOptions, withRegister, type ActorOptions, type CliContext, type DbOptions } from './context.ts';
import { BulkAuditEntry } from '../audit/audit.ts';
import { listLenderLoans, listPersonLoans, packPlainContracts, type LoanListing } from '../reporting/store.ts';
import { organisationRef, requireOrganisation } from '../access/organisations.ts';
import { personCode } from '../extract/persons.ts';
import { emit, UsageError } from './io.ts';
import { progressPrinter } from './progress.ts';

/** One loan of a listing: lender, number, type, status, contract date, balance, parties. */
function loanLine(l: LoanListing): string {
  return `  ${l.lenderBusinessId}  ${l.loanNumber.padEnd(16)} ${l.loanType.padEnd(19)} ${l.status.padEnd(9)} ${l.contractDate}  ${l.balance === null ? '-' : `${l.balance.toFixed(2)} ${l.currencyCode}`}  ${l.parties} part${l.parties === 1 ? 'y' : 'ies'}`;
}

export function reportingCommands(ctx: CliContext): Command[] {
  const cmd = new Command('upload')
    .description("send reports from an NDJSON file (one report per line) in batches, follow them to their final status, write the rejected ones to a file; resumes after an interruption")
    .requiredOption('--url <url>', 'the register, e.g. https://localhost:8443')
    .requiredOption('--cert-dir <dir>', 'folder with the reporting certificate: key.pem, cert.pem, ca.pem')
    .requiredOption('--operation <op>', Object.keys(BATCH_OPERATIONS).join(' | '))
    .requiredOption('--file <file>', 'NDJSON reports; lines with a lenderBusinessId of another lender are skipped')
    .option('--batch-size <n>', 'reports per batch', '10000')
    .option('--rejected <file>', 'where rejected reports go (default <file>.rejected.ndjson)')
    .option('--json', 'print one JSON document')
    .action(async (o: { url: string; certDir: string; operation: string; file: string; batchSize: string; rejected?: string; json?: boolean }) => {
      if (!(o.operation in BATCH_OPERATIONS)) throw new UsageError(`--operation must be one of ${Object.keys(BATCH_OPERATIONS).join(', ')}`);
      const batchSize = Number(o.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new UsageError('--batch-size must be a whole number from 1 to 100000');
      const file = resolvePath(ctx, o.file);
      const files = certFiles(resolvePath(ctx, o.certDir));
      const identity = { ca: readFileSync(files.ca, 'utf8'), cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
      let latest: UploadProgress | undefined;
      const bar = progressPrinter(() => (latest ? progressLine(latest) : 'starting…'), process.stderr, o.json === true);
      try {
        const result = await upload({
          url: o.url,
          identity,
          operation: o.operation as BatchOperation,
          file,
          batchSize,
          rejectedFile: o.rejected ? resolvePath(ctx, o.rejected) : `${file}.rejected.ndjson`,
          stateFile: `${file}.upload-state.json`,
          onProgress: (p) => {
            latest = p;
            bar.update();
          },
        });
        bar.done();
        emit(ctx.io, o.json, result, [
          `Uploaded ${result.totalReports} reports in ${result.batches} batches: ${result.acceptedReports} accepted, ${result.rejectedReports} rejected` +
            `${result.skippedLines ? `, ${result.skippedLines} lines of other lenders skipped` : ''}; ${result.reportsPerSecond} reports/s.`,
          result.rejectedReports ? `Rejected reports with their error codes: ${result.rejectedFile}` : 'No rejected reports.',
        ]);
      } catch (err) {
        if (err instanceof UploadError) throw new UsageError(err.message);
        throw err;
      }
    });
  const loans = new Command('loans').description('maintenance of the loans table');
  withActorOption(withDbOptions(loans.command('pack').description('pack the contracts that migration 0004 left in plain JSON (once after upgrading; resumable)')))
    .option('--batch-size <n>', 'loans per transaction', '10000')
    .action(async (o: DbOptions & ActorOptions & { batchSize: string; json?: boolean }) => {
      const batchSize = Number(o.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new UsageError('--batch-size must be a whole number from 1 to 100000');
      let latest = 0;
      const bar = progressPrinter(() => `${latest} contracts packed`, process.stderr, o.json === true || ctx.running !== undefined);
      // One entry per run, opened before and closed after it: packing changes the contracts' format, not what they say.
      const audit = new BulkAuditEntry({ operator: operatorFor(ctx, o), action: 'loans pack', target: null, details: { batchSize } });
      const result = await withRegister(ctx, o, async (r) => {
        await r.db.transaction((tx) => audit.update(tx, { packed: 0 }, false));
        const packed = await packPlainContracts(r.db, { batchSize, onProgress: (n) => { latest = n; bar.update(); }, inBatch: (tx, n) => audit.update(tx, { packed: n }, false) });
        await r.db.transaction((tx) => audit.update(tx, packed, true));
        return packed;
      });
      bar.done();
      emit(ctx.io, o.json, result, `Packed ${result.packed} contracts.`);
    });
  withActorOption(withDbOptions(loans.command('list').description("what the register holds: a lender's loans, or the loans where a person is a party (not an extract: nothing is billed or notified; a person's listing is recorded in the audit trail)")))
    .option('--lender <businessId>', "the lender's Business ID")
    .option('--limit <n>', 'at most this many loans of a lender', '100')
    .option('--id-code <code>', "a person's identity code: the loans where they are a borrower or guarantor")
    .option('--show-identity-codes', "show the identity codes of the loans' other parties (hidden by default)")
    .action(async (o: DbOptions & ActorOptions & { lender?: string; limit: string; idCode?: string; showIdentityCodes?: boolean; json?: boolean }) => {
      if ((o.lender === undefined) === (o.idCode === undefined)) throw new UsageError('give exactly one of --lender and --id-code');
      if (o.lender !== undefined) {
        const limit = Number(o.limit);
        if (!/^\d+$/.test(o.limit) || limit < 1 || limit > 100_000) throw new UsageError('--limit must be a whole number from 1 to 100000');
        const ref = organisationRef('BusinessId', o.lender);
        const { loans: rows, total } = await withRegister(ctx, o, async (r) => listLenderLoans(r.db, (await requireOrganisation(r.db, ref)).id, limit));
        emit(ctx.io, o.json, { lenderBusinessId: ref.idCode, total, loans: rows }, [
          `${total} loans of ${ref.idCode}${total > rows.length ? ` (the first ${rows.length} by loan number)` : ''}:`,
          ...rows.map(loanLine),
        ]);
        return;
      }
      const reveal = o.showIdentityCodes === true;
      // Reading a person's data is recorded with who did it, in the same transaction as the read (no entry, no listing).
      const rows = await withAuditedChange(ctx, o, 'loans list', async (tx, r) => {
        const person = personCode(o.idCode!, r.environment);
        const result = await listPersonLoans(tx, person);
        return { result, target: person, before: null, after: { loans: result.length }, details: { showIdentityCodes: reveal } };
      });
      const shown = rows.map((l) => ({ ...l, otherParties: (l.otherParties ?? []).map((p) => (reveal ? p : { role: p.role })) }));
      emit(ctx.io, o.json, { loans: shown }, [
        rows.length === 0 ? 'The person is a party to no loan in the register.' : `The person is a party to ${rows.length} loans:`,
        ...shown.map((l) => `${loanLine(l)}  as ${l.role}${l.otherParties.length ? `; others: ${l.otherParties.map((p) => (p.person ? `${p.person} (${p.role})` : p.role)).join(', ')}` : ''}`),
      ]);
    });
  return [cmd, loans];
}
