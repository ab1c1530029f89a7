/** How a command speaks: text for people, one JSON document with --json, and exit codes (0 ok, 1 failure, 2 bad input). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** Bad input from the operator: one clear line, exit code 2. */
export class UsageError extends Error {}

export function emit(io: Io, json: boolean | undefined, value: unknown, text: string | string[]): void {
  if (json) io.out(`${JSON.stringify(value, null, 2)}\n`);
  else io.out(`${Array.isArray(text) ? text.join('\n') : text}\n`);
}
