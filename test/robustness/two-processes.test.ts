/**
 * Defect 12 (issue 9): several register processes on one PostgreSQL share the reporting work.
 * Two `pcr serve --database-url` processes, lenders sending to both: every batch finishes, is
 * processed by one process once, a lender's batches take effect in the order received whichever
 * process runs them, and a batch that one process holds (its row locked in that process's
 * transaction) does not stall the other lenders' batches. PostgreSQL only: the embedded
 * database is open in one process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import type { Database } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { receiveBatch } from '../../src/reporting/store.ts';
import { BACKEND, createTestDatabaseUrl } from '../helpers/db.ts';
import { ownerOf } from '../helpers/register.ts';
import { batchRequest, lumpSumLoan, type BatchStatusBody, type Json, type Op } from '../helpers/reports.ts';
import { setUpLenders, spawnServe, type ServeProcess, type SpawnedLender } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/temp.ts';

const skip = BACKEND === 'pglite' ? 'the embedded database is open in one process only: several register processes need PostgreSQL' : false;

let dataDir: string;
let database: Awaited<ReturnType<typeof createTestDatabaseUrl>>;
let db: Database;
let lenders: SpawnedLender[];
let servers: ServeProcess[];
const clients: HttpsJsonClient[] = [];

before(async () => {
  if (skip) return;
  dataDir = tempDir('pcr-two-');
  database = await createTestDatabaseUrl();
  const target = { kind: 'postgres' as const, databaseUrl: database!.url, dataDir };
  lenders = await setUpLenders(target, 7);
  // Info level: the worker logs 'batch processed' with the batch's id, which tells which process ran it.
  servers = await Promise.all([spawnServe(target, { PCR_LOG_LEVEL: 'info' }), spawnServe(target, { PCR_LOG_LEVEL: 'info' })]);
  db = await openPostgres(database!.url, { max: 2 });
});

after(async () => {
  if (skip) return;
  for (const c of clients) c.close();
  const codes = await Promise.all(servers.map((s) => s.stop()));
  await db.close();
  await database!.drop();
  rmSync(dataDir, { recursive: true, force: true });
  assert.deepEqual(codes, [0, 0], 'both processes stop gracefully');
});

function client(lender: SpawnedLender, server: ServeProcess): HttpsJsonClient {
  const c = new HttpsJsonClient(server.url, lender.identity);
  clients.push(c);
  return c;
}

interface Sent {
  lender: SpawnedLender;
  op: Op;
  reference: string;
  count: number;
}

let serial = 0;
async function send(c: HttpsJsonClient, lender: SpawnedLender, op: Op, reports: Json[]): Promise<Sent> {
  const reference = `two-${op}-${++serial}`;
  const res = await c.post(`/${op}`, batchRequest(lender.ref, op, reports), { BatchReference: reference });
  assert.equal(res.status, 202, res.text);
  return { lender, op, reference, count: reports.length };
}

/** The loans again as UpdateLoans reports: accepted only if their AddLoans batch took effect first (D03 otherwise). */
function updates(loans: Json[]): Json[] {
  return loans.map((l) => ({
    ...l,
    reportReference: `U-${(l.loanNumber as { number: string }).number}`,
    reportType: 'NewReport',
    interest: { totalInterestRatePct: 4.25, interestType: 'FixedInterest', interestDeterminationPeriod: 0 },
  }));
}

async function statusOf(s: Sent): Promise<BatchStatusBody> {
  return (await statusClient(s.lender).post<BatchStatusBody>('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(s.lender.ref), batchReference: s.reference })).body;
}

const statusClients = new Map<SpawnedLender, HttpsJsonClient>();
function statusClient(lender: SpawnedLender): HttpsJsonClient {
  let c = statusClients.get(lender);
  if (!c) statusClients.set(lender, (c = client(lender, servers[0]!)));
  return c;
}

/** Waits (bounded) until every batch is finished; the statuses, or the batches still waiting at the deadline. */
async function finished(batches: Sent[], timeoutMs: number): Promise<{ done: Map<Sent, BatchStatusBody>; waiting: Sent[] }> {
  const done = new Map<Sent, BatchStatusBody>();
  let waiting = batches;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = await Promise.all(waiting.map(async (s) => [s, await statusOf(s)] as const));
    waiting = [];
    for (const [s, st] of answers) (st.batchStatus.startsWith('Finished') ? done.set(s, st) : waiting.push(s));
    if (waiting.length === 0 || Date.now() > deadline) return { done, waiting };
    await new Promise((r) => setTimeout(r, 50));
  }
}

function assertAllAccepted(done: Map<Sent, BatchStatusBody>): void {
  for (const [s, st] of done) {
    const codes = (st.rejectedReports ?? []).flatMap((r) => r.errorResponses.map((e) => e.errorCode));
    assert.equal(st.batchStatus, 'FinishedSuccess', `${s.op} ${s.reference}: ${st.batchStatus} ${[...new Set(codes)].join(',')}`);
    assert.equal(st.acceptedCount, s.count, s.reference);
  }
}

/** The batch ids each process logged as processed. */
function processedBy(): Set<number>[] {
  return servers.map((s) => {
    const ids = new Set<number>();
    for (const line of s.lines) {
      if (!line.includes('batch processed')) continue;
      const entry = JSON.parse(line) as { msg?: string; batchId?: number; item?: number };
      if (entry.msg === 'batch processed') ids.add(Number(entry.batchId ?? entry.item));
    }
    return ids;
  });
}

async function batchIds(sent: Sent[]): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM batches WHERE batch_reference = ANY($1::text[])', [sent.map((s) => s.reference)]);
  return rows.map((r) => Number(r.id));
}

test('two processes on one database share the work; each lender’s batches take effect in order whichever process runs them', { skip }, async () => {
  const rounds = 3;
  const mine = lenders.slice(0, 4);
  const sent: Sent[] = [];
  // Each lender in turn adds loans through one process and updates them at once through the other, not waiting between.
  await Promise.all(
    mine.map(async (lender, i) => {
      const via = [client(lender, servers[0]!), client(lender, servers[1]!)];
      for (let r = 0; r < rounds; r++) {
        const loans = Array.from({ length: 30 }, () => lumpSumLoan());
        const first = (i + r) % 2;
        sent.push(await send(via[first]!, lender, 'AddLoans', loans));
        sent.push(await send(via[1 - first]!, lender, 'UpdateLoans', updates(loans)));
      }
    }),
  );
  const { done, waiting } = await finished(sent, 60_000);
  assert.deepEqual(waiting.map((s) => s.reference), [], 'every batch finishes');
  assertAllAccepted(done); // an UpdateLoans run before its lender's AddLoans would be rejected D03

  const ids = await batchIds(sent);
  const [a, b] = processedBy();
  const byA = ids.filter((id) => a!.has(id));
  const byB = ids.filter((id) => b!.has(id));
  assert.deepEqual(byA.filter((id) => b!.has(id)), [], 'no batch processed by both');
  assert.equal(byA.length + byB.length, ids.length, 'each batch processed once, by one of them');
  assert.ok(byA.length > 0 && byB.length > 0, `both processes did work: ${byA.length} and ${byB.length} of ${ids.length}`);
});

test('a batch held by one process does not stall other lenders’ batches, and its lender’s later batch waits for it', { skip }, async () => {
  const [held, ...others] = lenders.slice(4);
  let loans: Json[] = [];
  // A batch of `held` that "another process" is processing: stored, and its row locked in an open transaction,
  // as a process holds it while it applies it. (Stored without waking a worker, so we lock it before a poll takes it.)
  const locker = new pg.Client({ connectionString: database!.url });
  await locker.connect();
  let heldBatch: Sent | undefined;
  try {
    for (let attempt = 0; attempt < 5 && !heldBatch; attempt++) {
      const reference = `two-held-${attempt}-${++serial}`;
      // New loans each attempt: a batch a worker took first has added the previous attempt's (a second AddLoans of them is D01).
      loans = Array.from({ length: 20 }, () => lumpSumLoan());
      const { rows } = await db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [held!.ref.idCode]);
      const stored = await receiveBatch(db, { organisationId: Number(rows[0]!.id), operation: 'AddLoans', batchReference: reference, rawBody: JSON.stringify(batchRequest(held!.ref, 'AddLoans', loans)), reportCount: loans.length });
      await locker.query('BEGIN');
      const locked = await locker.query<{ status: string }>('SELECT status FROM batches WHERE id = $1 FOR UPDATE', [stored.id]);
      if (locked.rows[0]!.status === 'Received') heldBatch = { lender: held!, op: 'AddLoans', reference, count: loans.length };
      else await locker.query('ROLLBACK'); // a worker's poll took it first: try again
    }
    assert.ok(heldBatch, 'a batch locked before any worker took it');

    const later = await send(client(held!, servers[1]!), held!, 'UpdateLoans', updates(loans));
    const sent: Sent[] = [];
    await Promise.all(
      others.map(async (lender, i) => {
        const more = Array.from({ length: 25 }, () => lumpSumLoan());
        sent.push(await send(client(lender, servers[i % 2]!), lender, 'AddLoans', more));
        sent.push(await send(client(lender, servers[(i + 1) % 2]!), lender, 'UpdateLoans', updates(more)));
      }),
    );
    const { done, waiting } = await finished(sent, 30_000);
    assert.deepEqual(waiting.map((s) => s.reference), [], 'other lenders’ batches finish while one batch is held (they would wait on its lock without SKIP LOCKED)');
    assertAllAccepted(done);
    assert.equal((await statusOf(later)).batchStatus, 'Received', 'the held lender’s later batch waits for the held one');

    await locker.query('ROLLBACK'); // the holder lets go (as a crashed process's transaction ends)
    const rest = await finished([heldBatch!, later], 30_000);
    assert.deepEqual(rest.waiting.map((s) => s.reference), []);
    assertAllAccepted(rest.done); // the UpdateLoans after its AddLoans: all accepted
  } finally {
    await locker.query('ROLLBACK').catch(() => {});
    await locker.end();
  }
});
