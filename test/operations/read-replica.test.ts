/**
 * Issue 13: reads that tolerate lag from a standby (--read-database-url). A primary with a
 * streaming standby (scripts/pg-cluster.mjs startReplicatedCluster, asynchronous here), a
 * register with both: the ban change feed is read on the standby — while the standby's replay
 * is paused, a change made on the primary is not delivered, and after it resumes it is, once —
 * and every delivery is logged on the primary; a standby that is unreachable makes the primary
 * answer instead. PostgreSQL only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { issueCertificate } from '../../src/access/certificates.ts';
import { addOrganisation, grantPermission, organisationRef, type OrganisationRef } from '../../src/access/organisations.ts';
import { expireDeliveries } from '../../src/authority/store.ts';
import { runCli } from '../../src/cli/main.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import { resolveConfig } from '../../src/config.ts';
import { openRegister, type Register } from '../../src/register.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createLogger } from '../../src/http/logging.ts';
import { BACKEND } from '../helpers/db.ts';
import { ownerOf, uniqueBusinessId } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';
// @ts-expect-error plain ES module without types
import { startReplicatedCluster } from '../../scripts/pg-cluster.mjs';
import { tempDir } from '../helpers/temp.ts';

const skip = BACKEND === 'pglite' ? 'the embedded database has no standby: read replicas need PostgreSQL' : false;

interface ClusterNode { name: string; url: string; port: number }
interface ReplicatedCluster { primary: ClusterNode; standby: ClusterNode; query(n: ClusterNode, sql: string): string; kill(n: ClusterNode): void; start(n: ClusterNode): void; stop(): void }
interface Page { changes: { personIdCode: string; change: string }[]; nextCursor: string; moreAvailable: boolean }

let cluster: ReplicatedCluster;
let dataDir: string;
let register: Register;
let server: RunningServer;
let company: { ref: OrganisationRef; client: HttpsJsonClient };

async function cli(argv: string[]): Promise<void> {
  let err = '';
  const code = await runCli(argv, { io: { out: () => {}, err: (s) => void (err += s) }, cwd: dataDir, running: { register, afterAccessChange: () => server.trust.invalidate() } });
  assert.equal(code, 0, `${argv.join(' ')}: ${err}`);
}

const feed = async (cursor?: string): Promise<Page> => {
  const res = await company.client.post<Page>('/GetVoluntaryBanChanges', { targetEnvironment: 'Test', owner: ownerOf(company.ref), ...(cursor ? { cursor } : {}) });
  assert.equal(res.status, 200, res.text);
  return res.body;
};

/** Pages until the standby has the person's change (the replication's lag, bounded). */
async function pageUntilChangeOf(cursor: string, person: string): Promise<{ page: Page; cursor: string }> {
  for (let i = 0; i < 300; i++) {
    const page = await feed(cursor);
    if (page.changes.some((c) => c.personIdCode === person)) return { page, cursor: page.nextCursor };
    cursor = page.nextCursor;
    await sleep(100);
  }
  throw new Error(`no change of ${person} in 30 s`);
}

before(async () => {
  if (skip) return;
  cluster = await startReplicatedCluster({ synchronous: false });
  dataDir = tempDir('pcr-replica-');
  const config = resolveConfig({ dataDir, databaseUrl: cluster.primary.url, readDatabaseUrl: cluster.standby.url, caDir: join(dataDir, 'ca'), port: 0, webPort: 0, metricsPort: 0 }, {});
  register = await openRegister(config);
  server = await startServer(register, { logger: createLogger({ level: 'silent' }) });
  const ref = organisationRef('BusinessId', uniqueBusinessId());
  await addOrganisation(register.db, { ref, name: 'Replica Credit Info Oy', roles: ['credit-information-company'] });
  await grantPermission(register.db, ref, 'ban-distribution', {});
  const issued = await issueCertificate(register.db, register.ca, ref, 'data-use', register.environment);
  company = { ref, client: new HttpsJsonClient(`https://localhost:${server.port}`, { ca: register.ca.certPem, cert: issued.certPem, key: issued.keyPem }) };
});

after(async () => {
  if (skip) return;
  company?.client.close();
  await server?.close();
  await register?.close();
  cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the ban feed reads the standby: a change the standby has not replayed is not delivered yet, then once; the deliveries are logged on the primary', { skip }, async () => {
  assert.notEqual(register.readDb, register.db, 'a pool of its own for the standby');
  const first = testPerson();
  await cli(['ban', 'consent', '--id-code', first, '--give']);
    await cli(['ban', 'set', '--id-code', first, '--reason', 'Other']);
  const start = await feed();
  const a = start.changes.some((c) => c.personIdCode === first) ? { cursor: start.nextCursor } : await pageUntilChangeOf(start.nextCursor, first);

  // Replay paused: the standby stays where it is, the primary goes on.
  cluster.query(cluster.standby, 'SELECT pg_wal_replay_pause()');
  try {
    const second = testPerson();
    await cli(['ban', 'consent', '--id-code', second, '--give']);
    await cli(['ban', 'set', '--id-code', second, '--reason', 'Other']);
    // The primary can deliver it (its feed mark passes the new row)…
    for (let i = 0; i < 100; i++) {
      const { rows } = await register.db.query<{ ok: boolean }>(`SELECT pg_snapshot_xmin(pg_current_snapshot()) > (SELECT max(pos) FROM ban_feed) AS ok`);
      if (rows[0]!.ok) break;
      await sleep(50);
    }
    // …but the feed, read on the standby, does not have it.
    for (let i = 0; i < 3; i++) {
      const page = await feed(a.cursor);
      assert.deepEqual(page.changes.map((c) => c.personIdCode), [], 'nothing the standby has not replayed');
      assert.equal(page.moreAvailable, false);
      await sleep(100);
    }
    cluster.query(cluster.standby, 'SELECT pg_wal_replay_resume()');
    const b = await pageUntilChangeOf(a.cursor, second);
    assert.deepEqual(b.page.changes.filter((c) => c.personIdCode === second).map((c) => c.change), ['Set'], 'once');
    const rest = await feed(b.cursor);
    assert.deepEqual(rest.changes, [], 'and not again');

    // The deliveries are logged on the primary (the standby could not have written them).
    const { rows } = await register.db.query<{ person: string }>(
      'SELECT d.person FROM ban_deliveries d JOIN organisations o ON o.id = d.organisation_id WHERE o.id_code = $1 ORDER BY d.delivered_at', [company.ref.idCode]);
    assert.deepEqual(rows.map((r) => r.person).filter((p) => p === first.toUpperCase() || p === second.toUpperCase()), [first.toUpperCase(), second.toUpperCase()]);
  } finally {
    cluster.query(cluster.standby, 'SELECT pg_wal_replay_resume()');
  }
});

test('an authority\'s delivery pages are read on the standby: a page the primary has already expired is still served from the standby\'s snapshot, logged on the primary; once replayed, the expiry holds there too', { skip }, async () => {
  const ref = organisationRef('BusinessId', uniqueBusinessId());
  await addOrganisation(register.db, { ref, name: 'Replica Supervisor', roles: ['authority'] });
  await cli(['permission', 'grant', '--business-id', ref.idCode, '--permission', 'authority', '--scope', 'all', '--orders', 'PersonLoans', '--identity-codes', 'codes']);
  const issued = await issueCertificate(register.db, register.ca, ref, 'data-use', register.environment);
  const client = new HttpsJsonClient(`https://localhost:${server.port}`, { ca: register.ca.certPem, cert: issued.certPem, key: issued.keyPem });
  const owner = ownerOf(ref);
  type Deliveries = { deliveries: { deliveryId: string; status: string }[]; errorResponses?: { errorCode: string }[] };
  try {
    const placed = await client.post<{ orderId: string }>('/OrderData', { targetEnvironment: 'Test', owner, order: { type: 'PersonLoans', legalBasis: 'Act on the Financial Supervisory Authority 18 §', caseReference: 'FIVA/2026/7', idCodeType: 'PersonalIdentityCode', idCode: testPerson() } });
    assert.equal(placed.status, 200, placed.text);
    const { orderId } = placed.body;
    let deliveryId = '';
    for (let i = 0; i < 400 && !deliveryId; i++) {
      const listed = await client.post<Deliveries>('/GetDataDelivery', { targetEnvironment: 'Test', owner, orderId });
      assert.equal(listed.status, 200, listed.text);
      const d = listed.body.deliveries[0];
      if (d?.status === 'Ready') deliveryId = d.deliveryId;
      else {
        server.worker.wake();
        await sleep(25);
      }
    }
    assert.ok(deliveryId, 'the delivery was produced');
    const page = () => client.post('/GetDataDelivery', { targetEnvironment: 'Test', owner, orderId, deliveryId, page: 1 });
    const content = await page();
    assert.equal(content.status, 200, content.text);
    // The standby has the delivery as Ready…
    for (let i = 0; i < 300 && cluster.query(cluster.standby, `SELECT status FROM data_deliveries WHERE id = '${deliveryId}'`).trim() !== 'Ready'; i++) await sleep(100);
    cluster.query(cluster.standby, 'SELECT pg_wal_replay_pause()');
    try {
      // …and keeps it so while its replay is paused, when the primary has expired it (content deleted).
      assert.equal(await expireDeliveries(register.db, new Date(Date.now() + 366 * 86_400_000)), 1);
      assert.equal(cluster.query(cluster.primary, `SELECT status || ' ' || (SELECT count(*) FROM data_delivery_pages WHERE delivery_id = '${deliveryId}') FROM data_deliveries WHERE id = '${deliveryId}'`).trim(), 'Expired 0');
      const logged = () => Number(cluster.query(cluster.primary, `SELECT count(*) FROM data_delivery_log WHERE delivery_id = '${deliveryId}'`).trim());
      const before = logged();
      const fromStandby = await page();
      assert.equal(fromStandby.status, 200, `read on the standby, which still holds the page: ${fromStandby.text}`);
      assert.equal(fromStandby.text, content.text);
      assert.equal(logged(), before + 1, 'the download is logged on the primary');
    } finally {
      cluster.query(cluster.standby, 'SELECT pg_wal_replay_resume()');
    }
    // Replayed: the standby knows the expiry too, and the page is no longer given.
    for (let i = 0; i < 300 && cluster.query(cluster.standby, `SELECT status FROM data_deliveries WHERE id = '${deliveryId}'`).trim() !== 'Expired'; i++) await sleep(100);
    const expired = await page();
    assert.notEqual(expired.status, 200, expired.text);
  } finally {
    client.close();
  }
});

test('with the standby down, the primary answers the feed', { skip }, async () => {
  const start = await feed();
  cluster.kill(cluster.standby);
  try {
    const third = testPerson();
    await cli(['ban', 'consent', '--id-code', third, '--give']);
    await cli(['ban', 'set', '--id-code', third, '--reason', 'Other']);
    let delivered = false;
    for (let i = 0; i < 100 && !delivered; i++) {
      const page = await feed(start.nextCursor);
      delivered = page.changes.some((c) => c.personIdCode === third);
      if (!delivered) await sleep(100);
    }
    assert.ok(delivered, 'delivered from the primary while the standby is down');
  } finally {
    cluster.start(cluster.standby);
  }
});
