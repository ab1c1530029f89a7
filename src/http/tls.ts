/** The TLS options of the organisations' API listener (mutual TLS against the register's CA), apart from the app so that `pcr` loads no server to use them. */
export function secureContextOptions(tls: { certPem: string; keyPem: string; clientCaPem: string }) {
  return { cert: tls.certPem, key: tls.keyPem, ca: [tls.clientCaPem], minVersion: 'TLSv1.2' as const };
}
