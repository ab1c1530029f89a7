/**
 * The PostgreSQL database URL, libpq's list of hosts included (issue 13): a primary and its
 * standby in one --database-url, of which the register uses the one target_session_attrs asks
 * for (db/postgres.ts). Pure, so that the configuration can check a URL without pg.
 */

/**
 * libpq's target_session_attrs: which server of a host list a session may use. The register's
 * own database is written to, so its list says read-write (or primary); a reader's list may say
 * standby. Without the setting libpq takes the first server that answers (any).
 */
export const TARGET_SESSION_ATTRS = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'] as const;
export type TargetSessionAttrs = (typeof TARGET_SESSION_ATTRS)[number];

/** One server of a database URL: where it is, and that URL narrowed to it (for pg, which takes one host). */
export interface DatabaseHost {
  /** host:port as written (IPv6 in brackets), for messages. */
  label: string;
  /** Undefined for a URL without a host list (pg reads the host itself: a socket, ?host=…). */
  host?: string;
  port?: number;
  url: string;
}

export interface ParsedDatabaseUrl {
  hosts: DatabaseHost[];
  targetSessionAttrs: TargetSessionAttrs;
}

export class DatabaseUrlError extends Error {}

/**
 * Reads a PostgreSQL URL, libpq's host list included:
 *   postgres://user:password@host1:5432,host2:5433/database?target_session_attrs=read-write
 * pg itself connects to one host, so each server gets a URL of its own (the same user,
 * database and parameters). A list needs target_session_attrs, so that a standby is never
 * taken for the primary by default; a URL of one host is left to pg exactly as before.
 * The messages never repeat the password.
 */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const m = /^(postgres(?:ql)?):\/\/([^/?#]*)(.*)$/is.exec(url);
  if (!m) throw new DatabaseUrlError('A PostgreSQL URL starts postgres:// or postgresql://');
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostList = authority.slice(at + 1);
  const queryStart = rest.indexOf('?');
  const params = queryStart >= 0 ? rest.slice(queryStart + 1).split('&').filter((p) => p !== '') : [];
  const attrParams = params.filter((p) => /^target_session_attrs=/i.test(p));
  const others = params.filter((p) => !/^target_session_attrs=/i.test(p));
  if (attrParams.length > 1) throw new DatabaseUrlError('target_session_attrs is given more than once');
  const attrsRaw = attrParams[0] ? decodeURIComponent(attrParams[0].slice('target_session_attrs='.length)) : undefined;
  if (attrsRaw !== undefined && !(TARGET_SESSION_ATTRS as readonly string[]).includes(attrsRaw)) {
    throw new DatabaseUrlError(`target_session_attrs must be one of ${TARGET_SESSION_ATTRS.join(', ')}, not ${JSON.stringify(attrsRaw)}`);
  }
  const targetSessionAttrs = (attrsRaw ?? 'any') as TargetSessionAttrs;
  if (others.some((p) => /^host=[^&]*(,|%2c)/i.test(p))) {
    throw new DatabaseUrlError('Several hosts go in the URL itself (postgres://user@host1:5432,host2:5432/database), not in ?host=');
  }
  const path = queryStart >= 0 ? rest.slice(0, queryStart) : rest;
  const narrowed = (hostPort: string) => `${scheme}://${userinfo}${hostPort}${path}${others.length ? `?${others.join('&')}` : ''}`;
  if (!hostList.includes(',')) return { hosts: [{ label: hostList || 'localhost', url: narrowed(hostList) }], targetSessionAttrs };

  if (attrsRaw === undefined) {
    throw new DatabaseUrlError('A list of hosts needs ?target_session_attrs=read-write (the primary among them; or primary, standby, any …): without it a standby could be taken for the primary');
  }
  const hosts: DatabaseHost[] = [];
  for (const entry of hostList.split(',')) {
    const e = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d+))?$/i.exec(entry);
    if (!e) throw new DatabaseUrlError(`The host list has ${entry === '' ? 'an empty entry' : `an entry that is not host or host:port: ${JSON.stringify(entry)}`}`);
    const host = e[1] ?? e[2]!;
    const port = e[3] === undefined ? 5432 : Number(e[3]);
    if (port < 1 || port > 65535) throw new DatabaseUrlError(`The port of ${JSON.stringify(entry)} is not from 1 to 65535`);
    const label = e[1] ? `[${host}]:${port}` : `${host}:${port}`;
    if (hosts.some((h) => h.label === label)) throw new DatabaseUrlError(`The host list names ${label} twice`);
    hosts.push({ label, host, port, url: narrowed(e[1] ? `[${host}]:${port}` : `${host}:${port}`) });
  }
  return { hosts, targetSessionAttrs };
}
