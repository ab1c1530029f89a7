/**
 * The naughty-input harness: a raw HTTP/1.1 client over mutual TLS (Node's own client refuses
 * to send most hostile forms), the register's promises about every answer (no 5xx, the
 * uniform error body), the register's state as a digest of every table, and the list of
 * operations the running register serves.
 */
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { issueCertificate } from '../../src/access/certificates.ts';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { OPERATIONS, type Operation } from '../../src/access/policy.ts';
import type { Usage } from '../../src/access/pki.ts';
import { CATALOGUE } from '../../src/common/errors.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import type { Queryable } from '../../src/db/database.ts';
import type { TestRegister } from '../helpers/register.ts';

/** A client certificate and its key, for the raw client. */
export interface Identity {
  certPem: string;
  keyPem: string;
  /** The same identity as an HttpsJsonClient, for the well-formed calls around the hostile ones. */
  client: HttpsJsonClient;
}

export async function identity(t: TestRegister, ref: OrganisationRef, usage: Usage): Promise<Identity> {
  const issued = await issueCertificate(t.register.db, t.register.ca, ref, usage, t.register.environment);
  const client = new HttpsJsonClient(t.url, { ca: t.register.ca.certPem, cert: issued.certPem, key: issued.keyPem });
  return { certPem: issued.certPem, keyPem: issued.keyPem, client };
}

/**
 * UTF-8, except that a lone surrogate is written as its three-byte form (ED A0 80 for \ud800)
 * instead of being replaced: that is what a careless encoder sends, and invalid UTF-8 on the wire.
 */
export function wtf8(text: string): Buffer {
  if (!/[\ud800-\udfff]/.test(text)) return Buffer.from(text, 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes.push(...Buffer.from(text.slice(i, i + 2), 'utf8'));
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(bytes);
}

export interface RawRequest {
  method?: string;
  path: string;
  /** In order, sent as they are: a value may carry any byte (a Buffer is sent verbatim). */
  headers?: [string, string | Buffer][];
  body?: string | Buffer;
  /** Content-Length: the body's length when undefined, none when null. */
  contentLength?: number | string | null;
  /** Content-Type: application/json when undefined, none when null. */
  contentType?: string | Buffer | null;
  /** The request line's protocol (HTTP/1.1) and the Host header (localhost; none when null). */
  protocol?: string;
  host?: string | null;
}

export function requestBytes(r: RawRequest): Buffer {
  const body = r.body === undefined ? Buffer.alloc(0) : typeof r.body === 'string' ? wtf8(r.body) : r.body;
  const host = r.host === null ? '' : `Host: ${r.host ?? 'localhost'}\r\n`;
  const parts: Buffer[] = [Buffer.from(`${r.method ?? 'POST'} ${r.path} ${r.protocol ?? 'HTTP/1.1'}\r\n${host}Connection: close\r\n`, 'latin1')];
  const header = (name: string, value: string | Buffer) => parts.push(Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'latin1') : value, Buffer.from('\r\n'));
  if (r.contentType !== null && (r.body !== undefined || r.contentType !== undefined)) header('Content-Type', r.contentType ?? 'application/json');
  if (r.contentLength !== null && (r.body !== undefined || r.contentLength !== undefined)) header('Content-Length', String(r.contentLength ?? body.length));
  for (const [name, value] of r.headers ?? []) header(name, value);
  parts.push(Buffer.from('\r\n'), body);
  return Buffer.concat(parts);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string[]>;
  text: string;
  body: unknown;
}

const sessions = new WeakMap<object, Buffer>();

/**
 * Sends bytes over one mutual-TLS connection (or without a client certificate) and collects
 * everything the server answers until it closes. halfClose ends our side after writing (a
 * client that stops mid-request); waitMs bounds a server that never answers.
 */
export function exchange(t: TestRegister, who: Identity | null, bytes: Buffer, opts: { halfClose?: boolean; waitMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const key = who ?? t;
    const session = sessions.get(key);
    const socket = tls.connect({
      host: '127.0.0.1',
      port: t.server.port,
      servername: 'localhost',
      ca: t.register.ca.certPem,
      ...(who ? { cert: who.certPem, key: who.keyPem } : {}),
      ...(session ? { session } : {}),
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), opts.waitMs ?? 15_000);
    socket.on('session', (s: Buffer) => sessions.set(key, s));
    socket.once('secureConnect', () => {
      socket.write(bytes);
      if (opts.halfClose) socket.end();
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // The server may close while we are still writing (a refusal before the whole body): what it answered counts.
      if (chunks.length > 0 || e.code === 'ECONNRESET' || e.code === 'EPIPE') return;
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Every HTTP response in a byte stream (a Content-Length mismatch can make the server answer twice). */
export function parseResponses(buf: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < buf.length) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) throw new Error(`an incomplete response: ${JSON.stringify(buf.subarray(at).toString('latin1').slice(0, 300))}`);
    const lines = buf.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
    const headers: Record<string, string[]> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      (headers[name] ??= []).push(line.slice(colon + 1).trim());
    }
    let bodyStart = end + 4;
    let body: Buffer;
    if (Number(m[1]) < 200) {
      body = Buffer.alloc(0); // 100 Continue: the real answer follows
    } else if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) {
      const parts: Buffer[] = [];
      for (;;) {
        const eol = buf.indexOf('\r\n', bodyStart);
        const size = parseInt(buf.subarray(bodyStart, eol).toString('latin1'), 16);
        bodyStart = eol + 2;
        if (!size) break;
        parts.push(buf.subarray(bodyStart, bodyStart + size));
        bodyStart += size + 2;
      }
      const trailerEnd = buf.indexOf('\r\n', bodyStart);
      bodyStart = trailerEnd < 0 ? buf.length : trailerEnd + 2;
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length']?.[0] ?? buf.length - bodyStart);
      body = buf.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    }
    const text = body.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: the uniform-body check says so */
    }
    out.push({ status: Number(m[1]), headers, text, body: parsed });
    at = bodyStart;
  }
  return out;
}

/** Sends one request and answers every response the server wrote. */
export async function send(t: TestRegister, who: Identity | null, r: RawRequest | Buffer, opts: { halfClose?: boolean; waitMs?: number } = {}): Promise<RawResponse[]> {
  const bytes = Buffer.isBuffer(r) ? r : requestBytes(r);
  return parseResponses(await exchange(t, who, bytes, opts));
}

interface Refusal {
  statusMessage: unknown;
  correlationId: unknown;
  errorResponses: { errorCode: unknown; errorDescription: unknown; fieldName?: unknown }[];
}

/** The first error code of a refusal, or undefined for an answer that is not one. */
export function codeOf(res: { body: unknown }): string | undefined {
  const e = (res.body as Partial<Refusal> | undefined)?.errorResponses;
  return Array.isArray(e) ? (e[0]?.errorCode as string | undefined) : undefined;
}

/**
 * What every answer promises: never a 5xx (except the documented 503 A90 of /Servicebreak),
 * and every refusal in the uniform error body whose correlationId is the X-Correlation-Id header
 * and whose codes are in the catalogue.
 */
export function assertAnswer(res: { status: number; headers: Record<string, string | string[] | undefined>; body: unknown; text: string }, what: string, opts: { serviceBreak?: boolean } = {}): void {
  const code = codeOf(res);
  const context = `${what}: ${res.status} ${res.text.slice(0, 400)}`;
  if (res.status >= 500) {
    assert.ok(opts.serviceBreak && res.status === 503 && code === 'A90', `a 5xx answer — ${context}`);
  }
  if (res.status < 400) return;
  const body = res.body as Partial<Refusal> | undefined;
  assert.ok(body && typeof body === 'object', `a refusal without a JSON body — ${context}`);
  assert.equal(typeof body.statusMessage, 'string', `statusMessage — ${context}`);
  const header = res.headers['x-correlation-id'];
  const correlationId = Array.isArray(header) ? header[0] : header;
  assert.match(String(correlationId), /^[0-9a-f-]{36}$/, `X-Correlation-Id — ${context}`);
  assert.equal(body.correlationId, correlationId, `correlationId is the X-Correlation-Id header — ${context}`);
  assert.ok(Array.isArray(body.errorResponses) && body.errorResponses.length > 0, `errorResponses — ${context}`);
  for (const e of body.errorResponses) {
    assert.ok(typeof e.errorCode === 'string' && e.errorCode in CATALOGUE, `errorCode ${String(e.errorCode)} is in the catalogue — ${context}`);
    assert.equal(typeof e.errorDescription, 'string', `errorDescription — ${context}`);
  }
}

/** The tables of the register's schema, found in the database so that a new table is watched too. */
export async function registerTables(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => r.name);
}

/**
 * The register's state: every row of every table, as a digest per table. batch_refusals is left
 * out: a refused batch is recorded there by design (reporting.md: the status of a refused batch
 * can be asked); everything else must be exactly as it was after a refusal.
 */
export async function snapshot(db: Queryable, tables: string[], except: readonly string[] = ['batch_refusals']): Promise<Record<string, string>> {
  const watched = tables.filter((t) => !except.includes(t));
  const sql = watched
    .map((t) => `SELECT '${t}' AS t, count(*)::int || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM "${t}" x`)
    .join(' UNION ALL ');
  const { rows } = await db.query<{ t: string; h: string }>(sql);
  return Object.fromEntries(rows.map((r) => [r.t, r.h]));
}

export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
}

/** A route the fuzzer sends to, with the operation (access policy) it performs, if any. */
export interface Target {
  method: 'GET' | 'POST';
  path: string;
  operation?: Operation;
  /** False for an operation of the policy that no route serves yet. */
  routed: boolean;
}

const OPERATION_PATHS: Partial<Record<Operation, string>> = { RenewCertificate: '/certificates/renew', WhoAmI: '/whoami' };

export function pathOf(operation: Operation): string {
  return OPERATION_PATHS[operation] ?? `/${operation}`;
}

/**
 * What the running register serves: every POST route (from the router itself, so a new route is
 * fuzzed without anyone listing it), the GET routes that perform an operation, and every
 * operation of the access policy, routed or not.
 */
export function fuzzTargets(t: TestRegister): Target[] {
  const routes = new Map<string, Set<string>>();
  for (const line of t.server.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /(\/\S*) \(([A-Z, ]+)\)/.exec(line);
    if (m) routes.set(m[1]!, new Set(m[2]!.split(',').map((s) => s.trim())));
  }
  const byPath = new Map<string, Operation>();
  for (const op of Object.keys(OPERATIONS) as Operation[]) byPath.set(pathOf(op), op);
  const out: Target[] = [];
  for (const [path, methods] of routes) {
    const operation = byPath.get(path);
    if (methods.has('POST')) out.push({ method: 'POST', path, ...(operation ? { operation } : {}), routed: true });
    else if (methods.has('GET') && operation) out.push({ method: 'GET', path, operation, routed: true });
  }
  for (const [path, operation] of byPath) {
    if (!routes.has(path)) out.push({ method: 'POST', path, operation, routed: false });
  }
  return out;
}

/** JSON text with some values written verbatim (numbers JSON.stringify cannot write: 1e400, -0, 30 digits). */
export class RawJson {
  constructor(readonly text: string) {}
}

export function stringifyWithRaw(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof RawJson ? `\u0001raw${raws.push(v.text) - 1}\u0001` : v));
  return text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
}

/** The request body schema of every route, from the register's own OpenAPI document. */
export async function bodySchemas(t: TestRegister): Promise<Map<string, unknown>> {
  const res = await t.anonymous().get<{ paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: unknown }> } }>> }>('/openapi.json');
  const out = new Map<string, unknown>();
  for (const [path, methods] of Object.entries(res.body.paths)) {
    const schema = methods.post?.requestBody?.content?.['application/json']?.schema;
    if (schema) out.set(path, schema);
  }
  return out;
}
