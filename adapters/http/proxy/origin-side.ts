// The origin side of an exchange as both request paths (HTTP/1.1 and h2) treat it: the facts
// reported when a request is bound, how a failure is answered and described, and which requests
// may be retried on a fresh connection.
import { errorCode, isOriginError } from '../../origin/errors.js';
import type { MissReason } from '../../origin/identity.js';
import { isHttpError } from '../h1/errors.js';
import type { OriginBoundInfo, OriginFailure } from '../hooks.js';

/** Methods a request may be retried with once nothing was received (RFC 9110 §9.2.2: idempotent). */
export const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** What a lease from either pool (an HTTP/1.1 connection or an h2 stream slot) says about the binding. */
export interface BindingFacts {
  readonly poolKey: string;
  readonly reused: boolean;
  readonly sni: string | undefined;
  readonly missReason: MissReason | undefined;
  readonly verifyError: string | undefined;
  readonly resumed: boolean;
}

/** The `onOriginBound` facts of request `request` bound through `lease` to connection `originConnectionId`. */
export function boundInfo(request: number, ruleIndex: number, lease: BindingFacts, originConnectionId: string, address: string, port: number, retry: boolean): OriginBoundInfo {
  return {
    request,
    ruleIndex,
    originConnectionId,
    poolKey: lease.poolKey,
    reused: lease.reused,
    sni: lease.sni,
    missReason: lease.missReason,
    verifyError: lease.verifyError,
    resumed: lease.resumed,
    address,
    port,
    retry,
  };
}

/** The failure `err` stands for, unless the caller already knows it (`code`). */
export function failureOf(err: unknown, code: OriginFailure | undefined): OriginFailure {
  return code ?? (isOriginError(err) ? err.code : 'origin_reset');
}

/** The status a failure is answered with: 504 when the origin is too slow, 503 when the pool is full, else 502 (RFC 9110 §15.6). */
export function statusFor(failure: OriginFailure): number {
  switch (failure) {
    case 'connect_timeout':
    case 'response_timeout':
      return 504;
    case 'pool_full':
    case 'queue_timeout':
      return 503;
    default:
      return 502;
  }
}

/** The parser, OpenSSL or system code behind a failure, for its event. */
export function failureDetail(err: unknown): string | undefined {
  return isHttpError(err) ? err.code : isOriginError(err) ? err.detail : errorCode(err);
}
