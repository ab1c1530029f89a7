/**
 * The income feed (our design): monthly income summaries per person, from the API or the
 * operator's import. Pure validation here; storage replaces a person's month wholesale.
 */
import { toScaled, scaledToText, type NumericInput } from '../common/decimal.ts';
import type { Queryable } from '../db/database.ts';
import type { Environment } from '../access/pki.ts';
import { parsePersonalIdentityCode } from '../identity/personal-identity-code.ts';
import type { Problem } from '../reporting/rules.ts';
import { monthIndex } from './content.ts';

export interface IncomeInput {
  idCode?: unknown;
  year?: unknown;
  month?: unknown;
  wagesGrossAmount?: unknown;
  wagesNetAmount?: unknown;
  benefitsGrossAmount?: unknown;
  benefitsNetAmount?: unknown;
  accuracyDenied?: unknown;
}

export interface IncomeRow {
  person: string;
  year: number;
  month: number;
  wagesGross: string;
  wagesNet: string;
  benefitsGross: string;
  benefitsNet: string;
  accuracyDenied: boolean;
}

export const AMOUNT_FIELDS = ['wagesGrossAmount', 'wagesNetAmount', 'benefitsGrossAmount', 'benefitsNetAmount'] as const;

function amount(v: unknown, field: string, problems: Problem[]): string {
  if (v === undefined || v === null || v === '') return '0.00';
  const cents = typeof v === 'number' || typeof v === 'string' || (typeof v === 'object' && v !== null && 'text' in v) ? toScaled(v as NumericInput | string, 2) : null;
  if (cents === null) {
    problems.push({ fieldName: field, errorCode: 'D17', errorDescription: `${field} is not an amount with at most two decimals` });
    return '0.00';
  }
  if (cents < 0n) problems.push({ fieldName: field, errorCode: 'D17', errorDescription: `${field} may not be negative` });
  if (cents >= 10n ** 15n) problems.push({ fieldName: field, errorCode: 'D17', errorDescription: `${field} is out of range` });
  return scaledToText(cents, 2);
}

/** Checks one income month; `today` (yyyy-MM-dd) decides which months are in the past. */
export function validateIncome(input: IncomeInput, environment: Environment, today: string): { row?: IncomeRow; problems: Problem[] } {
  const problems: Problem[] = [];
  const code = typeof input.idCode === 'string' ? parsePersonalIdentityCode(input.idCode) : undefined;
  if (!code || !code.ok) problems.push({ fieldName: 'idCode', errorCode: 'D04', errorDescription: 'Invalid personal identity code' });
  else if (code.value.isTestCode !== (environment === 'Test')) {
    problems.push({ fieldName: 'idCode', errorCode: 'D04', errorDescription: environment === 'Test' ? 'Only test identity codes are accepted in the Test environment' : 'Test identity codes are not accepted in the Production environment' });
  }
  const year = Number(input.year);
  const month = Number(input.month);
  const current = monthIndex(Number(today.slice(0, 4)), Number(today.slice(5, 7)));
  if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12 || year < 1900 || monthIndex(year, month) >= current) {
    problems.push({ fieldName: 'month', errorCode: 'D26', errorDescription: 'Month out of range: month 1–12 of a year from 1900, before the current month' });
  }
  const amounts = AMOUNT_FIELDS.map((f) => amount(input[f], f, problems));
  const denied = input.accuracyDenied;
  const accuracyDenied = denied === true || denied === 'true' || denied === '1' || denied === 1;
  if (problems.length) return { problems };
  return {
    row: { person: code!.ok ? code!.value.code : '', year, month, wagesGross: amounts[0]!, wagesNet: amounts[1]!, benefitsGross: amounts[2]!, benefitsNet: amounts[3]!, accuracyDenied },
    problems,
  };
}

/** Stores income months; a later import of the same person and month replaces the earlier (also within one call). */
export async function storeIncome(db: Queryable, rows: IncomeRow[], source: string): Promise<number> {
  const latest = new Map<string, IncomeRow>();
  for (const r of rows) latest.set(`${r.person}|${r.year}|${r.month}`, r);
  const unique = [...latest.values()];
  if (unique.length === 0) return 0;
  await db.query(
    `INSERT INTO income_months (person, year, month, wages_gross_amount, wages_net_amount, benefits_gross_amount, benefits_net_amount, accuracy_denied, source)
     SELECT *, $9 FROM unnest($1::text[], $2::int[], $3::int[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::boolean[])
     ON CONFLICT (person, year, month) DO UPDATE SET
       wages_gross_amount = EXCLUDED.wages_gross_amount, wages_net_amount = EXCLUDED.wages_net_amount,
       benefits_gross_amount = EXCLUDED.benefits_gross_amount, benefits_net_amount = EXCLUDED.benefits_net_amount,
       accuracy_denied = EXCLUDED.accuracy_denied, source = EXCLUDED.source, imported_at = now()`,
    [
      unique.map((r) => r.person), unique.map((r) => r.year), unique.map((r) => r.month),
      unique.map((r) => r.wagesGross), unique.map((r) => r.wagesNet), unique.map((r) => r.benefitsGross), unique.map((r) => r.benefitsNet),
      unique.map((r) => r.accuracyDenied), source,
    ],
  );
  return unique.length;
}

/** Reads CSV with a header row naming the fields; fields may be quoted. */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(value);
      if (line[i] === ',') i++;
      else if (i < line.length) throw new Error('text after a quoted field');
      else break;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        out.push(line.slice(i));
        break;
      }
      out.push(line.slice(i, comma));
      i = comma + 1;
      if (i === line.length) {
        out.push('');
        break;
      }
    }
  }
  return out;
}
