/** `pcr income import`: NDJSON or CSV income months, validated line by line, stored in chunks. */
import { createReadStream, writeFileSync, appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { stat } from 'node:fs/promises';
import type { Database, Queryable } from '../db/database.ts';
import type { Environment } from '../access/pki.ts';
import type { Problem } from '../reporting/rules.ts';
import { parseCsvLine, storeIncome, validateIncome, type IncomeInput, type IncomeRow } from './income.ts';

export interface ImportProgress {
  lines: number;
  accepted: number;
  rejected: number;
  bytesRead: number;
  totalBytes: number;
  elapsedMs: number;
}

export interface ImportResult extends ImportProgress {
  rejectedFile: string;
  firstRejections: { line: number; errors: Problem[] }[];
}

/**
 * Imports a file in chunks of `chunk` lines, each stored in its own transaction (a long import
 * does not hold the embedded database from the register's requests). `inChunk` runs in each
 * chunk's transaction with the counts so far, `last` in the final one: the audit entry of the
 * import, so that it always counts what is committed.
 */
export async function importIncome(
  db: Database,
  opts: {
    file: string; format: 'ndjson' | 'csv'; environment: Environment; today: string; rejectedFile: string; source: string; chunk?: number;
    onProgress?: (p: ImportProgress) => void;
    inChunk?: (tx: Queryable, counts: { lines: number; accepted: number; rejected: number }, last: boolean) => Promise<void>;
  },
): Promise<ImportResult> {
  const started = Date.now();
  const totalBytes = (await stat(opts.file)).size;
  const progress: ImportProgress = { lines: 0, accepted: 0, rejected: 0, bytesRead: 0, totalBytes, elapsedMs: 0 };
  const firstRejections: ImportResult['firstRejections'] = [];
  writeFileSync(opts.rejectedFile, '');
  let header: string[] | undefined;
  let pending: IncomeRow[] = [];
  const flush = async (last: boolean) => {
    const counts = { lines: progress.lines, accepted: progress.accepted + pending.length, rejected: progress.rejected };
    await db.transaction(async (tx) => {
      await storeIncome(tx, pending, opts.source);
      await opts.inChunk?.(tx, counts, last);
    });
    progress.accepted = counts.accepted;
    pending = [];
    progress.elapsedMs = Date.now() - started;
    opts.onProgress?.({ ...progress });
  };
  const reject = (line: number, errors: Problem[]) => {
    progress.rejected++;
    if (firstRejections.length < 20) firstRejections.push({ line, errors });
    appendFileSync(opts.rejectedFile, `${JSON.stringify({ line, errorResponses: errors })}\n`);
  };
  const rl = createInterface({ input: createReadStream(opts.file, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of rl) {
    lineNo++;
    progress.bytesRead += Buffer.byteLength(raw) + 1;
    const line = raw.trim();
    if (!line) continue;
    let input: IncomeInput;
    try {
      if (opts.format === 'csv') {
        const fields = parseCsvLine(line);
        if (!header) {
          header = fields.map((f) => f.trim());
          continue;
        }
        input = Object.fromEntries(header.map((h, i) => [h, fields[i]?.trim()]));
      } else {
        input = JSON.parse(line) as IncomeInput;
        if (!input || typeof input !== 'object' || Array.isArray(input)) throw new Error('not an object');
      }
    } catch (err) {
      progress.lines++;
      reject(lineNo, [{ errorCode: 'D25', errorDescription: `Not a ${opts.format === 'csv' ? 'CSV' : 'JSON object'} line: ${(err as Error).message}` }]);
      continue;
    }
    progress.lines++;
    const { row, problems } = validateIncome(input, opts.environment, opts.today);
    if (row) pending.push(row);
    else reject(lineNo, problems);
    if (pending.length >= (opts.chunk ?? 10_000)) await flush(false);
  }
  await flush(true);
  progress.elapsedMs = Date.now() - started;
  return { ...progress, rejectedFile: opts.rejectedFile, firstRejections };
}
