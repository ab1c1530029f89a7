/** Processing after the 202: set-based, ordered, and surviving restarts and crashes. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import { processBatch } from '../../src/reporting/processor.ts';
import { receiveBatch } from '../../src/reporting/store.ts';
import { counting, createTestDatabaseUrl } from '../helpers/db.ts';
import { startTestRegister, uniqueBusinessId, type TestRegister } from '../helpers/register.ts';
import { batchRequest, lumpSumLoan, waitForBatch } from '../helpers/reports.ts';
import { seedEmbeddedDatabase } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/temp.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

async function statementsFor(size: number, op: 'AddLoans' | 'Repayments', lenderId: number, loans: Record<string, unknown>[]) {
  const reports = op === 'AddLoans' ? loans : loans.map((l, i) => ({ reportReference: `p${i}`, loanNumber: l.loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: '2025-05-05', balance: 100, amortizationPaid: 1, interestPaid: 1 } }));
  const rawBody = JSON.stringify({ targetEnvironment: 'Test', owner: {}, [op === 'AddLoans' ? 'loans' : 'repayments']: reports });
  const received = await receiveBatch(reg.register.db, { organisationId: lenderId, operation: op, batchReference: `set-${op}-${size}-${Math.random()}`, rawBody, reportCount: reports.length });
  const c = counting(reg.register.db);
  assert.equal(await processBatch(c.db, received.id, { environment: 'Test' }), true);
  const { rows } = await reg.register.db.query<{ status: string; accepted: number }>('SELECT status, accepted_count AS accepted FROM batches WHERE id = $1', [received.id]);
  assert.equal(rows[0]!.status, 'FinishedSuccess');
  assert.equal(rows[0]!.accepted, size);
  return c.count();
}

test('a batch is processed in a handful of SQL statements, whatever its size', async () => {
  const { ref } = await reg.lender();
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [ref.idCode]);
  const lenderId = rows[0]!.id;
  const small = Array.from({ length: 10 }, () => lumpSumLoan());
  const large = Array.from({ length: 2000 }, () => lumpSumLoan());
  const addSmall = await statementsFor(10, 'AddLoans', lenderId, small);
  const addLarge = await statementsFor(2000, 'AddLoans', lenderId, large);
  const paySmall = await statementsFor(10, 'Repayments', lenderId, small);
  const payLarge = await statementsFor(2000, 'Repayments', lenderId, large);
  assert.equal(addLarge, addSmall, 'AddLoans: the same statements for 2000 reports as for 10');
  assert.equal(payLarge, paySmall, 'Repayments: the same statements for 2000 reports as for 10');
  assert.ok(addLarge <= 15 && payLarge <= 15, `a handful: ${addLarge}, ${payLarge}`);
});

test('a batch stored while no worker ran is processed when the register starts again', async () => {
  const { ref } = await reg.lender();
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [ref.idCode]);
  // Received (committed) but not processed: as after a crash right after the 202.
  await reg.server.worker.stop();
  const loans = [lumpSumLoan(), lumpSumLoan()];
  await receiveBatch(reg.register.db, { organisationId: rows[0]!.id, operation: 'AddLoans', batchReference: 'before-crash', rawBody: JSON.stringify({ targetEnvironment: 'Test', owner: {}, loans }), reportCount: loans.length });
  await reg.server.close();
  const { startServer } = await import('../../src/server.ts');
  const restarted = await startServer(reg.register, { logger: reg.server.logger });
  try {
    const client = await reg.client(ref, 'reporting');
    const c2 = new HttpsJsonClient(`https://localhost:${restarted.port}`, { ca: reg.register.ca.certPem, ...(client.agent as unknown as { options: { cert: string; key: string } }).options });
    const status = await waitForBatch(c2, ref, 'before-crash');
    assert.equal(status.batchStatus, 'FinishedSuccess');
    assert.equal(status.acceptedCount, 2);
    c2.close();
  } finally {
    await restarted.close();
    reg.server = await startServer(reg.register, { logger: reg.server.logger });
    reg.url = `https://localhost:${reg.server.port}`;
  }
});

const BIN = new URL('../../bin/pcr.mjs', import.meta.url).pathname;

function serve(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], { env: { ...process.env, PCR_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      // The start-up line (not a log line, which has a level; complete lines only).
      for (const line of out.split('\n').slice(0, -1)) {
        if (!line.startsWith('{')) continue;
        const info = JSON.parse(line) as { url?: string; level?: number };
        if (info.url && info.level === undefined) resolve({ child, url: info.url });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, PCR_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')}: ${err}`))));
  });
}

test('a batch answered 202 survives a crash (SIGKILL) of the register, and no report is applied twice', async () => {
  const dir = tempDir('pcr-crash-');
  const pg = await createTestDatabaseUrl();
  const db = pg ? ['--database-url', pg.url, '--ca-dir', join(dir, 'ca')] : ['--data-dir', dir];
  // Only pcr serve creates a register; the embedded one starts from the suite's migrated template.
  if (!pg) await seedEmbeddedDatabase(dir);
  try {
    const id = uniqueBusinessId();
    await run(['org', 'add', ...db, '--business-id', id, '--name', 'Crash Bank', '--roles', 'lender']);
    await run(['permission', 'grant', ...db, '--business-id', id, '--permission', 'reporting']);
    await run(['cert', 'issue', ...db, '--business-id', id, '--usage', 'reporting', '--out', join(dir, 'cert')]);
    const identity = { ca: readFileSync(join(dir, 'cert', 'ca.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert', 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'cert', 'key.pem'), 'utf8') };
    const owner = { idCodeType: 'BusinessId' as const, idCode: id, countryCode: 'FI' };

    const first = await serve(db);
    const client = new HttpsJsonClient(first.url, identity);
    const loans = Array.from({ length: 3000 }, () => lumpSumLoan());
    const res = await client.post('/AddLoans', batchRequest(owner, 'AddLoans', loans), { BatchReference: 'crash-1' });
    assert.equal(res.status, 202);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    client.close();

    const second = await serve(db);
    const client2 = new HttpsJsonClient(second.url, identity);
    try {
      const status = await waitForBatch(client2, owner, 'crash-1', 60_000);
      assert.equal(status.batchStatus, 'FinishedSuccess', JSON.stringify(status).slice(0, 500));
      assert.equal(status.acceptedCount, 3000);
      // Re-sending after the crash is the same batch, not a second one.
      const again = await client2.post('/AddLoans', batchRequest(owner, 'AddLoans', loans), { BatchReference: 'crash-1' });
      assert.equal(again.status, 202);
      assert.equal((await waitForBatch(client2, owner, 'crash-1')).acceptedCount, 3000);
    } finally {
      client2.close();
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  } finally {
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
