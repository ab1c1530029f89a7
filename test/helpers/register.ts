/** A whole register for tests: a test database, a CA in a temporary folder, the HTTPS server on a free port. */
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { issueCertificate } from '../../src/access/certificates.ts';
import { addOrganisation, grantPermission, organisationRef, type OrganisationRef, type Permission, type Role } from '../../src/access/organisations.ts';
import type { Environment, Usage } from '../../src/access/pki.ts';
import { runCli } from '../../src/cli/main.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import { resolveConfig } from '../../src/config.ts';
import { createLogger } from '../../src/http/logging.ts';
import { makeBusinessId } from '../../src/identity/business-id.ts';
import { openRegister, type Register } from '../../src/register.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { openTestDatabase } from './db.ts';
import { tempDir } from './temp.ts';

let nextBusinessId = 1_000_000 + Math.floor(Math.random() * 1_000_000);
const usedBusinessIds = new Set<string>();
export function uniqueBusinessId(): string {
  for (;;) {
    const id = makeBusinessId(nextBusinessId++);
    if (!usedBusinessIds.has(id)) {
      usedBusinessIds.add(id);
      return id;
    }
  }
}

export interface OrganisationSpec {
  businessId?: string;
  name?: string;
  roles?: Role[];
  permissions?: { permission: Permission; purposes?: string[] }[];
}

export interface TestRegister {
  register: Register;
  server: RunningServer;
  url: string;
  dataDir: string;
  /** Every log line the server wrote, as text. */
  logs: string[];
  organisation(spec?: OrganisationSpec): Promise<OrganisationRef>;
  /** An HTTPS client holding a freshly issued certificate of the organisation. */
  client(ref: OrganisationRef, usage: Usage, opts?: { environment?: Environment }): Promise<HttpsJsonClient & { serial: string }>;
  /** A lender with reporting and extract permissions and a client of the given usage. */
  lender(usage?: Usage): Promise<{ ref: OrganisationRef; client: HttpsJsonClient & { serial: string } }>;
  /** An HTTPS client that presents no client certificate. */
  anonymous(): HttpsJsonClient;
  /** Runs an operator command inside this register, as the operator channel does. */
  cli(argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function startTestRegister(opts: { environment?: Environment; env?: Record<string, string> } = {}): Promise<TestRegister> {
  const db = await openTestDatabase();
  const dataDir = tempDir('pcr-test-');
  const config = resolveConfig({ dataDir, port: 0, webPort: 0, metricsPort: 0, ...(opts.environment ? { environment: opts.environment } : {}) }, { PCR_TRUST_CACHE_MS: '2000', ...opts.env });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      if (process.env.PCR_TEST_LOG_ERRORS && /"level":50/.test(String(chunk))) process.stderr.write(chunk);
      cb();
    },
  });
  let register: Register | undefined;
  let server: RunningServer;
  try {
    register = await openRegister(config, { db });
    server = await startServer(register, { logger: createLogger({ level: 'info', destination }) });
  } catch (err) {
    // Nothing left behind by a register that did not start: its database (closed with it) and its folder.
    await (register ?? db).close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const url = `https://localhost:${server.port}`;
  const clients: HttpsJsonClient[] = [];

  const t: TestRegister = {
    register,
    server,
    url,
    dataDir,
    logs,
    async organisation(spec = {}) {
      const ref = organisationRef('BusinessId', spec.businessId ?? uniqueBusinessId());
      await addOrganisation(db, { ref, name: spec.name ?? `Test Org ${ref.idCode}`, roles: spec.roles ?? ['lender'] });
      for (const p of spec.permissions ?? []) await grantPermission(db, ref, p.permission, p.purposes ? { purposes: p.purposes } : {});
      return ref;
    },
    async client(ref, usage, o = {}) {
      const issued = await issueCertificate(db, register.ca, ref, usage, o.environment ?? register.environment);
      const c = Object.assign(new HttpsJsonClient(url, { ca: register.ca.certPem, cert: issued.certPem, key: issued.keyPem }), { serial: issued.serial });
      clients.push(c);
      return c;
    },
    async lender(usage = 'reporting') {
      const ref = await t.organisation({ roles: ['lender'], permissions: [{ permission: 'reporting' }, { permission: 'extract', purposes: ['consumer', 'business'] }] });
      return { ref, client: await t.client(ref, usage) };
    },
    anonymous() {
      const c = new HttpsJsonClient(url, { ca: register.ca.certPem });
      clients.push(c);
      return c;
    },
    async cli(argv) {
      let stdout = '';
      let stderr = '';
      const exitCode = await runCli(argv, {
        io: { out: (s) => void (stdout += s), err: (s) => void (stderr += s) },
        cwd: dataDir,
        running: { register, afterAccessChange: () => t.server.trust.invalidate() },
      });
      return { exitCode, stdout, stderr };
    },
    async close() {
      for (const c of clients) c.close();
      await t.server.close();
      await register.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** The owner property of a request from this organisation. */
export function ownerOf(ref: OrganisationRef) {
  return { idCodeType: ref.idCodeType, idCode: ref.idCode };
}
