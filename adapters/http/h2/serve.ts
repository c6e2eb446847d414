// HTTP/2 on an established client connection (RFC 9113), when ALPN chose `h2`: Node's http2 session
// on the TLS socket the native engine produced (`http2.performServerHandshake`), each stream routed
// like an HTTP/1.1 request and proxied to an HTTP/1.1 origin (the exclusive pools) or an h2 origin
// (`protocols: [h2]`, the session pools). Requests run concurrently; every one is reported.
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { OriginRule } from '../../config/model.js';
import type { H2OriginPools } from '../../origin/h2-pool.js';
import type { OriginPools } from '../../origin/pool.js';
import type { ClientConnectionInfo, RouteDecision } from '../hooks.js';
import { clientAddressOf } from '../proxy/rewrite.js';
import { Exchange, type H2Context } from './exchange.js';
import { hostOf, type H2Request } from './headers.js';
import type { H2Hooks, H2RouteRequest } from './hooks.js';
import { H2ToH1Exchange } from './to-h1.js';
import { H2ToH2Exchange } from './to-h2.js';

export interface H2Options {
  /** Close the session (GOAWAY) after this long without frames. Default 60 s (limits.idle_timeout). */
  idleTimeoutMs?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS announced to the client. Default 128. */
  maxConcurrentStreams?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE (limits.max_header_size). Default 16 KiB. */
  maxHeaderListSize?: number;
  /** Largest response head from an HTTP/1.1 origin. Default 64 KiB. */
  maxResponseHeaderBytes?: number;
  /** `X-Forwarded-Proto`. Default `https`. */
  forwardedProto?: string;
  /** Fields derived from the client certificate, set on every request (`client_cert.forward_headers`). */
  clientCertFields?: ReadonlyArray<readonly [string, string]>;
}

export interface H2Origins {
  h1: OriginPools;
  /** Absent: rules with `protocols: [h2]` fall back to HTTP/1.1. */
  h2?: H2OriginPools | undefined;
}

export type H2CloseReason = 'client_closed' | 'idle_timeout' | 'protocol_error' | 'goaway';

export interface H2Summary {
  requests: number;
  reason: H2CloseReason;
}

/**
 * Serves HTTP/2 on `socket` (ALPN `h2`) until the session closes. Resolves (never rejects) once it
 * has; everything on the way is reported through `hooks`.
 */
export function serveH2(socket: Duplex, connection: ClientConnectionInfo, hooks: H2Hooks, origins: H2Origins, options: H2Options = {}): Promise<H2Summary> {
  return new Promise((resolve) => {
    const ctx: H2Context = {
      hooks,
      h1: origins.h1,
      h2: origins.h2,
      fwd: {
        clientAddress: clientAddressOf(connection.remoteAddress),
        proto: options.forwardedProto ?? 'https',
        via: '2 tlsedge',
        clientCertFields: options.clientCertFields ?? [],
      },
      maxResponseHead: options.maxResponseHeaderBytes ?? 65_536,
      viaH1: '1.1 tlsedge',
      viaH2: '2 tlsedge',
    };
    let requests = 0;
    let reason: H2CloseReason = 'client_closed';
    const session = http2.performServerHandshake(socket, {
      settings: {
        maxConcurrentStreams: options.maxConcurrentStreams ?? 128,
        maxHeaderListSize: options.maxHeaderListSize ?? 16_384,
        enablePush: false,
      },
    });
    session.setTimeout(options.idleTimeoutMs ?? 60_000, () => {
      reason = 'idle_timeout';
      session.close(); // GOAWAY; streams in flight may finish
    });
    session.on('error', () => {
      reason = 'protocol_error';
    });
    session.on('goaway', () => {
      if (reason === 'client_closed') reason = 'goaway';
    });
    session.on('close', () => resolve({ requests, reason }));
    session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      requests++;
      stream.on('error', () => undefined); // 'close' follows; the exchange reports it
      onStream(ctx, stream, headers, requests);
    });
  });
}

function onStream(ctx: H2Context, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, n: number): void {
  const method = String(headers[':method'] ?? '');
  const authority = String(headers[':authority'] ?? headers.host ?? '');
  const path = String(headers[':path'] ?? '');
  const req: H2Request = { method, path, authority, headers };
  if (method === 'CONNECT' || path === '') {
    // a reverse proxy does not tunnel (extended CONNECT is not offered: SETTINGS_ENABLE_CONNECT_PROTOCOL)
    local(ctx, stream, req, n, 501, 'unsupported_method');
    return;
  }
  const host = hostOf(authority);
  const route: H2RouteRequest = {
    request: n,
    method,
    path,
    host,
    authority,
    header: (name) => {
      const v = headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    },
  };
  let decision: RouteDecision;
  try {
    decision = ctx.hooks.route(route);
  } catch {
    local(ctx, stream, req, n, 500, 'route_failed');
    return;
  }
  if (decision.kind !== 'origin') {
    local(ctx, stream, req, n, decision.kind === 'misdirected' ? 421 : 404, undefined);
    return;
  }
  exchangeFor(ctx, stream, req, n, decision.rule, decision.sni, host).start();
}

/** HTTP/2 to the origin when the rule asks for it (and it has not refused h2 lately), else HTTP/1.1. */
function exchangeFor(ctx: H2Context, stream: ServerHttp2Stream, req: H2Request, n: number, rule: OriginRule, sni: string | undefined, host: string): Exchange {
  const h2 = ctx.h2;
  if (h2 && rule.protocols.includes('h2')) {
    const h1Allowed = rule.protocols.includes('http/1.1');
    if (!h1Allowed || !h2.refusedH2({ rule, host, sni })) return new H2ToH2Exchange(ctx, stream, req, n, rule, sni, host);
  }
  return new H2ToH1Exchange(ctx, stream, req, n, rule, sni, host);
}

/** A request tlsedge answers itself (404, 421, 501…). */
function local(ctx: H2Context, stream: ServerHttp2Stream, req: H2Request, n: number, status: number, code: 'unsupported_method' | 'route_failed' | undefined): void {
  if (code) {
    try {
      ctx.hooks.onRequestError?.({ request: n, code, status });
    } catch {
      // hooks must not break the stream
    }
  }
  new LocalAnswer(ctx, stream, req, n).answer(status);
}

class LocalAnswer extends Exchange {
  constructor(ctx: H2Context, stream: ServerHttp2Stream, req: H2Request, n: number) {
    super(ctx, stream, req, n, NO_RULE, undefined, '');
  }

  start(): void {}

  answer(status: number): void {
    this.respondLocal(status);
    // a body the answer does not need is read and dropped (flow control keeps it bounded per stream)
    if (!this.stream.endAfterHeaders) this.stream.resume();
    this.finish(status, true);
  }

  protected releaseOrigin(): void {}
}

const NO_RULE = { index: -1, timeouts: { responseMs: 0 } } as unknown as OriginRule;
