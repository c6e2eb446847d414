// A Signer: one configured signer (software keys or a PKCS#11 token) behind admission control.
// This is what the signer actor serves over the bus and what `tlsedge keys|certs` use directly.
import type { CancelSignal } from '../../bus/cancel-signal.js';
import type { SignerConfig } from '../config/model.js';
import type { BackendStatus, GenerateKeyType, SignerBackend } from './backend.js';
import { SignerError } from './errors.js';
import { resolvePin } from './env.js';
import { parseKeyRef, selectKey } from './key-ref.js';
import type { KeyInfo } from './keys.js';
import { parsePkcs11Uri } from './pkcs11/uri.js';
import { Scheduler } from './scheduler.js';
import { isSchemeName, type SchemeName } from './schemes.js';

/** The SignerConfig fields a signer needs (the CLI builds one from flags). */
export type SignerSettings = Pick<SignerConfig, 'name' | 'type' | 'workers' | 'maxQueue' | 'perKeyConcurrency' | 'timeoutMs' | 'keys'> &
  Partial<Pick<SignerConfig, 'module' | 'token' | 'slot' | 'pinEnv' | 'pinFile' | 'uri' | 'offload'>>;

export interface SignRequest {
  /** Label, `id:<hex>` or `pkcs11:` URI. */
  key: string;
  scheme: string;
  /** The content to sign (e.g. RFC 8446 §4.4.3's 64 spaces ‖ context ‖ 0 ‖ transcript hash). */
  data: Uint8Array;
  /** Milliseconds the requester will wait; capped by the signer's `timeout`. */
  deadlineMs?: number;
  signal?: CancelSignal;
}

export interface SignResult {
  signature: Buffer;
  key: KeyInfo;
  scheme: SchemeName;
  /** Time waiting for a slot, and time in the backend, in milliseconds. */
  queuedMs: number;
  signMs: number;
}

export interface SignerStatus extends BackendStatus {
  name: string;
  kind: 'software' | 'pkcs11';
  keys: number;
  queued: number;
  running: number;
}

/** Lowest interval between key-list refreshes triggered by unknown key references. */
const REFRESH_MIN_MS = 1000;

export class Signer {
  private readonly scheduler: Scheduler;
  private keyList: KeyInfo[] = [];
  private lastRefresh = 0;
  private refreshing: Promise<void> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    readonly name: string,
    private readonly backend: SignerBackend,
    private readonly settings: Pick<SignerSettings, 'maxQueue' | 'perKeyConcurrency' | 'timeoutMs'>,
  ) {
    this.scheduler = new Scheduler({ concurrency: backend.concurrency, perKeyConcurrency: settings.perKeyConcurrency, maxQueue: settings.maxQueue });
    // A token that goes away fails waiting requests at once instead of at their deadlines.
    this.unsubscribe = backend.onStatus((s) => {
      if (s.state === 'unavailable' || s.state === 'failed') {
        this.scheduler.failQueued(new SignerError(s.lastError?.code ?? 'signer_unavailable', `signer ${name}: ${s.lastError?.message ?? s.state}`));
      } else if (s.state === 'ready') {
        void this.refreshKeys(true).catch(() => undefined);
      }
    });
  }

  get kind(): 'software' | 'pkcs11' {
    return this.backend.kind;
  }

  /** The PKCS#11 token label, when the signer has one. */
  get tokenLabel(): string | undefined {
    return this.backend.tokenLabel;
  }

  /** Opens the backend and reads the key list. With `waitReady` a failure rejects (CLI); otherwise it retries in the background (actor). */
  async start(options: { waitReady?: boolean } = {}): Promise<void> {
    await this.backend.start(options);
    if (this.backend.status().state === 'ready') {
      try {
        await this.refreshKeys(true);
      } catch (err) {
        if (options.waitReady) throw err;
      }
    }
  }

  async sign(request: SignRequest): Promise<SignResult> {
    const t0 = performance.now();
    if (!isSchemeName(request.scheme)) throw new SignerError('unsupported_scheme', `unknown signature scheme ${JSON.stringify(request.scheme)}`);
    const scheme = request.scheme;
    if (!(request.data instanceof Uint8Array) || request.data.length === 0 || request.data.length > 64 * 1024) {
      throw new SignerError('bad_request', 'data must be 1 byte to 64 KiB');
    }
    this.assertUsable();
    const key = await this.resolve(request.key);
    if (!key.schemes.includes(scheme)) {
      throw new SignerError('unsupported_scheme', `key ${JSON.stringify(key.label)} (${key.algorithm}) of signer ${this.name} cannot sign ${scheme}; it can: ${key.schemes.join(', ') || 'nothing'}`);
    }
    const budget = Math.min(request.deadlineMs ?? this.settings.timeoutMs, this.settings.timeoutMs);
    let started = 0;
    const signature = await this.scheduler.submit(
      key.id,
      () => {
        started = performance.now();
        return this.backend.sign(key, scheme, request.data);
      },
      { deadline: t0 + budget, ...(request.signal ? { signal: request.signal } : {}) },
    );
    const end = performance.now();
    return { signature, key, scheme, queuedMs: started - t0, signMs: end - started };
  }

  /** The keys this signer holds (refreshed from the token). */
  async keys(): Promise<KeyInfo[]> {
    this.assertUsable();
    await this.refreshKeys(true);
    return this.keyList.map((k) => ({ ...k }));
  }

  /** The key a reference names. Unknown names trigger at most one key-list refresh per second. */
  async resolve(ref: string): Promise<KeyInfo> {
    const selector = parseKeyRef(ref);
    try {
      return selectKey(this.keyList, selector, this.name, this.backend.tokenLabel);
    } catch (err) {
      if (!(err instanceof SignerError) || err.code !== 'key_not_found' || performance.now() - this.lastRefresh < REFRESH_MIN_MS) throw err;
      await this.refreshKeys(false);
      return selectKey(this.keyList, selector, this.name, this.backend.tokenLabel);
    }
  }

  async generateKey(label: string, type: GenerateKeyType, id?: string): Promise<KeyInfo> {
    if (!this.backend.generateKey) throw new SignerError('bad_request', `signer ${this.name} (${this.backend.kind}) cannot generate keys: software signers read key files`);
    this.assertUsable();
    const key = await this.backend.generateKey(label, type, id);
    await this.refreshKeys(true);
    return key;
  }

  async importKey(label: string, pkcs8: Buffer, certificate?: Buffer, id?: string): Promise<KeyInfo> {
    if (!this.backend.importKey) throw new SignerError('bad_request', `signer ${this.name} (${this.backend.kind}) cannot import keys: add the file to its keys list instead`);
    this.assertUsable();
    const key = await this.backend.importKey(label, pkcs8, certificate, id);
    await this.refreshKeys(true);
    return key;
  }

  async storeCertificate(key: KeyInfo, certificate: Buffer): Promise<void> {
    if (!this.backend.storeCertificate) throw new SignerError('bad_request', `signer ${this.name} (${this.backend.kind}) cannot store certificates`);
    await this.backend.storeCertificate(key, certificate);
    await this.refreshKeys(true);
  }

  /** Requests waiting for a slot and operations running: the hot-path part of `status()`, no copy. */
  get depth(): { readonly queued: number; readonly running: number } {
    return this.scheduler;
  }

  status(): SignerStatus {
    return { ...this.backend.status(), name: this.name, kind: this.backend.kind, keys: this.keyList.length, queued: this.scheduler.queued, running: this.scheduler.running };
  }

  onStatus(listener: (status: BackendStatus) => void): () => void {
    return this.backend.onStatus(listener);
  }

  async close(): Promise<void> {
    this.scheduler.close();
    this.unsubscribe();
    await this.scheduler.idle();
    await this.backend.close();
  }

  private assertUsable(): void {
    const s = this.backend.status();
    if (s.state === 'ready') return;
    const code = s.state === 'closed' || s.state === 'starting' ? 'signer_unavailable' : (s.lastError?.code ?? 'signer_unavailable');
    const why = s.lastError?.message ?? s.state;
    throw new SignerError(code, s.state === 'unavailable' ? `signer ${this.name} is re-opening its token after: ${why}` : `signer ${this.name} is ${s.state}${s.lastError ? `: ${why}` : ''}`);
  }

  /** Re-reads the key list; concurrent callers share one read (`force` waits for a fresh one). */
  private async refreshKeys(force: boolean): Promise<void> {
    if (this.refreshing) {
      await this.refreshing.catch(() => undefined);
      if (!force) return;
    }
    const read = (async () => {
      this.lastRefresh = performance.now();
      this.keyList = await this.backend.listKeys();
    })();
    this.refreshing = read;
    try {
      await read;
    } finally {
      if (this.refreshing === read) this.refreshing = undefined;
    }
  }
}

/** Builds a Signer from its settings (loading pkcs11js / piscina only for the backend in use). */
export async function createSigner(settings: SignerSettings): Promise<Signer> {
  const limits = { maxQueue: settings.maxQueue, perKeyConcurrency: settings.perKeyConcurrency, timeoutMs: settings.timeoutMs };
  if (settings.type === 'software') {
    const { SoftwareBackend } = await import('./software/backend.js');
    const backend = new SoftwareBackend({ name: settings.name, keys: settings.keys, workers: settings.workers, ...(settings.offload ? { offload: settings.offload } : {}) });
    return new Signer(settings.name, backend, limits);
  }
  const fromUri = settings.uri !== undefined ? parsePkcs11Uri(settings.uri) : {};
  const module = settings.module ?? fromUri.modulePath;
  if (module === undefined) throw new SignerError('module_error', `signer ${settings.name}: no PKCS#11 module (set module, or module-path in the uri)`);
  const token = settings.token ?? fromUri.token;
  const slot = settings.slot ?? fromUri.slotId;
  if (token === undefined && slot === undefined) throw new SignerError('token_absent', `signer ${settings.name}: name the token (token, slot, or token= in the uri)`);
  const pin = resolvePin(settings) ?? fromUri.pinValue;
  const { Pkcs11Backend } = await import('./pkcs11/backend.js');
  const backend = new Pkcs11Backend({
    name: settings.name,
    workers: settings.workers,
    token: { module, ...(token !== undefined ? { token } : {}), ...(slot !== undefined ? { slot } : {}), ...(pin !== undefined ? { pin } : {}) },
  });
  return new Signer(settings.name, backend, limits);
}
