// Test certificates on disk: a CA and leaves made in-process (adapters/x509/dev-pki), written to a
// temp dir as PEM files that configs, servers and clients can point at.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDevCa, issueDevCertificate, type DevKeyType, type IssuedCertificate } from '../../adapters/x509/dev-pki.js';
import { tempDir } from './processes.js';

export interface TestCa {
  dir: string;
  ca: IssuedCertificate;
  caFile: string;
  /** Issues a leaf and writes `<label>.pem` (leaf + CA chain) and `<label>.key`. */
  issue(label: string, options: { names: string[]; keyType?: DevKeyType; usages?: Array<'serverAuth' | 'clientAuth'>; ipAddresses?: string[] }): Promise<TestLeaf>;
}

export interface TestLeaf extends IssuedCertificate {
  certFile: string;
  keyFile: string;
  /** Just the leaf, without the chain. */
  leafFile: string;
}

export async function createTestCa(name = 'tlsedge test CA', dir = tempDir('tlsedge-pki-')): Promise<TestCa> {
  const ca = await createDevCa(name);
  const caFile = join(dir, `${name.replace(/\W+/g, '-')}.pem`);
  writeFileSync(caFile, ca.certPem);
  return {
    dir,
    ca,
    caFile,
    async issue(label, options) {
      const leaf = await issueDevCertificate(ca, { names: options.names, ...(options.keyType ? { keyType: options.keyType } : {}), ...(options.usages ? { usages: options.usages } : {}), ...(options.ipAddresses ? { ipAddresses: options.ipAddresses } : {}) });
      const certFile = join(dir, `${label}.pem`);
      const leafFile = join(dir, `${label}.leaf.pem`);
      const keyFile = join(dir, `${label}.key`);
      writeFileSync(certFile, leaf.certPem + ca.certPem);
      writeFileSync(leafFile, leaf.certPem);
      writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
      return { ...leaf, certFile, keyFile, leafFile };
    },
  };
}
