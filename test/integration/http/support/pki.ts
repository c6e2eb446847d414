// A throwaway CA and leaf certificates made with the openssl CLI for HTTP and origin-pool tests
// (EC P-256, names and IPs as subjectAltName).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../support/processes.js';

export interface TestCert {
  cert: string;
  key: string;
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  dir: string;
  ca: TestCert;
  issue(name: string, options?: { dns?: string[]; ips?: string[]; usage?: 'serverAuth' | 'clientAuth' }): TestCert;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestPki(commonName = 'tlsedge test CA'): TestPki {
  const dir = tempDir('tlsedge-pki-');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', `/CN=${commonName}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const load = (base: string): TestCert => ({
    cert: join(dir, `${base}.pem`),
    key: join(dir, `${base}.key`),
    certPem: readFileSync(join(dir, `${base}.pem`), 'utf8'),
    keyPem: readFileSync(join(dir, `${base}.key`), 'utf8'),
  });
  let serial = 0;
  return {
    dir,
    ca: load('ca'),
    issue(name, options = {}) {
      const base = `leaf-${++serial}`;
      const dns = options.dns ?? [name];
      const sans = [...dns.map((d) => `DNS:${d}`), ...(options.ips ?? []).map((ip) => `IP:${ip}`)].join(',');
      writeFileSync(join(dir, `${base}.ext`), `subjectAltName=${sans}\nextendedKeyUsage=${options.usage ?? 'serverAuth'}\nbasicConstraints=CA:FALSE\n`);
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${base}.pem`, '-days', '30', '-extfile', `${base}.ext`], dir);
      return load(base);
    },
  };
}
