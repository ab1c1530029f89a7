/**
 * The operator's local channel to a running register on the embedded database (which only
 * one process can open): a Unix socket in the data directory, readable and writable by its
 * owner only. An operator command sent through it runs inside the register process, with
 * the same code as when the command opens the database itself.
 *
 * One connection carries one request: a JSON line {argv, cwd, user} of at most
 * MAX_REQUEST_BYTES, which must arrive within the request timeout. The command runs once and
 * is answered once; anything sent after the newline is ignored. Only the operator commands
 * are accepted (never `serve`).
 *
 * Node cannot read the peer's credentials of a Unix socket (SO_PEERCRED) without native
 * code: the socket's mode 0600 is what admits only its owner (and root), and the `user` of a
 * request is the client's own word, recorded in the audit trail as such.
 */
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import net from 'node:net';
import { isActorName, type OsAccount } from '../audit/audit.ts';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (argv: string[], cwd: string, client: OsAccount) => Promise<CommandResult>;

export const MAX_REQUEST_BYTES = 64 * 1024;
export const REQUEST_TIMEOUT_MS = 5_000;

/**
 * The commands a running register runs for its operator, by first word, with their
 * subcommands (null: a command without). Everything else (serve, upload, generate, cert retrieve/renew,
 * which never need the register's database) is refused.
 */
export const OPERATOR_COMMANDS: Readonly<Record<string, readonly string[] | null>> = {
  org: ['add', 'import', 'list', 'suspend', 'activate'],
  permission: ['grant', 'revoke'],
  cert: ['order', 'issue', 'revoke', 'list'],
  ca: ['export'],
  income: ['import'],
  ban: ['set', 'remove', 'consent', 'show', 'deliveries'],
  order: ['list', 'cancel'],
  person: ['deceased', 'notifications'],
  billing: null, // no subcommand
  loans: ['pack', 'list'],
  stats: null,
  audit: null,
  'server-cert': ['show', 'renew'],
  retention: ['status'],
  notifications: ['status', 'retry'],
  backup: null, // pcr backup: the running register copies its own database (restore never runs inside one)
};

/** Why a request's command line is not one the channel runs, or undefined when it is. */
export function refusedCommand(argv: string[]): string | undefined {
  const [first, second] = argv;
  const allowed = first === undefined || !Object.hasOwn(OPERATOR_COMMANDS, first) ? undefined : OPERATOR_COMMANDS[first];
  if (allowed === undefined) return `"${String(first ?? '').slice(0, 40)}" is not an operator command the running register accepts`;
  if (Array.isArray(allowed) && (second === undefined || !allowed.includes(second))) {
    return `"${first} ${String(second ?? '').slice(0, 40)}" is not an operator command the running register accepts`;
  }
  return undefined;
}

function parseRequest(line: Buffer): { argv: string[]; cwd: string; user: OsAccount } | string {
  let req: unknown;
  try {
    req = JSON.parse(line.toString('utf8'));
  } catch {
    return 'Malformed operator request (not JSON)';
  }
  const { argv, cwd, user } = (req ?? {}) as { argv?: unknown; cwd?: unknown; user?: { osUser?: unknown; sudoUser?: unknown } };
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return 'Malformed operator request (argv)';
  if (typeof cwd !== 'string' || !isAbsolute(cwd)) return 'Malformed operator request (cwd)';
  if (!user || typeof user !== 'object' || !isActorName(user.osUser) || (user.sudoUser !== undefined && !isActorName(user.sudoUser))) {
    return 'Malformed operator request (user)';
  }
  return { argv, cwd, user: { osUser: user.osUser, ...(user.sudoUser !== undefined ? { sudoUser: user.sudoUser as string } : {}) } };
}

export async function serveOperatorChannel(
  socketPath: string,
  run: CommandRunner,
  opts: { requestTimeoutMs?: number; maxRequestBytes?: number } = {},
): Promise<{ close(): Promise<void> }> {
  const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const maxBytes = opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
  if (existsSync(socketPath)) rmSync(socketPath, { force: true });
  // Half-open: a client that ends its side after the request still gets the answer.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let answered = false;
    /** The one answer of this connection; the connection closes once it is written. */
    const answer = (result: CommandResult) => {
      if (socket.destroyed) return;
      socket.end(`${JSON.stringify(result)}\n`);
    };
    const refuse = (message: string) => {
      answered = true;
      clearTimeout(timer);
      answer({ exitCode: 2, stdout: '', stderr: `pcr: ${message}\n` });
    };
    const timer = setTimeout(() => refuse(`No complete operator request within ${timeoutMs} ms`), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      if (answered) return; // one request per connection: the rest is ignored
      const nl = chunk.indexOf(0x0a);
      const take = nl < 0 ? chunk.length : nl;
      if (received + take > maxBytes) return refuse(`Operator request longer than ${maxBytes} bytes`);
      chunks.push(nl < 0 ? chunk : chunk.subarray(0, nl));
      received += take;
      if (nl < 0) return;
      answered = true;
      clearTimeout(timer);
      const req = parseRequest(Buffer.concat(chunks));
      if (typeof req === 'string') return refuse(req);
      const refused = refusedCommand(req.argv);
      if (refused) return refuse(refused);
      run(req.argv, req.cwd, req.user)
        .then(answer)
        .catch((err: Error) => answer({ exitCode: 1, stdout: '', stderr: `pcr: ${err.message}\n` }));
    });
    // Answered: what the client still sends is read and dropped until it closes (closing with
    // unread data would reset the connection, and the client could lose the answer), for at most the request timeout.
    let linger: NodeJS.Timeout | undefined;
    socket.on('finish', () => {
      if (socket.readableEnded) socket.destroy();
      else linger = setTimeout(() => socket.destroy(), timeoutMs);
    });
    socket.on('end', () => {
      if (!answered) refuse('The operator request ended before its newline');
      else if (socket.writableFinished) socket.destroy();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      clearTimeout(linger);
    });
    socket.on('error', () => socket.destroy());
  });
  server.maxConnections = 64;
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
export async function forwardToRunningRegister(socketPath: string, argv: string[], user: OsAccount): Promise<CommandResult | undefined> {
  if (!existsSync(socketPath)) return undefined;
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    let buffer = '';
    let connected = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ argv, cwd: process.cwd(), user })}\n`);
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
