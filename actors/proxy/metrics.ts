// Prometheus metrics of the proxy: handshakes by result/version/sni rule, handshake duration,
// active connections, origin requests. Label children are bound once per combination.
import { counter, gauge, histogram, latencyBuckets, type Registry } from '../../adapters/metrics/registry.js';
import type { ConnectionMetrics } from '../connection/ports.js';

export class ProxyMetrics implements ConnectionMetrics {
  private readonly active;
  private readonly accepted;
  private readonly handshakes;
  private readonly handshakeSeconds;
  private readonly originRequests;
  private readonly requestSeconds;

  constructor(registry: Registry) {
    this.active = gauge(registry, 'tlsedge_connections_active', 'Client connections open now');
    this.accepted = counter(registry, 'tlsedge_connections_total', 'Client connections accepted');
    this.handshakes = counter(registry, 'tlsedge_handshakes_total', 'TLS handshakes by result, version, sni rule and resumption', ['result', 'version', 'sni', 'resumed'] as const);
    this.handshakeSeconds = histogram(registry, 'tlsedge_handshake_duration_seconds', 'TLS handshake duration', ['version'] as const, latencyBuckets);
    this.originRequests = counter(registry, 'tlsedge_origin_requests_total', 'Requests proxied to origins by status class (or local failure status)', ['status'] as const);
    this.requestSeconds = histogram(registry, 'tlsedge_origin_request_duration_seconds', 'Time from request head to complete response', [], latencyBuckets);
  }

  opened(): void {
    this.active.inc();
    this.accepted.inc();
  }

  closed(): void {
    this.active.dec();
  }

  /** A proxied response finished (status class per origin rule, and its duration). */
  originRequest(info: { status: number; totalMs: number }): void {
    const cls = `${Math.floor(info.status / 100)}xx`;
    this.requestChild(cls).inc();
    this.requestSeconds.observe(info.totalMs / 1000);
  }

  originFailure(status: number): void {
    this.requestChild(String(status)).inc();
  }

  private readonly requestChildren = new Map<string, { inc(): void }>();
  private requestChild(status: string): { inc(): void } {
    let child = this.requestChildren.get(status);
    if (!child) {
      child = this.originRequests.labels(status);
      this.requestChildren.set(status, child);
    }
    return child;
  }

  /** Bounded: results × versions × sni rules (from the config) × resumption kinds. */
  private readonly handshakeChildren = new Map<string, { count: { inc(): void }; seconds: { observe(value: number): void } }>();

  handshake(result: 'completed' | 'failed', version: string, sni: string, seconds: number, resumed: string | null): void {
    const key = `${result}\0${version}\0${sni}\0${resumed}`;
    let child = this.handshakeChildren.get(key);
    if (!child) {
      child = { count: this.handshakes.labels(result, version, sni, resumed ?? 'none'), seconds: this.handshakeSeconds.labels(version) };
      this.handshakeChildren.set(key, child);
    }
    child.count.inc();
    if (result === 'completed') child.seconds.observe(seconds);
  }
}
