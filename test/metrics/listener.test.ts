/**
 * The operator's listener: where it listens (its own address, never the API's port), what it
 * answers to anything, readiness when the database is gone or the schema or the runner is not
 * right, a start that fails cleanly, and `pcr serve` telling its URL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { resolveConfig } from '../../src/config.ts';
import { loadMigrations } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/http/logging.ts';
import { startOperatorListener } from '../../src/metrics/listener.ts';
import { readinessCheck } from '../../src/metrics/readiness.ts';
import { createRegisterMetrics } from '../../src/metrics/registry.ts';
import { openRegister } from '../../src/register.ts';
import { startServer } from '../../src/server.ts';
import { BACKEND, createTestDatabaseUrl, openTestDatabase } from '../helpers/db.ts';
import { spawnServe } from '../helpers/serve-process.ts';
import { startTestRegister } from '../helpers/register.ts';
import { parseSamples, plain } from './scrape.ts';
import { tempDir } from '../helpers/temp.ts';

const silent = createLogger({ level: 'silent' });

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

test('the listener binds the metrics host (loopback by default) on a port of its own; the API port does not serve the metrics', async () => {
  const reg = await startTestRegister({ env: { PCR_METRICS_PORT: '0' } });
  try {
    const m = reg.server.metrics;
    assert.equal(reg.register.config.metricsHost, '127.0.0.1');
    assert.equal(m.url, `http://127.0.0.1:${m.port}`);
    assert.notEqual(m.port, reg.server.port);
    assert.equal((await plain(`${m.url}/metrics`)).status, 200);
    // Another address of this machine: nothing listens there.
    const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) assert.equal(await accepts(external.address, m.port), false, `reachable on ${external.address}`);
    // The API's port answers /metrics, /ready and /health as the API (HTTPS, its own 404 for the others), never with the metrics.
    const client = reg.anonymous();
    const r = await client.get('/metrics');
    assert.equal(r.status, 404);
    assert.doesNotMatch(r.text, /# TYPE/);
    assert.equal((await client.get('/ready')).status, 404);
  } finally {
    await reg.close();
  }
});

test('anything else is 404, a wrong method 405, HEAD has no body; no input gets a 5xx', async () => {
  const reg = await startTestRegister({ env: { PCR_METRICS_PORT: '0' } });
  try {
    const url = reg.server.metrics.url;
    const notFound = await plain(url, { path: '/' });
    assert.equal(notFound.status, 404);
    for (const path of ['/metrics/', '/Metrics', '/metrics/../ready', '/%', '/%00', `/${'x'.repeat(8000)}`, '/health;x', '*', '//metrics', '/131052-308T']) {
      const r = await plain(url, { path });
      assert.equal(r.status, 404, `${path}: ${r.status}`);
      assert.equal(r.text, notFound.text, 'the same answer whatever the path: it is never echoed');
    }
    assert.equal((await plain(url, { path: '/metrics?format=x' })).status, 200);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const r = await plain(`${url}/metrics`, { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
    const head = await plain(`${url}/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    const metrics = await plain(`${url}/metrics`);
    assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(metrics.headers['cache-control'], 'no-store');
    // A malformed request line: Node's own 400, and the listener goes on.
    const port = reg.server.metrics.port;
    const raw = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => s.write('GARBAGE\r\n\r\n'));
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
    });
    assert.match(raw, /^HTTP\/1\.1 400/);
    assert.equal((await plain(`${url}/health`)).status, 200);
  } finally {
    await reg.close();
  }
});

test('/ready turns 503 naming the database when it is gone; /metrics still answers at once (its gauges NaN); /health stays 200', async () => {
  const db = await openTestDatabase();
  const dataDir = tempDir('pcr-metrics-');
  const register = await openRegister(resolveConfig({ dataDir, port: 0, webPort: 0, metricsPort: 0 }, {}), { db });
  const server = await startServer(register, { logger: silent });
  try {
    assert.equal((await plain(`${server.metrics.url}/ready`)).status, 200);
    await db.close(); // PGlite closed; on PostgreSQL the pool ended and the database dropped
    const ready = await plain(`${server.metrics.url}/ready`);
    assert.equal(ready.status, 503, ready.text);
    const body = JSON.parse(ready.text) as { status: string; notReady: { check: string; reason: string }[]; schema: { version?: number } };
    assert.equal(body.status, 'not ready');
    assert.deepEqual(body.notReady.map((n) => n.check), ['database']);
    assert.match(body.notReady[0]!.reason, /^the database did not answer: /);
    assert.equal(body.schema.version, undefined);
    const metrics = await plain(`${server.metrics.url}/metrics`);
    assert.equal(metrics.status, 200);
    const samples = parseSamples(metrics.text);
    assert.equal(samples.get('pcr_database_up'), 0);
    assert.ok(Number.isNaN(samples.get('pcr_batches_waiting')));
    assert.ok(Number.isNaN(samples.get('pcr_batch_oldest_waiting_age_seconds')));
    assert.equal((await plain(`${server.metrics.url}/health`)).status, 200);
  } finally {
    await server.close();
    await register.close().catch(() => {}); // its database is closed already
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('/ready names a schema that is not the code’s, a runner that is not running, and a server that is shutting down', async () => {
  const db = await openTestDatabase();
  const expected = loadMigrations().at(-1)!.version;
  let closing = false;
  const listener = await startOperatorListener({
    host: '127.0.0.1',
    port: 0,
    scrape: () => createRegisterMetrics({ db }).scrape(),
    contentType: 'text/plain',
    ready: readinessCheck({ db, workersRunning: () => false, closing: () => closing, expectedVersion: expected + 1 }),
    logger: silent,
  });
  const newer = await startOperatorListener({
    host: '127.0.0.1',
    port: 0,
    scrape: async () => '',
    contentType: 'text/plain',
    ready: readinessCheck({ db, workersRunning: () => true, closing: () => false, expectedVersion: expected - 1 }),
    logger: silent,
  });
  try {
    const read = async (url: string) => {
      const r = await plain(`${url}/ready`);
      return { status: r.status, body: JSON.parse(r.text) as { notReady: { check: string; reason: string }[]; schema: { version: number; expected: number } } };
    };
    let r = await read(listener.url);
    assert.equal(r.status, 503);
    assert.deepEqual(r.body.notReady.map((n) => n.check), ['workers', 'migrations']);
    assert.match(r.body.notReady[1]!.reason, new RegExp(`version ${expected}, this code needs ${expected + 1}: migrations are pending`));
    assert.deepEqual(r.body.schema, { version: expected, expected: expected + 1 });
    closing = true;
    r = await read(listener.url);
    assert.deepEqual(r.body.notReady.map((n) => n.check), ['shutdown', 'workers', 'migrations']);
    r = await read(newer.url);
    assert.equal(r.status, 503);
    assert.deepEqual(r.body.notReady.map((n) => n.check), ['migrations']);
    assert.match(r.body.notReady[0]!.reason, /newer than this code knows/);
  } finally {
    await listener.close();
    await newer.close();
    await db.close();
  }
});

test('a metrics port in use: the server does not start, and leaves the API port closed', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const busyPort = (busy.address() as AddressInfo).port;
  const db = await openTestDatabase();
  const dataDir = tempDir('pcr-metrics-');
  // The API on a port chosen here, so that it can be looked at afterwards.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const apiPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const register = await openRegister(resolveConfig({ dataDir, host: '127.0.0.1', port: apiPort, webPort: 0, metricsPort: busyPort }, {}), { db });
  try {
    await assert.rejects(startServer(register, { logger: silent }), /EADDRINUSE/);
    assert.equal(await accepts('127.0.0.1', apiPort), false);
  } finally {
    await register.close();
    rmSync(dataDir, { recursive: true, force: true });
    busy.close();
  }
});

test('pcr serve: the JSON start-up line keeps its fields and adds metricsUrl; the listener answers there', async () => {
  const dataDir = tempDir('pcr-metrics-serve-');
  const pg = BACKEND === 'postgres' ? await createTestDatabaseUrl() : undefined;
  const serve = await spawnServe(pg ? { kind: 'postgres', databaseUrl: pg.url, dataDir } : { kind: 'pglite', dataDir }, { PCR_METRICS_PORT: '0', PCR_WEB_PORT: '0' });
  try {
    const line = serve.lines.find((l) => l.includes('"url"') && !l.includes('"level"'))!;
    const info = JSON.parse(line) as Record<string, unknown>;
    for (const k of ['url', 'webUrl', 'environment', 'database', 'dataDir', 'metricsUrl']) assert.ok(k in info, k);
    const metricsUrl = String(info.metricsUrl);
    assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await plain(`${metricsUrl}/ready`)).status, 200);
    const samples = parseSamples((await plain(`${metricsUrl}/metrics`)).text);
    assert.equal(samples.get('pcr_job_runner_running'), 1);
    assert.equal(samples.get('pcr_database_up'), 1);
    assert.equal(await serve.stop(), 0);
    assert.equal(await accepts('127.0.0.1', Number(new URL(metricsUrl).port)), false);
  } finally {
    await serve.kill();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
