// The port every signer backend implements (software keys, PKCS#11 tokens): list keys and sign
// one request, with a status the health check and the scheduler read. Admission control (queue,
// per-key limits, deadlines) is not a backend's job: Signer wraps every backend in a Scheduler.
import type { KeyInfo } from './keys.js';
import type { SchemeName } from './schemes.js';
import type { SignerErrorCode } from './errors.js';

export type BackendState =
  | 'starting' // first open in progress
  | 'ready' // signing
  | 'unavailable' // token absent or failed: re-opening with backoff, requests fail fast
  | 'failed' // will not recover by itself (wrong PIN, missing module): operator action needed
  | 'closed';

export interface BackendStatus {
  state: BackendState;
  tokenPresent: boolean;
  loggedIn: boolean;
  lastError?: { code: SignerErrorCode; message: string; at: string };
  /** Coordinated re-initialisations of the module since start. */
  reinits: number;
}

export type GenerateKeyType = 'ec-p256' | 'ec-p384' | 'rsa2048' | 'rsa3072' | 'ed25519';

export interface SignerBackend {
  readonly kind: 'software' | 'pkcs11';
  /** Operations the backend can run at once (its worker threads). */
  readonly concurrency: number;
  /** The token label, when there is one (for RFC 7512 URIs naming a token). */
  readonly tokenLabel: string | undefined;
  /** Opens the backend; with `waitReady`, rejects with the first failure instead of retrying in the background. */
  start(options?: { waitReady?: boolean }): Promise<void>;
  listKeys(): Promise<KeyInfo[]>;
  /** Signs `data` (the content; the backend hashes it) and returns the TLS-encoded signature. */
  sign(key: KeyInfo, scheme: SchemeName, data: Uint8Array): Promise<Buffer>;
  generateKey?(label: string, type: GenerateKeyType, id?: string): Promise<KeyInfo>;
  importKey?(label: string, pkcs8: Buffer, certificate?: Buffer, id?: string): Promise<KeyInfo>;
  storeCertificate?(key: KeyInfo, certificate: Buffer): Promise<void>;
  status(): BackendStatus;
  onStatus(listener: (status: BackendStatus) => void): () => void;
  close(): Promise<void>;
}
