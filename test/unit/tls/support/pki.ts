// Test PKI made with the openssl CLI once per test process: a server CA with ECDSA P-256, P-384,
// RSA-2048 and Ed25519 leaves, and a separate client CA with a client certificate.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../support/processes.js';

export type KeyKind = 'p256' | 'p384' | 'rsa2048' | 'ed25519';

export interface Issued {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
  /** Leaf then issuing CA, DER. */
  chain: Uint8Array[];
  key: KeyObject;
}

export interface TestPki {
  dir: string;
  caFile: string;
  caDer: Uint8Array;
  server: Record<KeyKind, Issued>;
  clientCaFile: string;
  clientCaDer: Uint8Array;
  client: Issued;
  /** Signed by a CA nobody trusts. */
  strangerClient: Issued;
  expiredClient: Issued;
}

let cached: TestPki | undefined;

const newKey: Record<KeyKind, string[]> = {
  p256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  rsa2048: ['-newkey', 'rsa:2048'],
  ed25519: ['-newkey', 'ed25519'],
};

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function der(pemFile: string): Uint8Array {
  return new Uint8Array(new X509Certificate(readFileSync(pemFile)).raw);
}

function makeCa(dir: string, name: string): string {
  openssl(
    ['req', '-x509', ...newKey.p256, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '3650', '-subj', `/CN=tlsedge ${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  return join(dir, `${name}.pem`);
}

function issue(dir: string, ca: string, name: string, kind: KeyKind, extra: string[] = []): Issued {
  openssl(['req', ...newKey[kind], '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  writeFileSync(
    join(dir, `${name}.ext`),
    'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,DNS:example.test,DNS:*.example.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-extfile', `${name}.ext`, ...(extra.length ? extra : ['-days', '3650'])], dir);
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const keyPem = readFileSync(keyFile, 'utf8');
  return {
    certFile,
    keyFile,
    certPem: readFileSync(certFile, 'utf8') + readFileSync(join(dir, `${ca}.pem`), 'utf8'),
    keyPem,
    chain: [der(certFile), der(join(dir, `${ca}.pem`))],
    key: createPrivateKey(keyPem),
  };
}

export function testPki(): TestPki {
  if (cached) return cached;
  const dir = tempDir('tlsedge-pki-');
  const caFile = makeCa(dir, 'server-ca');
  const clientCaFile = makeCa(dir, 'client-ca');
  makeCa(dir, 'stranger-ca');
  const server = {
    p256: issue(dir, 'server-ca', 'server-p256', 'p256'),
    p384: issue(dir, 'server-ca', 'server-p384', 'p384'),
    rsa2048: issue(dir, 'server-ca', 'server-rsa2048', 'rsa2048'),
    ed25519: issue(dir, 'server-ca', 'server-ed25519', 'ed25519'),
  };
  // openssl x509 cannot backdate with -days; -not_before/-not_after need 3.4, so a 1-day cert checked with a shifted clock stands in for "expired".
  cached = {
    dir,
    caFile,
    caDer: der(caFile),
    server,
    clientCaFile,
    clientCaDer: der(clientCaFile),
    client: issue(dir, 'client-ca', 'client-p256', 'p256'),
    strangerClient: issue(dir, 'stranger-ca', 'stranger-p256', 'p256'),
    expiredClient: issue(dir, 'client-ca', 'short-lived-p256', 'p256', ['-days', '1']),
  };
  return cached;
}
