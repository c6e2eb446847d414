// The main-thread side of a PKCS#11 signer: a piscina pool whose workers own the sessions, and
// recovery. A token error makes the backend `unavailable`: requests fail fast while it re-opens
// with backoff. An absent token is looked for again; a device error that leaves the module
// suspect (the TPM went away) needs C_Finalize + C_Initialize, run through the module's gate so
// no other call of any signer on that module is in flight, after which every worker re-opens.
import type { Piscina } from 'piscina';
import { SignerError, type SignerErrorCode, type TaskResult } from '../errors.js';
import type { BackendStatus, GenerateKeyType, SignerBackend } from '../backend.js';
import type { KeyInfo } from '../keys.js';
import type { SchemeName } from '../schemes.js';
import { createPool } from '../pool.js';
import { moduleGate, type ModuleGate } from './module-gate.js';
import type { Pkcs11Task, Pkcs11WorkerData } from './worker.js';
import type { TokenConfig } from './token.js';

export interface Pkcs11BackendOptions {
  name: string;
  token: TokenConfig;
  workers: number;
  /** First and longest wait between re-open attempts while the token is unavailable. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

// Failures no re-open fixes: wait for the operator (a wrong PIN retried would lock the token).
const terminal = new Set<SignerErrorCode>(['bad_pin', 'pin_missing', 'module_error']);

/** A task without its generation (the gate adds it); distributive so each union member keeps its own fields. */
type Distribute<T> = T extends unknown ? Omit<T, 'generation'> : never;

export class Pkcs11Backend implements SignerBackend {
  readonly kind = 'pkcs11' as const;
  readonly concurrency: number;
  readonly tokenLabel: string | undefined;
  private readonly pool: Piscina;
  private readonly gate: ModuleGate;
  /** The current failure episode needs a module re-initialisation (not just a new look for the token). */
  private needsReinit = false;
  private current: BackendStatus = { state: 'starting', tokenPresent: false, loggedIn: false, reinits: 0 };
  private readonly listeners = new Set<(s: BackendStatus) => void>();
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];
  private recovery: Promise<void> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeRetry: (() => void) | undefined;

  constructor(private readonly options: Pkcs11BackendOptions) {
    this.concurrency = options.workers;
    this.tokenLabel = options.token.token;
    const data: Pkcs11WorkerData = { token: options.token };
    this.pool = createPool('pkcs11', options.workers, data);
    this.gate = moduleGate(options.token.module);
  }

  async start(options: { waitReady?: boolean } = {}): Promise<void> {
    const result = await this.run({ op: 'open' });
    if (result.ok) {
      this.becomeReady(result.value as { tokenPresent: boolean; loggedIn: boolean });
      return;
    }
    this.fail(result);
    if (options.waitReady) throw new SignerError(result.code, result.message);
  }

  async listKeys(): Promise<KeyInfo[]> {
    this.assertReady();
    const result = await this.run({ op: 'list' });
    if (!result.ok) throw this.fail(result);
    return (result.value as KeyInfo[]).map(reviveKey);
  }

  async sign(key: KeyInfo, scheme: SchemeName, data: Uint8Array): Promise<Buffer> {
    this.assertReady();
    const result = await this.run({ op: 'sign', key: { id: key.id, label: key.label }, scheme, data });
    if (!result.ok) throw this.fail(result);
    return Buffer.from(result.value as Uint8Array);
  }

  async generateKey(label: string, type: GenerateKeyType, id?: string): Promise<KeyInfo> {
    this.assertReady();
    const result = await this.run({ op: 'generate', label, type, ...(id ? { id } : {}) });
    if (!result.ok) throw this.fail(result);
    return reviveKey(result.value as KeyInfo);
  }

  async importKey(label: string, pkcs8: Buffer, certificate?: Buffer, id?: string): Promise<KeyInfo> {
    this.assertReady();
    const result = await this.run({ op: 'import', label, pkcs8, ...(certificate ? { certificate } : {}), ...(id ? { id } : {}) });
    if (!result.ok) throw this.fail(result);
    return reviveKey(result.value as KeyInfo);
  }

  async storeCertificate(key: KeyInfo, certificate: Buffer): Promise<void> {
    this.assertReady();
    const result = await this.run({ op: 'store-cert', key: { id: key.id, label: key.label }, certificate });
    if (!result.ok) throw this.fail(result);
  }

  status(): BackendStatus {
    return { ...this.current, ...(this.current.lastError ? { lastError: { ...this.current.lastError } } : {}) };
  }

  onStatus(listener: (s: BackendStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.current.state === 'closed') return;
    this.setStatus({ ...this.current, state: 'closed', loggedIn: false });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    await this.recovery;
    await this.idle();
    // No C_Finalize: the module may be shared with other signers of this process, and process
    // exit releases it. Destroying the pool ends the worker threads.
    await this.pool.destroy();
  }

  // ---- internals ----

  private assertReady(): void {
    const s = this.current;
    if (s.state === 'ready') return;
    if (s.state === 'closed') throw new SignerError('signer_unavailable', `signer ${this.options.name} is closed`);
    if (s.state === 'starting') throw new SignerError('signer_unavailable', `signer ${this.options.name} is starting`);
    const last = s.lastError;
    const code: SignerErrorCode = last?.code ?? 'signer_unavailable';
    const why = last ? last.message : 'token unavailable';
    throw new SignerError(code, s.state === 'unavailable' ? `signer ${this.options.name} is re-opening its token after: ${why}` : `signer ${this.options.name}: ${why}`);
  }

  private async run(task: Distribute<Pkcs11Task>): Promise<TaskResult<unknown>> {
    this.inflight++;
    const generation = await this.gate.enter();
    try {
      return await this.runOnPool({ ...task, generation } as Pkcs11Task);
    } finally {
      this.gate.leave();
      if (--this.inflight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async runOnPool(task: Pkcs11Task): Promise<TaskResult<unknown>> {
    try {
      return (await this.pool.run(task)) as TaskResult<unknown>;
    } catch (err) {
      return { ok: false, code: 'internal', message: `pkcs11 worker: ${(err as Error).message}` };
    }
  }

  private idle(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private becomeReady(health: { tokenPresent: boolean; loggedIn: boolean }): void {
    const { lastError } = this.current;
    this.setStatus({ state: 'ready', tokenPresent: health.tokenPresent, loggedIn: health.loggedIn, reinits: this.current.reinits, ...(lastError ? { lastError } : {}) });
  }

  /** Records a failure; starts recovery when the module needs it. Returns the error to throw. */
  private fail(result: { code: SignerErrorCode; message: string; reinit?: boolean }): SignerError {
    const error = new SignerError(result.code, result.message);
    const lastError = { code: result.code, message: result.message, at: new Date().toISOString() };
    if (this.current.state === 'closed') return error;
    if (terminal.has(result.code)) {
      this.setStatus({ ...this.current, state: 'failed', loggedIn: false, tokenPresent: result.code !== 'module_error' && this.current.tokenPresent, lastError });
    } else if (result.reinit || result.code === 'token_absent' || result.code === 'token_error' || this.current.state !== 'ready') {
      if (result.reinit) this.needsReinit = true;
      this.setStatus({ ...this.current, state: 'unavailable', loggedIn: false, tokenPresent: result.code !== 'token_absent', lastError });
      this.recovery ??= this.recover().finally(() => (this.recovery = undefined));
    } else {
      this.current = { ...this.current, lastError };
    }
    return error;
  }

  private async recover(): Promise<void> {
    const min = this.options.retryMinMs ?? 200;
    const max = this.options.retryMaxMs ?? 5000;
    for (let attempt = 0; this.current.state === 'unavailable'; attempt++) {
      let result: TaskResult<unknown>;
      if (this.needsReinit) {
        // C_Finalize + C_Initialize, alone on the module (every signer sharing it waits).
        result = await this.gate.exclusive((next) => this.runOnPool({ op: 'reinit', generation: next }));
        this.current = { ...this.current, reinits: this.current.reinits + 1 };
        if (result.ok || !result.reinit) this.needsReinit = false;
      } else {
        result = await this.run({ op: 'open' });
        if (!result.ok && result.reinit && result.code !== 'token_absent') this.needsReinit = true;
      }
      if (this.current.state !== 'unavailable') return; // closed meanwhile
      if (result.ok) {
        this.becomeReady(result.value as { tokenPresent: boolean; loggedIn: boolean });
        return;
      } else {
        const lastError = { code: result.code, message: result.message, at: new Date().toISOString() };
        if (terminal.has(result.code)) {
          this.setStatus({ ...this.current, state: 'failed', lastError });
          return;
        }
        this.setStatus({ ...this.current, state: 'unavailable', tokenPresent: result.code !== 'token_absent', lastError });
      }
      const delay = Math.min(max, min * 2 ** Math.min(attempt, 10));
      await new Promise<void>((resolve) => {
        this.wakeRetry = resolve;
        this.retryTimer = setTimeout(resolve, delay);
      });
      this.wakeRetry = undefined;
    }
  }

  private setStatus(next: BackendStatus): void {
    const changed = next.state !== this.current.state;
    this.current = next;
    if (changed) for (const listener of this.listeners) listener(this.status());
  }
}

/** Buffers come back from a worker as plain Uint8Arrays. */
function reviveKey(k: KeyInfo): KeyInfo {
  const out: KeyInfo = { ...k, schemes: [...k.schemes] };
  if (k.spki) out.spki = Buffer.from(k.spki);
  if (k.certificate) out.certificate = Buffer.from(k.certificate);
  return out;
}
