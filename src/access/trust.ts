/**
 * Who is calling: the client certificate presented in the TLS handshake, checked against
 * the register's certificate table on every request (not once per handshake), so that a
 * revocation, a suspension or an expiry takes effect on open connections too. Lookups are
 * cached for a short time (default 2 s): the "within a few seconds" of access.md.
 */
import type { TLSSocket } from 'node:tls';
import { RegisterError } from '../common/errors.ts';
import type { Queryable } from '../db/database.ts';
import type { GrantedPermission, Organisation } from './organisations.ts';
import type { Environment, Usage } from './pki.ts';

export interface Caller {
  organisation: Organisation;
  certificate: { serial: string; usage: Usage; environment: Environment; notBefore: Date; notAfter: Date };
  permissions: GrantedPermission[];
}

interface TrustRow {
  serial: string;
  fingerprint256: string;
  usage: Usage;
  environment: Environment;
  notBefore: Date;
  notAfter: Date;
  revokedAt: Date | null;
  organisation: Organisation;
  permissions: GrantedPermission[];
}

/** The peer certificate of a connection does not change: read it once per TLS socket. */
const peers = new WeakMap<TLSSocket, { serialNumber: string; fingerprint256: string } | null>();
function peerOf(socket: TLSSocket): { serialNumber: string; fingerprint256: string } | null {
  let peer = peers.get(socket);
  if (peer === undefined) {
    const c = socket.getPeerCertificate();
    peer = c && c.serialNumber ? { serialNumber: c.serialNumber, fingerprint256: c.fingerprint256 } : null;
    peers.set(socket, peer);
  }
  return peer;
}

export class TrustStore {
  private cache = new Map<string, { at: number; row: TrustRow | undefined }>();
  constructor(
    private readonly db: Queryable,
    private readonly ttlMs = 2000,
  ) {}

  /** Forget cached lookups (after a revocation or suspension made in this process). */
  invalidate(): void {
    this.cache.clear();
  }

  private async lookup(serial: string): Promise<TrustRow | undefined> {
    const now = Date.now();
    const hit = this.cache.get(serial);
    if (hit && now - hit.at < this.ttlMs) return hit.row;
    const { rows } = await this.db.query<TrustRow>(
      `SELECT c.serial, c.fingerprint256, c.usage, c.environment, c.not_before AS "notBefore", c.not_after AS "notAfter",
              c.revoked_at AS "revokedAt",
              json_build_object('id', g.id, 'idCodeType', g.id_code_type, 'idCode', g.id_code, 'countryCode', g.country_code,
                                'name', g.name, 'roles', g.roles, 'contact', g.contact, 'state', g.state) AS organisation,
              coalesce((SELECT json_agg(json_build_object('permission', p.permission, 'purposes', p.purposes, 'scope', p.scope))
                        FROM data_permissions p WHERE p.organisation_id = g.id), '[]'::json) AS permissions
       FROM certificates c JOIN organisations g ON g.id = c.organisation_id WHERE c.serial = $1`,
      [serial],
    );
    const row = rows[0];
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(serial, { at: now, row });
    return row;
  }

  /**
   * Authenticates the TLS peer of a request. Refusals are A23: no certificate, not issued
   * by this CA (the handshake's chain check), unknown serial or fingerprint, revoked,
   * expired or not yet valid, or its organisation suspended.
   */
  async authenticate(socket: TLSSocket | undefined, now = new Date()): Promise<Caller> {
    if (!socket || typeof socket.getPeerCertificate !== 'function') throw new RegisterError('A23', 'A client certificate is required (mutual TLS)');
    const peer = peerOf(socket);
    if (!peer) throw new RegisterError('A23', 'No client certificate was presented');
    if (!socket.authorized) {
      const reason = String(socket.authorizationError ?? '');
      const text =
        reason === 'CERT_HAS_EXPIRED' ? 'The client certificate has expired'
        : reason === 'CERT_NOT_YET_VALID' ? 'The client certificate is not yet valid'
        : 'The client certificate was not issued by this register';
      throw new RegisterError('A23', text);
    }
    const row = await this.lookup(peer.serialNumber.toUpperCase());
    if (!row || row.fingerprint256 !== peer.fingerprint256) throw new RegisterError('A23', 'The client certificate is not known to this register');
    if (row.revokedAt && row.revokedAt.getTime() <= now.getTime()) throw new RegisterError('A23', 'The client certificate has been revoked');
    if (new Date(row.notAfter).getTime() < now.getTime()) throw new RegisterError('A23', 'The client certificate has expired');
    if (new Date(row.notBefore).getTime() > now.getTime()) throw new RegisterError('A23', 'The client certificate is not yet valid');
    if (row.organisation.state !== 'active') throw new RegisterError('A23', "The certificate's organisation is suspended");
    return {
      organisation: row.organisation,
      certificate: { serial: row.serial, usage: row.usage, environment: row.environment, notBefore: new Date(row.notBefore), notAfter: new Date(row.notAfter) },
      permissions: row.permissions,
    };
  }
}
