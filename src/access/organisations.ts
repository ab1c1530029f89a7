/** Organisations and their data permissions: the register's knowledge of who may do what. */
import type { Queryable } from '../db/database.ts';
import { isValidBusinessId, normaliseBusinessId } from '../identity/business-id.ts';

export const ROLES = ['lender', 'authority', 'credit-information-company', 'income-source', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['reporting', 'extract', 'authority', 'ban-distribution', 'income-feed'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const EXTRACT_PURPOSE_CLASSES = ['consumer', 'business'] as const;
export type ExtractPurposeClass = (typeof EXTRACT_PURPOSE_CLASSES)[number];

/** The role an organisation must have before it can be granted a permission. */
export const PERMISSION_ROLE: Record<Permission, Role> = {
  reporting: 'lender',
  extract: 'lender',
  authority: 'authority',
  'ban-distribution': 'credit-information-company',
  'income-feed': 'income-source',
};

export interface OrganisationRef {
  idCodeType: 'BusinessId' | 'ForeignBusinessId';
  idCode: string;
  /** ISO 3166 country code; FI for Business IDs. */
  countryCode: string;
}

export interface Organisation extends OrganisationRef {
  id: number;
  name: string;
  roles: Role[];
  contact: Record<string, string>;
  state: 'active' | 'suspended';
}

export interface GrantedPermission {
  permission: Permission;
  purposes: string[];
  scope: Record<string, unknown>;
}

import { InputError } from '../common/errors.ts';

export { InputError };

/** Validates and normalises an organisation's identity as given by the operator or a request. */
export function organisationRef(idCodeType: string, idCode: string, countryCode?: string): OrganisationRef {
  if (idCodeType === 'BusinessId') {
    const normal = normaliseBusinessId(idCode);
    if (!isValidBusinessId(normal)) throw new InputError(`"${idCode}" is not a valid Business ID (NNNNNNN-C with a correct check digit)`);
    return { idCodeType, idCode: normal, countryCode: 'FI' };
  }
  if (idCodeType === 'ForeignBusinessId') {
    if (!countryCode || !/^[A-Z]{2}$/.test(countryCode)) throw new InputError('A foreign business ID needs a two-letter country code');
    if (!/^[A-Za-z0-9-]{1,30}$/.test(idCode)) throw new InputError(`"${idCode}" is not a valid foreign business ID`);
    return { idCodeType, idCode, countryCode };
  }
  throw new InputError(`Unknown idCodeType "${idCodeType}"`);
}

export function describeRef(ref: OrganisationRef): string {
  return ref.idCodeType === 'BusinessId' ? ref.idCode : `${ref.countryCode}:${ref.idCode}`;
}

const orgColumns = (a: string): string =>
  `${a}.id, ${a}.id_code_type AS "idCodeType", ${a}.id_code AS "idCode", ${a}.country_code AS "countryCode", ${a}.name, ${a}.roles, ${a}.contact, ${a}.state`;
const ORG_COLUMNS = orgColumns('organisations');

export async function findOrganisation(db: Queryable, ref: OrganisationRef): Promise<Organisation | undefined> {
  const { rows } = await db.query<Organisation>(
    `SELECT ${ORG_COLUMNS} FROM organisations WHERE id_code_type = $1 AND country_code = $2 AND id_code = $3`,
    [ref.idCodeType, ref.countryCode, ref.idCode],
  );
  return rows[0];
}

/** The names of organisations by id (the lenders a person's loans name). */
export async function organisationNames(db: Queryable, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: number; name: string }>('SELECT id, name FROM organisations WHERE id = ANY($1::bigint[])', [[...new Set(ids)]]);
  return new Map(rows.map((r) => [Number(r.id), r.name]));
}

export async function requireOrganisation(db: Queryable, ref: OrganisationRef): Promise<Organisation> {
  const org = await findOrganisation(db, ref);
  if (!org) throw new InputError(`No organisation ${describeRef(ref)} in the register (add it with: pcr org add)`);
  return org;
}

export async function addOrganisation(
  db: Queryable,
  input: { ref: OrganisationRef; name: string; roles: Role[]; contact?: Record<string, string> },
): Promise<Organisation> {
  if (!input.name.trim()) throw new InputError('An organisation needs a name');
  if (input.roles.length === 0) throw new InputError(`An organisation needs at least one role (${ROLES.join(', ')})`);
  for (const r of input.roles) if (!ROLES.includes(r)) throw new InputError(`Unknown role "${r}" (roles: ${ROLES.join(', ')})`);
  if (await findOrganisation(db, input.ref)) throw new InputError(`Organisation ${describeRef(input.ref)} already exists`);
  const { rows } = await db.query<Organisation>(
    `INSERT INTO organisations (id_code_type, id_code, country_code, name, roles, contact)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${ORG_COLUMNS}`,
    [input.ref.idCodeType, input.ref.idCode, input.ref.countryCode, input.name.trim(), input.roles, JSON.stringify(input.contact ?? {})],
  );
  return rows[0]!;
}

export async function setOrganisationState(db: Queryable, ref: OrganisationRef, state: 'active' | 'suspended'): Promise<Organisation> {
  const org = await requireOrganisation(db, ref);
  await db.query('UPDATE organisations SET state = $2 WHERE id = $1', [org.id, state]);
  return { ...org, state };
}

export async function listOrganisations(db: Queryable): Promise<(Organisation & { permissions: GrantedPermission[] })[]> {
  const { rows } = await db.query<Organisation & { permissions: GrantedPermission[] }>(
    `SELECT ${orgColumns('o')},
       coalesce((SELECT json_agg(json_build_object('permission', p.permission, 'purposes', p.purposes, 'scope', p.scope) ORDER BY p.permission)
                 FROM data_permissions p WHERE p.organisation_id = o.id), '[]'::json) AS permissions
     FROM organisations o ORDER BY o.id`,
  );
  return rows;
}

export async function grantPermission(
  db: Queryable,
  ref: OrganisationRef,
  permission: Permission,
  opts: { purposes?: string[]; scope?: Record<string, unknown> } = {},
): Promise<{ organisation: Organisation; permission: GrantedPermission }> {
  if (!PERMISSIONS.includes(permission)) throw new InputError(`Unknown permission "${permission}" (permissions: ${PERMISSIONS.join(', ')})`);
  const org = await requireOrganisation(db, ref);
  const role = PERMISSION_ROLE[permission];
  if (!org.roles.includes(role)) throw new InputError(`The ${permission} permission needs the ${role} role, which ${describeRef(ref)} does not have`);
  let purposes: string[] = [];
  if (permission === 'extract') {
    purposes = opts.purposes ?? [];
    if (purposes.length === 0) throw new InputError('The extract permission needs --purposes consumer, business or consumer,business');
    for (const p of purposes) if (!(EXTRACT_PURPOSE_CLASSES as readonly string[]).includes(p)) throw new InputError(`Unknown purpose class "${p}" (consumer, business)`);
  }
  const scope = opts.scope ?? {};
  await db.query(
    `INSERT INTO data_permissions (organisation_id, permission, purposes, scope) VALUES ($1, $2, $3, $4)
     ON CONFLICT (organisation_id, permission) DO UPDATE SET purposes = EXCLUDED.purposes, scope = EXCLUDED.scope, granted_at = now()`,
    [org.id, permission, purposes, JSON.stringify(scope)],
  );
  return { organisation: org, permission: { permission, purposes, scope } };
}

/** One data permission of an organisation as stored, or undefined: the audit trail's before and after. */
export async function findPermission(db: Queryable, organisationId: number, permission: string): Promise<(GrantedPermission & { grantedAt: string }) | undefined> {
  const { rows } = await db.query<GrantedPermission & { grantedAt: Date }>(
    `SELECT permission, purposes, scope, granted_at AS "grantedAt" FROM data_permissions WHERE organisation_id = $1 AND permission = $2`,
    [organisationId, permission],
  );
  return rows[0] && { ...rows[0], grantedAt: rows[0].grantedAt.toISOString() };
}

export async function revokePermission(db: Queryable, ref: OrganisationRef, permission: Permission): Promise<boolean> {
  const org = await requireOrganisation(db, ref);
  const r = await db.query('DELETE FROM data_permissions WHERE organisation_id = $1 AND permission = $2', [org.id, permission]);
  return r.rowCount > 0;
}
