// Which system tools an integration suite needs. A missing tool skips the suite with the apt-get
// command that provides it; under CI (TLSEDGE_REQUIRE_INTEGRATION=1) it fails the suite instead.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Tool → Debian package that provides it. */
const packages: Record<string, string> = {
  'nats-server': 'nats-server',
  openssl: 'openssl',
  curl: 'curl',
  'gnutls-cli': 'gnutls-bin',
  apache2: 'apache2',
  nginx: 'nginx',
  'softhsm2-util': 'softhsm2',
  swtpm: 'swtpm swtpm-tools',
  'tpm2-abrmd': 'tpm2-abrmd libtss2-tcti-tabrmd0',
  tpm2_ptool: 'libtpm2-pkcs11-tools libtpm2-pkcs11-1',
  'dbus-daemon': 'dbus',
  wrk: 'wrk',
};

const extraDirs = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

/** Absolute path of `tool` on PATH (plus sbin dirs), or undefined. */
export function which(tool: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const integrationRequired = process.env.TLSEDGE_REQUIRE_INTEGRATION === '1';

/**
 * `false` when every tool is present; otherwise the skip reason naming the install command.
 * Throws instead when CI requires integration suites to run.
 */
export function missingTools(...tools: string[]): string | false {
  const missing = tools.filter((t) => which(t) === undefined);
  if (missing.length === 0) return false;
  const pkgs = [...new Set(missing.map((t) => packages[t] ?? t))].join(' ');
  const reason = `needs ${missing.join(', ')}: sudo apt-get install -y ${pkgs}`;
  if (integrationRequired) throw new Error(`integration suite cannot run (${reason}); TLSEDGE_REQUIRE_INTEGRATION=1 forbids skipping`);
  return reason;
}

/** `false` when `path` exists (e.g. a PKCS#11 module), else a skip reason (or a throw under CI). */
export function missingFile(path: string, pkg: string): string | false {
  try {
    accessSync(path, constants.R_OK);
    return false;
  } catch {
    const reason = `needs ${path}: sudo apt-get install -y ${pkg}`;
    if (integrationRequired) throw new Error(`integration suite cannot run (${reason}); TLSEDGE_REQUIRE_INTEGRATION=1 forbids skipping`);
    return reason;
  }
}
