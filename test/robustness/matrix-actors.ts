/**
 * The cast of the access matrix (access-matrix.test.ts): for every organisation role an
 * organisation holding what the role can hold, one without any permission and a suspended
 * one, each with certificates in every condition the matrix names; another lender whose
 * data the callers must not reach; and a digest of the database to prove refusals change nothing.
 */
import { randomUUID } from 'node:crypto';
import { revokeCertificate } from '../../src/access/certificates.ts';
import {
  EXTRACT_PURPOSE_CLASSES, PERMISSION_ROLE, PERMISSIONS, ROLES, setOrganisationState, type OrganisationRef, type Permission, type Role,
} from '../../src/access/organisations.ts';
import {
  CLIENT_CERTIFICATE_VALIDITY_DAYS, createKeyAndCsr, createRootCa, issueClientCertificate, loadCa, readCsr, type Environment, type Usage,
} from '../../src/access/pki.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import type { TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, newLoanNumber, postBatch, testPerson, waitForBatch } from '../helpers/reports.ts';

const DAY = 86_400_000;
export type Client = HttpsJsonClient;

/** What an organisation of each role holds: every permission the role may be granted (organisations.ts PERMISSION_ROLE), extract for both purpose classes. */
export function rolePermissions(role: Role): { permission: Permission; purposes?: string[] }[] {
  return PERMISSIONS.filter((p) => PERMISSION_ROLE[p] === role).map((permission) =>
    permission === 'extract' ? { permission, purposes: [...EXTRACT_PURPOSE_CLASSES] } : { permission },
  );
}

export interface Org {
  ref: OrganisationRef;
  /** organisations.id */
  id: number;
}

export interface RoleCast {
  /** The organisation of the role with its usual permissions, and its certificates by condition and usage. */
  main: Org & {
    /** Valid, and within 60 days of expiry, so that RenewCertificate can renew it. */
    valid: Record<Usage, Client>;
    expired: Record<Usage, Client>;
    revoked: Record<Usage, Client>;
    production: Record<Usage, Client>;
    /** Signed by another CA, with the very subject of this organisation. */
    foreign: Record<Usage, Client>;
  };
  /** The same role without any data permission. */
  bare: Org & { valid: Record<Usage, Client> };
  /** The same role and permissions, suspended after its certificates were issued. */
  suspended: Org & { valid: Record<Usage, Client> };
}

export interface Cast {
  roles: Record<Role, RoleCast>;
  /** Another lender: its loan, batch and refused batch are what the callers must not reach. */
  other: Org & {
    reporting: Client;
    loanNumber: string;
    person: string;
    /** A loan number of the other lender that AddLoans rows reuse (after which the caller has one too). */
    secondLoanNumber: string;
    batchReference: string;
    refusedReference: string;
  };
  /** The main lender's own data. */
  own: { loanNumber: string; person: string; loanToTerminate: string; batchReference: string };
  /** A lender whose extract permission covers consumer purposes only. */
  consumerOnly: Org & { dataUse: Client };
  /** A fresh certificate of the main lender: renewal not yet open. */
  fresh: Client;
  anonymous: Client;
  /** Closes the clients made here (those of TestRegister close with it). */
  close(): void;
}

async function orgId(t: TestRegister, ref: OrganisationRef): Promise<number> {
  const { rows } = await t.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code_type = $1 AND id_code = $2', [ref.idCodeType, ref.idCode]);
  return Number(rows[0]!.id);
}

export async function buildCast(t: TestRegister): Promise<Cast> {
  const db = t.register.db;
  const ca = t.register.ca;
  const clients: Client[] = [];
  const client = (cert: string, key: string): Client => {
    const c = new HttpsJsonClient(t.url, { ca: ca.certPem, cert, key });
    clients.push(c);
    return c;
  };
  /**
   * A certificate of our CA as of `now`, recorded as certificates.ts records one (the
   * operator's order and retrieval are tested elsewhere; their password hashing would
   * make the matrix's seventy certificates slow).
   */
  const certificateAt = async (ref: OrganisationRef, usage: Usage, environment: Environment, now: Date) => {
    const { rows } = await db.query<{ id: number; name: string }>('SELECT id, name FROM organisations WHERE id_code_type = $1 AND id_code = $2', [ref.idCodeType, ref.idCode]);
    const { keyPem, csrPem } = await createKeyAndCsr('matrix');
    const issued = await issueClientCertificate(ca, await readCsr(csrPem), { organisationName: rows[0]!.name, idCode: ref.idCode, countryCode: ref.countryCode, usage, environment }, now);
    await db.query(
      `INSERT INTO certificates (serial, organisation_id, usage, environment, fingerprint256, not_before, not_after, pem) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [issued.serial, rows[0]!.id, usage, environment, issued.fingerprint256, issued.notBefore, issued.notAfter, issued.pem],
    );
    return { client: client(issued.pem, keyPem), serial: issued.serial };
  };
  /** Issued so that it expires in 30 days: inside the renewal window. */
  const renewable = () => new Date(Date.now() - (CLIENT_CERTIFICATE_VALIDITY_DAYS - 30) * DAY);
  const byUsage = async (f: (u: Usage) => Promise<Client>): Promise<Record<Usage, Client>> => ({ reporting: await f('reporting'), 'data-use': await f('data-use') });

  const foreignCa = await createRootCa('Open Positive Credit Register CA');
  const foreign = await loadCa(foreignCa.certPem, foreignCa.keyPem);
  const forged = async (ref: OrganisationRef, name: string, usage: Usage): Promise<Client> => {
    const { keyPem, csrPem } = await createKeyAndCsr('matrix');
    const cert = await issueClientCertificate(foreign, await readCsr(csrPem), { organisationName: name, idCode: ref.idCode, countryCode: 'FI', usage, environment: t.register.environment });
    return client(cert.pem, keyPem);
  };

  const castRole = async (role: Role): Promise<RoleCast> => {
    const name = `Matrix ${role}`;
    const mainRef = await t.organisation({ name, roles: [role], permissions: rolePermissions(role) });
    const bareRef = await t.organisation({ name: `${name} without permissions`, roles: [role] });
    const suspendedRef = await t.organisation({ name: `${name} suspended`, roles: [role], permissions: rolePermissions(role) });
    const revoked = await byUsage(async (u) => {
      const c = await certificateAt(mainRef, u, t.register.environment, new Date());
      await revokeCertificate(db, c.serial, 'matrix');
      return c.client;
    });
    const cast: RoleCast = {
      main: {
        ref: mainRef,
        id: await orgId(t, mainRef),
        valid: await byUsage(async (u) => (await certificateAt(mainRef, u, t.register.environment, renewable())).client),
        expired: await byUsage(async (u) => (await certificateAt(mainRef, u, t.register.environment, new Date(Date.now() - 3 * 365 * DAY))).client),
        revoked,
        production: await byUsage(async (u) => (await certificateAt(mainRef, u, t.register.environment === 'Test' ? 'Production' : 'Test', new Date())).client),
        foreign: await byUsage((u) => forged(mainRef, name, u)),
      },
      bare: { ref: bareRef, id: await orgId(t, bareRef), valid: await byUsage(async (u) => (await certificateAt(bareRef, u, t.register.environment, renewable())).client) },
      suspended: { ref: suspendedRef, id: await orgId(t, suspendedRef), valid: await byUsage(async (u) => (await certificateAt(suspendedRef, u, t.register.environment, new Date())).client) },
    };
    await setOrganisationState(db, suspendedRef, 'suspended');
    return cast;
  };
  const roles = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await castRole(role)] as const))) as Record<Role, RoleCast>;

  const lender = roles.lender.main;
  const otherRef = await t.organisation({ name: 'Matrix other lender', roles: ['lender'], permissions: rolePermissions('lender') });
  const otherReporting = await t.client(otherRef, 'reporting');
  const consumerOnlyRef = await t.organisation({ name: 'Matrix consumer-only lender', roles: ['lender'], permissions: [{ permission: 'reporting' }, { permission: 'extract', purposes: ['consumer'] }] });
  const fresh = await t.client(lender.ref, 'reporting');
  const consumerOnlyDataUse = await t.client(consumerOnlyRef, 'data-use');
  t.server.trust.invalidate();

  // Another lender's loan and batch, and a batch reference it had refused (A21 is recorded under its own id).
  const otherPerson = testPerson();
  const otherLoan = lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: otherPerson }] });
  const otherSecond = lumpSumLoan();
  const otherBatch = await postBatch(otherReporting, otherRef, 'AddLoans', [otherLoan, otherSecond]);
  if (otherBatch.status !== 202) throw new Error(`seeding: ${otherBatch.text}`);
  const refusedReference = `B-${randomUUID()}`;
  const refused = await otherReporting.post('/AddLoans', { targetEnvironment: t.register.environment, owner: { idCodeType: lender.ref.idCodeType, idCode: lender.ref.idCode }, loans: [lumpSumLoan()] }, { BatchReference: refusedReference });
  if (refused.status !== 403) throw new Error(`seeding: ${refused.text}`);
  // The main lender's own loans, one of them to be terminated.
  const ownPerson = testPerson();
  const ownLoan = lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: ownPerson }] });
  const toTerminate = lumpSumLoan({ loanNumber: { type: 'Other', number: newLoanNumber() } });
  const ownBatch = await postBatch(lender.valid.reporting, lender.ref, 'AddLoans', [ownLoan, toTerminate]);
  if (ownBatch.status !== 202) throw new Error(`seeding: ${ownBatch.text}`);
  // Both finished before any row runs: the worker then has nothing left to write.
  for (const [c, ref, reference] of [[otherReporting, otherRef, otherBatch.reference], [lender.valid.reporting, lender.ref, ownBatch.reference]] as const) {
    const status = await waitForBatch(c, ref, reference);
    if (status.batchStatus !== 'FinishedSuccess') throw new Error(`seeding: ${JSON.stringify(status)}`);
  }

  const anonymous = t.anonymous();
  return {
    roles,
    other: {
      ref: otherRef, id: await orgId(t, otherRef), reporting: otherReporting,
      loanNumber: (otherLoan.loanNumber as { number: string }).number, person: otherPerson,
      secondLoanNumber: (otherSecond.loanNumber as { number: string }).number,
      batchReference: otherBatch.reference, refusedReference,
    },
    own: {
      loanNumber: (ownLoan.loanNumber as { number: string }).number, person: ownPerson,
      loanToTerminate: (toTerminate.loanNumber as { number: string }).number, batchReference: ownBatch.reference,
    },
    consumerOnly: { ref: consumerOnlyRef, id: await orgId(t, consumerOnlyRef), dataUse: consumerOnlyDataUse },
    fresh,
    anonymous,
    close: () => clients.forEach((c) => c.close()),
  };
}

/**
 * A digest of every table but batch_refusals (which a refused batch may write, see
 * refusalRows): each table's row count and the sum of its rows' xmin. Every row version a
 * transaction writes carries that transaction's id, so any insert, update or delete changes
 * the digest; equal digests before and after a request mean it changed nothing.
 */
export async function databaseDigest(t: TestRegister): Promise<Record<string, string>> {
  const db = t.register.db;
  if (!digestSql) {
    const { rows: tables } = await db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'batch_refusals' ORDER BY table_name`,
    );
    digestSql = `SELECT ${tables.map((x) => `(SELECT count(*) || ':' || coalesce(sum(r.xmin::text::bigint), 0) FROM "${x.name}" r) AS "${x.name}"`).join(', ')}`;
  }
  const { rows } = await db.query<Record<string, string>>(digestSql);
  return rows[0]!;
}
let digestSql: string | undefined;

/** The refused batches the register remembers, as "organisation id/reference/errors" lines. */
export async function refusalRows(t: TestRegister): Promise<{ organisationId: number; line: string }[]> {
  const { rows } = await t.register.db.query<{ organisationId: number; line: string }>(
    `SELECT organisation_id AS "organisationId", organisation_id || '/' || batch_reference || '/' || errors::text AS line FROM batch_refusals ORDER BY 2`,
  );
  return rows.map((r) => ({ organisationId: Number(r.organisationId), line: r.line }));
}

/** A digest of one organisation's reporting data: loans, their parties and payments, batches. */
export async function lenderDigest(t: TestRegister, organisationId: number): Promise<string> {
  const { rows } = await t.register.db.query<{ d: string }>(
    `SELECT md5(concat_ws('#',
       (SELECT string_agg(l::text, '|' ORDER BY l.id) FROM loans l WHERE l.lender_id = $1),
       (SELECT string_agg(p::text, '|' ORDER BY p::text) FROM loan_parties p JOIN loans l ON l.id = p.loan_id WHERE l.lender_id = $1),
       (SELECT string_agg(y::text, '|' ORDER BY y::text) FROM payments y JOIN loans l ON l.id = y.loan_id WHERE l.lender_id = $1),
       (SELECT string_agg(b::text, '|' ORDER BY b.id) FROM batches b WHERE b.organisation_id = $1))) AS d`,
    [organisationId],
  );
  return rows[0]!.d;
}

export interface DatabaseState {
  digest: Record<string, string>;
  refusals: { organisationId: number; line: string }[];
}

/**
 * The database's state, read again only when something was written since the last read:
 * every write needs a transaction id, so while the next id to assign has not moved, no
 * table has changed (a cheap query per request instead of a scan of every table).
 */
export class StateProbe {
  private known?: { next: string; state: DatabaseState };
  constructor(private readonly t: TestRegister) {}

  async read(): Promise<DatabaseState> {
    const { rows } = await this.t.register.db.query<{ next: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next');
    const next = rows[0]!.next;
    if (this.known?.next !== next) this.known = { next, state: { digest: await databaseDigest(this.t), refusals: await refusalRows(this.t) } };
    return this.known.state;
  }
}
