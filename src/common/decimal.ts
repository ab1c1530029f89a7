/**
 * Exact decimal numbers. Amounts and percentages arrive as JSON numbers and are judged
 * by their text ("judged exactly from the number's text"), never through binary floats.
 * The request parser keeps every non-integer (or very large) JSON number as an
 * ExactNumber; small integers stay plain numbers, which are exact anyway.
 */
export class ExactNumber {
  constructor(readonly text: string) {}
  toJSON(): number {
    return Number(this.text);
  }
  toString(): string {
    return this.text;
  }
}

export type NumericInput = number | ExactNumber;

export interface DecimalValue {
  negative: boolean;
  /** The value is digits × 10^-scale, with no trailing zeros in the fraction. */
  digits: bigint;
  scale: number;
}

const JSON_NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Parses a JSON number text (or a finite number) into an exact value with its smallest scale. */
export function parseDecimal(input: NumericInput | string): DecimalValue | null {
  const text = typeof input === 'number' ? (Number.isFinite(input) ? numberText(input) : '') : typeof input === 'string' ? input : input.text;
  const m = JSON_NUMBER.exec(text);
  if (!m) return null;
  const [, sign, intPart, fracPart = '', expPart] = m;
  const exponent = expPart ? Number(expPart) : 0;
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) return null;
  let digitsText = (intPart! + fracPart).replace(/^0+(?=\d)/, '');
  let scale = fracPart.length - exponent;
  // Drop trailing zeros of the fraction: 10000.00 has scale 0, 8.90 has scale 1.
  while (scale > 0 && digitsText.length > 1 && digitsText.endsWith('0')) {
    digitsText = digitsText.slice(0, -1);
    scale--;
  }
  if (digitsText === '0') scale = 0;
  let digits = BigInt(digitsText);
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { negative: sign === '-' && digits !== 0n, digits, scale };
}

function numberText(n: number): string {
  // Shortest round-trip text of a double; exact for the values JSON integers produce.
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? BigInt(n).toString() : String(n);
}

/** Scaled integer (e.g. cents for scale 2), or null when the value has more decimals than `scale`. */
export function toScaled(input: NumericInput | string, scale: number): bigint | null {
  const d = parseDecimal(input);
  if (!d || d.scale > scale) return null;
  const v = d.digits * 10n ** BigInt(scale - d.scale);
  return d.negative ? -v : v;
}

/** The canonical text of a scaled integer: 123456n, 2 → "1234.56". */
export function scaledToText(value: bigint, scale: number): string {
  const negative = value < 0n;
  const abs = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? abs : `${abs.slice(0, -scale)}.${abs.slice(-scale)}`;
  return negative ? `-${text}` : text;
}
