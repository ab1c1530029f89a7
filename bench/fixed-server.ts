/**
 * The extract benchmark's baseline: the register's own HTTP stack (mutual TLS, the request
 * parser, certificate trust, schema validation, owner and permission checks) answering
 * GetCreditRegisterExtract with a fixed JSON body of a given size, without reading the data.
 * Started by bench/extract.ts as a process of its own, like the register.
 */
import { readFileSync } from 'node:fs';
import { TrustStore } from '../src/access/trust.ts';
import { resolveConfig } from '../src/config.ts';
import { buildApp } from '../src/http/app.ts';
import { createLogger } from '../src/http/logging.ts';
import { openRegister } from '../src/register.ts';
import { EXTRACT_PURPOSES } from '../src/extract/routes.ts';
import { envelope } from '../src/http/schemas.ts';
import { Type } from '@sinclair/typebox';

const [databaseUrl, caDir, bodyFile] = process.argv.slice(2) as [string, string, string];
const body = readFileSync(bodyFile, 'utf8');
const register = await openRegister(resolveConfig({ databaseUrl, caDir, port: 0 }));
const app = await buildApp({
  environment: register.environment,
  trust: new TrustStore(register.db, 2000),
  logger: createLogger({ level: 'warn' }),
  tls: { certPem: register.serverIdentity.certPem, keyPem: register.serverIdentity.keyPem, clientCaPem: register.ca.certPem },
});
const Request = Type.Object({
  ...envelope,
  request: Type.Object({
    idCodeType: Type.String(), idCode: Type.String(),
    creditRegisterExtractPurpose: Type.Array(Type.Unsafe({ type: 'string', enum: [...EXTRACT_PURPOSES] }), { minItems: 1 }),
    lenderReference: Type.Optional(Type.String({ maxLength: 100 })),
  }, { additionalProperties: false }),
}, { additionalProperties: false });
app.post('/GetCreditRegisterExtract', {
  config: { operation: 'GetCreditRegisterExtract', purposes: (b) => (b as { request: { creditRegisterExtractPurpose: never[] } }).request.creditRegisterExtractPurpose },
  schema: { body: Request },
}, async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address() as { port: number };
process.stdout.write(`${JSON.stringify({ url: `https://localhost:${address.port}` })}\n`);
process.once('SIGTERM', () => void app.close().then(() => register.close()).then(() => process.exit(0)));
