// The contract between the HTTP/2 request path and its host (the connection actor): the same
// route decision and facts as HTTP/1.1 (adapters/http/hooks.ts), except that requests run
// concurrently, so every payload names its request and the route sees the request number.
import type { OriginBoundInfo, OriginErrorInfo, RequestErrorInfo, ResponseInfo, RouteDecision } from '../hooks.js';

/** What `route` sees of an h2 request. */
export interface H2RouteRequest {
  /** Request number on this client connection, from 1 (stream order). */
  readonly request: number;
  readonly method: string;
  /** `:path`: path and query. */
  readonly path: string;
  /** Host from `:authority` (or Host), without port, lowercased. */
  readonly host: string;
  /** `:authority` as sent. */
  readonly authority: string;
  header(name: string): string | undefined;
}

/** An h2 request bound to an origin: which protocol carries it there. */
export interface H2OriginBoundInfo extends OriginBoundInfo {
  protocol: 'http/1.1' | 'h2';
}

export interface H2Hooks {
  route(request: H2RouteRequest): RouteDecision;
  onOriginBound?(info: H2OriginBoundInfo): void;
  /** Exactly once per request, last: proxied, local (404, 421, 5xx) or aborted (status 0). */
  onResponse?(info: ResponseInfo): void;
  onOriginError?(info: OriginErrorInfo): void;
  onRequestError?(info: RequestErrorInfo): void;
}
