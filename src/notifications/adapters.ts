/**
 * Where notifications go: one interface, two adapters. Delivery is at least once: a message may
 * be handed over again after a crash or a lost answer, always with the same external id (the
 * outbox row's id), and both adapters make the repeat harmless: the file mailbox's readers keep
 * the first line of each external id; Suomi.fi Messages refuses a second message with an
 * external id it has (409), which counts as delivered.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';

export interface NotificationMessage {
  /** The idempotency key: the outbox row's id, the same on every attempt. */
  externalId: string;
  /** The person's identity code: the delivery service's address of the person, never in the text. */
  recipient: string;
  title: string;
  body: string;
}

export interface Delivered {
  /** The service had the message already (an earlier attempt got through). */
  duplicate: boolean;
  /** The service's own id of the message, when it says one. */
  messageId?: string;
}

/**
 * A failed hand-over. `permanent`: the same message will never be accepted (give it up);
 * otherwise it may pass (retry later, after at least `retryAfterMs` when the service said so).
 * The message must not name the person: it is stored and logged.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface DeliveryAdapter {
  readonly name: string;
  deliver(message: NotificationMessage, at: Date): Promise<Delivered>;
  close?(): void;
}

const IDENTITY_CODE = /\b\d{6}[-+ABCDEFYXWVU]\d{3}[0-9A-Y]\b/gi;

/** A text with any personal identity code in it replaced, bounded: for last_error and logs. */
export function redact(text: string, max = 300): string {
  const safe = text.replace(IDENTITY_CODE, '<identity code>').replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

/** One line of the file mailbox. */
export interface MailboxEntry extends NotificationMessage {
  sentAt: string;
}

/**
 * The Test environment's mailbox: one JSON line a message, appended and synced to disk before the
 * message counts as delivered. Lines are written whole with O_APPEND, so several register
 * processes may share the file. The file holds identity codes: it is created readable by its owner only.
 */
export class FileMailbox implements DeliveryAdapter {
  readonly name = 'file';
  constructor(readonly path: string) {}

  async deliver(message: NotificationMessage, at: Date): Promise<Delivered> {
    const entry: MailboxEntry = { externalId: message.externalId, recipient: message.recipient, title: message.title, body: message.body, sentAt: at.toISOString() };
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const file = await open(this.path, 'a', 0o600);
      try {
        await file.write(`${JSON.stringify(entry)}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new DeliveryError(`the mailbox file cannot be written (${e.code ?? e.message})`, false);
    }
    return { duplicate: false };
  }
}

/** The messages of a mailbox file, each external id once (its first line), in the order written. */
export function readMailbox(path: string): MailboxEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const seen = new Map<string, MailboxEntry>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let entry: MailboxEntry;
    try {
      entry = JSON.parse(line) as MailboxEntry;
    } catch {
      continue; // a line cut short by a crash mid-write: its message is written again whole
    }
    if (!seen.has(entry.externalId)) seen.set(entry.externalId, entry);
  }
  return [...seen.values()];
}

export interface SuomiFiOptions {
  /** The REST API's root, e.g. https://api.messages-qa.suomi.fi. */
  baseUrl: string;
  /** sender.serviceId: the sending service at Suomi.fi Messages. */
  serviceId: string;
  /** A bearer token, read again for each message (rotation needs no restart). */
  tokenFile?: string;
  /** Or the API's login: POST /v1/token { username, password } → access token. */
  username?: string;
  passwordFile?: string;
  /** PEM texts: a client certificate and key for mutual TLS, the CA of the service's certificate. */
  clientCert?: string;
  clientKey?: string;
  ca?: string;
  timeoutMs?: number;
}

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** Retry-After in seconds or as an HTTP date, as milliseconds from `at`. */
function retryAfter(value: string | string[] | undefined, at: Date): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - at.getTime());
}

/** What a refusal's body says (Suomi.fi Messages answers { reason, validationErrors }), redacted. */
function reasonOf(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const b = body as { reason?: unknown; validationErrors?: { error?: unknown }[] };
  const parts = [typeof b.reason === 'string' ? b.reason : '', ...(Array.isArray(b.validationErrors) ? b.validationErrors.map((e) => (typeof e?.error === 'string' ? e.error : '')) : [])].filter(Boolean);
  return parts.length ? `: ${redact(parts.join('; '), 200)}` : '';
}

/**
 * Suomi.fi Messages, its REST API v1: `POST /v1/messages/electronic` with the message's
 * externalId, the recipient's identity code and the sending service; `409 Conflict` says a
 * message with that externalId exists already, which counts as delivered.
 * - 2xx, 409: delivered;
 * - 408, 425, 429, 5xx, network errors and time-outs: may pass, retried (after Retry-After if given);
 * - 401, 403: the register's credentials, not the message: retried (the token may be renewed);
 * - any other 4xx: the message will never be accepted, given up.
 */
export class SuomiFiMessages implements DeliveryAdapter {
  readonly name = 'suomifi';
  private readonly agent: http.Agent;
  private readonly base: URL;
  private token: { value: string; until: number } | undefined;

  constructor(private readonly opts: SuomiFiOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    const tls = { ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.clientCert ? { cert: opts.clientCert } : {}), ...(opts.clientKey ? { key: opts.clientKey } : {}) };
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 4, ...tls }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  close(): void {
    this.agent.destroy();
  }

  async deliver(message: NotificationMessage, at: Date): Promise<Delivered> {
    const authorization = await this.authorization(at);
    const answer = await this.post('v1/messages/electronic', {
      externalId: message.externalId,
      recipient: { id: message.recipient },
      sender: { serviceId: this.opts.serviceId },
      electronic: {
        title: message.title,
        body: message.body,
        bodyFormat: 'Text',
        messageServiceType: 'Normal',
        replyAllowedBy: 'No one',
        visibility: 'Recipient only',
      },
    }, authorization);
    const messageId = (answer.body as { messageId?: unknown } | undefined)?.messageId;
    const id = typeof messageId === 'string' || typeof messageId === 'number' ? { messageId: String(messageId) } : {};
    if (answer.status >= 200 && answer.status < 300) return { duplicate: false, ...id };
    if (answer.status === 409) return { duplicate: true, ...id };
    const what = `Suomi.fi Messages answered ${answer.status}${reasonOf(answer.body)}`;
    if (answer.status === 401) this.token = undefined; // log in again next time
    const passing = answer.status === 401 || answer.status === 403 || answer.status === 408 || answer.status === 425 || answer.status === 429 || answer.status >= 500 || answer.status < 200 || (answer.status >= 300 && answer.status < 400);
    throw new DeliveryError(what, !passing, retryAfter(answer.headers['retry-after'], at));
  }

  private async authorization(at: Date): Promise<string | undefined> {
    if (this.opts.tokenFile) {
      let token: string;
      try {
        token = readFileSync(this.opts.tokenFile, 'utf8').trim();
      } catch (err) {
        throw new DeliveryError(`the token file cannot be read (${(err as NodeJS.ErrnoException).code})`, false);
      }
      return `Bearer ${token}`;
    }
    if (this.opts.username && this.opts.passwordFile) {
      if (this.token && this.token.until > at.getTime()) return `Bearer ${this.token.value}`;
      let password: string;
      try {
        password = readFileSync(this.opts.passwordFile, 'utf8').trim();
      } catch (err) {
        throw new DeliveryError(`the password file cannot be read (${(err as NodeJS.ErrnoException).code})`, false);
      }
      const answer = await this.post('v1/token', { username: this.opts.username, password });
      const body = answer.body as { access_token?: unknown; accessToken?: unknown; expires_in?: unknown } | undefined;
      const value = body?.access_token ?? body?.accessToken;
      if (answer.status !== 200 || typeof value !== 'string') throw new DeliveryError(`Suomi.fi Messages refused the login (${answer.status})`, false);
      // Renewed a minute before it expires (an hour when the answer does not say).
      const seconds = typeof body?.expires_in === 'number' ? body.expires_in : 3600;
      this.token = { value, until: at.getTime() + Math.max(0, seconds - 60) * 1000 };
      return `Bearer ${value}`;
    }
    return undefined; // mutual TLS only
  }

  private post(path: string, body: unknown, authorization?: string): Promise<HttpAnswer> {
    const payload = JSON.stringify(body);
    const url = new URL(path, this.base);
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(authorization ? { authorization } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on('error', (err) => reject(new DeliveryError(`the answer of Suomi.fi Messages broke off (${(err as NodeJS.ErrnoException).code ?? 'error'})`, false)));
      });
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(new DeliveryError(err.code === 'ETIMEDOUT' ? `Suomi.fi Messages did not answer in ${timeoutMs} ms` : `Suomi.fi Messages cannot be reached (${err.code ?? redact(err.message, 100)})`, false));
      });
      req.end(payload);
    });
  }
}
