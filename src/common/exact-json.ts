/** JSON text that keeps ExactNumber values as their exact text (for storing reports as they came). */
import { ExactNumber } from './decimal.ts';

export function stringifyExact(value: unknown): string {
  if (value instanceof ExactNumber) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + stringifyExact(value[i]);
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const key in value as Record<string, unknown>) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${stringifyExact(v)}`;
    first = false;
  }
  return `${out}}`;
}
