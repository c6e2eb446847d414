// What the origin pools (HTTP/1.1 and h2) tell their owner about connections they open and close,
// so the proxy can log and emit events without the pools knowing about either.
import type { OriginCloseReason } from './connection.js';
import type { OriginTarget } from './target.js';

export interface OriginPoolHooks {
  /** A permissive origin presented a certificate strict mode would refuse. */
  onVerifyFailure?(info: { originConnectionId: string; poolKey: string; address: string; port: number; sni: string | undefined; code: string }): void;
  /** The pool closed a connection (idle timeout, origin close, not reusable…). */
  onConnectionClosed?(info: { originConnectionId: string; poolKey: string; reason: OriginCloseReason; requests: number }): void;
}

/** Reports a new connection to `target` whose certificate failed verification (permissive mode), if it did. */
export function reportVerifyFailure(hooks: OriginPoolHooks, originConnectionId: string, target: OriginTarget, verifyError: string | undefined): void {
  if (verifyError === undefined) return;
  hooks.onVerifyFailure?.({
    originConnectionId,
    poolKey: target.shortKey,
    address: target.identity.address,
    port: target.identity.port,
    sni: target.servername,
    code: verifyError,
  });
}
