// Public surface of the origin side: the HTTP/1.1 connection pools, the HTTP/2 session pools, and the
// protocol-independent pieces they share (identity, pool keys, targets, connecting).
export { OriginPools, type AcquireRequest, type OriginLease, type OriginPoolsOptions, type OriginPoolStats } from './pool.js';
export type { OriginPoolHooks } from './hooks.js';
export { OriginConnection, type OriginCloseReason, type OriginHandler } from './connection.js';
export { OriginError, isOriginError, type OriginErrorCode } from './errors.js';
export { differenceOf, identityKeyOf, poolKeyOf, shortKeyOf, type MissReason, type OriginIdentity } from './identity.js';
export { identityFor, missReasonOf, OriginTargets, shortPoolKeyFor, sniFor, type OriginTarget } from './target.js';
export { H2OriginPools, H2OriginSession, type H2Lease, type H2OriginPoolsOptions } from './h2-pool.js';
export { connectOrigin, SessionCache, type ConnectedOrigin, type ConnectOptions } from './connect.js';
