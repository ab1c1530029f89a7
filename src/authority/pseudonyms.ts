/**
 * Pseudonyms for authorities whose scope says `identityCodes: pseudonyms`: a keyed HMAC-SHA-256
 * of the authority and the identity code under a key of the register. The same person has the
 * same pseudonym in every delivery to one authority (its data sets can be joined), another
 * pseudonym for every other authority (theirs cannot be joined with its), and without the
 * register's key the code cannot be found from it, not even by trying every code.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.ts';

/** The register's pseudonym key, made once and shared by every process through the database. */
export async function pseudonymKey(db: Queryable): Promise<Buffer> {
  await db.query(`INSERT INTO register_settings (key, value) VALUES ('pseudonym_key', $1) ON CONFLICT (key) DO NOTHING`, [randomBytes(32).toString('base64')]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = 'pseudonym_key'`);
  return Buffer.from(rows[0]!.value, 'base64');
}

/** The pseudonym of an identity code for one authority: "PSN-" and 32 lower-case hex digits (the MAC's first 128 bits; lower case, so that no run of it reads as an identity code). */
export function pseudonym(key: Buffer, organisationId: number, idCode: string): string {
  const mac = createHmac('sha256', key).update(`${organisationId}\u0000${idCode.toUpperCase()}`).digest();
  return `PSN-${mac.subarray(0, 16).toString('hex')}`;
}

/**
 * The same pseudonym computed by the database, for deliveries written with INSERT … SELECT
 * (a national snapshot's millions of codes never pass through the register): HMAC-SHA-256 is
 * H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), and the key's two pads with the authority's prefix are
 * made here, so the SQL needs only the built-in sha256(). `sql(code)` is the expression for a
 * code expression, given the parameter numbers the two values are passed as.
 */
export function pseudonymSql(key: Buffer, organisationId: number) {
  const block = Buffer.alloc(64);
  key.copy(block);
  const pad = (byte: number) => Buffer.from(block.map((b) => b ^ byte));
  const inner = Buffer.concat([pad(0x36), Buffer.from(`${organisationId}\u0000`, 'utf8')]);
  const outer = pad(0x5c);
  return {
    params: [inner, outer] as const,
    sql: (code: string, innerParam: number, outerParam: number) =>
      `'PSN-' || (encode(substr(sha256($${outerParam}::bytea || sha256($${innerParam}::bytea || convert_to(upper(${code}), 'UTF8'))), 1, 16), 'hex'))`,
  };
}
