// The signer's events (past-tense facts). They carry key ids, labels and schemes, never key
// material, PINs or the signed content. docs/events.md is generated from this file.
import type { SignerErrorCode } from '../../adapters/signer/errors.js';

export const SIGNER_EVENT_PREFIX = 'tlsedge.signer.';

export interface SignerEventData {
  signed: {
    requestId: string;
    signer: string;
    keyId: string;
    key: string;
    scheme: string;
    /** Receipt to reply, in milliseconds. */
    latencyMs: number;
    /** Of which: waiting for a slot (per-key concurrency, queue). */
    queuedMs: number;
    /** Of which: inside the backend (token or worker). */
    signMs: number;
  };
  failed: {
    requestId: string;
    signer: string;
    /** The key reference as requested (label, id: or URI without secrets). */
    key: string;
    scheme: string;
    /** The SignerError code: `queue_full`, `timeout`, `token_absent`, `key_not_found`, `bad_pin`, … */
    reason: SignerErrorCode;
    message: string;
    latencyMs: number;
  };
  token_unavailable: {
    signer: string;
    state: 'unavailable' | 'failed';
    reason: SignerErrorCode | 'unknown';
    message: string;
  };
  token_ready: {
    signer: string;
    keys: number;
    /** How many times the token was re-initialised after errors. */
    reinits: number;
  };
}

export type SignerFact = keyof SignerEventData;

export function signerEventType<F extends SignerFact>(fact: F): `tlsedge.signer.${F}` {
  return `${SIGNER_EVENT_PREFIX}${fact}` as `tlsedge.signer.${F}`;
}

export const signerEventCatalogue: Record<SignerFact, string> = {
  signed: 'A signature was produced.',
  failed: 'A sign request failed; `reason` is the SignerError code.',
  token_unavailable: "The signer's token became unusable (absent, device error, wrong PIN); requests fail fast until it is back.",
  token_ready: 'The token is usable (after start or a re-open).',
};
