/**
 * The e-service benchmark's fallback baseline, used only when the register's own e-service
 * listener does not answer `GET /bench-static?bytes=N`: a Fastify HTTPS server built as
 * src/eservice/app.ts builds its listener (the register's server certificate and key, no client
 * certificate asked, the same Fastify options, @fastify/formbody, the same onSend security
 * headers and onResponse log hook), answering `GET /bench-static?bytes=N` with a fixed HTML page
 * of exactly N bytes, without reading anything. Started by bench/eservice.ts as a process of its
 * own, like the register (a server in the load generator's process would share its event loop).
 *
 *   node --import tsx bench/eservice-static.ts <ca-dir>     → prints {"url": "https://127.0.0.1:PORT"}
 */
import { readFileSync } from 'node:fs';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { caFiles } from '../src/access/pki.ts';
import { createLogger } from '../src/http/logging.ts';

const caDir = process.argv[2]!;
const files = caFiles(caDir);
const logger = createLogger({ level: process.env.PCR_LOG_LEVEL ?? 'warn' });
const app = Fastify({
  logger: false,
  https: { cert: readFileSync(files.serverCert, 'utf8'), key: readFileSync(files.serverKey, 'utf8'), requestCert: false },
  bodyLimit: 64 * 1024,
  return503OnClosing: true,
});
await app.register(formbody);
app.addHook('onResponse', async (req, reply) => {
  logger.info({ web: true, method: req.method, route: req.routeOptions.url ?? '(not found)', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'e-service request');
});
app.addHook('onSend', async (_req, reply, payload) => {
  reply.header('content-security-policy', `default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https://127.0.0.1; frame-ancestors 'none'; base-uri 'none'`);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('strict-transport-security', 'max-age=31536000');
  reply.header('cache-control', 'no-store');
  return payload;
});
/** An HTML page of exactly `bytes` bytes (ASCII): a skeleton padded with one paragraph. */
function staticPage(bytes: number): string {
  const head = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Static</title></head><body><p>';
  const tail = '</p></body></html>\n';
  return bytes <= head.length + tail.length ? 'x'.repeat(bytes) : head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}
const pages = new Map<number, string>();
app.get<{ Querystring: { bytes?: string } }>('/bench-static', async (req, reply) => {
  const bytes = Math.min(1_000_000, Math.max(0, Number.parseInt(String(req.query.bytes ?? '0'), 10) || 0));
  let body = pages.get(bytes);
  if (body === undefined) pages.set(bytes, (body = staticPage(bytes)));
  return reply.code(200).type('text/html; charset=utf-8').send(body);
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address() as { port: number };
process.stdout.write(`${JSON.stringify({ url: `https://127.0.0.1:${address.port}` })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
