// Public surface of the ClientHello peek layer (what the listener and connection actor import).
export { ClientHelloPeeker, peekClientHello, DEFAULT_MAX_HELLO_BYTES, type PeekOptions, type PeekResult } from './peek.js';
export { helloFacts, offeredVersions, type HelloFacts } from './facts.js';
export { ja4, ja4Raw, type Ja4Transport } from './ja4.js';
export { looksLikeHttp, sniffHttp, type HttpSniff } from './http-sniff.js';
export { decodeClientHello, type ClientHello } from '../wire/client-hello.js';
export { TlsError, isTlsError, type TlsErrorCode } from '../wire/errors.js';
