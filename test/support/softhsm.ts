// A throwaway SoftHSM2 token per test file, made by scripts/dev-softhsm.sh (the same steps the docs
// show). SOFTHSM2_CONF must reach process.env before the module's first C_Initialize in this process.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { missingFile, missingTools } from './requirements.js';
import { tempDir } from './processes.js';

const run = promisify(execFile);
const root = process.env.TLSEDGE_REPO_ROOT ?? new URL('../..', import.meta.url).pathname;

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  dir: string;
  module: string;
  token: string;
  pin: string;
  /** Environment the module needs (SOFTHSM2_CONF): pass as SignerConfig.env. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Skip reason when SoftHSM2 or pkcs11-tool is missing (a throw under TLSEDGE_REQUIRE_INTEGRATION=1). */
export function missingSoftHsm(): string | false {
  return missingTools('softhsm2-util', 'pkcs11-tool') || missingFile(SOFTHSM_MODULE, 'softhsm2');
}

export interface SoftHsmOptions {
  token?: string;
  pin?: string;
  /** dev-softhsm.sh KEYS: "label:type ..." (default: ec256, ec384, rsa2048, ed25519 with ids 01..04). */
  keys?: string;
}

export async function startSoftHsm(options: SoftHsmOptions = {}): Promise<SoftHsmToken> {
  const dir = join(tempDir('tlsedge-softhsm-'), 'token');
  const token = options.token ?? 'edge';
  const pin = options.pin ?? '1234';
  const env: NodeJS.ProcessEnv = { ...process.env, TOKEN: token, PIN: pin };
  if (options.keys !== undefined) env.KEYS = options.keys;
  await run(join(root, 'scripts/dev-softhsm.sh'), ['up', dir], { env });
  return {
    dir,
    module: SOFTHSM_MODULE,
    token,
    pin,
    env: { SOFTHSM2_CONF: join(dir, 'softhsm2.conf') },
    async stop() {
      await run(join(root, 'scripts/dev-softhsm.sh'), ['down', dir]);
    },
  };
}
