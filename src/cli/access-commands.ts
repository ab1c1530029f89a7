/** The operator's access commands (access.md "The operator's tools"): organisations, permissions, certificates, the CA. */
import { ORDER_TYPES, scopeToGrant } from '../access/authority-scope.ts';
import { Command, Option } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
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
import { renewOverHttps, retrieveOverHttps, writeCertFiles } from './client-certs.ts';
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
