/**
 * The register's certificate authority: keys, the root CA, the server certificate, and
 * client certificates signed from PKCS#10 requests. Cryptography and the CA folder's files;
 * the database is reached only through the CaBinding the caller gives.
 */
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../config.ts';
import type { Environment, Usage } from '../common/environment.ts';

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

export type { Environment, Usage } from '../common/environment.ts';

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

export const SERVER_CERTIFICATE_VALIDITY_DAYS = 730;

export async function createServerCertificate(
  ca: CertificateAuthority,
  hostNames: string[],
  { now = new Date(), validityDays = SERVER_CERTIFICATE_VALIDITY_DAYS } = {},
): Promise<ServerIdentity> {
  const keys = await generateKeyPair();
  const names = hostNames.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: newSerial(),
    subject: [{ CN: [hostNames[0] ?? 'localhost'] }],
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + validityDays * 86_400_000),
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

/** A refusal to start over the CA folder's files: the operator has to act (exit code 2, like any configuration error). */
export class CaFilesError extends ConfigError {}

/** The SHA-256 fingerprint of a certificate, as Node prints it (AB:CD:…). */
export function certificateFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** Whether keyPem is the private key of the certificate. */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Creates a file (never over an existing one), mode 0600, and has it on disk before returning. */
function writeNewFileDurably(path: string, content: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Has a folder's entries (files just created in it) on disk. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file so that a reader sees the old content or the new, never part of it: a
 * temporary file of mode 0600 beside it, then a rename over it.
 */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * The database's side of the CA: the fingerprint the register is bound to, and how to bind
 * it the first time. bind stores the fingerprint unless one is stored already and answers
 * the one stored (so two processes starting at once agree on one CA).
 */
export interface CaBinding {
  bound: string | undefined;
  bind(fingerprint: string): Promise<string>;
}

function wrongCa(dir: string, expected: string, found: string | undefined): CaFilesError {
  const where = found
    ? `the CA in ${dir} has SHA-256 fingerprint ${found}, so it is another CA.`
    : `${dir} holds no CA (neither ca.cert.pem nor ca.key.pem).`;
  return new CaFilesError(
    `This register's database belongs to the CA with SHA-256 fingerprint ${expected}, but ${where} ` +
      `Copy that CA's ca.cert.pem and ca.key.pem into ${dir}, or point --ca-dir (PCR_CA_DIR) to the folder that holds them. ` +
      'No new CA is made for a register that has one: the certificates it issued would stop working.',
  );
}

/**
 * Loads the register's CA from its folder, or creates it for a new register, and binds it
 * to the database. Key material is never overwritten: half a CA, a key that is not the
 * certificate's, or a CA other than the one the database is bound to is refused.
 */
export async function ensureCa(
  dir: string,
  binding: CaBinding,
  caName = 'Open Positive Credit Register CA',
): Promise<{ ca: CertificateAuthority; fingerprint: string; created: boolean }> {
  const files = caFiles(dir);
  const hasCert = existsSync(files.caCert);
  const hasKey = existsSync(files.caKey);
  if (hasCert !== hasKey) {
    const [present, missing] = hasCert ? [files.caCert, files.caKey] : [files.caKey, files.caCert];
    throw new CaFilesError(
      `The CA folder holds ${present} but not ${missing}. Restore ${basename(missing)} from the CA's backup; ` +
        'the register does not make a new CA over half of one (every certificate it issued would stop working).',
    );
  }
  if (!hasCert) {
    if (binding.bound) throw wrongCa(dir, binding.bound, undefined);
    const root = await createRootCa(caName);
    const fingerprint = certificateFingerprint(root.certPem);
    const stored = await binding.bind(fingerprint);
    if (stored !== fingerprint) throw wrongCa(dir, stored, undefined);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      // On disk before the binding commits: a power cut must not leave a database bound to a
      // CA whose key was never written.
      writeNewFileDurably(files.caKey, root.keyPem);
      writeNewFileDurably(files.caCert, root.certPem);
      syncDirectory(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CaFilesError(`Another process created a CA in ${dir} at the same moment; start again to use it`);
      }
      throw err;
    }
    return { ca: await loadCa(root.certPem, root.keyPem), fingerprint, created: true };
  }
  const certPem = readFileSync(files.caCert, 'utf8');
  const keyPem = readFileSync(files.caKey, 'utf8');
  let info: X509Certificate;
  try {
    info = new X509Certificate(certPem);
  } catch {
    throw new CaFilesError(`${files.caCert} is not a PEM certificate`);
  }
  if (!info.ca) throw new CaFilesError(`${files.caCert} is not a CA certificate (its basic constraints do not say CA)`);
  if (!keyMatchesCertificate(certPem, keyPem)) {
    throw new CaFilesError(`${files.caKey} is not the private key of ${files.caCert}: restore the pair from the CA's backup`);
  }
  const fingerprint = info.fingerprint256;
  const stored = binding.bound ?? (await binding.bind(fingerprint));
  if (stored !== fingerprint) throw wrongCa(dir, stored, fingerprint);
  return { ca: await loadCa(certPem, keyPem), fingerprint, created: false };
}

// ---- the server certificate

/** What `pcr server-cert show` and the start-up checks know of a server certificate. */
export interface ServerCertificateInfo {
  /** 'generated': issued by the register's CA into the CA folder; 'own': --tls-cert. */
  source: 'generated' | 'own';
  certFile: string;
  subject: string;
  issuer: string;
  serial: string;
  fingerprint256: string;
  notBefore: string;
  notAfter: string;
  /** Whole days left until notAfter (negative when expired). */
  daysLeft: number;
  names: string[];
  issuedByRegisterCa: boolean;
}

/** The server certificate is renewed when it has fewer days left than this; `pcr serve` warns from then on. */
export const SERVER_CERTIFICATE_WARNING_DAYS = 30;

export function describeServerCertificate(
  certPem: string,
  ca: CertificateAuthority,
  where: { source: 'generated' | 'own'; certFile: string },
  now = new Date(),
): ServerCertificateInfo {
  const info = new X509Certificate(certPem);
  const san = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  const caInfo = new X509Certificate(ca.certPem);
  const notAfter = new Date(info.validTo);
  return {
    ...where,
    subject: info.subject.replace(/\n/g, ', '),
    issuer: info.issuer.replace(/\n/g, ', '),
    serial: info.serialNumber.toUpperCase(),
    fingerprint256: info.fingerprint256,
    notBefore: new Date(info.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
    names: san?.names.items.map((n) => n.value) ?? [],
    issuedByRegisterCa: info.checkIssued(caInfo) && info.verify(caInfo.publicKey),
  };
}

/** The names (host names and addresses) the certificate does not cover. */
export function namesNotCovered(certPem: string, names: string[]): string[] {
  const info = new X509Certificate(certPem);
  return names.filter((n) => (isIP(n) ? info.checkIP(n) === undefined : info.checkHost(n) === undefined));
}

/** The warning `pcr serve` gives for a certificate that expires soon, or undefined. */
export function expiryWarning(info: ServerCertificateInfo): string | undefined {
  if (info.daysLeft >= SERVER_CERTIFICATE_WARNING_DAYS) return undefined;
  const when = info.daysLeft < 0 ? `expired on ${info.notAfter}` : `expires on ${info.notAfter} (in ${info.daysLeft} days)`;
  const todo = info.source === 'generated' ? 'renew it with `pcr server-cert renew`' : 'renew it with its issuer and restart with the new --tls-cert/--tls-key';
  return `The server certificate ${info.certFile} ${when}: ${todo}`;
}

/**
 * Issues a new server certificate from the CA into the CA folder. The new files are written
 * whole (temporary file, then rename), the key first; the certificate and key they replace
 * are kept as server.cert.pem.previous and server.key.pem.previous.
 */
export async function renewServerCertificate(ca: CertificateAuthority, dir: string, names: string[]): Promise<ServerIdentity> {
  const files = caFiles(dir);
  const server = await createServerCertificate(ca, names);
  for (const file of [files.serverKey, files.serverCert]) {
    if (existsSync(file)) writeFileAtomic(`${file}.previous`, readFileSync(file, 'utf8'));
  }
  writeFileAtomic(files.serverKey, server.keyPem);
  writeFileAtomic(files.serverCert, server.certPem);
  return server;
}

/**
 * The generated server certificate in the CA folder, made on first start. One of ours (issued
 * by this CA) that lacks a configured name, has lost its key or does not match it is issued
 * again, saying so; one this CA did not issue is left alone and reported as a problem, which
 * `pcr serve` refuses to start with.
 */
export async function ensureServerCertificate(
  ca: CertificateAuthority,
  dir: string,
  names: string[],
): Promise<{ identity: ServerIdentity; warnings: string[]; problems: string[] }> {
  const files = caFiles(dir);
  const hasCert = existsSync(files.serverCert);
  const hasKey = existsSync(files.serverKey);
  if (!hasCert && !hasKey) return { identity: await renewServerCertificate(ca, dir, names), warnings: [], problems: [] };
  const renew = async (why: string) => ({
    identity: await renewServerCertificate(ca, dir, names),
    warnings: [`${why}: issued a new server certificate for ${names.join(', ')} (the old files are kept as *.previous)`],
    problems: [],
  });
  if (!hasKey) return renew(`${files.serverKey} was missing`);
  const keyPem = readFileSync(files.serverKey, 'utf8');
  if (!hasCert) return renew(`${files.serverCert} was missing`);
  const certPem = readFileSync(files.serverCert, 'utf8');
  let info: ServerCertificateInfo;
  try {
    info = describeServerCertificate(certPem, ca, { source: 'generated', certFile: files.serverCert });
  } catch {
    return { identity: { certPem, keyPem }, warnings: [], problems: [`${files.serverCert} is not a PEM certificate`] };
  }
  if (!info.issuedByRegisterCa) {
    return {
      identity: { certPem, keyPem },
      warnings: [],
      problems: [`${files.serverCert} was not issued by the register's CA (its issuer is ${info.issuer}); clients that trust the register's CA would refuse it`],
    };
  }
  if (!keyMatchesCertificate(certPem, keyPem)) return renew(`${files.serverKey} is not the key of ${files.serverCert}`);
  const missing = namesNotCovered(certPem, names);
  if (missing.length > 0) return renew(`The server certificate did not cover ${missing.join(', ')}`);
  return { identity: { certPem, keyPem }, warnings: [], problems: [] };
}
