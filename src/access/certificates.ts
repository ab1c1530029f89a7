/**
 * The certificate life: order (transfer codes), retrieval with a CSR, renewal, revocation,
 * and the operator's list. Access.md "Certificates".
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { RegisterError } from '../common/errors.ts';
import type { Database, Queryable } from '../db/database.ts';
import { describeRef, InputError, requireOrganisation, type OrganisationRef } from './organisations.ts';
import { createKeyAndCsr, CsrError, issueClientCertificate, readCsr, type CertificateAuthority, type Environment, type Usage } from './pki.ts';

export const TRANSFER_VALIDITY_DAYS = 14;
export const TRANSFER_TRIES = 5;
export const RENEWAL_WINDOW_DAYS = 60;
const DAY = 86_400_000;

export const USAGES: readonly Usage[] = ['reporting', 'data-use'];
export const ENVIRONMENTS: readonly Environment[] = ['Test', 'Production'];

function hashPassword(password: string, salt = randomBytes(16)): string {
  return `${salt.toString('base64')}:${scryptSync(password, salt, 32).toString('base64')}`;
}

function passwordMatches(password: string, stored: string): boolean {
  const [salt, hash] = stored.split(':') as [string, string];
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), 32);
  return timingSafeEqual(expected, actual);
}

/** Readable one-time codes: no 0/O or 1/I/L to misread from an SMS. */
function readableCode(length: number): string {
  const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

export interface CertificateOrder {
  transferId: string;
  transferPassword: string;
  expiresAt: string;
  businessId: string;
  usage: Usage;
  environment: Environment;
}

export async function orderCertificate(
  db: Queryable,
  input: { ref: OrganisationRef; usage: Usage; environment: Environment },
  now = new Date(),
): Promise<CertificateOrder> {
  if (!USAGES.includes(input.usage)) throw new InputError(`Unknown usage "${input.usage}" (reporting, data-use)`);
  if (!ENVIRONMENTS.includes(input.environment)) throw new InputError(`Unknown environment "${input.environment}" (Test, Production)`);
  const org = await requireOrganisation(db, input.ref);
  if (org.state !== 'active') throw new InputError(`Organisation ${describeRef(input.ref)} is suspended`);
  const transferId = `T${readableCode(11)}`;
  const transferPassword = readableCode(16);
  const expiresAt = new Date(now.getTime() + TRANSFER_VALIDITY_DAYS * DAY);
  await db.query(
    `INSERT INTO certificate_orders (transfer_id, organisation_id, usage, environment, password_hash, expires_at, tries_left)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [transferId, org.id, input.usage, input.environment, hashPassword(transferPassword), expiresAt, TRANSFER_TRIES],
  );
  return { transferId, transferPassword, expiresAt: expiresAt.toISOString(), businessId: describeRef(input.ref), usage: input.usage, environment: input.environment };
}

export interface RetrievedCertificate {
  certificate: string;
  caChain: string[];
  serial: string;
  notAfter: string;
}

async function certifyCsr(csrPem: string) {
  try {
    return await readCsr(csrPem);
  } catch (err) {
    if (err instanceof CsrError) throw new RegisterError('A10', err.message, 'csr');
    throw err;
  }
}

interface OrgSubjectRow {
  organisationId: number;
  name: string;
  idCode: string;
  countryCode: string;
}

async function insertCertificate(
  tx: Queryable,
  ca: CertificateAuthority,
  csrPem: string,
  subject: OrgSubjectRow & { usage: Usage; environment: Environment; renewedFrom?: string },
  now: Date,
): Promise<RetrievedCertificate> {
  const csr = await certifyCsr(csrPem);
  const issued = await issueClientCertificate(ca, csr, {
    organisationName: subject.name,
    idCode: subject.idCode,
    countryCode: subject.countryCode,
    usage: subject.usage,
    environment: subject.environment,
  }, now);
  await tx.query(
    `INSERT INTO certificates (serial, organisation_id, usage, environment, fingerprint256, not_before, not_after, pem, renewed_from)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [issued.serial, subject.organisationId, subject.usage, subject.environment, issued.fingerprint256, issued.notBefore, issued.notAfter, issued.pem, subject.renewedFrom ?? null],
  );
  return { certificate: issued.pem, caChain: [ca.certPem], serial: issued.serial, notAfter: issued.notAfter.toISOString() };
}

/**
 * Step 2 of access.md: the organisation posts its CSR with the transfer codes. A wrong
 * password uses up a try (and is committed as such); the fifth wrong try spends the codes.
 */
export async function retrieveCertificate(
  db: Database,
  ca: CertificateAuthority,
  input: { transferId: string; transferPassword: string; csr: string },
  now = new Date(),
): Promise<RetrievedCertificate> {
  const outcome = await db.transaction((tx) => redeemOrder(tx, ca, input, now));
  if ('refused' in outcome) throw new RegisterError('A25', outcome.refused);
  return outcome.cert;
}

/** Redeems transfer codes in the caller's transaction: a certificate, or why not (the spent try is written either way). */
async function redeemOrder(
  tx: Queryable,
  ca: CertificateAuthority,
  input: { transferId: string; transferPassword: string; csr: string },
  now: Date,
): Promise<{ cert: RetrievedCertificate } | { refused: string }> {
  const { rows } = await tx.query<{
    organisationId: number; usage: Usage; environment: Environment; passwordHash: string; expiresAt: Date;
    triesLeft: number; spentAt: Date | null; name: string; idCode: string; countryCode: string; state: string;
  }>(
    `SELECT o.organisation_id AS "organisationId", o.usage, o.environment, o.password_hash AS "passwordHash",
            o.expires_at AS "expiresAt", o.tries_left AS "triesLeft", o.spent_at AS "spentAt",
            g.name, g.id_code AS "idCode", g.country_code AS "countryCode", g.state
     FROM certificate_orders o JOIN organisations g ON g.id = o.organisation_id
     WHERE o.transfer_id = $1 FOR UPDATE OF o`,
    [input.transferId],
  );
  const order = rows[0];
  if (!order || order.spentAt || order.triesLeft <= 0 || order.expiresAt.getTime() < now.getTime() || order.state !== 'active') {
    return { refused: 'The transfer id is unknown, expired or already used' };
  }
  if (!passwordMatches(input.transferPassword, order.passwordHash)) {
    const left = order.triesLeft - 1;
    await tx.query(
      `UPDATE certificate_orders SET tries_left = $2, spent_at = CASE WHEN $2 <= 0 THEN now() ELSE spent_at END WHERE transfer_id = $1`,
      [input.transferId, left],
    );
    return { refused: left > 0 ? `Wrong transfer password (${left} tries left)` : 'Wrong transfer password; the transfer codes are now spent' };
  }
  const cert = await insertCertificate(tx, ca, input.csr, order, now);
  await tx.query('UPDATE certificate_orders SET spent_at = now(), certificate_serial = $2 WHERE transfer_id = $1', [input.transferId, cert.serial]);
  return { cert };
}

/** Renewal with the current, still valid certificate, no earlier than 60 days before it expires. */
export async function renewCertificate(
  db: Database,
  ca: CertificateAuthority,
  current: { serial: string; notAfter: Date },
  csrPem: string,
  now = new Date(),
): Promise<RetrievedCertificate> {
  const opensAt = current.notAfter.getTime() - RENEWAL_WINDOW_DAYS * DAY;
  if (now.getTime() < opensAt) {
    throw new RegisterError('A26', `Renewal opens on ${new Date(opensAt).toISOString().slice(0, 10)}, ${RENEWAL_WINDOW_DAYS} days before the certificate expires`);
  }
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<OrgSubjectRow & { usage: Usage; environment: Environment }>(
      `SELECT c.organisation_id AS "organisationId", c.usage, c.environment, g.name, g.id_code AS "idCode", g.country_code AS "countryCode"
       FROM certificates c JOIN organisations g ON g.id = c.organisation_id WHERE c.serial = $1`,
      [current.serial],
    );
    return insertCertificate(tx, ca, csrPem, { ...rows[0]!, renewedFrom: current.serial }, now);
  });
}

/** A serial as stored: upper-case hex without colons. */
export const normalSerial = (serial: string): string => serial.toUpperCase().replace(/:/g, '');

export async function revokeCertificate(db: Queryable, serial: string, reason = 'revoked by the operator'): Promise<{ serial: string; revokedAt: string }> {
  const { rows } = await db.query<{ revokedAt: Date }>(
    `UPDATE certificates SET revoked_at = coalesce(revoked_at, now()), revocation_reason = coalesce(revocation_reason, $2)
     WHERE serial = $1 RETURNING revoked_at AS "revokedAt"`,
    [normalSerial(serial), reason],
  );
  if (!rows[0]) throw new InputError(`No certificate with serial ${serial}`);
  return { serial: normalSerial(serial), revokedAt: rows[0].revokedAt.toISOString() };
}

export interface CertificateListing {
  serial: string;
  businessId: string;
  organisationName: string;
  usage: Usage;
  environment: Environment;
  notBefore: string;
  notAfter: string;
  revoked: boolean;
  revokedAt: string | null;
}

export async function listCertificates(
  db: Queryable,
  filter: { ref?: OrganisationRef; expiringWithinDays?: number } = {},
  now = new Date(),
): Promise<CertificateListing[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.ref) {
    const org = await requireOrganisation(db, filter.ref);
    params.push(org.id);
    where.push(`c.organisation_id = $${params.length}`);
  }
  if (filter.expiringWithinDays !== undefined) {
    params.push(now, new Date(now.getTime() + filter.expiringWithinDays * DAY));
    where.push(`c.revoked_at IS NULL AND c.not_after >= $${params.length - 1} AND c.not_after <= $${params.length}`);
  }
  const { rows } = await db.query<{
    serial: string; idCodeType: string; idCode: string; countryCode: string; name: string; usage: Usage;
    environment: Environment; notBefore: Date; notAfter: Date; revokedAt: Date | null;
  }>(
    `SELECT c.serial, g.id_code_type AS "idCodeType", g.id_code AS "idCode", g.country_code AS "countryCode", g.name,
            c.usage, c.environment, c.not_before AS "notBefore", c.not_after AS "notAfter", c.revoked_at AS "revokedAt"
     FROM certificates c JOIN organisations g ON g.id = c.organisation_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.not_after, c.serial`,
    params,
  );
  return rows.map((r) => ({
    serial: r.serial,
    businessId: describeRef({ idCodeType: r.idCodeType as OrganisationRef['idCodeType'], idCode: r.idCode, countryCode: r.countryCode }),
    organisationName: r.name,
    usage: r.usage,
    environment: r.environment,
    notBefore: r.notBefore.toISOString(),
    notAfter: r.notAfter.toISOString(),
    revoked: r.revokedAt !== null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  }));
}

/**
 * Order + retrieve in one step, in process: for demos and tests. The key is made here, as an
 * organisation would make it, before the database is touched; given a transaction, the order
 * and the certificate are written in it.
 */
export async function issueCertificate(db: Database | Queryable, ca: CertificateAuthority, ref: OrganisationRef, usage: Usage, environment: Environment) {
  const { keyPem, csrPem } = await createKeyAndCsr('certificate request');
  const issue = async (tx: Queryable) => {
    const order = await orderCertificate(tx, { ref, usage, environment });
    return redeemOrder(tx, ca, { transferId: order.transferId, transferPassword: order.transferPassword, csr: csrPem }, new Date());
  };
  const outcome = 'transaction' in db ? await db.transaction(issue) : await issue(db);
  if ('refused' in outcome) throw new RegisterError('A25', outcome.refused);
  const cert = outcome.cert;
  return { keyPem, certPem: cert.certificate, caPem: ca.certPem, serial: cert.serial, notAfter: cert.notAfter };
}

/** A certificate's revocation state as stored, or undefined: the audit trail's before and after of a revocation. */
export async function certificateState(db: Queryable, serial: string): Promise<{ serial: string; revokedAt: string | null; revocationReason: string | null } | undefined> {
  const { rows } = await db.query<{ serial: string; revokedAt: Date | null; revocationReason: string | null }>(
    `SELECT serial, revoked_at AS "revokedAt", revocation_reason AS "revocationReason" FROM certificates WHERE serial = $1`,
    [normalSerial(serial)],
  );
  return rows[0] && { ...rows[0], revokedAt: rows[0].revokedAt?.toISOString() ?? null };
}
