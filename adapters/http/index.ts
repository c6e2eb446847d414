// Public surface of the HTTP/1.1 request path: the keep-alive loop, its hooks, and the codec
// pieces other protocol paths may reuse (heads, framing, typed errors).
export { serveHttp1, type ClientSocket, type Http1CloseReason, type Http1Options, type Http1Summary } from './proxy/serve.js';
export type {
  ClientConnectionInfo,
  Http1Hooks,
  OriginBoundInfo,
  OriginErrorInfo,
  OriginFailure,
  RequestErrorInfo,
  ResponseInfo,
  RouteDecision,
  RouteRequest,
} from './hooks.js';
export { HttpError, isHttpError, type HttpErrorCode } from './h1/errors.js';
export { parseRequestHead, RequestHead, type RequestBody } from './h1/request-head.js';
export { parseResponseHead, ResponseHead, type ResponseBody } from './h1/response-head.js';
export { BodyFramer, type Framing } from './h1/body-framer.js';
