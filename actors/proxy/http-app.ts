// The application layer of an established client connection: HTTP/1.1 through the lean request
// path (adapters/http), with routing decisions and per-request facts bridged to the connection
// actor (which records them as events) and to the proxy's metrics.
import type { TLSSocket } from 'node:tls';
import type { TlsedgeConfig } from '../../adapters/config/model.js';
import type { Http1Hooks, OriginBoundInfo, OriginErrorInfo, RequestErrorInfo, ResponseInfo, RouteDecision, RouteRequest } from '../../adapters/http/hooks.js';
import { serveHttp1, type Http1Options } from '../../adapters/http/proxy/serve.js';
import type { OriginPools } from '../../adapters/origin/pool.js';
import type { PolicySelector } from '../connection/policy.js';
import type { ApplicationLayer, EstablishedConnection, RequestReporter } from '../connection/ports.js';
import { routeRequest } from '../connection/routing.js';
import type { ProxyMetrics } from './metrics.js';

export class HttpApplication implements ApplicationLayer {
  private readonly h1Options: Http1Options;

  constructor(
    private readonly config: TlsedgeConfig,
    private readonly pools: OriginPools,
    private readonly policies: PolicySelector,
    private readonly metrics: ProxyMetrics,
  ) {
    this.h1Options = { idleTimeoutMs: config.limits.idleTimeoutMs, maxHeaderBytes: config.limits.maxHeaderBytes };
  }

  serve(socket: TLSSocket, connection: EstablishedConnection, reporter: RequestReporter): void {
    const hooks = new RequestFacts(this.config, this.policies, connection, reporter, this.metrics);
    void serveHttp1(
      socket,
      { id: connection.id, remoteAddress: connection.remoteAddress, remotePort: connection.remotePort, sni: connection.sni ?? undefined, alpn: connection.alpn ?? undefined, tlsVersion: connection.tlsVersion },
      hooks,
      this.pools,
      this.h1Options,
    );
  }
}

/** Per-connection bridge from request-path hooks to events and metrics. */
class RequestFacts implements Http1Hooks {
  /** The request being routed/bound (HTTP/1.1 handles one at a time). */
  private method = '';
  private host = '';
  private path = '';

  constructor(
    private readonly config: TlsedgeConfig,
    private readonly policies: PolicySelector,
    private readonly connection: EstablishedConnection,
    private readonly reporter: RequestReporter,
    private readonly metrics: ProxyMetrics,
  ) {}

  route(request: RouteRequest): RouteDecision {
    const host = request.host || this.connection.sni || '';
    const query = request.path.indexOf('?');
    this.method = request.method;
    this.host = host;
    this.path = query < 0 ? request.path : request.path.slice(0, query);
    // A Host whose policy differs from the one this connection was negotiated under is not served
    // here (RFC 9110 §15.5.20): never the other name's weaker TLS policy (no client certificate…).
    if (host !== (this.connection.sni ?? '') && this.policies.select(host).facts.policyId !== this.connection.policy.facts.policyId) {
      return { kind: 'misdirected' };
    }
    const route = routeRequest(this.config, host, this.path);
    return route ? { kind: 'origin', rule: route.rule } : { kind: 'not_found' };
  }

  onOriginBound(info: OriginBoundInfo): void {
    const rule = this.config.origins[info.ruleIndex]!;
    const data: Parameters<RequestReporter['originBound']>[0] = {
      request: info.request,
      method: this.method,
      host: this.host,
      path: this.path,
      rule: info.ruleIndex,
      origin: rule.to.url,
      poolKey: info.poolKey,
      reused: info.reused,
      originConnection: info.originConnectionId,
      sniSent: info.sni ?? null,
    };
    if (info.missReason) data.missReason = info.missReason;
    if (info.resumed) data.resumed = true;
    if (info.verifyError) data.verifyError = info.verifyError;
    this.reporter.originBound(data);
  }

  onResponse(info: ResponseInfo): void {
    if (info.local) {
      if (info.status === 404 || info.status === 421) {
        this.reporter.requestRefused({ request: info.request, status: info.status, reason: info.status === 404 ? 'no_route' : 'misdirected', host: this.host, path: this.path });
      }
      return; // origin failures and malformed requests are reported by their own hooks
    }
    this.reporter.requestCompleted({ request: info.request, status: info.status, bytesIn: info.requestBytes, bytesOut: info.responseBytes, durationMs: Math.round(info.totalMs * 1000) / 1000 });
    this.metrics.originRequest(info);
  }

  onOriginError(info: OriginErrorInfo): void {
    const rule = this.config.origins[info.ruleIndex];
    this.reporter.originFailed({
      request: info.request,
      status: (info.status || 502) as 502 | 503 | 504,
      reason: info.code,
      origin: rule?.to.url ?? '',
      message: info.detail ?? info.code,
    });
    this.metrics.originFailure(info.status || 502);
  }

  onRequestError(info: RequestErrorInfo): void {
    this.reporter.requestRefused({ request: info.request, status: info.status, reason: info.code, host: this.host, path: this.path });
  }
}
