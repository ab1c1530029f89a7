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

/** The pseudonym of an identity code for one authority: "PSN-" and 26 base32 characters (130 bits). */
export function pseudonym(key: Buffer, organisationId: number, idCode: string): string {
  const mac = createHmac('sha256', key).update(`${organisationId}\u0000${idCode.toUpperCase()}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of mac) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `PSN-${out}`;
}
