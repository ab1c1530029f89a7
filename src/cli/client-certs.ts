/** The organisation side of certificates: key + CSR made locally, certificate retrieved or renewed over HTTPS. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKeyAndCsr } from '../access/pki.ts';
import { HttpsJsonClient } from '../common/https-client.ts';
import { UsageError } from './io.ts';

export interface CertFiles {
  dir: string;
  key: string;
  cert: string;
  ca: string;
}

export function certFiles(dir: string): CertFiles {
  return { dir, key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem'), ca: join(dir, 'ca.pem') };
}

export function writeCertFiles(dir: string, keyPem: string, certPem: string, caPem: string): CertFiles {
  const files = certFiles(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(files.key, keyPem, { mode: 0o600 });
  writeFileSync(files.cert, certPem);
  writeFileSync(files.ca, caPem);
  return files;
}

interface CertificateAnswer {
  certificate: string;
  caChain: string[];
  serial: string;
  notAfter: string;
}

function refusal(status: number, body: unknown): UsageError {
  const first = (body as { errorResponses?: { errorCode: string; errorDescription: string }[] })?.errorResponses?.[0];
  return new UsageError(first ? `The register refused (${status} ${first.errorCode}): ${first.errorDescription}` : `The register answered ${status}`);
}

export async function retrieveOverHttps(input: {
  url: string;
  serverCaPem: string;
  transferId: string;
  transferPassword: string;
  outDir: string;
}): Promise<CertFiles & { serial: string; notAfter: string }> {
  const { keyPem, csrPem } = await createKeyAndCsr('certificate request');
  const client = new HttpsJsonClient(input.url, { ca: input.serverCaPem }, { keepAlive: false });
  try {
    const res = await client.post<CertificateAnswer>('/certificates/sign', {
      transferId: input.transferId,
      transferPassword: input.transferPassword,
      csr: csrPem,
    });
    if (res.status !== 200) throw refusal(res.status, res.body);
    const files = writeCertFiles(input.outDir, keyPem, res.body.certificate, res.body.caChain.join(''));
    return { ...files, serial: res.body.serial, notAfter: res.body.notAfter };
  } finally {
    client.close();
  }
}

/** Renews the certificate in certDir with a new key, replacing the files (the old ones are kept as *.old.pem). */
export async function renewOverHttps(input: { url: string; certDir: string }): Promise<CertFiles & { serial: string; notAfter: string }> {
  const files = certFiles(input.certDir);
  const current = { key: readFileSync(files.key, 'utf8'), cert: readFileSync(files.cert, 'utf8'), ca: readFileSync(files.ca, 'utf8') };
  const { keyPem, csrPem } = await createKeyAndCsr('certificate renewal');
  const client = new HttpsJsonClient(input.url, current, { keepAlive: false });
  try {
    const res = await client.post<CertificateAnswer>('/certificates/renew', { csr: csrPem });
    if (res.status !== 200) throw refusal(res.status, res.body);
    writeFileSync(join(input.certDir, 'key.old.pem'), current.key, { mode: 0o600 });
    writeFileSync(join(input.certDir, 'cert.old.pem'), current.cert);
    writeCertFiles(input.certDir, keyPem, res.body.certificate, res.body.caChain.join(''));
    return { ...files, serial: res.body.serial, notAfter: res.body.notAfter };
  } finally {
    client.close();
  }
}
