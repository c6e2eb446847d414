// A throwaway TPM 2.0 token per test file: swtpm on loopback, a private D-Bus session, tpm2-abrmd
// and a tpm2-pkcs11 store, all made by scripts/dev-tpm.sh. Every daemon is stopped when the test
// process exits, even after a failed assertion (stop() is still the polite way).
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { missingFile, missingTools } from './requirements.js';
import { tempDir } from './processes.js';

const run = promisify(execFile);
const root = process.env.TLSEDGE_REPO_ROOT ?? new URL('../..', import.meta.url).pathname;
const script = join(root, 'scripts/dev-tpm.sh');

export const TPM2_PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so';

export interface TpmToken {
  dir: string;
  module: string;
  token: string;
  pin: string;
  /** TPM2_PKCS11_STORE, TPM2_PKCS11_TCTI, DBUS_SESSION_BUS_ADDRESS, ...: pass as SignerConfig.env. */
  env: Record<string, string>;
  /** Kills swtpm (the TPM "goes away"); abrmd and D-Bus stay. */
  killTpm(): Promise<void>;
  /** Starts swtpm again on the same ports with the same state. */
  restartTpm(): Promise<void>;
  stop(): Promise<void>;
}

export function missingTpm(): string | false {
  return missingTools('swtpm', 'tpm2-abrmd', 'tpm2_ptool', 'dbus-daemon', 'python3') || missingFile(TPM2_PKCS11_MODULE, 'libtpm2-pkcs11-1');
}

const live = new Set<string>();
process.on('exit', () => {
  for (const dir of live) {
    try {
      execFileSync(script, ['down', dir], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // best effort: the temp dir goes with the process anyway
    }
  }
});

/** Parses DIR/env (`export NAME='value'` lines) into an object. */
function readEnv(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)='?([^']*)'?$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export interface TpmOptions {
  token?: string;
  pin?: string;
  /** dev-tpm.sh KEYS: "label:algorithm ..." (default: ec256:ecc256 ec384:ecc384 rsa2048:rsa2048). */
  keys?: string;
}

export async function startTpm(options: TpmOptions = {}): Promise<TpmToken> {
  const dir = join(tempDir('tlsedge-tpm-'), 'tpm');
  const token = options.token ?? 'edge';
  const pin = options.pin ?? '1234';
  const env: NodeJS.ProcessEnv = { ...process.env, TOKEN: token, PIN: pin };
  if (options.keys !== undefined) env.KEYS = options.keys;
  live.add(dir);
  try {
    await run(script, ['up', dir], { env, timeout: 60_000 });
  } catch (err) {
    execFileSync(script, ['down', dir], { stdio: 'ignore' });
    live.delete(dir);
    throw err;
  }
  // tpm2-pkcs11 and ESYS log every TPM error to stderr; tests assert on codes instead.
  const moduleEnv = { ...readEnv(join(dir, 'env')), TSS2_LOG: 'all+NONE' };
  return {
    dir,
    module: TPM2_PKCS11_MODULE,
    token,
    pin,
    env: moduleEnv,
    async killTpm() {
      await run(script, ['stop-tpm', dir]);
    },
    async restartTpm() {
      await run(script, ['start-tpm', dir], { timeout: 30_000 });
    },
    async stop() {
      await run(script, ['down', dir], { timeout: 30_000 });
      live.delete(dir);
    },
  };
}
