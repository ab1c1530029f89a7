/** `pcr serve`: runs the register until SIGTERM/SIGINT, then shuts down gracefully. */
import { Command } from 'commander';
import { createDemo, demoInstructions, isEmptyRegister } from '../demo/demo.ts';
import { serveOperatorChannel } from '../operator/channel.ts';
import { embeddedPaths, openRegister } from '../register.ts';
import { startServer } from '../server.ts';
import { configFrom, withDbOptions, type CliContext, type DbOptions } from './context.ts';
import { UsageError } from './io.ts';
import { runCli } from './main.ts';

interface ServeOptions extends DbOptions {
  environment?: string;
  host?: string;
  port?: string;
  serverNames?: string;
  tlsCert?: string;
  tlsKey?: string;
  demo?: boolean;
  json?: boolean;
}

export function serveCommand(ctx: CliContext): Command {
  return withDbOptions(new Command('serve').description('start the register (embedded database by default; a new embedded register is a Test environment)'))
    .option('--environment <env>', 'Test | Production (a new register stores it; env PCR_ENVIRONMENT)')
    .option('--host <host>', 'address to listen on (env PCR_HOST)', undefined)
    .option('--port <port>', 'port (env PCR_PORT; default 8443)')
    .option('--server-names <names>', 'comma-separated host names for the generated server certificate (default localhost,127.0.0.1,::1)')
    .option('--tls-cert <file>', 'a server certificate of your own (e.g. publicly trusted), instead of one from the register CA')
    .option('--tls-key <file>', 'its private key')
    .option('--demo', 'on an empty register, create demo organisations with certificates under <data-dir>/demo')
    .action(async (o: ServeOptions) => {
      if (ctx.running) throw new UsageError('The register is already running');
      const config = configFrom(ctx, o);
      const register = await openRegister(config);
      let stopping = false;
      try {
        if (o.demo && (await isEmptyRegister(register))) {
          if (register.environment !== 'Test') throw new UsageError('The demo is for Test registers only');
          await createDemo(register);
        }
        const server = await startServer(register);
        const channel = config.databaseUrl
          ? undefined
          : await serveOperatorChannel(embeddedPaths(config.dataDir).socket, async (argv, cwd) => {
              let stdout = '';
              let stderr = '';
              const exitCode = await runCli(argv, {
                io: { out: (t) => void (stdout += t), err: (t) => void (stderr += t) },
                cwd,
                running: { register, afterAccessChange: () => server.trust.invalidate() },
              });
              return { exitCode, stdout, stderr };
            });
        const info = { url: server.url, environment: register.environment, database: register.db.kind, dataDir: config.dataDir };
        if (o.json) ctx.io.out(`${JSON.stringify(info)}\n`);
        else {
          ctx.io.out(`Register (${register.environment}) listening on ${server.url}, ${register.db.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL database'}\n`);
          const demo = demoInstructions(register, server.url);
          if (demo) ctx.io.out(`${demo}\n`);
        }
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            if (stopping) return;
            stopping = true;
            server.logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
            resolve();
          };
          process.once('SIGTERM', () => stop('SIGTERM'));
          process.once('SIGINT', () => stop('SIGINT'));
        });
        await channel?.close();
        await server.close();
      } finally {
        await register.close();
      }
      ctx.io.out(o.json ? `${JSON.stringify({ stopped: true })}\n` : 'Register stopped.\n');
    });
}
