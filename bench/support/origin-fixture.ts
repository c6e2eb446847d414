// What the proxy benchmarks serve: an ECDSA P-256 certificate for one name, and an nginx origin
// with a 100-byte and a 1 MiB file, in a fresh directory.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevCa, issueDevCertificate } from '../../adapters/x509/dev-pki.js';
import { freePort } from '../../test/support/processes.js';
import { startNginx, type Nginx } from './nginx.js';

export interface OriginFixture {
  dir: string;
  /** Leaf then CA, PEM. */
  certFile: string;
  keyFile: string;
  originPort: number;
  /** Serves `/100b` and `/1m` from `dir`. */
  origin: Nginx;
}

export async function startOriginFixture(name: string, originCore: number, prefix: string): Promise<OriginFixture> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ca = await createDevCa('bench CA');
  const leaf = await issueDevCertificate(ca, { names: [name], keyType: 'ec-p256' });
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, leaf.certPem + ca.certPem);
  writeFileSync(keyFile, leaf.keyPem);
  writeFileSync(join(dir, '100b'), 'x'.repeat(99) + '\n');
  writeFileSync(join(dir, '1m'), Buffer.alloc(1 << 20, 0x61));
  const originPort = await freePort();
  const origin = await startNginx(originCore, `server { listen 127.0.0.1:${originPort}; keepalive_requests 1000000; root ${dir}; location / { } }`, [originPort]);
  return { dir, certFile, keyFile, originPort, origin };
}
