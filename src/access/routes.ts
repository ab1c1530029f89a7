/** The access area's HTTP API: the certificate service and the caller's self-description. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import { refusals, withExamples } from '../http/schemas.ts';
import { EXAMPLES } from '../http/examples.ts';
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

const WhoAmIAnswer = Type.Object({
  organisation: Type.Object({
    idCodeType: Type.Union([Type.Literal('BusinessId'), Type.Literal('ForeignBusinessId')]),
    idCode: Type.String(),
    countryCode: Type.Optional(Type.String({ description: 'ForeignBusinessId only' })),
    name: Type.String(),
    roles: Type.Array(Type.String()),
    businessId: Type.String({ description: 'The id as one text: the Business ID, or countryCode:idCode' }),
  }),
  certificate: Type.Object({
    serial: Type.String(),
    usage: Type.Union([Type.Literal('reporting'), Type.Literal('data-use')]),
    environment: Type.Union([Type.Literal('Test'), Type.Literal('Production')]),
    notAfter: Type.String({ format: 'date-time' }),
  }),
  permissions: Type.Array(
    Type.Object({
      permission: Type.String(),
      purposes: Type.Array(Type.String()),
      scope: Type.Object({}, { additionalProperties: true, description: 'Limits of the permission, where it has any' }),
    }),
  ),
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
          body: withExamples(SignRequest, EXAMPLES.RetrieveCertificate.request),
          response: { 200: withExamples(CertificateAnswer, EXAMPLES.RetrieveCertificate.answer), ...refusals(400, 401) },
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
          body: withExamples(RenewRequest, EXAMPLES.RenewCertificate.request),
          response: { 200: withExamples(CertificateAnswer, EXAMPLES.RenewCertificate.answer), ...refusals(400, 401, 403, 429) },
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
          response: { 200: withExamples(WhoAmIAnswer, EXAMPLES.WhoAmI.answer), ...refusals(401, 403, 429) },
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
