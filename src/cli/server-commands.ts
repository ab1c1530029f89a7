/** The operator's server certificate commands: what the register serves over HTTPS, and renewing it from the register's CA. */
import { Command } from 'commander';
import { expiryWarning, type ServerCertificateInfo } from '../access/pki.ts';
import { renewServerIdentity, type Register } from '../register.ts';
import { withActorOption, withAuditedChange, withDbOptions, withRegister, type ActorOptions, type CliContext, type DbOptions } from './context.ts';
import { serverNames } from '../config.ts';
import { emit, UsageError } from './io.ts';

/** The names a certificate for --server-names gets: checked and completed as `pcr serve` does (config.ts). */
function namesFor(register: Register, given: string | undefined): string[] {
  if (given === undefined) return register.config.serverNames;
  return serverNames({ name: '--server-names', value: given }, register.config.host);
}

/** What the audit trail keeps of a certificate. */
const summary = (c: ServerCertificateInfo | undefined) => (c ? { serial: c.serial, fingerprint256: c.fingerprint256, notAfter: c.notAfter, names: c.names } : null);

function describe(c: ServerCertificateInfo): string[] {
  return [
    `Server certificate ${c.certFile} (${c.source === 'generated' ? "generated from the register's CA" : 'your own, --tls-cert'})`,
    `  names:    ${c.names.join(', ') || '-'}`,
    `  valid:    ${c.notBefore} to ${c.notAfter} (${c.daysLeft < 0 ? `expired ${-c.daysLeft} days ago` : `${c.daysLeft} days left`})`,
    `  serial:   ${c.serial}`,
    `  SHA-256:  ${c.fingerprint256}`,
    `  issuer:   ${c.issuer}${c.issuedByRegisterCa ? " (the register's CA)" : " (not the register's CA)"}`,
  ];
}

export function serverCertCommands(ctx: CliContext): Command[] {
  const { io } = ctx;
  const cmd = new Command('server-cert').description("the register's HTTPS server certificate");

  withDbOptions(cmd.command('show').description('the server certificate: its names, validity and issuer'))
    .action(async (o: DbOptions & { json?: boolean }) => {
      const shown = await withRegister(ctx, o, async (r) => ({ certificate: r.serverCertificate, problems: r.serverProblems }));
      const warning = shown.certificate && expiryWarning(shown.certificate);
      const warnings = [...shown.problems, ...(warning ? [warning] : [])];
      emit(io, o.json, { ...shown.certificate, problems: shown.problems, ...(warning ? { warning } : {}) }, [
        ...(shown.certificate ? describe(shown.certificate) : []),
        ...warnings.map((w) => `Warning: ${w}`),
      ]);
    });

  withActorOption(withDbOptions(cmd.command('renew').description("issue a new server certificate from the register's CA (the old one is kept as server.cert.pem.previous); a running register serves it to new connections")))
    .option('--server-names <names>', 'comma-separated host names and addresses (default: the configured ones, PCR_SERVER_NAMES); give pcr serve the same')
    .action(async (o: DbOptions & ActorOptions & { serverNames?: string; json?: boolean }) => {
      const renewed = await withAuditedChange(ctx, o, 'server-cert renew', async (tx, r) => {
        if (r.config.tlsCertFile) {
          throw new UsageError(`The register serves a certificate of its own (--tls-cert ${r.config.tlsCertFile}): renew that one with its issuer`);
        }
        const names = namesFor(r, o.serverNames);
        const before = summary(r.serverCertificate);
        const info = (await renewServerIdentity(r, names, tx))!;
        return { result: info, target: info.certFile, before, after: summary(info), details: { names } };
      });
      emit(io, o.json, { ...renewed, servedNow: !!ctx.running }, [
        ...describe(renewed),
        ctx.running
          ? 'The running register serves it to new connections now.'
          : 'A register running from this CA folder serves it to new connections within a moment (it watches the folder); the old files are kept as *.previous.',
      ]);
    });

  return [cmd];
}
