/**
 * The operator's local channel to a running register on the embedded database (which only
 * one process can open): a Unix socket in the data directory, readable and writable by its
 * owner only. An operator command sent through it runs inside the register process, with
 * the same code as when the command opens the database itself.
 */
import { chmodSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (argv: string[], cwd: string) => Promise<CommandResult>;

export async function serveOperatorChannel(socketPath: string, run: CommandRunner): Promise<{ close(): Promise<void> }> {
  if (existsSync(socketPath)) rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      let argv: string[];
      let cwd: string;
      try {
        ({ argv, cwd } = JSON.parse(buffer.slice(0, nl)) as { argv: string[]; cwd: string });
        if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string') || typeof cwd !== 'string') throw new Error('bad request');
      } catch {
        socket.end(`${JSON.stringify({ exitCode: 2, stdout: '', stderr: 'Malformed operator request\n' })}\n`);
        return;
      }
      run(argv, cwd)
        .then((result) => socket.end(`${JSON.stringify(result)}\n`))
        .catch((err: Error) => socket.end(`${JSON.stringify({ exitCode: 1, stdout: '', stderr: `${err.message}\n` })}\n`));
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const previous = process.umask(0o177);
    server.listen(socketPath, () => {
      process.umask(previous);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(socketPath, { force: true });
      }),
  };
}

/** Sends a command to the running register; undefined when no register answers on the socket. */
export async function forwardToRunningRegister(socketPath: string, argv: string[]): Promise<CommandResult | undefined> {
  if (!existsSync(socketPath)) return undefined;
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    let buffer = '';
    let connected = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ argv, cwd: process.cwd() })}\n`);
    });
    socket.on('data', (c: string) => (buffer += c));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(buffer) as CommandResult);
      } catch {
        resolve({ exitCode: 1, stdout: '', stderr: 'The running register gave no answer\n' });
      }
    });
    socket.on('error', () => resolve(connected ? { exitCode: 1, stdout: '', stderr: 'Lost the connection to the running register\n' } : undefined));
  });
}
