// Demo certificates: a throwaway CA and one certificate per demo name, kept in the state dir so a
// second `npm start` reuses them (and curl's --cacert keeps working).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDevCa, issueDevCertificate } from '../../adapters/x509/dev-pki.js';

export const DEMO_NAMES = ['localhost', 'a.localhost', 'b.localhost'] as const;

export interface DemoPki {
  dir: string;
  caFile: string;
  certs: Array<{ name: string; cert: string; key: string }>;
}

export async function ensureDemoPki(dir: string, progress: (line: string) => void): Promise<DemoPki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const certs = DEMO_NAMES.map((name) => ({ name, cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }));
  if (existsSync(caFile) && existsSync(caKey) && certs.every((c) => existsSync(c.cert) && existsSync(c.key))) {
    return { dir, caFile, certs };
  }
  progress(`creating a throwaway demo CA and certificates in ${dir}`);
  const ca = await createDevCa('tlsedge demo CA');
  writeFileSync(caFile, ca.certPem);
  writeFileSync(caKey, ca.keyPem, { mode: 0o600 });
  for (const c of certs) {
    const leaf = await issueDevCertificate(ca, { names: [c.name], ipAddresses: c.name === 'localhost' ? ['127.0.0.1'] : [] });
    writeFileSync(c.cert, leaf.certPem + ca.certPem);
    writeFileSync(c.key, leaf.keyPem, { mode: 0o600 });
  }
  return { dir, caFile, certs };
}
