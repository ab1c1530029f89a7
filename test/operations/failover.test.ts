/**
 * Issue 13: the hot standby and the failover. A primary with a synchronous standby
 * (scripts/pg-cluster.mjs startReplicatedCluster), two `pcr serve` processes on libpq's host
 * list of both (target_session_attrs=read-write), three lenders sending AddLoans batches and
 * asking for extracts all the time. The primary is killed under that load (pg_ctl stop -m
 * immediate: a crash), the standby promoted; requests in between may fail (an error status or
 * a lost connection), never be answered wrongly. Then, on the promoted server: every batch
 * answered 202 is there and is processed to FinishedSuccess with all its loans, every extract
 * answered is in the disclosure log with exactly the text that was sent, and both processes,
 * never restarted, go on answering. PostgreSQL only (the embedded database has no standby).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate } from '../../src/access/certificates.ts';
import { grantPermission } from '../../src/access/organisations.ts';
import { HttpsJsonClient, type TlsIdentity } from '../../src/common/https-client.ts';
import { resolveConfig } from '../../src/config.ts';
import { isTransientDatabaseError } from '../../src/db/errors.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { openRegister } from '../../src/register.ts';
import { BACKEND } from '../helpers/db.ts';
import { ownerOf } from '../helpers/register.ts';
import { batchRequest, lumpSumLoan, type Json } from '../helpers/reports.ts';
import { setUpLenders, spawnServe, type ServeProcess, type SpawnedLender } from '../helpers/serve-process.ts';
// @ts-expect-error plain ES module without types
import { startReplicatedCluster } from '../../scripts/pg-cluster.mjs';
import { tempDir } from '../helpers/temp.ts';
import { until } from '../helpers/until.ts';

const skip = BACKEND === 'pglite' ? 'the embedded database has no standby: failover needs PostgreSQL' : false;

interface ClusterNode {
  name: string;
  url: string;
  port: number;
}
interface ReplicatedCluster {
  url: string;
  primary: ClusterNode;
  standby: ClusterNode;
  kill(n: ClusterNode): void;
  promote(n: ClusterNode): void;
  query(n: ClusterNode, sql: string): string;
  stop(): void;
}

interface Lender extends SpawnedLender {
  dataUse: TlsIdentity;
}

const LOANS_PER_BATCH = 4;
let cluster: ReplicatedCluster;
let dataDir: string;
let lenders: Lender[];
let servers: ServeProcess[];
const clients: HttpsJsonClient[] = [];

before(async () => {
  if (skip) return;
  // fsync off: the test kills server processes, not the machine, so the OS still holds what was written.
  cluster = (await startReplicatedCluster({ synchronous: true, label: 'pcr-failover', tuning: { fsync: 'off', full_page_writes: 'off' } })) as ReplicatedCluster;
  dataDir = tempDir('pcr-failover-');
  const target = { kind: 'postgres' as const, databaseUrl: cluster.url, dataDir };
  const spawned = await setUpLenders(target, 3);
  // The lenders ask for extracts too: the extract permission and a data-use certificate each.
  const register = await openRegister(resolveConfig({ dataDir, databaseUrl: cluster.url, caDir: join(dataDir, 'ca') }));
  try {
    lenders = [];
    for (const l of spawned) {
      await grantPermission(register.db, l.ref, 'extract', { purposes: ['consumer'] });
      const cert = await issueCertificate(register.db, register.ca, l.ref, 'data-use', register.environment);
      lenders.push({ ...l, dataUse: { ca: register.ca.certPem, cert: cert.certPem, key: cert.keyPem } });
    }
  } finally {
    await register.close();
  }
  servers = await Promise.all([spawnServe(target), spawnServe(target)]);
});

after(async () => {
  if (skip) return;
  for (const c of clients) c.close();
  const codes = servers ? await Promise.all(servers.map((s) => s.stop())) : undefined;
  cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (codes) assert.deepEqual(codes, [0, 0], 'both processes stop gracefully after the failover');
});

function client(server: ServeProcess, identity: TlsIdentity): HttpsJsonClient {
  const c = new HttpsJsonClient(server.url, identity);
  clients.push(c);
  return c;
}

interface Acked {
  lender: Lender;
  reference: string;
  loanNumbers: string[];
  borrowers: string[];
  server: number;
  sentAt: number;
}
interface Answered {
  lender: Lender;
  extractReference: string;
  /** The extract exactly as the answer carried it. */
  content: string;
  server: number;
  sentAt: number;
}

/** The load: its acknowledgements, its failures, and a clock of events (sentAt) instead of time. */
const acked: Acked[] = [];
const answered: Answered[] = [];
const failures: string[] = [];
let clock = 0;
let running = true;

async function reportingLoop(lender: Lender, serverIndex: number, label: string): Promise<void> {
  const c = client(servers[serverIndex]!, lender.identity);
  for (let n = 0; running; n++) {
    const loans = Array.from({ length: LOANS_PER_BATCH }, () => lumpSumLoan());
    const reference = `fo-${label}-${n}`;
    const sentAt = ++clock;
    try {
      const res = await c.post(`/AddLoans`, batchRequest(lender.ref, 'AddLoans', loans), { BatchReference: reference });
      if (res.status === 202) {
        acked.push({
          lender,
          reference,
          loanNumbers: loans.map((l) => (l.loanNumber as { number: string }).number),
          borrowers: loans.map((l) => ((l.borrowers as Json[])[0]!.idCode as string)),
          server: serverIndex,
          sentAt,
        });
      } else failures.push(`AddLoans ${res.status} ${res.text.slice(0, 200)}`);
    } catch (err) {
      failures.push(`AddLoans ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 20)); // the process is alive; the connection was cut
    }
  }
}

async function extractLoop(lender: Lender, serverIndex: number): Promise<void> {
  const c = client(servers[serverIndex]!, lender.dataUse);
  for (let n = 0; running; n++) {
    // A borrower of one of this lender's acknowledged batches, so that the extract has loans in it (once processed).
    const mine = acked.filter((a) => a.lender === lender);
    const person = mine.length > 0 ? mine[n % mine.length]!.borrowers[n % LOANS_PER_BATCH]! : (lumpSumLoan().borrowers as Json[])[0]!.idCode;
    const sentAt = ++clock;
    try {
      const res = await c.post('/GetCreditRegisterExtract', {
        targetEnvironment: 'Test',
        owner: ownerOf(lender.ref),
        request: { idCodeType: 'PersonalIdentityCode', idCode: person, creditRegisterExtractPurpose: ['NewConsumerCredit'], lenderReference: `fo-${n}` },
      });
      if (res.status === 200) {
        const marker = '"creditRegisterExtract":';
        const content = res.text.slice(res.text.indexOf(marker) + marker.length, -1);
        const extractReference = (JSON.parse(content) as { extractReference: string }).extractReference;
        answered.push({ lender, extractReference, content, server: serverIndex, sentAt });
      } else failures.push(`extract ${res.status} ${res.text.slice(0, 200)}`);
    } catch (err) {
      failures.push(`extract ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}


test('the primary killed under reporting and extract load: every 202 and every answered extract survives on the promoted standby, and the register carries on', { skip, timeout: 300_000 }, async (t) => {
  const loops = lenders.flatMap((l, i) => [reportingLoop(l, i % 2, `${i}`), extractLoop(l, (i + 1) % 2)]);

  await until(() => acked.length >= 12 && answered.length >= 12, 90_000, 'load acknowledged before the kill', 20);
  assert.equal(cluster.query(cluster.primary, "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'pcr_standby'"), 'sync', 'the standby is synchronous: every COMMIT waits for it');

  // In this process too, on the same host list: a pool with a transaction open across the kill.
  const db = await openPostgres(cluster.url, { max: 2 });
  let resume!: () => void;
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const held = db
    .transaction(async (tx) => {
      await tx.query('SELECT 1');
      entered();
      await new Promise<void>((r) => (resume = r));
      await tx.query('SELECT 2');
    })
    .then(() => 'committed', (err: unknown) => err);
  await inside;

  const before = { acked: acked.length, answered: answered.length, failures: failures.length };
  cluster.kill(cluster.primary);
  const killedAt = clock;
  // The register notices: requests fail while no server of its list accepts writes.
  await until(() => failures.length > before.failures, 30_000, 'a request failing after the kill', 20);
  // The connection of the open transaction was cut while the pool had lent it out: that must not
  // end the process (an unhandled 'error' on the client), and the transaction fails as transient.
  resume();
  const outcome = await held;
  assert.ok(isTransientDatabaseError(outcome), `the transaction cut by the kill fails with a transient error, not ${String(outcome)}`);
  cluster.promote(cluster.standby);
  const promotedAt = clock;

  // Both processes, never restarted, acknowledge new batches and answer new extracts on the promoted server.
  const since = (list: { sentAt: number; server: number }[], server: number) => list.filter((x) => x.sentAt > promotedAt && x.server === server).length;
  await until(() => [0, 1].every((s) => since(acked, s) >= 3 && since(answered, s) >= 3), 90_000, 'both processes serving after the promotion', 20);
  running = false;
  await Promise.all(loops);
  assert.ok(servers.every((s) => s.child.exitCode === null && s.child.signalCode === null), 'both register processes are still the ones started');

  const during = failures.slice(before.failures);
  t.diagnostic(`acknowledged before the kill: ${before.acked} batches, ${before.answered} extracts; in all ${acked.length} batches, ${answered.length} extracts; ${failures.length} requests failed (${during.length} after the kill)`);
  t.diagnostic(`acknowledged between kill and promotion: ${acked.filter((a) => a.sentAt > killedAt && a.sentAt <= promotedAt).length} batches`);
  const kinds = new Map<string, number>();
  for (const f of failures) kinds.set(f.replace(/"correlationId":"[^"]*"/, '').slice(0, 120), (kinds.get(f.replace(/"correlationId":"[^"]*"/, '').slice(0, 120)) ?? 0) + 1);
  for (const [kind, n] of kinds) t.diagnostic(`failed ${n}×: ${kind}`);
  // What failed, failed as the register's own error or as a lost connection: never a refusal of the request itself.
  for (const f of failures) assert.match(f, /^(AddLoans|extract) (5\d\d |\D)/, `a failure during the switch is a 5xx or a connection error, not ${f}`);

  // The promoted standby is the server the host list leads to now: the same pool, chosen again.
  try {
    const { rows: server } = await db.query<{ port: number; recovery: boolean }>('SELECT inet_server_port() AS port, pg_is_in_recovery() AS recovery');
    assert.deepEqual(server[0], { port: cluster.standby.port, recovery: false });

    // Every acknowledged batch is there, and is processed (the work left by the kill is taken up again).
    const statuses = async () =>
      (
        await db.query<{ organisation_id: number; batch_reference: string; status: string; accepted_count: number | null }>(
          'SELECT organisation_id, batch_reference, status, accepted_count FROM batches WHERE batch_reference = ANY($1::text[])',
          [acked.map((a) => a.reference)],
        )
      ).rows;
    const key = (organisationId: number, reference: string) => `${organisationId}/${reference}`;
    let found = new Map((await statuses()).map((r) => [key(r.organisation_id, r.batch_reference), r]));
    const missing = acked.filter((a) => !found.has(key(a.lender.id, a.reference)));
    assert.deepEqual(missing.map((a) => a.reference), [], 'every batch answered 202 is on the promoted server');
    const finishedAll = async () => {
      found = new Map((await statuses()).map((r) => [key(r.organisation_id, r.batch_reference), r]));
      return [...found.values()].every((r) => r.status.startsWith('Finished'));
    };
    const deadline = Date.now() + 120_000;
    while (!(await finishedAll())) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const a of acked) {
      const row = found.get(key(a.lender.id, a.reference))!;
      assert.equal(row.status, 'FinishedSuccess', `${a.reference}: ${row.status}`);
      assert.equal(row.accepted_count, LOANS_PER_BATCH, a.reference);
    }
    const { rows: loans } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM loans WHERE loan_number = ANY($1::text[])', [acked.flatMap((a) => a.loanNumbers)]);
    assert.equal(loans[0]!.n, acked.length * LOANS_PER_BATCH, 'every loan of every acknowledged batch is held');

    // Every answered extract is in the disclosure log, with exactly the text that was sent.
    const { rows: logged } = await db.query<{ ref: string; organisation_id: number; content: string }>(
      'SELECT extract_reference::text AS ref, organisation_id, content FROM extracts WHERE extract_reference = ANY($1::uuid[])',
      [answered.map((a) => a.extractReference)],
    );
    const log = new Map(logged.map((r) => [r.ref, r]));
    for (const a of answered) {
      const entry = log.get(a.extractReference);
      assert.ok(entry, `extract ${a.extractReference} answered but not in the log`);
      assert.equal(entry.organisation_id, a.lender.id);
      assert.equal(entry.content, a.content, `the log holds the text sent for ${a.extractReference}`);
    }
  } finally {
    await db.close();
  }
});
