// Software keys (files) as a signer backend. Where the signature runs is `offload`: `libuv`
// (node:crypto's async sign on the libuv thread pool, the default: measured fastest, see
// docs/signers.md), `piscina` (a worker pool holding the keys), or `inline` (on the event loop:
// for benchmarks and tiny ECDSA-only setups).
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { Piscina } from 'piscina';
import { SignerError, unwrap, type TaskResult } from '../errors.js';
import type { BackendStatus, SignerBackend } from '../backend.js';
import type { KeyInfo } from '../keys.js';
import { nodeSignOptions, schemes, type SchemeName } from '../schemes.js';
import { createPool } from '../pool.js';
import { loadSoftwareKey, type SoftwareKeyConfig } from './keystore.js';
import type { SoftwareTask, SoftwareWorkerData } from './worker.js';

export type SoftwareOffload = 'libuv' | 'piscina' | 'inline';

export interface SoftwareBackendOptions {
  name: string;
  keys: SoftwareKeyConfig[];
  workers: number;
  offload?: SoftwareOffload;
}

export class SoftwareBackend implements SignerBackend {
  readonly kind = 'software' as const;
  readonly concurrency: number;
  readonly tokenLabel = undefined;
  readonly offload: SoftwareOffload;
  /** By label: two labels may name the same key (then they share an id, and a per-key slot). */
  private readonly keys = new Map<string, { info: KeyInfo; privateKey: KeyObject }>();
  private pool: Piscina | undefined;
  private current: BackendStatus = { state: 'starting', tokenPresent: true, loggedIn: true, reinits: 0 };
  private readonly listeners = new Set<(s: BackendStatus) => void>();

  constructor(private readonly options: SoftwareBackendOptions) {
    this.offload = options.offload ?? 'libuv';
    this.concurrency = options.workers;
  }

  async start(options: { waitReady?: boolean } = {}): Promise<void> {
    try {
      for (const config of this.options.keys) {
        const loaded = loadSoftwareKey(this.options.name, config);
        this.keys.set(loaded.info.label, loaded);
      }
    } catch (err) {
      const e = err instanceof SignerError ? err : new SignerError('internal', (err as Error).message);
      this.setStatus({ ...this.current, state: 'failed', lastError: { code: e.code, message: e.message, at: new Date().toISOString() } });
      if (options.waitReady) throw e;
      return;
    }
    if (this.offload === 'piscina') {
      const data: SoftwareWorkerData = {
        keys: [...new Map([...this.keys.values()].map((k) => [k.info.id, k.privateKey])).entries()].map(([id, key]) => ({ id, pkcs8: key.export({ type: 'pkcs8', format: 'der' }) })),
      };
      this.pool = createPool('software', this.options.workers, data);
    }
    this.setStatus({ ...this.current, state: 'ready' });
  }

  async listKeys(): Promise<KeyInfo[]> {
    return [...this.keys.values()].map((k) => ({ ...k.info, schemes: [...k.info.schemes] }));
  }

  async sign(key: KeyInfo, scheme: SchemeName, data: Uint8Array): Promise<Buffer> {
    const entry = this.keys.get(key.label);
    if (!entry || entry.info.id !== key.id) throw new SignerError('key_not_found', `signer ${this.options.name} has no key ${JSON.stringify(key.label)}`);
    if (this.current.state !== 'ready') throw new SignerError('signer_unavailable', `signer ${this.options.name} is ${this.current.state}`);
    const { algorithm, ...options } = nodeSignOptions(schemes[scheme]);
    switch (this.offload) {
      case 'inline':
        return cryptoSign(algorithm, data, { key: entry.privateKey, ...options });
      case 'libuv':
        return new Promise((resolve, reject) => {
          cryptoSign(algorithm, data, { key: entry.privateKey, ...options }, (err, signature) => {
            if (err) reject(new SignerError('internal', `sign failed: ${err.message}`));
            else resolve(signature);
          });
        });
      case 'piscina': {
        const task: SoftwareTask = { keyId: key.id, scheme, data };
        const result = (await this.pool!.run(task)) as TaskResult<Uint8Array>;
        return Buffer.from(unwrap(result));
      }
    }
  }

  status(): BackendStatus {
    return { ...this.current };
  }

  onStatus(listener: (s: BackendStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.setStatus({ ...this.current, state: 'closed' });
    await this.pool?.destroy();
    this.pool = undefined;
  }

  private setStatus(next: BackendStatus): void {
    const changed = next.state !== this.current.state;
    this.current = next;
    if (changed) for (const listener of this.listeners) listener(this.status());
  }
}
