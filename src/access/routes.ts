/** The access area's HTTP API: the certificate service and the caller's self-description. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import { refusals } from '../http/schemas.ts';
import { renewCertificate, retrieveCertificate } from './certificates.ts';
import type { CertificateAuthority } from './pki.ts';
import { describeRef } from './organisations.ts';

const SignRequest = Type.Object(
  {
    transferId: Type.String({ minLength: 1, maxLength: 100 }),
    transferPassword: Type.String({ minLength: 1, maxLength: 200 }),
    csr: Type.String({ minLength: 1, maxLength: 20_000, description: 'PKCS#10 certificate signing request, PEM' }),
  },
  { additionalProperties: false },
);

const RenewRequest = Type.Object(
  { csr: Type.String({ minLength: 1, maxLength: 20_000, description: 'PKCS#10 certificate signing request for the new key, PEM' }) },
  { additionalProperties: false },
);

const CertificateAnswer = Type.Object({
  certificate: Type.String({ description: 'The new client certificate, PEM' }),
  caChain: Type.Array(Type.String(), { description: "The register's CA certificate(s), PEM" }),
  serial: Type.String(),
  notAfter: Type.String({ format: 'date-time' }),
});

export function accessRoutes(deps: { db: Database; ca: CertificateAuthority }) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.post<{ Body: Static<typeof SignRequest> }>(
      '/certificates/sign',
      {
        bodyLimit: 64 * 1024,
        schema: {
          tags: ['certificates'],
          summary: 'Retrieve a certificate with the transfer codes and a CSR (no client certificate needed)',
          body: SignRequest,
          response: { 200: CertificateAnswer, ...refusals(400, 401) },
        },
      },
      async (request) => retrieveCertificate(deps.db, deps.ca, request.body),
    );

    app.post<{ Body: Static<typeof RenewRequest> }>(
      '/certificates/renew',
      {
        bodyLimit: 64 * 1024,
        config: { operation: 'RenewCertificate' },
        schema: {
          tags: ['certificates'],
          summary: 'Renew the calling certificate (mutual TLS), no earlier than 60 days before it expires',
          body: RenewRequest,
          response: { 200: CertificateAnswer, ...refusals(400, 401, 403, 429) },
          security: [{ mutualTLS: [] }],
        },
      },
      async (request) => renewCertificate(deps.db, deps.ca, request.caller!.certificate, request.body.csr),
    );

    app.get(
      '/whoami',
      {
        config: { operation: 'WhoAmI' },
        schema: {
          tags: ['certificates'],
          summary: 'The organisation, certificate and data permissions of the calling client certificate (our design)',
          security: [{ mutualTLS: [] }],
          response: { ...refusals(401, 403, 429) },
        },
      },
      async (request) => {
        const c = request.caller!;
        return {
          organisation: {
            idCodeType: c.organisation.idCodeType,
            idCode: c.organisation.idCode,
            ...(c.organisation.idCodeType === 'ForeignBusinessId' ? { countryCode: c.organisation.countryCode } : {}),
            name: c.organisation.name,
            roles: c.organisation.roles,
            businessId: describeRef(c.organisation),
          },
          certificate: {
            serial: c.certificate.serial,
            usage: c.certificate.usage,
            environment: c.certificate.environment,
            notAfter: c.certificate.notAfter.toISOString(),
          },
          permissions: c.permissions,
        };
      },
    );
  };
}
