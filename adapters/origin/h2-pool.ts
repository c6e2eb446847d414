// HTTP/2 sessions to origins (`protocols: [h2]`), grouped by the same pool keys as the HTTP/1.1
// pools (identity.ts): a session is shared by concurrent streams instead of leased exclusively,
// but is only ever shared by requests whose connection identity — SNI, client certificate,
// verification policy — the rule's match mode says may share it.
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { PoolBucket, PoolBuckets } from './buckets.js';
import { connectOrigin, SessionCache } from './connect.js';
import { OriginError } from './errors.js';
import { reportVerifyFailure, type OriginPoolHooks } from './hooks.js';
import type { MissReason } from './identity.js';
import type { OriginCloseReason } from './connection.js';
import type { AcquireRequest } from './pool.js';
import { OriginTargets, sniFor, type OriginTarget } from './target.js';

/** Streams per session when the origin announces no limit (RFC 9113 §6.5.2 leaves it unlimited). */
const DEFAULT_STREAMS_PER_SESSION = 100;
/** How long an origin that refused h2 is sent HTTP/1.1 directly (rules that allow both). */
const H1_MEMORY_MS = 5 * 60_000;

/** One HTTP/2 session to an origin. */
export class H2OriginSession {
  /** Streams open now (reserved slots included). */
  active = 0;
  /** Streams served over the session's life. */
  streams = 0;
  /** 'open' takes new streams; 'draining' (GOAWAY received or being closed) finishes its streams only. */
  state: 'open' | 'draining' | 'closed' = 'open';
  /** Why it closed, once the pool reported it. */
  closeReason: OriginCloseReason | undefined = undefined;

  constructor(
    readonly id: string,
    readonly session: ClientHttp2Session,
    readonly target: OriginTarget,
    /** The TLS session was resumed when this session's connection was opened. */
    readonly resumed: boolean,
    readonly verifyError: string | undefined,
  ) {}

  /** Streams the origin lets this session open at once. */
  get limit(): number {
    const remote = this.session.remoteSettings?.maxConcurrentStreams;
    return remote === undefined || remote > 1_000_000 ? DEFAULT_STREAMS_PER_SESSION : Math.max(1, remote);
  }

  get usable(): boolean {
    return this.state === 'open' && !this.session.destroyed && !this.session.closed && this.active < this.limit;
  }
}

/** A reserved stream slot on a session: call `open` once (or `cancel`). */
export interface H2Lease {
  readonly session: H2OriginSession;
  /** The session carried streams before this one. */
  readonly reused: boolean;
  /** Short hash of the pool key. */
  readonly poolKey: string;
  readonly sni: string | undefined;
  readonly missReason: MissReason | undefined;
  readonly verifyError: string | undefined;
  readonly resumed: boolean;
  /** Opens the stream on the reserved slot; the slot is freed when the stream closes. */
  open(headers: OutgoingHttpHeaders, options?: http2.ClientSessionRequestOptions): ClientHttp2Stream;
  /** Frees the slot without opening a stream (the client went away). */
  cancel(): void;
}

export interface H2OriginPoolsOptions {
  /** Share with the HTTP/1.1 pools: one address cache, one material cache. */
  targets?: OriginTargets;
  /** Share with the HTTP/1.1 pools: sessions are keyed by full identity (ALPN included). */
  sessions?: SessionCache;
  idPrefix?: string;
  /** Requests waiting per pool key when every session is full and max_connections is reached. */
  maxQueuePerKey?: number;
  hooks?: OriginPoolHooks;
}

class Bucket extends PoolBucket<H2Lease> {
  readonly sessions: H2OriginSession[] = [];
  /** A session being connected (requests arriving meanwhile wait for it rather than open more). */
  connecting: Promise<H2OriginSession> | undefined;
  connectingCount = 0;

  get open(): number {
    return this.sessions.length + this.connectingCount;
  }

  /** A session still taking streams. */
  reusable(): OriginTarget | undefined {
    return this.sessions.find((s) => s.state === 'open')?.target;
  }
}

export class H2OriginPools {
  readonly targets: OriginTargets;
  readonly sessions: SessionCache;
  private readonly buckets: PoolBuckets<H2Lease, Bucket>;
  /** Targets (session keys) whose origin refused h2, until when. */
  private readonly h1Only = new Map<string, number>();
  private readonly idPrefix: string;
  private readonly hooks: OriginPoolHooks;
  private nextId = 0;
  private closed = false;

  constructor(options: H2OriginPoolsOptions = {}) {
    this.targets = options.targets ?? new OriginTargets();
    this.sessions = options.sessions ?? new SessionCache();
    this.idPrefix = options.idPrefix ?? 'h2o-';
    this.buckets = new PoolBuckets<H2Lease, Bucket>('stream', options.maxQueuePerKey ?? 256, (target, queue) => new Bucket(target, queue));
    this.hooks = options.hooks ?? {};
  }

  /**
   * The origin of `req` refused h2 recently (rules with `protocols: [h2, http/1.1]` then go
   * straight to HTTP/1.1 instead of paying for a refused connection per request).
   */
  refusedH2(req: Pick<AcquireRequest, 'rule' | 'host' | 'sni'>): boolean {
    if (this.h1Only.size === 0) return false;
    const sni = sniFor(req.rule, req.host, req.sni);
    const target = this.targets.cached(req.rule, sni, 'h2');
    if (!target) return false;
    const until = this.h1Only.get(target.sessionKey);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.h1Only.delete(target.sessionKey);
    return false;
  }

  /** A stream slot on a session for `req`: an open session with room, else a new one, else a bounded wait. */
  async acquire(req: AcquireRequest): Promise<H2Lease> {
    if (this.closed) throw new OriginError('closed', 'origin pool is closed');
    const { rule, signal } = req;
    const sni = sniFor(rule, req.host, req.sni);
    const target = this.targets.cached(rule, sni, 'h2') ?? (await this.targets.get(rule, sni, 'h2'));
    const bucket = this.buckets.for(target);
    for (;;) {
      const session = req.fresh ? undefined : this.pick(bucket);
      if (session) return this.lease(session, session.streams > 0, undefined);
      if (bucket.connecting && !req.fresh) {
        // one connection attempt per key at a time: later requests share its streams
        const fresh = await bucket.connecting;
        if (fresh.usable) return this.lease(fresh, fresh.streams > 0, undefined);
        continue;
      }
      if (bucket.open >= rule.pool.maxConnections) return bucket.waiters.wait(target, signal);
      return this.connect(bucket, target, signal, this.buckets.missReason(bucket, target));
    }
  }

  stats(): { keys: number; sessions: number; streams: number; waiting: number } {
    let sessions = 0;
    let streams = 0;
    let waiting = 0;
    for (const b of this.buckets.values()) {
      sessions += b.sessions.length;
      for (const s of b.sessions) streams += s.active;
      waiting += b.waiters.length;
    }
    return { keys: this.buckets.size, sessions, streams, waiting };
  }

  /** Closes every session (streams in flight are cancelled) and refuses waiters. */
  close(): void {
    this.closed = true;
    for (const bucket of this.buckets.values()) {
      bucket.waiters.close();
      for (const s of [...bucket.sessions]) this.destroy(s, 'pool_closed');
    }
  }

  // ---- internals ----

  /** The busiest session that still has room (packs streams, lets spare sessions go idle). */
  private pick(bucket: Bucket): H2OriginSession | undefined {
    let best: H2OriginSession | undefined;
    for (const s of bucket.sessions) if (s.usable && (!best || s.active > best.active)) best = s;
    return best;
  }

  /** Opens a session for `target`; the opener's stream slot is reserved before anyone else's. */
  private connect(bucket: Bucket, target: OriginTarget, signal: AbortSignal | undefined, missReason: MissReason | undefined): Promise<H2Lease> {
    bucket.connectingCount++;
    const attempt = this.connectSession(target, signal).then(
      (s) => {
        bucket.connectingCount--;
        if (bucket.connecting === attempt) bucket.connecting = undefined;
        bucket.sessions.push(s);
        return s;
      },
      (err: unknown) => {
        bucket.connectingCount--;
        if (bucket.connecting === attempt) bucket.connecting = undefined;
        // waiters queued behind this attempt try again (they may connect themselves)
        this.pump(bucket);
        this.buckets.dropIfEmpty(bucket);
        throw err;
      },
    );
    bucket.connecting = attempt;
    // registered first, so it runs before requests that joined the attempt (acquire) see the session
    return attempt.then((s) => {
      const lease = this.lease(s, false, missReason);
      this.pump(bucket);
      return lease;
    });
  }

  private async connectSession(target: OriginTarget, signal: AbortSignal | undefined): Promise<H2OriginSession> {
    let connected;
    try {
      connected = await connectOrigin(target, { sessions: this.sessions, signal });
    } catch (err) {
      if (err instanceof OriginError && err.detail === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') {
        this.h1Only.set(target.sessionKey, Date.now() + H1_MEMORY_MS);
        throw new OriginError('alpn_refused', `${target.addressKey} refused ALPN h2`, { cause: err, detail: err.detail });
      }
      throw err;
    }
    const https = target.identity.protocol === 'https:';
    if (https && connected.alpn !== 'h2') {
      connected.socket.destroy();
      if (this.h1Only.size > 10_000) this.h1Only.clear();
      this.h1Only.set(target.sessionKey, Date.now() + H1_MEMORY_MS);
      throw new OriginError('alpn_refused', `${target.addressKey} did not select h2 (ALPN ${connected.alpn || 'none'})`, { detail: connected.alpn || 'none' });
    }
    if (this.closed) {
      connected.socket.destroy();
      throw new OriginError('closed', 'origin pool is closed');
    }
    const socket = connected.socket;
    const authority = `${target.identity.protocol}//${target.servername ?? target.identity.host}:${target.identity.port}`;
    const session = http2.connect(authority, {
      createConnection: () => socket,
      settings: { enablePush: false },
    });
    // the origin's SETTINGS (its stream limit) arrive just after the handshake: sessions are handed
    // out once they are known, so the pool never plans more streams than the origin allows
    try {
      await remoteSettings(session, target.rule.timeouts.connectMs);
    } catch (err) {
      session.destroy();
      throw new OriginError('tls_failed', `${target.addressKey} sent no HTTP/2 SETTINGS (${(err as Error).message})`, { cause: err });
    }
    const s = new H2OriginSession(`${this.idPrefix}${++this.nextId}`, session, target, connected.resumed, connected.verifyError);
    session.on('error', () => undefined); // 'close' follows; streams see their own errors
    session.on('goaway', () => {
      if (s.state === 'open') s.state = 'draining';
    });
    session.on('close', () => this.onSessionClosed(s));
    session.setTimeout(target.rule.pool.idleTimeoutMs, () => {
      if (s.active === 0) this.destroy(s, 'idle_timeout');
    });
    reportVerifyFailure(this.hooks, s.id, target, connected.verifyError);
    return s;
  }

  private lease(s: H2OriginSession, reused: boolean, missReason: MissReason | undefined): H2Lease {
    s.active++;
    s.streams++;
    let done = false;
    const free = (): void => {
      if (done) return;
      done = true;
      this.released(s);
    };
    return {
      session: s,
      reused,
      poolKey: s.target.shortKey,
      sni: s.target.servername,
      missReason,
      verifyError: reused ? undefined : s.verifyError,
      resumed: reused ? false : s.resumed,
      open: (headers, options) => {
        let stream: ClientHttp2Stream;
        try {
          stream = s.session.request(headers, options);
        } catch (err) {
          free();
          throw err;
        }
        stream.once('close', free);
        return stream;
      },
      cancel: free,
    };
  }

  /** A stream ended: hand its slot to a waiter, or let the session go idle. */
  private released(s: H2OriginSession): void {
    s.active--;
    const bucket = this.buckets.get(s.target.poolKey);
    if (!bucket || s.state === 'closed') return;
    const waiter = s.usable ? bucket.waiters.shift() : undefined;
    if (waiter) {
      waiter.resolve(this.lease(s, true, 'pool_full'));
      return;
    }
    if (s.active === 0) {
      if (s.state === 'draining' || this.closed) {
        this.destroy(s, 'not_reusable');
        return;
      }
      const idle = bucket.sessions.filter((x) => x.active === 0 && x.state === 'open');
      if (idle.length > bucket.rule.pool.maxIdle) this.destroy(s, 'max_idle');
    }
  }

  /** Room appeared (a session connected or closed): serve waiters from usable sessions, or connect for them. */
  private pump(bucket: Bucket): void {
    while (bucket.waiters.length > 0 && !this.closed) {
      const s = this.pick(bucket);
      if (s) {
        const waiter = bucket.waiters.shift()!;
        waiter.resolve(this.lease(s, s.streams > 0, 'pool_full'));
        continue;
      }
      if (bucket.connecting || bucket.open >= bucket.rule.pool.maxConnections) return;
      const waiter = bucket.waiters.shift()!;
      this.connect(bucket, waiter.target, waiter.signal, 'pool_full').then(waiter.resolve, waiter.reject);
      return;
    }
  }

  private destroy(s: H2OriginSession, reason: OriginCloseReason): void {
    if (s.state === 'closed') return;
    this.report(s, reason);
    s.state = 'draining';
    const bucket = this.buckets.get(s.target.poolKey);
    if (bucket) this.forget(bucket, s);
    if (s.active === 0) s.session.destroy();
    else s.session.close(); // GOAWAY: streams in flight finish
  }

  private onSessionClosed(s: H2OriginSession): void {
    if (s.state === 'closed') return;
    s.state = 'closed';
    this.report(s, 'origin_closed');
    const bucket = this.buckets.get(s.target.poolKey);
    if (bucket) this.forget(bucket, s);
  }

  private report(s: H2OriginSession, reason: OriginCloseReason): void {
    if (s.closeReason !== undefined) return;
    s.closeReason = reason;
    this.hooks.onConnectionClosed?.({ originConnectionId: s.id, poolKey: s.target.shortKey, reason, requests: s.streams });
  }

  private forget(bucket: Bucket, s: H2OriginSession): void {
    const i = bucket.sessions.indexOf(s);
    if (i < 0) return;
    bucket.sessions.splice(i, 1);
    this.pump(bucket);
    this.buckets.dropIfEmpty(bucket);
  }
}

/** Resolves when the session has the peer's first SETTINGS frame. */
function remoteSettings(session: ClientHttp2Session, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`none within ${timeoutMs} ms`)), timeoutMs);
    const onSettings = (): void => finish(undefined);
    const onClose = (): void => finish(new Error('session closed'));
    const onError = (err: Error): void => finish(err);
    session.once('remoteSettings', onSettings);
    session.once('close', onClose);
    session.once('error', onError);
    function finish(err: Error | undefined): void {
      clearTimeout(timer);
      session.removeListener('remoteSettings', onSettings);
      session.removeListener('close', onClose);
      session.removeListener('error', onError);
      if (err) reject(err);
      else resolve();
    }
  });
}
