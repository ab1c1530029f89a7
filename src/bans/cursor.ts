/**
 * The feed's cursor: opaque to the company and tamper-proof. It is the reader's position,
 * sealed with AES-256-GCM under a key of this register (so it can be neither read nor forged,
 * and it carries the organisation it was given to and the register's environment).
 *
 * A position is either in the resync (`snapshot`: the current state of every consented ban, by
 * person, as of the feed position `w`) or in the changes (`feed`: after row (pos, id)).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Environment } from '../common/environment.ts';

export type Position =
  | { phase: 'snapshot'; w: string; after: string }
  | { phase: 'feed'; pos: string; id: number };

export interface CursorContent {
  organisationId: number;
  environment: Environment;
  position: Position;
}

const VERSION = 1;

export function sealCursor(key: Buffer, c: CursorContent): string {
  const p = c.position;
  const plain = JSON.stringify([VERSION, c.organisationId, c.environment, p.phase === 'snapshot' ? ['s', p.w, p.after] : ['f', p.pos, p.id]]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

const XID = /^\d{1,20}$/;

/** The cursor's content, or null when it is not one this register sealed (forged, altered, truncated, another register's). */
export function openCursor(key: Buffer, text: string): CursorContent | null {
  if (text.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const raw = Buffer.from(text, 'base64url');
  if (raw.length < 12 + 16 + 1) return null;
  let v: unknown;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    v = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v[0] !== VERSION || typeof v[1] !== 'number' || (v[2] !== 'Test' && v[2] !== 'Production') || !Array.isArray(v[3])) return null;
  const [phase, a, b] = v[3] as unknown[];
  if (phase === 's' && typeof a === 'string' && XID.test(a) && typeof b === 'string') {
    return { organisationId: v[1], environment: v[2], position: { phase: 'snapshot', w: a, after: b } };
  }
  if (phase === 'f' && typeof a === 'string' && XID.test(a) && typeof b === 'number' && Number.isSafeInteger(b)) {
    return { organisationId: v[1], environment: v[2], position: { phase: 'feed', pos: a, id: b } };
  }
  return null;
}

/** A new cursor key. */
export function newCursorKey(): Buffer {
  return randomBytes(32);
}
