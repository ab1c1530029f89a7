/** Structured logs (pino) that never carry a personal identity code. */
import pino, { type Logger, type DestinationStream } from 'pino';
import { STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN } from '../identity/personal-identity-code.ts';

export const REDACTED = '[identity code]';

/**
 * Replaces every personal identity code standing alone; certificate serials and UUIDs, which
 * log lines are matched by, come through unchanged. Property names are scrubbed as well as values.
 */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN, REDACTED);
  if (!value || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    return { type: value.name, message: scrub(value.message), stack: scrub(value.stack), code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[scrub(k) as string] = scrub(v, depth + 1);
  return out;
}

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.PCR_LOG_LEVEL ?? 'info',
      base: { service: 'pcr' },
      formatters: { log: (obj) => scrub(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
      serializers: { err: (e: unknown) => scrub(e) },
    },
    opts.destination,
  );
}
