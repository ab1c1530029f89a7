/** The `pcr` command line: the register's server and the operator's tools. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { InputError } from '../access/organisations.ts';
import { RegisterError } from '../common/errors.ts';
import { SchemaTooNewError } from '../db/migrate.ts';
import { RegisterBusyError } from '../register.ts';
import { accessCommands } from './access-commands.ts';
import { ForwardedResult, type CliContext } from './context.ts';
import { processIo, UsageError, type Io } from './io.ts';
import { serveCommand } from './serve.ts';
import { reportingCommands } from './reporting-commands.ts';
import { extractCommands } from './extract-commands.ts';
import { banCommands } from './ban-commands.ts';
import { orderCommands } from './order-commands.ts';
import { auditCommands } from './audit-commands.ts';
import { serverCertCommands } from './server-commands.ts';
import { notificationCommands } from './notification-commands.ts';
import { retentionCommands } from './retention-commands.ts';
import { backupCommands } from './backup-commands.ts';
import { statsCommands } from './stats-commands.ts';
import type { CommandRunner } from '../operator/channel.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('pcr')
    .description('Open Positive Credit Register: the register server and the operator tools')
    .version(VERSION, '-V, --version', 'the version of pcr')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  const commands = [serveCommand(ctx, operatorChannelRunner), ...accessCommands(ctx), ...reportingCommands(ctx), ...extractCommands(ctx), ...banCommands(ctx), ...orderCommands(ctx), ...auditCommands(ctx), ...serverCertCommands(ctx), ...notificationCommands(ctx), ...backupCommands(ctx), ...retentionCommands(ctx), ...statsCommands(ctx)];
  for (const c of commands) program.addCommand(c);
  // Every subcommand reports through ctx.io and never exits the process itself.
  const configure = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) }).showHelpAfterError('(add --help for usage)');
    c.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/** Runs one command line; returns the exit code (0 ok, 1 failure, 2 bad input). */
export async function runCli(argv: string[], ctx: Omit<CliContext, 'argv'>): Promise<number> {
  const full: CliContext = { ...ctx, argv };
  const program = buildProgram(full);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    // With --json, a failure is one JSON line on stderr too ({"error": …, "exitCode": …}): a script reads one format.
    const json = argv.includes('--json');
    let said = '';
    const io: Io = json ? { out: full.io.out, err: (t) => void (said += t) } : full.io;
    const code = failure(err, io);
    if (json && said) full.io.err(`${JSON.stringify({ error: said.replace(/^pcr: /, '').trim(), exitCode: code })}\n`);
    return code;
  }
}

/**
 * What a running register does with a request from its operator socket: runs the command
 * inside this process, printing into the answer, with the client's OS account as the
 * operator of the audit trail.
 */
export function operatorChannelRunner(running: NonNullable<CliContext['running']>): CommandRunner {
  return async (argv, cwd, client) => {
    let stdout = '';
    let stderr = '';
    const exitCode = await runCli(argv, { io: { out: (t) => void (stdout += t), err: (t) => void (stderr += t) }, cwd, running, client });
    return { exitCode, stdout, stderr };
  };
}

function failure(err: unknown, io: Io): number {
  if (err instanceof ForwardedResult) return err.exitCode;
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
    return 2; // commander has printed its one line already
  }
  if (err instanceof UsageError || err instanceof InputError || err instanceof ConfigError) {
    io.err(`pcr: ${err.message}\n`);
    return 2;
  }
  if (err instanceof RegisterError) {
    io.err(`pcr: ${err.errors[0]?.errorDescription ?? err.message}\n`);
    return 2;
  }
  if (err instanceof SchemaTooNewError || err instanceof RegisterBusyError) {
    io.err(`pcr: ${err.message}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && (e.code === 'ENOENT' || e.code === 'EACCES') && e.path) {
    io.err(`pcr: cannot read or write ${e.path} (${e.code})\n`);
    return 2;
  }
  if (e && (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ECONNRESET')) {
    io.err(`pcr: cannot reach the register (${e.code})\n`);
    return 1;
  }
  io.err(`pcr: ${e?.message ?? String(err)}\n`);
  if (process.env.PCR_DEBUG) io.err(`${e?.stack}\n`);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) argv = ['--help'];
  return runCli(argv, { io: processIo, cwd: process.cwd() });
}
