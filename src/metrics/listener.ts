/**
 * The operator's listener: plain HTTP on its own address (loopback by default, never the API's
 * port), for Prometheus and the orchestrator's probes. It serves three things, to GET (and HEAD):
 * - /metrics: the exposition text (registry.ts);
 * - /health: liveness, 200 while the process serves at all (no database asked: a database outage
 *   must not make an orchestrator restart every register process, which would not mend it);
 * - /ready: readiness (readiness.ts), 200 or 503 with what is not ready.
 * Anything else is 404, a wrong method 405; no input gets a 5xx (503 from /ready is its answer,
 * not a failure). node:http, not Fastify: three fixed answers need no router, and this listener
 * must keep answering when the API's application is saturated.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Readiness } from './readiness.ts';

export interface OperatorListenerOptions {
  host: string;
  port: number;
  scrape: () => Promise<string>;
  contentType: string;
  ready: () => Promise<Readiness>;
  logger: Logger;
}

export interface OperatorListener {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Where to reach the listener: an any-address bind is reached on loopback. */
const urlHost = (host: string) => (host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host);

function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    // A probe's or scraper's answer is never to be reused.
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const json = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) =>
  send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);

export async function startOperatorListener(opts: OperatorListenerOptions): Promise<OperatorListener> {
  const started = Date.now();
  const paths = new Set(['/metrics', '/health', '/ready']);
  const server = createServer(
    // Small and quick: a scraper or a probe sends a request line and a few headers.
    { requestTimeout: 10_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 },
    (req, res) => {
      void handle(req, res).catch((err: unknown) => {
        // A defect of ours, not of the input; answered, never left hanging.
        opts.logger.error({ err }, "the operator's listener could not answer");
        if (!res.headersSent) json(req, res, 500, { status: 'error', message: 'internal error' });
        else res.destroy();
      });
    },
  );
  server.keepAliveTimeout = 65_000; // longer than Prometheus's default scrape interval: one connection per scraper

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The path only; a query (?x=…) is ignored. Never echoed back.
    const path = (req.url ?? '').split('?')[0]!;
    if (!paths.has(path)) return json(req, res, 404, { status: 'not found', paths: [...paths] });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(req, res, 405, { status: 'method not allowed' }, { Allow: 'GET, HEAD' });
    if (path === '/health') return json(req, res, 200, { status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) });
    if (path === '/ready') {
      const r = await opts.ready();
      return json(req, res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', notReady: r.notReady, schema: r.schema });
    }
    return send(req, res, 200, opts.contentType, await opts.scrape());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => opts.logger.error({ err }, "the operator's listener failed"));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(opts.host)}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Answers in flight finish; idle kept-alive connections (a scraper's) are closed now.
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
