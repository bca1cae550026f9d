/**
 * The checked-in test PKI (see certs/README.md for how it was made). All keys are EC P-256,
 * all certificates valid for 100 years except the deliberately expired one.
 *
 *   ca            trusted test CA ("impmqtt test CA")
 *   server        signed by ca; SAN IP:127.0.0.1, DNS:localhost
 *   client        signed by ca; extendedKeyUsage clientAuth, CN impmqtt-test-client (mutual TLS)
 *   untrustedCa   an unrelated self-signed CA
 *   untrustedServer  signed by untrustedCa; same names as server (fails verification against ca)
 *   wrongHostServer  signed by ca; SAN DNS:wrong-host.invalid only (fails hostname checks)
 *   expiredServer    signed by ca; right names; valid 2000-01-01 .. 2001-01-01 only
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CERTS_DIR = fileURLToPath(new URL('./certs/', import.meta.url));

const path = (name: string): string => CERTS_DIR + name;

export const certPaths = {
  caCert: path('ca.crt'),
  caKey: path('ca.key'),
  serverCert: path('server.crt'),
  serverKey: path('server.key'),
  clientCert: path('client.crt'),
  clientKey: path('client.key'),
  untrustedCaCert: path('untrusted-ca.crt'),
  untrustedCaKey: path('untrusted-ca.key'),
  untrustedServerCert: path('untrusted-server.crt'),
  untrustedServerKey: path('untrusted-server.key'),
  wrongHostServerCert: path('wrong-host-server.crt'),
  wrongHostServerKey: path('wrong-host-server.key'),
  expiredServerCert: path('expired-server.crt'),
  expiredServerKey: path('expired-server.key'),
} as const;

export type CertName = keyof typeof certPaths;

/** PEM contents of every file in certPaths, read once on first import. */
export const certs: Readonly<Record<CertName, Buffer>> = Object.fromEntries(
  Object.entries(certPaths).map(([name, file]) => [name, readFileSync(file)]),
) as Record<CertName, Buffer>;

/** A key/cert pair ready for tls.createServer / tls.connect options. */
export interface KeyCert {
  key: Buffer;
  cert: Buffer;
}

export const serverIdentity: KeyCert = { key: certs.serverKey, cert: certs.serverCert };
export const clientIdentity: KeyCert = { key: certs.clientKey, cert: certs.clientCert };
export const untrustedServerIdentity: KeyCert = { key: certs.untrustedServerKey, cert: certs.untrustedServerCert };
export const wrongHostServerIdentity: KeyCert = { key: certs.wrongHostServerKey, cert: certs.wrongHostServerCert };
export const expiredServerIdentity: KeyCert = { key: certs.expiredServerKey, cert: certs.expiredServerCert };

/** Server certificates by name, for launchers' `serverCert` option. */
export const serverIdentities = {
  good: serverIdentity,
  untrusted: untrustedServerIdentity,
  wrongHost: wrongHostServerIdentity,
  expired: expiredServerIdentity,
} as const;
export type ServerIdentityName = keyof typeof serverIdentities;

/** File paths of the server certificates by name (mosquitto needs files, not contents). */
export const serverIdentityPaths: Readonly<Record<ServerIdentityName, { keyfile: string; certfile: string }>> = {
  good: { keyfile: certPaths.serverKey, certfile: certPaths.serverCert },
  untrusted: { keyfile: certPaths.untrustedServerKey, certfile: certPaths.untrustedServerCert },
  wrongHost: { keyfile: certPaths.wrongHostServerKey, certfile: certPaths.wrongHostServerCert },
  expired: { keyfile: certPaths.expiredServerKey, certfile: certPaths.expiredServerCert },
};
