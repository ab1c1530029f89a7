/** The operator socket: one bounded request per connection, run once, answered once; only the operator commands. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram, operatorChannelRunner } from '../../src/cli/main.ts';
import { MAX_REQUEST_BYTES, refusedCommand, serveOperatorChannel, type CommandRunner } from '../../src/operator/channel.ts';
import { startTestRegister, uniqueBusinessId, type TestRegister } from '../helpers/register.ts';

let reg: TestRegister;
let socketPath: string;
let channel: { close(): Promise<void> };
/** The same channel with a short request timeout, for the timeout test. */
let quickPath: string;
let quick: { close(): Promise<void> };
/** Every command line the channel handed to the register. */
const ran: string[][] = [];

before(async () => {
  reg = await startTestRegister();
  socketPath = join(reg.dataDir, 'pcr.sock');
  const runner = operatorChannelRunner({ register: reg.register, afterAccessChange: () => reg.server.trust.invalidate() });
  const counting: CommandRunner = (argv, cwd, client) => {
    ran.push(argv);
    return runner(argv, cwd, client);
  };
  channel = await serveOperatorChannel(socketPath, counting);
  quickPath = join(reg.dataDir, 'quick.sock');
  quick = await serveOperatorChannel(quickPath, counting, { requestTimeoutMs: 200 });
});
after(async () => {
  await channel.close();
  await quick.close();
  await reg.close();
});

const tick = () => new Promise((r) => setTimeout(r, 5));

/** Connects, writes the chunks one by one (apart, so that they arrive as separate reads), and collects every answer line until the channel closes. */
function talk(chunks: (string | Buffer)[], opts: { end?: boolean; path?: string } = {}): Promise<{ answers: { exitCode: number; stdout: string; stderr: string }[] }> {
  return new Promise((resolve) => {
    const socket = net.connect(opts.path ?? socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', () => {}); // EPIPE when the channel closed before all was written: the answers tell
    socket.on('close', () => resolve({ answers: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { exitCode: number; stdout: string; stderr: string }) }));
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (socket.destroyed) break;
        socket.write(c);
        await tick();
      }
      if (opts.end && !socket.destroyed) socket.end();
    });
  });
}

const request = (argv: string[], user = { osUser: 'channel-test' }) => `${JSON.stringify({ argv, cwd: reg.dataDir, user })}\n`;

async function count(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await reg.register.db.query<{ n: number }>(sql, params);
  return rows[0]!.n;
}

test('a request in many chunks followed by more data runs once and is answered once', async () => {
  const id = uniqueBusinessId();
  assert.equal((await reg.cli(['org', 'add', '--business-id', id, '--name', 'Chunked Bank', '--roles', 'lender'])).exitCode, 0);
  const other = uniqueBusinessId();
  // cert order is not idempotent: every run would leave another transfer order.
  const line = request(['cert', 'order', '--business-id', id, '--usage', 'reporting', '--json']);
  const pieces = line.match(/[^]{1,9}/g)!;
  const extra = [line, line, request(['org', 'add', '--business-id', other, '--name', 'Smuggled', '--roles', 'lender']), 'garbage\n'];
  ran.length = 0;
  const { answers } = await talk([...pieces, ...extra], { end: true });

  assert.equal(answers.length, 1, 'exactly one answer');
  assert.equal(answers[0]!.exitCode, 0, answers[0]!.stderr);
  assert.match(answers[0]!.stdout, /"transferId"/);
  assert.equal(ran.length, 1, 'the command ran once');
  const orgId = await count('SELECT id::int AS n FROM organisations WHERE id_code = $1', [id]);
  assert.equal(await count('SELECT count(*)::int AS n FROM certificate_orders WHERE organisation_id = $1', [orgId]), 1, 'one transfer order');
  assert.equal(await count(`SELECT count(*)::int AS n FROM operator_audit WHERE action = 'cert order' AND target = $1`, [id]), 1, 'one audit entry');
  assert.equal(await count('SELECT count(*)::int AS n FROM organisations WHERE id_code = $1', [other]), 0, 'what came after the request did not run');
});

test('a request longer than the limit is refused without running, and the connection closed', async () => {
  ran.length = 0;
  const big = Buffer.alloc(MAX_REQUEST_BYTES + 1, 'a');
  const { answers } = await talk([big.subarray(0, 40_000), big.subarray(40_000), '\n']);
  assert.equal(answers.length, 1);
  assert.equal(answers[0]!.exitCode, 2);
  assert.match(answers[0]!.stderr, /longer than 65536 bytes/);
  assert.equal(ran.length, 0);
  // One byte under the limit, with its newline, is read (and refused only as malformed JSON).
  const { answers: fits } = await talk([Buffer.alloc(MAX_REQUEST_BYTES, ' '), '\n']);
  assert.match(fits[0]!.stderr, /Malformed operator request/);
});

test('a silent connection, and one that never sends its newline, are timed out', async () => {
  ran.length = 0;
  const silent = await talk([], { path: quickPath });
  assert.equal(silent.answers.length, 1);
  assert.equal(silent.answers[0]!.exitCode, 2);
  assert.match(silent.answers[0]!.stderr, /No complete operator request within 200 ms/);
  const partial = await talk([request(['org', 'list']).slice(0, 20)], { path: quickPath });
  assert.match(partial.answers[0]!.stderr, /No complete operator request/);
  assert.equal(ran.length, 0);
});

test('only operator commands are accepted: serve and the client-side commands are refused before anything runs', async () => {
  ran.length = 0;
  for (const argv of [['serve', '--port', '0'], ['upload', '--url', 'https://x'], ['generate', '--persons', '1'], ['cert', 'retrieve'], ['cert'], ['nonsense'], ['--help'], []]) {
    const { answers } = await talk([request(argv)]);
    assert.equal(answers.length, 1, argv.join(' '));
    assert.equal(answers[0]!.exitCode, 2, argv.join(' '));
    assert.match(answers[0]!.stderr, /not an operator command the running register accepts/, argv.join(' '));
  }
  for (const bad of ['{"argv":"org list"}', JSON.stringify({ argv: ['org', 'list'], cwd: reg.dataDir }), JSON.stringify({ argv: ['org', 'list'], cwd: 'relative', user: { osUser: 'x' } }), JSON.stringify({ argv: ['org', 'list'], cwd: reg.dataDir, user: { osUser: 'a\u0000b' } })]) {
    const { answers } = await talk([`${bad}\n`]);
    assert.match(answers[0]!.stderr, /Malformed operator request/, bad);
  }
  assert.equal(ran.length, 0, 'nothing reached the register');
  const { answers } = await talk([request(['org', 'list', '--json'])]);
  assert.equal(answers[0]!.exitCode, 0, answers[0]!.stderr);
  assert.deepEqual(ran, [['org', 'list', '--json']]);
});

test('every command is either an operator command the channel accepts or one that never needs the register', () => {
  // These run where they are called and never forward: the server itself, and an organisation's or a tester's tools.
  const local = new Set(['serve', 'upload', 'generate', 'cert retrieve', 'cert renew', 'restore']);
  const leaves: string[][] = [];
  const walk = (c: Command, path: string[]) => {
    if (c.commands.length === 0) leaves.push(path);
    for (const sub of c.commands) walk(sub, [...path, sub.name()]);
  };
  walk(buildProgram({ io: { out: () => {}, err: () => {} }, argv: [], cwd: '.' }), []);
  for (const path of leaves) {
    const name = path.join(' ');
    assert.equal(refusedCommand(path) === undefined, !local.has(name), `${name}: add it to OPERATOR_COMMANDS, or to the local commands here`);
  }
});
