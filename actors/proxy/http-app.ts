// The application layer of an established client connection: HTTP/1.1 through the lean request
// path (adapters/http), or HTTP/2 when ALPN chose h2 (adapters/http/h2), with routing decisions and
// per-request facts bridged to the connection actor (which records them as events) and to the
// proxy's metrics. Both protocols apply the same misdirected-request rule and client-cert fields.
import type { TLSSocket } from 'node:tls';
import type { TlsedgeConfig } from '../../adapters/config/model.js';
import type { ClientConnectionInfo, Http1Hooks, OriginBoundInfo, OriginErrorInfo, RequestErrorInfo, ResponseInfo, RouteDecision } from '../../adapters/http/hooks.js';
import { serveH2, type H2Options } from '../../adapters/http/h2/serve.js';
import type { H2Hooks, H2OriginBoundInfo, H2RouteRequest } from '../../adapters/http/h2/hooks.js';
import { awaitFirstBytes } from '../../adapters/http/proxy/first-bytes.js';
import { serveHttp1, type Http1Options } from '../../adapters/http/proxy/serve.js';
import { H2OriginPools } from '../../adapters/origin/h2-pool.js';
import type { OriginPools } from '../../adapters/origin/pool.js';
import type { ClientCertRefusal } from '../connection/client-cert.js';
import type { PolicySelector } from '../connection/policy.js';
import type { ApplicationLayer, EstablishedConnection, RequestReporter } from '../connection/ports.js';
import { routeRequest } from '../connection/routing.js';
import { clientCertFieldLines, clientCertFields, refuseForClientCert } from './client-cert.js';
import type { ProxyMetrics } from './metrics.js';

export class HttpApplication implements ApplicationLayer {
  private readonly h1Options: Http1Options & { idleTimeoutMs: number };
  private readonly h2Options: H2Options;
  /** HTTP/2 sessions to origins with `protocols: [h2]`; shares address, material and TLS session caches with `pools`. */
  readonly h2Pools: H2OriginPools;

  constructor(
    private readonly config: TlsedgeConfig,
    private readonly pools: OriginPools,
    private readonly policies: PolicySelector,
    private readonly metrics: ProxyMetrics,
    h2Pools?: H2OriginPools,
  ) {
    this.h1Options = { idleTimeoutMs: config.limits.idleTimeoutMs, maxHeaderBytes: config.limits.maxHeaderBytes };
    this.h2Options = { idleTimeoutMs: config.limits.idleTimeoutMs, maxHeaderListSize: config.limits.maxHeaderBytes };
    this.h2Pools = h2Pools ?? new H2OriginPools({ targets: pools.targets, sessions: pools.sessions });
  }

  serve(socket: TLSSocket, connection: EstablishedConnection, reporter: RequestReporter): void {
    if (connection.alpn === 'h2') {
      const forward = this.forwardedCertFields(connection);
      const hooks = new H2RequestFacts(this.config, this.policies, connection, reporter, this.metrics);
      void serveH2(socket, connectionInfo(connection), hooks, { h1: this.pools, h2: this.h2Pools }, forward ? { ...this.h2Options, clientCertFields: forward } : this.h2Options);
      return;
    }
    // HTTP/1.1 state is built when the first request bytes arrive (first-bytes.ts says why).
    awaitFirstBytes(socket, this.h1Options, (initialData, waitedMs) => {
      const forward = this.forwardedCertFields(connection);
      const hooks = new RequestFacts(this.config, this.policies, connection, reporter, this.metrics);
      // the first head must complete within idle_timeout of the handshake, not of its first byte
      const first = { initialData, firstHeadWithinMs: this.h1Options.idleTimeoutMs - waitedMs };
      const options: Http1Options = forward ? { ...this.h1Options, extraRequestFields: clientCertFieldLines(forward), ...first } : { ...this.h1Options, ...first };
      void serveHttp1(socket, connectionInfo(connection), hooks, this.pools, options);
    });
  }

  private forwardedCertFields(connection: EstablishedConnection): ReturnType<typeof clientCertFields> | undefined {
    return connection.policy.rule.clientCert.forwardHeaders ? clientCertFields(connection.clientCert) : undefined;
  }

  refuse(socket: TLSSocket, alpn: string | null, refusal: ClientCertRefusal): void {
    refuseForClientCert(socket, alpn, refusal);
  }

  /** Closes the HTTP/2 origin sessions (the HTTP/1.1 pools are closed by their owner). */
  close(): void {
    this.h2Pools.close();
  }
}

function connectionInfo(connection: EstablishedConnection): ClientConnectionInfo {
  return { id: connection.id, remoteAddress: connection.remoteAddress, remotePort: connection.remotePort, sni: connection.sni ?? undefined, alpn: connection.alpn ?? undefined, tlsVersion: connection.tlsVersion };
}

/** What both protocols decide and report the same way, per client connection. */
abstract class Facts {
  constructor(
    protected readonly config: TlsedgeConfig,
    protected readonly policies: PolicySelector,
    protected readonly connection: EstablishedConnection,
    protected readonly reporter: RequestReporter,
    protected readonly metrics: ProxyMetrics,
  ) {}

  protected decide(host: string, path: string): RouteDecision {
    // A host whose policy differs from the one this connection was negotiated under is not served
    // here (RFC 9110 §15.5.20, RFC 9113 §9.1.2): never the other name's weaker TLS policy (no client
    // certificate…). Names whose policies are identical (same policyId) may share the connection.
    if (host !== (this.connection.sni ?? '') && this.policies.select(host).facts.policyId !== this.connection.policy.facts.policyId) {
      return { kind: 'misdirected' };
    }
    const route = routeRequest(this.config, host, path);
    return route ? { kind: 'origin', rule: route.rule } : { kind: 'not_found' };
  }

  protected bound(info: OriginBoundInfo, method: string, host: string, path: string, protocol: 'http/1.1' | 'h2'): void {
    const rule = this.config.origins[info.ruleIndex]!;
    const data: Parameters<RequestReporter['originBound']>[0] = {
      request: info.request,
      method,
      host,
      path,
      rule: info.ruleIndex,
      origin: rule.to.url,
      poolKey: info.poolKey,
      reused: info.reused,
      originConnection: info.originConnectionId,
      sniSent: info.sni ?? null,
      originProtocol: protocol,
      originAddress: info.address.includes(':') ? `[${info.address}]:${info.port}` : `${info.address}:${info.port}`,
    };
    if (info.missReason) data.missReason = info.missReason;
    if (info.resumed) data.resumed = true;
    if (info.verifyError) data.verifyError = info.verifyError;
    this.reporter.originBound(data);
  }

  protected responded(info: ResponseInfo, host: string, path: string): void {
    if (info.local) {
      if (info.status === 404 || info.status === 421) {
        this.reporter.requestRefused({ request: info.request, status: info.status, reason: info.status === 404 ? 'no_route' : 'misdirected', host, path });
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
      bound: info.originConnectionId !== undefined,
    });
    this.metrics.originFailure(info.status || 502);
  }
}

/** HTTP/1.1: one request at a time, so the current request's facts are fields. */
class RequestFacts extends Facts implements Http1Hooks {
  private method = '';
  private host = '';
  private path = '';

  route(request: { method: string; host: string; path: string }): RouteDecision {
    const host = request.host || this.connection.sni || '';
    const query = request.path.indexOf('?');
    this.method = request.method;
    this.host = host;
    this.path = query < 0 ? request.path : request.path.slice(0, query);
    return this.decide(host, this.path);
  }

  onOriginBound(info: OriginBoundInfo): void {
    this.bound(info, this.method, this.host, this.path, 'http/1.1');
  }

  onResponse(info: ResponseInfo): void {
    this.responded(info, this.host, this.path);
  }

  onRequestError(info: RequestErrorInfo): void {
    this.reporter.requestRefused({ request: info.request, status: info.status, reason: info.code, host: this.host, path: this.path });
  }
}

/** HTTP/2: requests run concurrently, so their facts are kept per request until it is reported. */
class H2RequestFacts extends Facts implements H2Hooks {
  private readonly requests = new Map<number, { method: string; host: string; path: string; bound: boolean }>();

  route(request: H2RouteRequest): RouteDecision {
    const host = request.host || this.connection.sni || '';
    const query = request.path.indexOf('?');
    const path = query < 0 ? request.path : request.path.slice(0, query);
    this.requests.set(request.request, { method: request.method, host, path, bound: false });
    return this.decide(host, path);
  }

  onOriginBound(info: H2OriginBoundInfo): void {
    const r = this.requests.get(info.request);
    if (r) r.bound = true;
    this.bound(info, r?.method ?? '', r?.host ?? '', r?.path ?? '', info.protocol);
  }

  onResponse(info: ResponseInfo): void {
    const r = this.requests.get(info.request);
    this.requests.delete(info.request);
    if (info.status === 0 && !info.local && r && !r.bound) {
      // the client reset the stream before it reached an origin: nothing was in flight for it
      this.reporter.requestRefused({ request: info.request, status: 0, reason: 'client_aborted', host: r.host, path: r.path });
      return;
    }
    this.responded(info, r?.host ?? '', r?.path ?? '');
  }

  onRequestError(info: RequestErrorInfo): void {
    const r = this.requests.get(info.request);
    this.reporter.requestRefused({ request: info.request, status: info.status, reason: info.code, host: r?.host ?? '', path: r?.path ?? '' });
  }
}
