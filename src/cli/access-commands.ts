/** The operator's access commands (access.md "The operator's tools"): organisations, permissions, certificates, the CA. */
import { ORDER_TYPES, scopeToGrant } from '../access/authority-scope.ts';
import { Command, Option } from 'commander';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment, Usage } from '../access/pki.ts';
import {
  addOrganisation, describeRef, findOrganisation, findPermission, grantPermission, listOrganisations, organisationRef, PERMISSIONS,
  requireOrganisation, revokePermission, ROLES, setOrganisationState, type Organisation, type OrganisationRef, type Permission, type Role,
} from '../access/organisations.ts';
import { certificateState, issueCertificate, listCertificates, normalSerial, orderCertificate, revokeCertificate } from '../access/certificates.ts';
import type { Queryable } from '../db/database.ts';
import {
  resolvePath, withActorOption, withAuditedChange, withDbOptions, withRegister, type ActorOptions, type CliContext, type DbOptions,
} from './context.ts';
import { emit, UsageError } from './io.ts';
import { certFiles, renewOverHttps, retrieveOverHttps, writeCertFiles } from './client-certs.ts';
import type { Register } from '../register.ts';

interface OrgOptions {
  businessId?: string;
  foreignBusinessId?: string;
  countryCode?: string;
}

function withOrgOptions(cmd: Command, required = true): Command {
  return cmd
    .option('--business-id <id>', `Finnish Business ID, NNNNNNN-C${required ? ' (or --foreign-business-id)' : ''}`)
    .option('--foreign-business-id <id>', 'foreign business ID, with --country-code')
    .option('--country-code <cc>', 'two-letter country code of a foreign business ID');
}

function refFrom(opts: OrgOptions): OrganisationRef {
  if (opts.businessId && opts.foreignBusinessId) throw new UsageError('Give --business-id or --foreign-business-id, not both');
  if (opts.businessId) return organisationRef('BusinessId', opts.businessId);
  if (opts.foreignBusinessId) return organisationRef('ForeignBusinessId', opts.foreignBusinessId, opts.countryCode?.toUpperCase());
  throw new UsageError('Name the organisation with --business-id (or --foreign-business-id with --country-code)');
}

/** An organisation as the audit trail keeps it: without the register's internal id. */
const orgState = (org: Organisation | undefined) => org && (({ id: _id, ...rest }) => rest)(org);

async function orgOf(tx: Queryable, ref: OrganisationRef) {
  return orgState(await findOrganisation(tx, ref));
}

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

function usageOf(v: string): Usage {
  if (v !== 'reporting' && v !== 'data-use') throw new UsageError(`--usage must be reporting or data-use, not "${v}"`);
  return v;
}

function environmentOf(v: string | undefined, register: Register): Environment {
  if (v === undefined) return register.environment;
  if (v !== 'Test' && v !== 'Production') throw new UsageError(`--environment must be Test or Production, not "${v}"`);
  return v;
}

/** One organisation of an import file. */
interface ImportEntry {
  ref: OrganisationRef;
  name: string;
  roles: Role[];
  permissions: { permission: Permission; purposes: string[] }[];
}

/** Reads an import file: every entry checked before anything is changed (a bad line refuses the whole file). */
export function parseOrganisationsFile(text: string): ImportEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError('The organisations file is not JSON');
  }
  if (!Array.isArray(data)) throw new UsageError('The organisations file must hold a JSON array of organisations');
  const seen = new Set<string>();
  return data.map((raw, i) => {
    const e = (raw ?? {}) as { businessId?: unknown; name?: unknown; roles?: unknown; permissions?: unknown };
    const at = `organisation ${i + 1}`;
    if (typeof e.businessId !== 'string') throw new UsageError(`${at}: businessId is missing`);
    const ref = organisationRef('BusinessId', e.businessId);
    if (seen.has(ref.idCode)) throw new UsageError(`${at}: ${ref.idCode} is named twice`);
    seen.add(ref.idCode);
    if (typeof e.name !== 'string' || !e.name.trim()) throw new UsageError(`${at} (${ref.idCode}): name is missing`);
    if (!Array.isArray(e.roles) || e.roles.length === 0 || !e.roles.every((r) => (ROLES as readonly unknown[]).includes(r))) {
      throw new UsageError(`${at} (${ref.idCode}): roles must be a list of ${ROLES.join(', ')}`);
    }
    const permissions = (Array.isArray(e.permissions) ? e.permissions : []).map((p: { permission?: unknown; purposes?: unknown }) => {
      if (!(PERMISSIONS as readonly unknown[]).includes(p?.permission)) throw new UsageError(`${at} (${ref.idCode}): unknown permission ${JSON.stringify(p?.permission)}`);
      const purposes = Array.isArray(p.purposes) ? p.purposes.map(String) : [];
      return { permission: p.permission as Permission, purposes };
    });
    return { ref, name: e.name.trim(), roles: [...new Set(e.roles as Role[])], permissions };
  });
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

interface ImportOutcome {
  businessId: string;
  name: string;
  organisation: 'added' | 'unchanged';
  granted: string[];
  certificate: { serial: string; notAfter: string; state: 'issued' | 'kept' } | null;
  key?: { keyPem: string; certPem: string; caPem: string };
}

/**
 * Admits the organisations in one transaction. An organisation already in the register with the
 * same name and roles is left alone; with other data the import is refused (the operator decides
 * which is right, with org add/permission grant). A permission already granted with the same
 * purposes is left alone, with other purposes refused likewise. A lender gets a reporting
 * certificate unless `<certsOut>/<businessId>/cert.pem` holds one of its own that is still valid.
 */
async function importOrganisations(tx: Queryable, r: Register, entries: ImportEntry[], certsOut: string): Promise<ImportOutcome[]> {
  const out: ImportOutcome[] = [];
  for (const e of entries) {
    const id = describeRef(e.ref);
    const existing = await findOrganisation(tx, e.ref);
    if (existing && (existing.name !== e.name || !sameSet(existing.roles, e.roles))) {
      throw new UsageError(
        `${id} is in the register already with other data (name "${existing.name}", roles ${existing.roles.join(', ')}; the file says "${e.name}", ${e.roles.join(', ')}); nothing was imported`,
      );
    }
    const org = existing ?? (await addOrganisation(tx, { ref: e.ref, name: e.name, roles: e.roles }));
    const granted: string[] = [];
    for (const p of e.permissions) {
      const have = await findPermission(tx, org.id, p.permission);
      if (have) {
        if (!sameSet(have.purposes, p.purposes)) {
          throw new UsageError(`${id} has the ${p.permission} permission already with purposes ${have.purposes.join(',') || '-'} (the file says ${p.purposes.join(',') || '-'}); nothing was imported`);
        }
        continue;
      }
      await grantPermission(tx, e.ref, p.permission, p.purposes.length ? { purposes: p.purposes } : {});
      granted.push(p.permission);
    }
    let certificate: ImportOutcome['certificate'] = null;
    let key: ImportOutcome['key'];
    if (e.roles.includes('lender')) {
      const kept = await validCertificateInFolder(tx, join(certsOut, id), e.ref);
      if (kept) certificate = { ...kept, state: 'kept' };
      else {
        const issued = await issueCertificate(tx, r.ca, e.ref, 'reporting', r.environment);
        certificate = { serial: issued.serial, notAfter: issued.notAfter, state: 'issued' };
        key = { keyPem: issued.keyPem, certPem: issued.certPem, caPem: issued.caPem };
      }
    }
    out.push({ businessId: id, name: e.name, organisation: existing ? 'unchanged' : 'added', granted, certificate, ...(key ? { key } : {}) });
  }
  return out;
}

/** The reporting certificate in a folder, when it is the organisation's own, not revoked and not expired (a second import keeps it). */
async function validCertificateInFolder(tx: Queryable, dir: string, ref: OrganisationRef): Promise<{ serial: string; notAfter: string } | undefined> {
  const files = certFiles(dir);
  if (!existsSync(files.cert) || !existsSync(files.key)) return undefined;
  let serial: string;
  try {
    serial = normalSerial(new X509Certificate(readFileSync(files.cert)).serialNumber);
  } catch {
    return undefined;
  }
  const listed = (await listCertificates(tx, { ref })).find((c) => normalSerial(c.serial) === serial);
  if (!listed || listed.revoked || listed.usage !== 'reporting' || Date.parse(listed.notAfter) <= Date.now()) return undefined;
  return { serial: listed.serial, notAfter: listed.notAfter };
}

export function accessCommands(ctx: CliContext): Command[] {
  const { io } = ctx;

  // ---- organisations
  const org = new Command('org').description('organisations: lenders, authorities, credit information companies, income sources');
  withActorOption(withDbOptions(withOrgOptions(org.command('add').description('admit an organisation'))))
    .requiredOption('--name <name>', "the organisation's name")
    .requiredOption('--roles <roles>', `comma-separated roles: ${ROLES.join(', ')}`)
    .option('--contact-name <name>', 'technical contact')
    .option('--contact-email <email>', "technical contact's e-mail")
    .option('--contact-phone <phone>', "technical contact's phone (transfer passwords go here)")
    .action(async (o: OrgOptions & DbOptions & ActorOptions & { name: string; roles: string; contactName?: string; contactEmail?: string; contactPhone?: string; json?: boolean }) => {
      const ref = refFrom(o);
      const contact: Record<string, string> = {};
      if (o.contactName) contact.name = o.contactName;
      if (o.contactEmail) contact.email = o.contactEmail;
      if (o.contactPhone) contact.phone = o.contactPhone;
      const added = await withAuditedChange(ctx, o, 'org add', async (tx) => {
        const result = await addOrganisation(tx, { ref, name: o.name, roles: list(o.roles) as Role[], contact });
        return { result, target: describeRef(ref), before: null, after: orgState(result) };
      });
      emit(io, o.json, added, `Added organisation ${describeRef(added)} ${added.name} (roles: ${added.roles.join(', ')})`);
    });
  withDbOptions(org.command('list').description('list organisations with their permissions')).action(async (o: DbOptions & { json?: boolean }) => {
    const orgs = await withRegister(ctx, o, (r) => listOrganisations(r.db));
    emit(
      io,
      o.json,
      orgs.map(({ id: _id, ...rest }) => ({ ...rest, businessId: describeRef(rest) })),
      orgs.length === 0
        ? 'No organisations.'
        : orgs.map((g) => `${describeRef(g).padEnd(14)} ${g.state.padEnd(9)} ${g.name} [${g.roles.join(', ')}] permissions: ${g.permissions.map((p) => p.permission + (p.purposes.length ? `(${p.purposes.join(',')})` : '')).join(', ') || '-'}`),
    );
  });
  for (const [name, state, text] of [['suspend', 'suspended', 'stop all its certificates at once'], ['activate', 'active', 'allow its certificates again']] as const) {
    withActorOption(withDbOptions(withOrgOptions(org.command(name).description(`${name} an organisation: ${text}`)))).action(async (o: OrgOptions & DbOptions & ActorOptions & { json?: boolean }) => {
      const ref = refFrom(o);
      const changed = await withAuditedChange(ctx, o, `org ${name}`, async (tx) => {
        const before = await orgOf(tx, ref);
        const result = await setOrganisationState(tx, ref, state);
        return { result, target: describeRef(ref), before, after: await orgOf(tx, ref) };
      }, { accessChange: true });
      emit(io, o.json, { businessId: describeRef(changed), state: changed.state }, `Organisation ${describeRef(changed)} is now ${changed.state}`);
    });
  }

  withActorOption(withDbOptions(org.command('import').description('admit the organisations of a file (pcr generate writes organisations.json) with their permissions, and issue each lender a reporting certificate')))
    .requiredOption('--file <file>', 'JSON array of {businessId, name, roles, permissions: [{permission, purposes?}]}')
    .requiredOption('--certs-out <dir>', 'folder for the certificates: <dir>/<businessId>/key.pem, cert.pem, ca.pem')
    .action(async (o: DbOptions & ActorOptions & { file: string; certsOut: string; json?: boolean }) => {
      const file = resolvePath(ctx, o.file);
      const entries = parseOrganisationsFile(readFileSync(file, 'utf8'));
      const certsOut = resolvePath(ctx, o.certsOut);
      const done = await withAuditedChange(ctx, o, 'org import', async (tx, r) => {
        const outcome = await importOrganisations(tx, r, entries, certsOut);
        const summary = outcome.map(({ key: _key, ...rest }) => rest);
        return { result: outcome, target: file, before: null, after: summary, details: { certsOut } };
      }, { accessChange: true });
      // Keys are written once the admission has committed: a failed import leaves no files behind.
      for (const d of done) if (d.key) writeCertFiles(join(certsOut, d.businessId), d.key.keyPem, d.key.certPem, d.key.caPem);
      const shown = done.map(({ key: _key, ...rest }) => ({ ...rest, certDir: rest.certificate ? join(certsOut, rest.businessId) : null }));
      emit(io, o.json, { file, certsOut, organisations: shown }, [
        `Imported ${done.length} organisations from ${file}: ${done.filter((d) => d.organisation === 'added').length} added, ${done.filter((d) => d.organisation === 'unchanged').length} already there.`,
        ...shown.map((d) => `  ${d.businessId.padEnd(10)} ${d.organisation.padEnd(9)} permissions granted: ${d.granted.join(', ') || '-'}${d.certificate ? `; reporting certificate ${d.certificate.serial} ${d.certificate.state} in ${d.certDir}` : ''}  ${d.name}`),
      ]);
    });

  // ---- data permissions
  const permission = new Command('permission').description('data permissions');
  withActorOption(withDbOptions(withOrgOptions(permission.command('grant').description('grant a data permission (or change the purposes or scope of one granted)'))))
    .requiredOption('--permission <permission>', PERMISSIONS.join(' | '))
    .option('--purposes <classes>', 'extract: consumer, business or consumer,business')
    .option('--scope <scope>', 'authority: all (every loan, the default) or consumer (consumer credit only)')
    .option('--orders <orders>', `authority: the orders it may place, comma-separated (${ORDER_TYPES.join(', ')})`)
    .option('--identity-codes <how>', 'authority: codes (identity codes delivered) or pseudonyms (the default: a stable pseudonym per authority instead)')
    .action(async (o: OrgOptions & DbOptions & ActorOptions & { permission: string; purposes?: string; scope?: string; orders?: string; identityCodes?: string; json?: boolean }) => {
      const ref = refFrom(o);
      const scope = o.permission === 'authority'
        ? scopeToGrant({ ...(o.scope ? { loans: o.scope } : {}), ...(o.orders ? { orders: list(o.orders) } : {}), ...(o.identityCodes ? { identityCodes: o.identityCodes } : {}) })
        : undefined;
      if (typeof scope === 'string') throw new UsageError(scope);
      if (o.permission !== 'authority' && (o.scope || o.orders || o.identityCodes)) throw new UsageError('--scope, --orders and --identity-codes are for the authority permission');
      const granted = await withAuditedChange(ctx, o, 'permission grant', async (tx) => {
        const org = await requireOrganisation(tx, ref);
        const before = await findPermission(tx, org.id, o.permission);
        const result = await grantPermission(tx, ref, o.permission as Permission, {
          ...(o.purposes ? { purposes: list(o.purposes) } : {}),
          ...(scope ? { scope: { ...scope } } : {}),
        });
        return { result, target: describeRef(ref), before: before ?? null, after: (await findPermission(tx, org.id, o.permission)) ?? null, details: { permission: o.permission } };
      }, { accessChange: true });
      emit(
        io,
        o.json,
        { businessId: describeRef(granted.organisation), ...granted.permission },
        `Granted ${granted.permission.permission}${granted.permission.purposes.length ? ` (${granted.permission.purposes.join(', ')})` : ''} to ${describeRef(granted.organisation)} ${granted.organisation.name}`,
      );
    });
  withActorOption(withDbOptions(withOrgOptions(permission.command('revoke').description('take a data permission away'))))
    .requiredOption('--permission <permission>', PERMISSIONS.join(' | '))
    .action(async (o: OrgOptions & DbOptions & ActorOptions & { permission: string; json?: boolean }) => {
      const ref = refFrom(o);
      const removed = await withAuditedChange(ctx, o, 'permission revoke', async (tx) => {
        const org = await requireOrganisation(tx, ref);
        const before = await findPermission(tx, org.id, o.permission);
        const result = await revokePermission(tx, ref, o.permission as Permission);
        return { result, target: describeRef(ref), before: before ?? null, after: (await findPermission(tx, org.id, o.permission)) ?? null, details: { permission: o.permission } };
      }, { accessChange: true });
      emit(io, o.json, { businessId: describeRef(ref), permission: o.permission, removed }, removed ? `Revoked ${o.permission} from ${describeRef(ref)}` : `${describeRef(ref)} had no ${o.permission} permission`);
    });

  // ---- certificates
  const cert = new Command('cert').description('client certificates');
  withActorOption(withDbOptions(withOrgOptions(cert.command('order').description('order a certificate: prints the one-time transfer id and password'))))
    .requiredOption('--usage <usage>', 'reporting | data-use')
    .option('--environment <env>', "Test | Production (default: the register's)")
    .action(async (o: OrgOptions & DbOptions & ActorOptions & { usage: string; environment?: string; json?: boolean }) => {
      const ref = refFrom(o);
      const usage = usageOf(o.usage);
      const order = await withAuditedChange(ctx, o, 'cert order', async (tx, r) => {
        const result = await orderCertificate(tx, { ref, usage, environment: environmentOf(o.environment, r) });
        // The transfer password is shown once and stored only hashed: never in the trail.
        const { transferPassword: _secret, ...after } = result;
        return { result, target: describeRef(ref), before: null, after };
      });
      emit(io, o.json, order, [
        `Ordered a ${order.usage} certificate (${order.environment}) for ${order.businessId}.`,
        `Transfer id:       ${order.transferId}`,
        `Transfer password: ${order.transferPassword}`,
        `Valid until ${order.expiresAt}, 5 tries. They are shown only now: give them to the technical contact.`,
      ]);
    });
  withActorOption(withDbOptions(withOrgOptions(cert.command('issue').description('order and retrieve in one step (tests and demos): writes key.pem, cert.pem, ca.pem'))))
    .requiredOption('--usage <usage>', 'reporting | data-use')
    .option('--environment <env>', "Test | Production (default: the register's)")
    .requiredOption('--out <dir>', 'folder for key.pem, cert.pem and ca.pem')
    .action(async (o: OrgOptions & DbOptions & ActorOptions & { usage: string; environment?: string; out: string; json?: boolean }) => {
      const ref = refFrom(o);
      const usage = usageOf(o.usage);
      const issued = await withAuditedChange(ctx, o, 'cert issue', async (tx, r) => {
        const environment = environmentOf(o.environment, r);
        const result = await issueCertificate(tx, r.ca, ref, usage, environment);
        return { result, target: describeRef(ref), before: null, after: { serial: result.serial, usage, environment, notAfter: result.notAfter } };
      });
      const files = writeCertFiles(resolvePath(ctx, o.out), issued.keyPem, issued.certPem, issued.caPem);
      emit(io, o.json, { serial: issued.serial, notAfter: issued.notAfter, ...files }, `Issued certificate ${issued.serial} (valid until ${issued.notAfter}) into ${o.out}`);
    });
  cert
    .command('retrieve')
    .description('the organisation side: make a key and CSR, retrieve the certificate with the transfer codes')
    .requiredOption('--url <url>', 'the register, e.g. https://localhost:8443')
    .requiredOption('--server-ca <file>', "the register's CA certificate (pcr ca export)")
    .requiredOption('--transfer-id <id>', 'transfer id')
    .requiredOption('--transfer-password <password>', 'transfer password')
    .requiredOption('--out <dir>', 'folder for key.pem, cert.pem and ca.pem')
    .option('--json', 'print one JSON document')
    .action(async (o: { url: string; serverCa: string; transferId: string; transferPassword: string; out: string; json?: boolean }) => {
      const got = await retrieveOverHttps({ url: o.url, serverCaPem: readFileSync(resolvePath(ctx, o.serverCa), 'utf8'), transferId: o.transferId, transferPassword: o.transferPassword, outDir: resolvePath(ctx, o.out) });
      emit(io, o.json, got, `Retrieved certificate ${got.serial} (valid until ${got.notAfter}); wrote ${got.key}, ${got.cert}, ${got.ca}`);
    });
  cert
    .command('renew')
    .description('the organisation side: renew the certificate in a folder with a new key (within 60 days of expiry)')
    .requiredOption('--url <url>', 'the register, e.g. https://localhost:8443')
    .requiredOption('--cert-dir <dir>', 'folder with key.pem, cert.pem and ca.pem; they are replaced')
    .option('--json', 'print one JSON document')
    .action(async (o: { url: string; certDir: string; json?: boolean }) => {
      const got = await renewOverHttps({ url: o.url, certDir: resolvePath(ctx, o.certDir) });
      emit(io, o.json, got, `Renewed: certificate ${got.serial} valid until ${got.notAfter} written to ${o.certDir}`);
    });
  withActorOption(withDbOptions(cert.command('revoke').description('revoke a certificate: refused within seconds, open connections too')))
    .requiredOption('--serial <serial>', 'certificate serial (hex)')
    .option('--reason <text>', 'why (lost key, organisation leaves …)')
    .action(async (o: DbOptions & ActorOptions & { serial: string; reason?: string; json?: boolean }) => {
      if (!/^[0-9A-Fa-f:]{2,64}$/.test(o.serial)) throw new UsageError(`"${o.serial}" is not a certificate serial (hex digits)`);
      const revoked = await withAuditedChange(ctx, o, 'cert revoke', async (tx) => {
        const before = await certificateState(tx, o.serial);
        const result = await revokeCertificate(tx, o.serial, o.reason);
        return { result, target: normalSerial(o.serial), before: before ?? null, after: (await certificateState(tx, o.serial)) ?? null };
      }, { accessChange: true });
      emit(io, o.json, revoked, `Revoked certificate ${revoked.serial} at ${revoked.revokedAt}`);
    });
  withDbOptions(withOrgOptions(cert.command('list').description('list certificates'), false))
    .addOption(new Option('--expiring-within-days <days>', 'only those expiring within this many days').argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError('--expiring-within-days must be a whole number of days');
      return n;
    }))
    .action(async (o: OrgOptions & DbOptions & { expiringWithinDays?: number; json?: boolean }) => {
      const ref = o.businessId || o.foreignBusinessId ? refFrom(o) : undefined;
      const certs = await withRegister(ctx, o, (r) => listCertificates(r.db, { ...(ref ? { ref } : {}), ...(o.expiringWithinDays !== undefined ? { expiringWithinDays: o.expiringWithinDays } : {}) }));
      emit(
        io,
        o.json,
        certs,
        certs.length === 0
          ? 'No certificates.'
          : certs.map((c) => `${c.serial}  ${c.businessId.padEnd(10)} ${c.usage.padEnd(9)} ${c.environment.padEnd(10)} until ${c.notAfter.slice(0, 10)}${c.revoked ? `  REVOKED ${c.revokedAt}` : ''}  ${c.organisationName}`),
      );
    });

  // ---- the CA
  const ca = new Command('ca').description("the register's certificate authority");
  withDbOptions(ca.command('export').description("write the register's CA certificate, to hand to organisations"))
    .requiredOption('--out <file>', 'file to write, e.g. register-ca.pem')
    .action(async (o: DbOptions & { out: string; json?: boolean }) => {
      const pem = await withRegister(ctx, o, async (r) => r.ca.certPem);
      writeFileSync(resolvePath(ctx, o.out), pem);
      emit(io, o.json, { out: o.out }, `Wrote the register's CA certificate to ${o.out}`);
    });

  return [org, permission, cert, ca];
}
