// The connection actor's side of the offload engine (docs/offload.md): which engine a connection
// gets (the TLS 1.2 fallback rule), the port the proxy implements to run an offloaded handshake,
// and the facts that come back. Pure except for the port, so `replay` and tests can re-run it.
import type { Socket } from 'node:net';
import type { CertificateConfig } from '../../adapters/config/model.js';
import type { OffloadTlsSocket } from '../../adapters/tls/offload/socket.js';
import type { ConnectionEventData, HelloFacts } from './events.js';
import { matchCertificateName } from './names.js';
import type { PolicyDecision } from './policy.js';

/** Whether a policy terminates on the offload engine: `engine: offload`, or a certificate whose key is held by a signer. */
export function usesOffload(decision: Pick<PolicyDecision, 'rule' | 'certificate'>): boolean {
  return decision.rule.engine === 'offload' || decision.certificate?.key.kind === 'signer';
}

export type EnginePlan =
  | { readonly engine: 'native'; readonly certificate: CertificateConfig; readonly fallback: boolean }
  | { readonly engine: 'offload' }
  | { readonly engine: 'refuse'; readonly reason: 'protocol_version'; readonly message: string };

/**
 * The engine for one connection. Offload names speak TLS 1.3 only; a client that cannot (its hello
 * offers no 1.3) is served by the native engine when the rule allows TLS 1.2 and the name has a
 * software certificate — the selected certificate itself when its key is a file, otherwise another
 * certificate with a key file whose names cover the SNI — and otherwise gets `protocol_version`.
 */
export function planEngine(decision: PolicyDecision, hello: HelloFacts, certificates: readonly CertificateConfig[]): EnginePlan {
  const certificate = decision.certificate!;
  if (!usesOffload(decision)) return { engine: 'native', certificate, fallback: false };
  if (hello.offersTls13) return { engine: 'offload' };
  const rule = decision.rule;
  const name = rule.index < 0 ? 'the default sni rule' : `sni rule "${rule.match}"`;
  const offered = `the client offered TLS [${hello.versions.join(', ')}]`;
  if (rule.tls.min !== '1.2') return { engine: 'refuse', reason: 'protocol_version', message: `${offered}; ${name} allows TLS ${rule.tls.min}–${rule.tls.max}` };
  const software = softwareCertificate(certificate, hello.sni, certificates);
  if (software) return { engine: 'native', certificate: software, fallback: true };
  return {
    engine: 'refuse',
    reason: 'protocol_version',
    message: `${offered}; ${name} uses the offload engine (TLS 1.3 only) and ${hello.sni ?? 'this name'} has no certificate with a key file for TLS 1.2 (certificate ${certificate.id} is held by signer "${certificate.key.kind === 'signer' ? certificate.key.signer : '?'}")`,
  };
}

/** The certificate the native engine can serve for a TLS 1.2 client of an offload name, if any. */
export function softwareCertificate(selected: CertificateConfig, sni: string | null, certificates: readonly CertificateConfig[]): CertificateConfig | undefined {
  if (selected.key.kind === 'file') return selected;
  if (sni === null) return undefined;
  let wildcard: CertificateConfig | undefined;
  for (const cert of certificates) {
    if (cert === selected || cert.key.kind !== 'file') continue;
    for (const n of cert.names) {
      const how = matchCertificateName(n, sni);
      if (how === 'exact') return cert;
      if (how === 'wildcard') wildcard ??= cert;
    }
  }
  return wildcard;
}

/** What an offloaded handshake reports back to its connection actor, in order. */
export interface OffloadCallbacks {
  /** The engine waits for a signer (`handshake_offloaded`); the TCP socket is paused meanwhile. */
  offloaded(data: ConnectionEventData['handshake_offloaded']): void;
  /** The signer answered (`signature_completed`); the handshake resumes. */
  signed(data: ConnectionEventData['signature_completed']): void;
  /** The handshake completed; `socket` is what HTTP/1.1 or h2 now runs on. */
  secure(socket: OffloadTlsSocket, data: ConnectionEventData['handshake_completed']): void;
  /** The handshake failed (alert sent or received, signer failure, timeout, client gone). Exactly one of secure/failed fires. */
  failed(data: ConnectionEventData['handshake_failed']): void;
}

/** The offload engine as the proxy runs it (actors/proxy/offload-engine.ts). */
export interface OffloadPort {
  /** The engine for this connection (`planEngine` with the config's certificates). */
  plan(decision: PolicyDecision, hello: HelloFacts): EnginePlan;
  /**
   * Runs the handshake on `socket` (paused, no 'data' listener), whose first `peeked` bytes were
   * already read, under `decision`'s policy. Throws only for a policy it cannot serve (startup checks
   * make that rare); everything after is reported through `callbacks`.
   */
  accept(socket: Socket, peeked: Uint8Array, decision: PolicyDecision, hello: HelloFacts, callbacks: OffloadCallbacks): void;
}
