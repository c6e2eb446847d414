// Piscina worker for one PKCS#11 signer: every module call of that signer runs here, off the
// event loop. Each thread keeps its own session; results are tagged (no classes cross threads).
import { setPriority } from 'node:os';
import { workerData } from 'piscina';
import { SignerError, type TaskResult } from '../errors.js';
import type { SchemeName } from '../schemes.js';
import { classify, Pkcs11Token, type GenerateType, type TokenConfig } from './token.js';

export type Pkcs11Task =
  | { op: 'open'; generation: number }
  | { op: 'reinit'; generation: number }
  | { op: 'health'; generation: number }
  | { op: 'list'; generation: number }
  | { op: 'sign'; generation: number; key: { id: string; label: string }; scheme: SchemeName; data: Uint8Array }
  | { op: 'generate'; generation: number; label: string; type: GenerateType; id?: string }
  | { op: 'import'; generation: number; label: string; pkcs8: Uint8Array; certificate?: Uint8Array; id?: string }
  | { op: 'store-cert'; generation: number; key: { id: string; label: string }; certificate: Uint8Array };

export interface Pkcs11WorkerData {
  token: TokenConfig;
}

/** Nice value of PKCS#11 worker threads (0 normal … 19 lowest). */
export const WORKER_NICE = 10;

// A slow token's library (tpm2-pkcs11: 5–10 ms of CPU per signature) must not take the core from
// the proxy's event loop. On Linux the nice value is per thread and setpriority(PRIO_PROCESS, 0)
// changes only the calling thread (setpriority(2), NOTES), so this lowers this worker alone; on
// other systems it would renice the whole process, so it is Linux-only.
if (process.platform === 'linux') {
  try {
    setPriority(0, WORKER_NICE);
  } catch {
    // not permitted (e.g. RLIMIT_NICE): run at normal priority
  }
}

const token = new Pkcs11Token((workerData as Pkcs11WorkerData).token);

async function perform(task: Pkcs11Task): Promise<unknown> {
  switch (task.op) {
    case 'open':
      token.ensure(task.generation);
      return token.health(task.generation);
    case 'reinit':
      token.reinit(task.generation);
      return token.health(task.generation);
    case 'health':
      return token.health(task.generation);
    case 'list':
      return token.list(task.generation);
    case 'sign':
      return token.sign(task.generation, task.key, task.scheme, task.data);
    case 'generate':
      return token.generate(task.generation, task.label, task.type, task.id);
    case 'import':
      return token.importKey(task.generation, task.label, Buffer.from(task.pkcs8), task.certificate ? Buffer.from(task.certificate) : undefined, task.id);
    case 'store-cert':
      return token.storeCertificate(task.generation, task.key, Buffer.from(task.certificate));
  }
}

export default async function run(task: Pkcs11Task): Promise<TaskResult<unknown>> {
  try {
    return { ok: true, value: await perform(task) };
  } catch (err) {
    if (err instanceof SignerError && !('reinit' in err)) return { ok: false, code: err.code, message: err.message };
    const failure = classify(err, task.op);
    return { ok: false, code: failure.code, message: failure.message, reinit: failure.reinit };
  }
}

