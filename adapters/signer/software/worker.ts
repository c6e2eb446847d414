// Piscina worker for software keys in `offload: piscina` mode: holds the signer's private keys
// (handed over once, in workerData) and signs synchronously on its own thread.
import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { workerData } from 'piscina';
import type { TaskResult } from '../errors.js';
import { nodeSignOptions, schemes, type SchemeName } from '../schemes.js';

export interface SoftwareWorkerData {
  keys: Array<{ id: string; pkcs8: Uint8Array }>;
}

export interface SoftwareTask {
  keyId: string;
  scheme: SchemeName;
  data: Uint8Array;
}

const keys = new Map<string, KeyObject>();
for (const k of (workerData as SoftwareWorkerData).keys) keys.set(k.id, createPrivateKey({ key: Buffer.from(k.pkcs8), format: 'der', type: 'pkcs8' }));

export default function run(task: SoftwareTask): TaskResult<Uint8Array> {
  const key = keys.get(task.keyId);
  if (!key) return { ok: false, code: 'key_not_found', message: `worker has no key ${task.keyId}` };
  try {
    const { algorithm, ...options } = nodeSignOptions(schemes[task.scheme]);
    return { ok: true, value: cryptoSign(algorithm, task.data, { key, ...options }) };
  } catch (err) {
    return { ok: false, code: 'internal', message: `sign failed: ${(err as Error).message}` };
  }
}
