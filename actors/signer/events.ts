// The signer's events (past-tense facts). They carry key ids, labels and schemes, never key
// material, PINs or the signed content. docs/signers.md lists them from this file.
import type { SignerErrorCode } from '../../adapters/signer/errors.js';

export const SignerEventType = {
  /** A signature was produced. */
  signed: 'tlsedge.signer.signed',
  /** A sign request failed; `reason` is the SignerError code. */
  failed: 'tlsedge.signer.failed',
  /** The signer's token became unusable (absent, device error, wrong PIN). */
  tokenUnavailable: 'tlsedge.signer.token_unavailable',
  /** The token is usable again (after start or a re-open). */
  tokenReady: 'tlsedge.signer.token_ready',
} as const;

export interface SignedData {
  requestId: string;
  signer: string;
  keyId: string;
  key: string;
  scheme: string;
  /** Receipt to reply, and the parts of it: waiting for a slot, inside the backend. */
  latencyMs: number;
  queuedMs: number;
  signMs: number;
}

export interface FailedData {
  requestId: string;
  signer: string;
  /** The key reference as requested (label, id: or URI without secrets). */
  key: string;
  scheme: string;
  reason: SignerErrorCode;
  message: string;
  latencyMs: number;
}

export interface TokenUnavailableData {
  signer: string;
  state: 'unavailable' | 'failed';
  reason: SignerErrorCode | 'unknown';
  message: string;
}

export interface TokenReadyData {
  signer: string;
  keys: number;
  reinits: number;
}
