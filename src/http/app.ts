/**
 * The register's HTTP application: Fastify with the uniform error body, the request
 * parser, per-request authentication (the caller context), the OpenAPI document and the
 * public endpoints. Areas of the register (access, reporting, extract …) are plugins.
 */
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Ajv } from 'ajv';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { CATALOGUE, RegisterError, catalogueList, type ErrorResponse } from '../common/errors.ts';
import { ExactNumber } from '../common/decimal.ts';
import { collectSchemaKeys, parseRequestJson } from '../common/json-body.ts';
import { checkCertificateFits, checkOwner, checkPermission, type ExtractPurpose, type Operation } from '../access/policy.ts';
import type { Caller, TrustStore } from '../access/trust.ts';
import type { RateLimiter } from '../access/rate-limit.ts';
import type { Environment } from '../access/pki.ts';
import { ErrorCatalogue, HealthAnswer, withExamples, type OrganisationId } from './schemas.ts';
import { isValidDate, isValidDateTime } from '../common/dates.ts';
import { schemaSerializer } from './serialize.ts';
import type { HttpObserver } from '../metrics/observe.ts';
import { isTransientDatabaseError } from '../db/errors.ts';
import { secureContextOptions } from './tls.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated organisation and certificate; set for every route that names an operation. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** The register operation this route performs: decides authentication and permissions (access/policy.ts). */
    operation?: Operation;
    /** Extract purposes named in the body, for the permission check. */
    purposes?: (body: unknown) => readonly ExtractPurpose[];
    /** Extra properties every answer of this route carries, refusals included (GetBatchStatus: batchStatus). */
    errorExtras?: (request: FastifyRequest, error: RegisterError) => Record<string, unknown>;
  }
}

export interface AppOptions {
  environment: Environment;
  trust: TrustStore;
  /** Requests a second per organisation (A50); absent: no limit. */
  rateLimiter?: RateLimiter;
  logger: Logger;
  /** Request durations and refusals for the operator's metrics (src/metrics/); absent: none. */
  metrics?: HttpObserver;
  /** TLS identity of the server and the CA whose certificates clients present. Absent: plain HTTP (inject-only use). */
  tls?: { certPem: string; keyPem: string; clientCaPem: string };
  bodyLimitBytes?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

/** The TLS identity of the server and the CA its clients' certificates are checked against: at start, and when the server certificate is renewed. */

export function errorBody(correlationId: string, errors: ErrorResponse[], extras: Record<string, unknown> = {}) {
  return { statusMessage: 'The request was rejected', correlationId, errorResponses: errors, ...extras };
}

function instancePathToField(path: string): string | undefined {
  if (!path) return undefined;
  let out = '';
  for (const seg of path.split('/').slice(1)) out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/** The path of a request URL, percent-escapes decoded where they decode (no query: it is never logged). */
function decodedPath(url: string): string {
  const path = url.split('?')[0]!;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Turns any error into the register's refusal: a RegisterError with a catalogue code. */
export function toRegisterError(err: FastifyError | Error): RegisterError {
  if (err instanceof RegisterError) return err;
  const fe = err as FastifyError & { validation?: { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }[] };
  if (fe.validation && fe.validation.length > 0) {
    const v = fe.validation[0]!;
    let field = instancePathToField(v.instancePath);
    let text = `${field ?? 'body'} ${v.message ?? 'is not valid'}`;
    if (v.keyword === 'additionalProperties') {
      const extra = String(v.params.additionalProperty);
      field = field ? `${field}.${extra}` : extra;
      text = `Unknown property ${extra}`;
    } else if (v.keyword === 'required') {
      const missing = String(v.params.missingProperty);
      field = field ? `${field}.${missing}` : missing;
      text = `Missing required property ${missing}`;
    }
    if (fe.validationContext === 'headers') return new RegisterError('A11', text, field);
    return new RegisterError('A10', text, field);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RegisterError('A12', 'The request body is larger than the limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RegisterError('A13', 'Content-Type must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new RegisterError('A10', 'The request body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new RegisterError('A10', 'The request body does not match its Content-Length');
    case 'ECONNRESET':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return new RegisterError('A15', 'The request body did not arrive whole');
  }
  if (fe.message === 'aborted') return new RegisterError('A15', 'The request body did not arrive whole');
  // The database restarting or failing over (a lost connection, a read-only server): nothing was
  // decided, and the client may retry; a 503 with Retry-After says so, where a 500 would not.
  if (isTransientDatabaseError(err)) {
    return new RegisterError('A90', "The register's database is not available just now (a restart or a failover); retry after the time in Retry-After", undefined, { 'Retry-After': '5' });
  }
  return new RegisterError('A99');
}

/** Schema transformation for validation: exact numbers are numbers or ExactNumber instances. */
function forValidation(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forValidation);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = forValidation(v);
  if (out['x-exact'] === true) delete out.type;
  return out;
}

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });
  ajv.addKeyword({
    keyword: 'x-exact',
    validate: (_: unknown, data: unknown) => data instanceof ExactNumber || (typeof data === 'number' && Number.isFinite(data)),
    errors: false,
  });
  ajv.addFormat('date', { type: 'string', validate: isValidDate });
  ajv.addFormat('date-time', { type: 'string', validate: isValidDateTime });
  return ajv;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  return (await buildFastify(opts)) as unknown as FastifyInstance;
}

async function buildFastify(opts: AppOptions) {
  const keys = new Map<string, string>();
  const ajv = createAjv();

  const app = Fastify({
    loggerInstance: opts.logger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'correlationId' }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: opts.bodyLimitBytes ?? 128 * 1024 * 1024,
    requestTimeout: opts.requestTimeoutMs ?? 100_000,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5_000,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ...(opts.tls
      ? {
          https: {
            ...secureContextOptions(opts.tls),
            requestCert: true,
            // Node answers a request without Host with a bare 400 of its own; the register
            // needs no Host (one service per listener) and answers every request itself.
            requireHostHeader: false,
            rejectUnauthorized: false,
            // Node enforces requestTimeout only when the server is created with it, checking this often.
            requestTimeout: opts.requestTimeoutMs ?? 100_000,
            connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor((opts.requestTimeoutMs ?? 100_000) / 4))),
          },
        }
      : {}),
    clientErrorHandler(err: Error & { code?: string }, socket: Socket) {
      const code = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'A15' : err.code === 'HPE_HEADER_OVERFLOW' ? 'A16' : 'A10';
      const status = CATALOGUE[code].http;
      if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
      const id = randomUUID();
      const text = code === 'A15' ? 'The request did not arrive in time' : code === 'A16' ? 'The request headers are too large' : 'The HTTP request is malformed';
      const body = JSON.stringify(errorBody(id, [{ errorCode: code, errorDescription: text }]));
      opts.logger.info({ correlationId: id, errorCode: code, clientError: err.code }, 'client error');
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nX-Correlation-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  });

  app.decorateRequest('caller', null);

  // Validation: ajv over the schemas the routes declare. Serialisation: from the response schema
  // of the status (serialize.ts), so an answer has exactly the documented properties, in their
  // order; a status without a schema is plain JSON.
  app.setValidatorCompiler(({ schema }) => ajv.compile(forValidation(schema) as object));
  app.setSerializerCompiler(({ schema }) => schemaSerializer(schema));
  app.addHook('onRoute', (route) => {
    if (route.schema?.body) collectSchemaKeys(route.schema.body, keys);
  });

  // The request parser: application/json only (any charset parameter must be UTF-8).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const charset = /charset=([^;\s]+)/i.exec(String(request.headers['content-type'] ?? ''))?.[1];
    if (charset && !/^utf-?8$/i.test(charset.replace(/"/g, ''))) return done(new RegisterError('A13', 'The only accepted charset is utf-8'));
    if ((body as string).length === 0) return done(new RegisterError('A10', 'The request body is empty'));
    request.rawBody = body as string;
    try {
      done(null, parseRequestJson(body as string, keys));
    } catch (err) {
      done(err as Error);
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Open Positive Credit Register',
        version: '0.1.0',
        description:
          'Every operation is an HTTP POST with a JSON body at the root of the host, over HTTPS with a client certificate ' +
          "issued by this register's CA (mutual TLS). Property names are matched case-insensitively; answers use camelCase. " +
          'Every refusal has the error body; the error codes are at GET /error-codes. GET /health is the liveness of this listener.',
      },
      components: { securitySchemes: { mutualTLS: { type: 'mutualTLS' } as never } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/documentation' });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Correlation-Id', request.id);
    const operation = request.routeOptions.config.operation;
    if (!operation) return;
    const caller = await opts.trust.authenticate(request.raw.socket as TLSSocket);
    request.caller = caller;
    // The rate limit right after authentication, before anything else is decided: every request
    // of an organisation counts, those with a certificate of the wrong usage too, and a refused
    // one costs the register next to nothing (no body read, nothing written).
    const rate = opts.rateLimiter?.take(caller.organisation.idCode);
    if (rate && !rate.allowed) {
      throw new RegisterError('A50', `Too many requests from this organisation; retry after ${rate.retryAfterSeconds} s`, undefined, { 'Retry-After': String(rate.retryAfterSeconds) });
    }
    checkCertificateFits(caller, operation, opts.environment);
  });

  // The envelope: the environment (A20), the owner (A21) and the data permission (A22), after the schema check.
  app.addHook('preHandler', async (request) => {
    const config = request.routeOptions.config;
    const operation = config.operation;
    if (!operation || !request.caller) return;
    const body = request.body as { targetEnvironment?: string; owner?: OrganisationId } | undefined;
    if (body && typeof body === 'object' && 'targetEnvironment' in body) {
      if (body.targetEnvironment !== opts.environment) {
        throw new RegisterError('A20', `This register is the ${opts.environment} environment`, 'targetEnvironment');
      }
    }
    if (body && typeof body === 'object' && body.owner) checkOwner(request.caller, body.owner);
    checkPermission(request.caller, operation, { purposes: config.purposes?.(body) ?? [] });
  });

  app.setErrorHandler((err, request, reply) => {
    const error = toRegisterError(err as Error);
    if (error.code === 'A99') request.log.error({ err }, 'internal error');
    request.errorCode = error.code;
    const extras = request.routeOptions.config.errorExtras?.(request, error) ?? {};
    void reply.code(error.status).headers(error.headers).send(errorBody(request.id, error.errors, extras));
  });

  app.setNotFoundHandler((request, reply) => {
    request.errorCode = 'A14';
    void reply.code(404).send(errorBody(request.id, [{ errorCode: 'A14', errorDescription: `No operation ${request.method} ${request.url.split('?')[0]}` }]));
  });

  // One access-log line per request, refusals included; no bodies, so no identity codes.
  app.addHook('onResponse', async (request, reply) => {
    // Labelled by the operation (or the route's pattern), never by the URL: bounded, and no
    // identity code or reference can reach the metrics through a path.
    opts.metrics?.requestAnswered(
      request.routeOptions.config.operation ?? request.routeOptions.url ?? '(unmatched)',
      reply.statusCode,
      reply.elapsedTime / 1000,
      request.errorCode,
    );
    request.log.info(
      {
        method: request.method,
        // The route's own pattern; an unknown path decoded, so that the scrubber sees what it says.
        url: request.routeOptions.url ?? decodedPath(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        organisation: request.caller?.organisation.idCode,
        certificate: request.caller?.certificate.serial,
        errorCode: request.errorCode,
      },
      'request',
    );
  });

  app.get(
    '/health',
    {
      schema: {
        summary: "Liveness of the API listener, for a load balancer (no client certificate; touches no database: the operator's listener has /ready)",
        tags: ['register'],
        response: { 200: withExamples(HealthAnswer, { status: 'ok', environment: 'Test' }) },
      },
    },
    async () => ({ status: 'ok', environment: opts.environment }),
  );

  app.get(
    '/error-codes',
    {
      schema: {
        summary: 'The error catalogue, generated from the code that raises the errors',
        tags: ['register'],
        response: { 200: withExamples(ErrorCatalogue, { errorCodes: catalogueList().filter((c) => c.code === 'A10' || c.code === 'D01') }) },
      },
    },
    async () => ({ errorCodes: catalogueList() }),
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}

declare module 'fastify' {
  interface FastifyRequest {
    errorCode?: string;
    /** The request body as received (kept for storing a batch exactly as it came). */
    rawBody?: string;
  }
}

export type { FastifyInstance, FastifyReply, FastifyRequest };
