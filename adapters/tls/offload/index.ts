// Public surface of the offload engine for the rest of tlsedge (listener, connection actor, bench).
export { OffloadTlsSocket, type OffloadSocketOptions } from './socket.js';
export { HandshakePacer, sharedHandshakePacer, DEFAULT_HANDSHAKE_SLICE_MS } from './handshake-pacer.js';
export { OffloadServer, routeByAlpn } from './server.js';
export { OffloadTlsError, type OffloadErrorCode } from './errors.js';
export type { OffloadPorts, SessionStorePort, TranscriptSigner, SignRequest } from './ports.js';
export { createServer as createEngine, handle } from '../engine/server/handle.js';
export type { ServerConfig, PolicySelector, EngineLimits } from '../engine/server/config.js';
export type { EngineInput, EngineOutput, HandshakeCompleted } from '../engine/server/io.js';
export { serverPolicy, schemesFor, type ServerPolicy, type CertifiedKey, type SigningKey, type ClientAuthPolicy, type TicketPolicy } from '../engine/server/policy.js';
export type { TicketPort } from '../engine/server/ports.js';
export { NodeCryptoProvider } from '../crypto/node-provider.js';
export { softwareSigner, describeKey, loadPrivateKey, SignerError } from '../crypto/software-signer.js';
export { TicketKeyRing } from '../crypto/ticket-keys.js';
