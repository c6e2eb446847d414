// The origin-pool component (one per proxy process): exclusive HTTP/1.1 connections grouped by
// pool key (CONFIG.md "Pool match modes"), with idle reuse, max_idle / idle_timeout,
// max_connections with a bounded wait queue, dead-idle detection, and the reason a request could
// not reuse an idle connection to the same address.
import type { OriginRule } from '../config/model.js';
import { PoolBucket, PoolBuckets } from './buckets.js';
import { connectOrigin, SessionCache } from './connect.js';
import { OriginConnection, type OriginCloseReason } from './connection.js';
import { OriginError } from './errors.js';
import { reportVerifyFailure, type OriginPoolHooks } from './hooks.js';
import type { MissReason } from './identity.js';
import { OriginTargets, sniFor, type OriginTarget } from './target.js';

export interface AcquireRequest {
  rule: OriginRule;
  /** The request's host (without port): the SNI under `sni: preserve` when `sni` is not given. */
  host: string;
  /** SNI decided by the route; overrides the rule's `sni` mode. */
  sni?: string | undefined;
  /** ALPN protocols to offer, comma-joined (default `http/1.1`). */
  alpn?: string;
  /** Skip idle connections (a retry after a reused connection failed). */
  fresh?: boolean;
  signal?: AbortSignal | undefined;
}

export interface OriginLease {
  readonly connection: OriginConnection;
  readonly reused: boolean;
  /** Short hash of the pool key. */
  readonly poolKey: string;
  /** SNI sent on this connection (undefined: none). */
  readonly sni: string | undefined;
  /** Why no idle connection served this request although one to the same address existed. */
  readonly missReason: MissReason | undefined;
  /** Permissive verification failure on a new connection (an OpenSSL / Node code). */
  readonly verifyError: string | undefined;
  /** The new connection resumed a TLS session. */
  readonly resumed: boolean;
}

export interface OriginPoolsOptions {
  /** Waiters per pool key beyond max_connections; more get `pool_full` (never unbounded growth). */
  maxQueuePerKey?: number;
  /** Prefix of origin connection ids. */
  idPrefix?: string;
  hooks?: OriginPoolHooks;
  targets?: OriginTargets;
  sessions?: SessionCache;
}

export interface OriginPoolStats {
  keys: number;
  open: number;
  idle: number;
  waiting: number;
}

class Bucket extends PoolBucket<OriginLease> {
  readonly idle: OriginConnection[] = [];
  /** Connecting + idle + busy. */
  open = 0;

  /** The most recently idled connection: the one a request would have reused. */
  reusable(): OriginTarget | undefined {
    return this.idle[this.idle.length - 1]?.target;
  }
}

const DEFAULT_ALPN = 'http/1.1';

export class OriginPools {
  readonly targets: OriginTargets;
  readonly sessions: SessionCache;
  private readonly buckets: PoolBuckets<OriginLease, Bucket>;
  private readonly idPrefix: string;
  private readonly hooks: OriginPoolHooks;
  private nextId = 0;
  private closed = false;

  constructor(options: OriginPoolsOptions = {}) {
    this.targets = options.targets ?? new OriginTargets();
    this.sessions = options.sessions ?? new SessionCache();
    this.buckets = new PoolBuckets<OriginLease, Bucket>('connection', options.maxQueuePerKey ?? 256, (target, queue) => new Bucket(target, queue));
    this.idPrefix = options.idPrefix ?? 'oc-';
    this.hooks = options.hooks ?? {};
  }

  /** Loads TLS material (client certificates, CA bundles) for these rules now rather than on first use. */
  prepare(rules: readonly OriginRule[]): void {
    for (const rule of rules) if (rule.to.protocol === 'https:') this.targets.materials.forRule(rule);
  }

  /**
   * An idle connection for `req` with no I/O at all, or undefined (then call {@link acquire}).
   * The request path tries this first: most keep-alive requests end here.
   */
  tryAcquireIdle(req: AcquireRequest): OriginLease | undefined {
    if (req.fresh || this.closed) return undefined;
    const sni = sniFor(req.rule, req.host, req.sni);
    const target = this.targets.cached(req.rule, sni, req.alpn ?? DEFAULT_ALPN);
    if (!target) return undefined;
    const bucket = this.buckets.get(target.poolKey);
    if (!bucket) return undefined;
    const conn = this.popIdle(bucket);
    return conn ? this.lease(conn, true, undefined, undefined) : undefined;
  }

  /**
   * Binds `req` to a connection and calls back exactly once: at once with an idle connection (the
   * keep-alive fast path: no promise, no signal), otherwise when {@link acquire} settles. `signal`
   * is asked for only when the request has to wait.
   */
  bind(req: AcquireRequest, signal: () => AbortSignal, bound: (lease: OriginLease) => void, failed: (err: unknown) => void): void {
    let lease: OriginLease | undefined;
    try {
      lease = this.tryAcquireIdle(req);
    } catch (err) {
      failed(err);
      return;
    }
    if (lease) {
      bound(lease);
      return;
    }
    req.signal = signal();
    this.acquire(req).then(bound, failed);
  }

  /** A connection for `req`: idle if one fits, else new, else (at max_connections) after a bounded wait. */
  async acquire(req: AcquireRequest): Promise<OriginLease> {
    if (this.closed) throw new OriginError('closed', 'origin pool is closed');
    // read the request before any await: callers may reuse the object for their next request
    const { rule, fresh, signal } = req;
    const sni = sniFor(rule, req.host, req.sni);
    const alpn = req.alpn ?? DEFAULT_ALPN;
    const target = this.targets.cached(rule, sni, alpn) ?? (await this.targets.get(rule, sni, alpn));
    const bucket = this.buckets.for(target);
    if (!fresh) {
      const conn = this.popIdle(bucket);
      if (conn) return this.lease(conn, true, undefined, undefined);
    }
    if (bucket.open >= rule.pool.maxConnections) return bucket.waiters.wait(target, signal);
    return this.open(bucket, target, this.buckets.missReason(bucket, target), signal);
  }

  /**
   * Returns a leased connection. `reusable`: the exchange ended cleanly at a message boundary and
   * both sides allow persistence; otherwise the connection is closed.
   */
  release(conn: OriginConnection, reusable: boolean): void {
    conn.handler = undefined;
    if (conn.state === 'closed') return;
    const bucket = this.buckets.get(conn.target.poolKey);
    const socket = conn.socket;
    if (!reusable || !bucket || this.closed || socket.destroyed || !socket.readable || !socket.writable) {
      this.destroy(conn, 'not_reusable');
      return;
    }
    const waiter = bucket.waiters.shift();
    if (waiter) {
      socket.resume();
      waiter.resolve(this.lease(conn, true, 'pool_full', undefined));
      return;
    }
    if (bucket.idle.length >= bucket.rule.pool.maxIdle) {
      this.destroy(conn, 'max_idle');
      return;
    }
    conn.state = 'idle';
    // an idle socket keeps reading, so a FIN, a reset or stray bytes from the origin are seen at once
    socket.resume();
    socket.setTimeout(bucket.rule.pool.idleTimeoutMs);
    bucket.idle.push(conn);
  }

  stats(): OriginPoolStats {
    let open = 0;
    let idle = 0;
    let waiting = 0;
    for (const b of this.buckets.values()) {
      open += b.open;
      idle += b.idle.length;
      waiting += b.waiters.length;
    }
    return { keys: this.buckets.size, open, idle, waiting };
  }

  /** Closes every idle connection and refuses waiters; leased connections close when released. */
  close(): void {
    this.closed = true;
    for (const bucket of this.buckets.values()) {
      bucket.waiters.close();
      for (const conn of bucket.idle.splice(0)) this.destroy(conn, 'pool_closed');
    }
  }

  // ---- internals ----

  /** The most recently used live idle connection (LIFO keeps a warm core, lets the rest time out). */
  private popIdle(bucket: Bucket): OriginConnection | undefined {
    for (;;) {
      const conn = bucket.idle.pop();
      if (!conn) return undefined;
      const s = conn.socket;
      if (conn.state === 'idle' && !s.destroyed && s.readable && s.writable) {
        conn.state = 'busy';
        s.setTimeout(0);
        return conn;
      }
      this.destroy(conn, 'origin_closed');
    }
  }

  private async open(bucket: Bucket, target: OriginTarget, missReason: MissReason | undefined, signal: AbortSignal | undefined): Promise<OriginLease> {
    bucket.open++;
    let connected;
    try {
      connected = await connectOrigin(target, { sessions: this.sessions, signal });
    } catch (err) {
      bucket.open--;
      this.pump(bucket);
      this.buckets.dropIfEmpty(bucket);
      throw err;
    }
    const conn = new OriginConnection(`${this.idPrefix}${++this.nextId}`, connected.socket, target, connected.alpn, connected.resumed);
    this.install(conn);
    if (this.closed) {
      this.destroy(conn, 'pool_closed');
      throw new OriginError('closed', 'origin pool is closed');
    }
    reportVerifyFailure(this.hooks, conn.id, target, connected.verifyError);
    return this.lease(conn, false, missReason, connected.verifyError);
  }

  /** A slot freed up: open a connection for the first waiter. */
  private pump(bucket: Bucket): void {
    while (bucket.waiters.length > 0 && bucket.open < bucket.rule.pool.maxConnections && !this.closed) {
      const waiter = bucket.waiters.shift()!;
      this.open(bucket, waiter.target, 'pool_full', waiter.signal).then(waiter.resolve, waiter.reject);
    }
  }

  private lease(conn: OriginConnection, reused: boolean, missReason: MissReason | undefined, verifyError: string | undefined): OriginLease {
    conn.requests++;
    conn.state = 'busy';
    return {
      connection: conn,
      reused,
      poolKey: conn.target.shortKey,
      sni: conn.target.servername,
      missReason,
      verifyError,
      resumed: reused ? false : conn.resumed,
    };
  }

  /** The socket listeners, installed once per connection. */
  private install(conn: OriginConnection): void {
    const socket = conn.socket;
    socket.on('data', (chunk: Buffer) => {
      if (conn.handler) conn.handler.onOriginData(chunk);
      else this.destroy(conn, 'unexpected_data'); // bytes from an idle origin: the next response would be misaligned
    });
    socket.on('end', () => {
      if (conn.handler) conn.handler.onOriginEnd();
      else this.destroy(conn, 'origin_closed');
    });
    socket.on('drain', () => conn.handler?.onOriginDrain());
    socket.on('timeout', () => {
      if (conn.state === 'idle') this.destroy(conn, 'idle_timeout');
    });
    socket.on('error', (err: Error) => {
      conn.error ??= err;
    });
    socket.on('close', () => this.onSocketClosed(conn));
  }

  private destroy(conn: OriginConnection, reason: OriginCloseReason): void {
    conn.closeReason ??= reason;
    if (!conn.socket.destroyed) conn.socket.destroy();
    else this.onSocketClosed(conn);
  }

  /** Bookkeeping once a socket has closed (exactly once per connection). */
  private onSocketClosed(conn: OriginConnection): void {
    if (conn.state === 'closed') return;
    const wasIdle = conn.state === 'idle';
    conn.state = 'closed';
    const bucket = this.buckets.get(conn.target.poolKey);
    if (bucket) {
      if (wasIdle) {
        const i = bucket.idle.indexOf(conn);
        if (i >= 0) bucket.idle.splice(i, 1);
      }
      bucket.open--;
    }
    const reason = conn.closeReason ?? (conn.error ? 'error' : 'origin_closed');
    this.hooks.onConnectionClosed?.({ originConnectionId: conn.id, poolKey: conn.target.shortKey, reason, requests: conn.requests });
    const handler = conn.handler;
    conn.handler = undefined;
    handler?.onOriginClose(conn.error);
    if (bucket) {
      this.pump(bucket);
      this.buckets.dropIfEmpty(bucket);
    }
  }
}
