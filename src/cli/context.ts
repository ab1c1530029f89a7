import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveConfig, type ConfigInput, type RegisterConfig } from '../config.ts';
import { isActorName, operatorOf, recordOperatorAction, thisOsAccount, type OperatorAction, type Operator, type OsAccount } from '../audit/audit.ts';
import type { Queryable } from '../db/database.ts';
import { forwardToRunningRegister } from '../operator/channel.ts';
import { embeddedPaths, openRegister, RegisterBusyError, type Register } from '../register.ts';
import { UsageError, type Io } from './io.ts';

/** What every command gets: where to print, the words it was called with, and the running register if it runs inside one. */
export interface CliContext {
  io: Io;
  argv: string[];
  /** The caller's working directory: relative paths in options are resolved against it (also when run inside the server). */
  cwd: string;
  /** Set when the command came through the operator channel of a running register. */
  running?: { register: Register; afterAccessChange(): void };
  /** Through the operator channel: the OS account of the client that sent the command (this process's own otherwise). */
  client?: OsAccount;
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

export interface ActorOptions {
  actor?: string;
}

/** The option of every state-changing command: who to record in the audit trail instead of the OS user. */
export function withActorOption(cmd: Command): Command {
  return cmd.option('--actor <name>', 'who to record in the operator audit trail (default: your OS user, or the user who ran sudo)');
}

/** Who runs this command, for the audit trail: --actor, else the OS account of the caller (the channel's client when forwarded). */
export function operatorFor(ctx: CliContext, opts: ActorOptions): Operator {
  if (opts.actor !== undefined && !isActorName(opts.actor)) {
    throw new UsageError('--actor must be 1-64 letters, digits, spaces or . _ @ + - (no leading or trailing space)');
  }
  return operatorOf(ctx.client ?? thisOsAccount(), opts.actor);
}

/** What a state-changing command did, for its audit entry. */
export interface Change<T> extends Omit<OperatorAction, 'operator' | 'action'> {
  result: T;
}

/**
 * Runs a state-changing operator command: its change and its audit entry in one transaction
 * (a command that fails leaves neither). `accessChange` commands refresh the running
 * register's trust cache after the commit.
 */
export async function withAuditedChange<T>(
  ctx: CliContext,
  opts: DbOptions & ActorOptions,
  action: string,
  fn: (tx: Queryable, register: Register) => Promise<Change<T>>,
  { accessChange = false } = {},
): Promise<T> {
  const operator = operatorFor(ctx, opts);
  return withRegister(ctx, opts, async (register, afterAccessChange) => {
    const result = await register.db.transaction(async (tx) => {
      const { result, ...entry } = await fn(tx, register);
      await recordOperatorAction(tx, { operator, action, ...entry });
      return result;
    });
    if (accessChange) afterAccessChange();
    return result;
  });
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
    const forwarded = await forwardToRunningRegister(embeddedPaths(config.dataDir).socket, ctx.argv, thisOsAccount());
    if (forwarded) {
      ctx.io.out(forwarded.stdout);
      ctx.io.err(forwarded.stderr);
      throw new ForwardedResult(forwarded.exitCode);
    }
  }
  // Only `pcr serve` creates a register: a mistyped --data-dir must not quietly become a new, empty one.
  if (!config.databaseUrl && !existsSync(embeddedPaths(config.dataDir).pgdata)) {
    throw new UsageError(`${config.dataDir} holds no register (no database in it); give the --data-dir of a register, or --database-url. A new register is created by \`pcr serve\``);
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
  // What opening the register put right (file modes), said to the operator who ran the command.
  for (const warning of register.warnings) ctx.io.err(`pcr: warning: ${warning}\n`);
  try {
    return await fn(register, () => {});
  } finally {
    await register.close();
  }
}
