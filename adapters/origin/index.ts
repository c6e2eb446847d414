// Public surface of the origin side: the HTTP/1.1 connection pools, and the protocol-independent
// pieces (identity, pool keys, targets, connecting) an h2 client pool builds on.
export { OriginPools, type AcquireRequest, type OriginLease, type OriginPoolHooks, type OriginPoolsOptions, type OriginPoolStats } from './pool.js';
export { OriginConnection, type OriginCloseReason, type OriginHandler } from './connection.js';
export { OriginError, isOriginError, type OriginErrorCode } from './errors.js';
export { differenceOf, identityKeyOf, poolKeyOf, shortKeyOf, type MissReason, type OriginIdentity } from './identity.js';
export { OriginTargets, sniFor, type OriginTarget } from './target.js';
export { connectOrigin, SessionCache, type ConnectedOrigin, type ConnectOptions } from './connect.js';
