/**
 * Finnish personal identity code (henkilötunnus), DDMMYYCZZZQ.
 * Pure functions, no I/O: see spec README "Identity codes".
 */
export const CHECK_CHARACTERS = '0123456789ABCDEFHJKLMNPRSTUVWXY';

const CENTURY: Record<string, number> = {
  '+': 1800,
  '-': 1900, Y: 1900, X: 1900, W: 1900, V: 1900, U: 1900,
  A: 2000, B: 2000, C: 2000, D: 2000, E: 2000, F: 2000,
};

const SHAPE = /^(\d{2})(\d{2})(\d{2})([-+YXWVUABCDEF])(\d{3})([0-9A-Y])$/;

export interface ParsedPersonalIdentityCode {
  /** The code in upper case, the form in which codes are stored and compared. */
  code: string;
  birthDate: string;
  individualNumber: number;
  isTestCode: boolean;
}

export type PersonalIdentityCodeProblem = 'shape' | 'date' | 'individual-number' | 'check-character';

export function checkCharacter(ddmmyy: string, zzz: string): string {
  return CHECK_CHARACTERS[Number(ddmmyy + zzz) % 31]!;
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

/** Parses a code, or tells what is wrong with it. Case-insensitive. */
export function parsePersonalIdentityCode(
  input: string,
): { ok: true; value: ParsedPersonalIdentityCode } | { ok: false; problem: PersonalIdentityCodeProblem } {
  const code = input.toUpperCase();
  const m = SHAPE.exec(code);
  if (!m) return { ok: false, problem: 'shape' };
  const [, dd, mm, yy, sign, zzz, q] = m as unknown as [string, string, string, string, string, string, string];
  const year = CENTURY[sign]! + Number(yy);
  if (!isRealDate(year, Number(mm), Number(dd))) return { ok: false, problem: 'date' };
  const individualNumber = Number(zzz);
  if (individualNumber < 2) return { ok: false, problem: 'individual-number' };
  if (checkCharacter(dd + mm + yy, zzz) !== q) return { ok: false, problem: 'check-character' };
  return {
    ok: true,
    value: { code, birthDate: `${year}-${mm}-${dd}`, individualNumber, isTestCode: individualNumber >= 900 },
  };
}

export type RegisterEnvironment = 'Test' | 'Production';

/**
 * Whether a register of this environment accepts the code: a valid code, a test code (900–999)
 * in Test, a real one in Production.
 */
export function isAcceptedPersonalIdentityCode(input: string, environment: RegisterEnvironment): boolean {
  const parsed = parsePersonalIdentityCode(input);
  return parsed.ok && parsed.value.isTestCode === (environment === 'Test');
}

/** Builds a valid code from a birth date (yyyy-mm-dd) and individual number: for generators and tests. */
export function makePersonalIdentityCode(birthDate: string, individualNumber: number, signIndex = 0): string {
  const [y, m, d] = birthDate.split('-') as [string, string, string];
  const year = Number(y);
  const signs = year < 1900 ? ['+'] : year < 2000 ? ['-', 'Y', 'X', 'W', 'V', 'U'] : ['A', 'B', 'C', 'D', 'E', 'F'];
  const sign = signs[signIndex % signs.length]!;
  const ddmmyy = `${d}${m}${y.slice(2)}`;
  const zzz = String(individualNumber).padStart(3, '0');
  return `${ddmmyy}${sign}${zzz}${checkCharacter(ddmmyy, zzz)}`;
}

/** Any string that looks like a personal identity code, anywhere (also inside a longer run of letters and digits). */
export const PERSONAL_IDENTITY_CODE_PATTERN = /\d{6}[-+YXWVUABCDEF]\d{3}[0-9A-Y]/gi;

/**
 * The shape of a personal identity code standing alone, for scrubbing logs: not preceded or
 * followed by an ASCII letter or digit. Anything else may border it (space, quote, '=', ':', '/', '-', 'ä' …),
 * so codes in text, JSON and URLs are found, while certificate serials (32 hex digits) and UUIDs
 * (hex groups of 8-4-4-4-12 between '-') never contain one: their hex runs are longer than a
 * code wherever a code could start and end. A percent-escape (`%22`, `%3A`) counts as a border,
 * so that a code inside a percent-encoded URL is found too.
 */
export const STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN = /(?:(?<![A-Z0-9])|(?<=%[0-9A-F]{2}))\d{6}[-+YXWVUABCDEF]\d{3}[0-9A-Y](?:(?![A-Z0-9])|(?=%[0-9A-F]{2}))/gi;
