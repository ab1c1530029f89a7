/**
 * Finnish Business ID (Y-tunnus), NNNNNNN-C. Pure functions: see spec README "Identity codes".
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2];

/** The check digit of seven digits, or null when no check digit can exist (remainder 1). */
export function businessIdCheckDigit(sevenDigits: string): number | null {
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += Number(sevenDigits[i]) * WEIGHTS[i]!;
  const remainder = sum % 11;
  if (remainder === 0) return 0;
  if (remainder === 1) return null;
  return 11 - remainder;
}

export function isValidBusinessId(input: string): boolean {
  const m = /^(\d{7})-(\d)$/.exec(input);
  if (!m) return false;
  const check = businessIdCheckDigit(m[1]!);
  return check !== null && check === Number(m[2]);
}

/** Writes an older six-digit ID with its leading zero (123456-7 → 0123456-7); other input unchanged. */
export function normaliseBusinessId(input: string): string {
  const trimmed = input.trim();
  return /^\d{6}-\d$/.test(trimmed) ? `0${trimmed}` : trimmed;
}

/** Builds a valid Business ID from a number below 10 000 000, skipping numbers with no check digit. */
export function makeBusinessId(n: number): string {
  for (let k = n; ; k++) {
    const digits = String(k % 10_000_000).padStart(7, '0');
    const check = businessIdCheckDigit(digits);
    if (check !== null) return `${digits}-${check}`;
  }
}
