/**
 * The register's certificate authority: keys, the root CA, the server certificate, and
 * client certificates signed from PKCS#10 requests. Pure cryptography, no database.
 */
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const subtle = webcrypto.subtle as unknown as SubtleCrypto;

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const EC_SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  algorithm: Algorithm | EcdsaParams;
}

export interface CertificateAuthority {
  cert: x509.X509Certificate;
  certPem: string;
  key: SigningKey;
}

export interface ServerIdentity {
  certPem: string;
  keyPem: string;
}

export type Usage = 'reporting' | 'data-use';
export type Environment = 'Test' | 'Production';

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Imports a PEM private key (EC P-256/P-384 or RSA) for signing. */
export async function importSigningKey(pem: string): Promise<SigningKey> {
  const keyObject = createPrivateKey(pem);
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  let algorithm: EcKeyImportParams | RsaHashedImportParams;
  let sign: Algorithm | EcdsaParams;
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256';
    algorithm = { name: 'ECDSA', namedCurve: curve };
    sign = { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' } as EcdsaParams;
  } else if (keyObject.asymmetricKeyType === 'rsa') {
    algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    sign = { name: 'RSASSA-PKCS1-v1_5' };
  } else {
    throw new Error(`Unsupported CA key type ${keyObject.asymmetricKeyType}`);
  }
  const privateKey = await subtle.importKey('pkcs8', der, algorithm, true, ['sign']);
  const publicDer = (await import('node:crypto')).createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const publicKey = await subtle.importKey('spki', publicDer, algorithm, true, ['verify']);
  return { privateKey, publicKey, algorithm: sign };
}

/** A positive serial of 16 bytes whose hex form has no leading zero (so it reads the same everywhere). */
export function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x6f) | 0x10;
  return bytes.toString('hex').toUpperCase();
}

export async function createRootCa(name: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: [{ CN: [name] }, { O: [name] }],
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + 20 * 365 * 86_400_000),
    keys,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
}

export async function loadCa(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  return { cert: new x509.X509Certificate(certPem), certPem, key: await importSigningKey(keyPem) };
}

export async function createServerCertificate(ca: CertificateAuthority, hostNames: string[]): Promise<ServerIdentity> {
  const keys = await generateKeyPair();
  const now = new Date();
  const names = hostNames.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: newSerial(),
    subject: [{ CN: [hostNames[0] ?? 'localhost'] }],
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + 2 * 365 * 86_400_000),
    publicKey: keys.publicKey,
    signingKey: ca.key.privateKey,
    signingAlgorithm: ca.key.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.key.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
}

export interface ClientSubject {
  organisationName: string;
  /** Business ID, or the foreign business ID. */
  idCode: string;
  /** ETSI EN 319 412-1 semantics identifier prefix: NTRFI for Finnish Business IDs, NTR<CC> otherwise. */
  countryCode: string;
  usage: Usage;
  environment: Environment;
}

export interface IssuedCertificate {
  serial: string;
  pem: string;
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
}

export class CsrError extends Error {}

/** Reads and verifies a PKCS#10 request; the key it carries is what gets certified. */
export async function readCsr(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new CsrError('csr is not a PEM or DER PKCS#10 certificate signing request');
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) throw new CsrError('The signature of the certificate signing request does not verify');
  return csr;
}

export const CLIENT_CERTIFICATE_VALIDITY_DAYS = 730;

/**
 * Signs a client certificate. The subject is the register's, not the request's: the
 * organisation as the register knows it (access.md "What a client certificate says").
 */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  csr: x509.Pkcs10CertificateRequest,
  subject: ClientSubject,
  now = new Date(),
): Promise<IssuedCertificate> {
  const serial = newSerial();
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(now.getTime() + CLIENT_CERTIFICATE_VALIDITY_DAYS * 86_400_000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: [
      { CN: [subject.organisationName] },
      { O: [subject.organisationName] },
      { OU: [`${subject.usage} ${subject.environment}`] },
      { '2.5.4.97': [`NTR${subject.countryCode}-${subject.idCode}`] },
      { '2.5.4.5': [subject.idCode] },
    ],
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: await csr.publicKey.export(),
    signingKey: ca.key.privateKey,
    signingAlgorithm: ca.key.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.key.publicKey),
    ],
  });
  const pem = cert.toString('pem');
  const info = new X509Certificate(pem);
  return { serial: info.serialNumber.toUpperCase(), pem, fingerprint256: info.fingerprint256, notBefore, notAfter };
}

/** The organisation side: a new key and a CSR for it. */
export async function createKeyAndCsr(commonName: string): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: EC_SIGN,
  });
  return { keyPem: await privateKeyToPem(keys.privateKey), csrPem: csr.toString('pem') };
}

export interface CaFiles {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export function caFiles(dir: string): CaFiles {
  return {
    dir,
    caCert: join(dir, 'ca.cert.pem'),
    caKey: join(dir, 'ca.key.pem'),
    serverCert: join(dir, 'server.cert.pem'),
    serverKey: join(dir, 'server.key.pem'),
  };
}

/**
 * Loads the register's CA from its folder, creating it (and a server certificate for the
 * host names) on first start. Keys are written readable by their owner only.
 */
export async function ensureCa(dir: string, hostNames: string[], caName = 'Open Positive Credit Register CA'): Promise<{ ca: CertificateAuthority; server: ServerIdentity; created: boolean }> {
  const files = caFiles(dir);
  let created = false;
  if (!existsSync(files.caCert) || !existsSync(files.caKey)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const root = await createRootCa(caName);
    writeFileSync(files.caKey, root.keyPem, { mode: 0o600 });
    writeFileSync(files.caCert, root.certPem);
    created = true;
  }
  const ca = await loadCa(readFileSync(files.caCert, 'utf8'), readFileSync(files.caKey, 'utf8'));
  if (!existsSync(files.serverCert) || !existsSync(files.serverKey)) {
    const server = await createServerCertificate(ca, hostNames);
    writeFileSync(files.serverKey, server.keyPem, { mode: 0o600 });
    writeFileSync(files.serverCert, server.certPem);
  }
  return {
    ca,
    server: { certPem: readFileSync(files.serverCert, 'utf8'), keyPem: readFileSync(files.serverKey, 'utf8') },
    created,
  };
}
