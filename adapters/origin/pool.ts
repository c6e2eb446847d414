// The origin-pool component (one per proxy process): exclusive HTTP/1.1 connections grouped by
// pool key (CONFIG.md "Pool match modes"), with idle reuse, max_idle / idle_timeout,
// max_connections with a bounded wait queue, dead-idle detection, and the reason a request could
// not reuse an idle connection to the same address.
import type { OriginRule } from '../config/model.js';
import { connectOrigin, SessionCache } from './connect.js';
import { OriginConnection, type OriginCloseReason } from './connection.js';
import { OriginError } from './errors.js';
import { differenceOf, type MissReason } from './identity.js';
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

export interface OriginPoolHooks {
  /** A permissive origin presented a certificate strict mode would refuse. */
  onVerifyFailure?(info: { originConnectionId: string; poolKey: string; address: string; port: number; sni: string | undefined; code: string }): void;
  /** The pool closed a connection (idle timeout, origin close, not reusable…). */
  onConnectionClosed?(info: { originConnectionId: string; poolKey: string; reason: OriginCloseReason; requests: number }): void;
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

interface Waiter {
  target: OriginTarget;
  resolve(lease: OriginLease): void;
  reject(err: OriginError): void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

class Bucket {
  readonly idle: OriginConnection[] = [];
  readonly waiters: Waiter[] = [];
  /** Connecting + idle + busy. */
  open = 0;

  constructor(
    readonly key: string,
    readonly shortKey: string,
    readonly addressKey: string,
    public rule: OriginRule,
  ) {}
}

const DEFAULT_ALPN = 'http/1.1';

export class OriginPools {
  readonly targets: OriginTargets;
  readonly sessions: SessionCache;
  private readonly buckets = new Map<string, Bucket>();
  private readonly byAddress = new Map<string, Set<Bucket>>();
  private readonly maxQueue: number;
  private readonly idPrefix: string;
  private readonly hooks: OriginPoolHooks;
  private nextId = 0;
  private closed = false;

  constructor(options: OriginPoolsOptions = {}) {
    this.targets = options.targets ?? new OriginTargets();
    this.sessions = options.sessions ?? new SessionCache();
    this.maxQueue = options.maxQueuePerKey ?? 256;
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

  /** A connection for `req`: idle if one fits, else new, else (at max_connections) after a bounded wait. */
  async acquire(req: AcquireRequest): Promise<OriginLease> {
    if (this.closed) throw new OriginError('closed', 'origin pool is closed');
    // read the request before any await: callers may reuse the object for their next request
    const { rule, fresh, signal } = req;
    const sni = sniFor(rule, req.host, req.sni);
    const alpn = req.alpn ?? DEFAULT_ALPN;
    const target = this.targets.cached(rule, sni, alpn) ?? (await this.targets.get(rule, sni, alpn));
    const bucket = this.bucketFor(target);
    if (!fresh) {
      const conn = this.popIdle(bucket);
      if (conn) return this.lease(conn, true, undefined, undefined);
    }
    if (bucket.open >= rule.pool.maxConnections) return this.wait(bucket, target, signal);
    return this.open(bucket, target, this.missReasonFor(bucket, target), signal);
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
      this.settleWaiter(waiter);
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
      for (const waiter of bucket.waiters.splice(0)) {
        this.settleWaiter(waiter);
        waiter.reject(new OriginError('closed', 'origin pool is closed'));
      }
      for (const conn of bucket.idle.splice(0)) this.destroy(conn, 'pool_closed');
    }
  }

  // ---- internals ----

  private bucketFor(target: OriginTarget): Bucket {
    let bucket = this.buckets.get(target.poolKey);
    if (!bucket) {
      bucket = new Bucket(target.poolKey, target.shortKey, target.addressKey, target.rule);
      this.buckets.set(target.poolKey, bucket);
      let set = this.byAddress.get(target.addressKey);
      if (!set) {
        set = new Set();
        this.byAddress.set(target.addressKey, set);
      }
      set.add(bucket);
    } else {
      bucket.rule = target.rule; // limits follow the latest config
    }
    return bucket;
  }

  private dropBucketIfEmpty(bucket: Bucket): void {
    if (bucket.open > 0 || bucket.waiters.length > 0) return;
    if (this.buckets.get(bucket.key) === bucket) this.buckets.delete(bucket.key);
    const set = this.byAddress.get(bucket.addressKey);
    if (set) {
      set.delete(bucket);
      if (set.size === 0) this.byAddress.delete(bucket.addressKey);
    }
  }

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

  /** Why an idle connection to the same address cannot serve `target` (checked only when opening). */
  private missReasonFor(bucket: Bucket, target: OriginTarget): MissReason | undefined {
    const set = this.byAddress.get(target.addressKey);
    if (!set) return undefined;
    for (const other of set) {
      if (other === bucket || other.idle.length === 0) continue;
      const idle = other.idle[other.idle.length - 1]!;
      return differenceOf(target.identity, idle.target.identity) ?? (idle.target.match !== target.match ? 'mode_differs' : undefined);
    }
    return undefined;
  }

  private async open(bucket: Bucket, target: OriginTarget, missReason: MissReason | undefined, signal: AbortSignal | undefined): Promise<OriginLease> {
    bucket.open++;
    let connected;
    try {
      connected = await connectOrigin(target, { sessions: this.sessions, signal });
    } catch (err) {
      bucket.open--;
      this.pump(bucket);
      this.dropBucketIfEmpty(bucket);
      throw err;
    }
    const conn = new OriginConnection(`${this.idPrefix}${++this.nextId}`, connected.socket, target, connected.alpn, connected.resumed);
    this.install(conn);
    if (this.closed) {
      this.destroy(conn, 'pool_closed');
      throw new OriginError('closed', 'origin pool is closed');
    }
    if (connected.verifyError !== undefined) {
      this.hooks.onVerifyFailure?.({
        originConnectionId: conn.id,
        poolKey: target.shortKey,
        address: target.identity.address,
        port: target.identity.port,
        sni: target.servername,
        code: connected.verifyError,
      });
    }
    return this.lease(conn, false, missReason, connected.verifyError);
  }

  private wait(bucket: Bucket, target: OriginTarget, signal: AbortSignal | undefined): Promise<OriginLease> {
    if (bucket.waiters.length >= this.maxQueue) {
      return Promise.reject(new OriginError('pool_full', `origin pool ${bucket.shortKey} is full (max_connections ${bucket.rule.pool.maxConnections}, ${bucket.waiters.length} waiting)`));
    }
    return new Promise<OriginLease>((resolve, reject) => {
      const waiter: Waiter = {
        target,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        timer: setTimeout(() => {
          this.removeWaiter(bucket, waiter);
          reject(new OriginError('queue_timeout', `no connection to origin pool ${bucket.shortKey} within ${target.rule.timeouts.connectMs} ms`));
        }, target.rule.timeouts.connectMs),
      };
      if (signal) {
        waiter.onAbort = () => {
          this.removeWaiter(bucket, waiter);
          reject(new OriginError('aborted', 'gave up waiting for an origin connection'));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      bucket.waiters.push(waiter);
    });
  }

  private removeWaiter(bucket: Bucket, waiter: Waiter): void {
    const i = bucket.waiters.indexOf(waiter);
    if (i >= 0) bucket.waiters.splice(i, 1);
    this.settleWaiter(waiter);
    this.dropBucketIfEmpty(bucket);
  }

  private settleWaiter(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
  }

  /** A slot freed up: open a connection for the first waiter. */
  private pump(bucket: Bucket): void {
    while (bucket.waiters.length > 0 && bucket.open < bucket.rule.pool.maxConnections && !this.closed) {
      const waiter = bucket.waiters.shift()!;
      this.settleWaiter(waiter);
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
      this.dropBucketIfEmpty(bucket);
    }
  }
}
