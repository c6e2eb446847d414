// Public surface of the HTTP/2 request path: the session loop for h2 clients, its hooks, and the
// header conversions other paths may reuse.
export { serveH2, type H2CloseReason, type H2Options, type H2Origins, type H2Summary } from './serve.js';
export type { H2Hooks, H2OriginBoundInfo, H2RouteRequest } from './hooks.js';
export { CLIENT_CERT_FIELD_PREFIX, h1RequestHead, h2RequestHeaders, h2ResponseFromH1, h2ResponseFromH2, hostOf, type H2ForwardContext, type H2Request } from './headers.js';
export { ChunkedDecoder } from './chunked.js';
