import type { Command } from 'commander';
import { resolve } from 'node:path';
import { resolveConfig, type ConfigInput, type RegisterConfig } from '../config.ts';
import { forwardToRunningRegister } from '../operator/channel.ts';
import { embeddedPaths, openRegister, RegisterBusyError, type Register } from '../register.ts';
import type { Io } from './io.ts';

/** What every command gets: where to print, the words it was called with, and the running register if it runs inside one. */
export interface CliContext {
  io: Io;
  argv: string[];
  /** The caller's working directory: relative paths in options are resolved against it (also when run inside the server). */
  cwd: string;
  /** Set when the command came through the operator channel of a running register. */
  running?: { register: Register; afterAccessChange(): void };
}

export function resolvePath(ctx: CliContext, path: string): string {
  return resolve(ctx.cwd, path);
}

export interface DbOptions {
  dataDir?: string;
  databaseUrl?: string;
  caDir?: string;
}

/** The database options every state-changing command takes (access.md: the same as pcr serve). */
export function withDbOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory of the embedded database and the CA (env PCR_DATA_DIR)', undefined)
    .option('--database-url <url>', 'PostgreSQL connection string instead of the embedded database (env PCR_DATABASE_URL)')
    .option('--ca-dir <dir>', "folder of the register's CA (default <data-dir>/ca; env PCR_CA_DIR)")
    .option('--json', 'print one JSON document');
}

export function configFrom(ctx: CliContext, opts: DbOptions & ConfigInput): RegisterConfig {
  return resolveConfig({
    ...opts,
    ...(opts.dataDir ? { dataDir: resolvePath(ctx, opts.dataDir) } : {}),
    ...(opts.caDir ? { caDir: resolvePath(ctx, opts.caDir) } : {}),
  });
}

export class ForwardedResult extends Error {
  constructor(readonly exitCode: number) {
    super('forwarded');
  }
}

/**
 * Runs fn against the register: the running one when the command came through its channel;
 * with the embedded database of a running register, through its operator socket; otherwise
 * by opening the database here.
 */
export async function withRegister<T>(
  ctx: CliContext,
  opts: DbOptions,
  fn: (register: Register, afterAccessChange: () => void) => Promise<T>,
): Promise<T> {
  if (ctx.running) return fn(ctx.running.register, ctx.running.afterAccessChange);
  const config = configFrom(ctx, opts);
  if (!config.databaseUrl) {
    const forwarded = await forwardToRunningRegister(embeddedPaths(config.dataDir).socket, ctx.argv);
    if (forwarded) {
      ctx.io.out(forwarded.stdout);
      ctx.io.err(forwarded.stderr);
      throw new ForwardedResult(forwarded.exitCode);
    }
  }
  let register: Register;
  try {
    register = await openRegister(config);
  } catch (err) {
    if (err instanceof RegisterBusyError) {
      throw new RegisterBusyError(`${err.message}, but its operator socket does not answer; stop it or try again`);
    }
    throw err;
  }
  try {
    return await fn(register, () => {});
  } finally {
    await register.close();
  }
}
