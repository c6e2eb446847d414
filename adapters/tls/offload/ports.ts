// What the offload socket needs from the host besides the engine config: the signer (async) and,
// for stateful resumption, the session store. The connection/signer/session-store actors
// implement these over the bus; tests and the bench use in-process versions.
import type { TranscriptSigner } from '../crypto/software-signer.js';

export type { TranscriptSigner, SignRequest } from '../crypto/software-signer.js';

export interface SessionStorePort {
  /** The session bytes stored under `identity`, or undefined. Must settle; the socket also enforces the engine's deadline. */
  get(identity: Uint8Array, signal: AbortSignal): Promise<Uint8Array | undefined>;
  /** Stores a session (it holds the resumption PSK: seal it before it leaves the process). */
  put(identity: Uint8Array, session: Uint8Array, ttlMs: number, sni: string | null): void;
}

export interface OffloadPorts {
  readonly signer: TranscriptSigner;
  readonly sessions?: SessionStorePort;
}
