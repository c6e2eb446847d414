// The session-store actor: a stateless front on the session backend — an LRU in embedded mode, a
// NATS KV bucket with TTL in distributed mode — answering `put`/`get` in queue group
// `session-store`, so several store processes share the load. It never sees a session in the
// clear: proxies seal before they put and open after they get.
import { MemorySessionBackend } from '../../adapters/session/memory-backend.js';
import { NatsKvSessionBackend } from '../../adapters/session/nats-kv-backend.js';
import type { SessionBackend } from '../../adapters/session/backend.js';
import type { Json } from '../../bus/envelope.js';
import { NatsBus } from '../../bus/nats/transport.js';
import { EventRecorder } from '../../bus/recorder.js';
import type { ActorRuntime, RunningActor } from '../system/runtime.js';
import { SESSION_STORE_QUEUE, sessionStoreSubjects, type SessionGet, type SessionGetReply, type SessionPut, type SessionRevoke, type SessionRevokeReply } from './commands.js';
import { sessionEventType, type SessionEventData } from './events.js';

export class SessionStoreError extends Error {
  override readonly name = 'SessionStoreError';
  constructor(
    readonly code: 'bad_request' | 'backend_failed',
    message: string,
  ) {
    super(message);
  }
}

export interface RunningSessionStore extends RunningActor {
  readonly backend: SessionBackend;
}

const KEY = /^[0-9a-f]{16,64}$/;

/** The session key a `get`/`take`/`revoke` names, or `bad_request`. */
function keyOf(command: SessionGet | undefined, verb: 'get' | 'take' | 'revoke'): string {
  if (!command || typeof command.key !== 'string' || !KEY.test(command.key)) throw new SessionStoreError('bad_request', `${verb} needs a hex key`);
  return command.key;
}

export async function startSessionStoreActor(runtime: ActorRuntime, options: { backend?: SessionBackend } = {}): Promise<RunningSessionStore> {
  const { config, bus, log } = runtime;
  const cache = config.session.cache;
  const backend =
    options.backend ??
    (bus instanceof NatsBus ? await NatsKvSessionBackend.open(bus.connection, cache.bucket, cache.ttlMs) : new MemorySessionBackend({ maxEntries: cache.size }));
  const recorder = new EventRecorder(runtime.events, runtime.nodeId, 'session-store');
  const counters = { puts: 0, gets: 0, hits: 0, failures: 0 };
  let evictionsReported = 0;

  /** Runs a backend call; a failure is counted and answered as `backend_failed`. */
  async function viaBackend<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      counters.failures++;
      throw new SessionStoreError('backend_failed', `session backend: ${(err as Error).message}`);
    }
  }

  const put = bus.serve(
    sessionStoreSubjects.put,
    async (data) => {
      const p = data as unknown as SessionPut;
      if (!p || typeof p.key !== 'string' || !KEY.test(p.key) || typeof p.sealed !== 'string' || p.sealed.length > 64 * 1024) throw new SessionStoreError('bad_request', 'put needs a hex key and a sealed session');
      const ttlMs = Math.min(typeof p.ttlMs === 'number' && p.ttlMs > 0 ? p.ttlMs : cache.ttlMs, cache.ttlMs);
      await viaBackend(() => backend.put(p.key, p.sealed, ttlMs));
      counters.puts++;
      recorder.stream(p.key).emit(sessionEventType('stored'), {
        scope: String(p.scope ?? ''),
        issuer: String(p.issuer ?? ''),
        backend: backend.kind,
        expiresAt: new Date(Date.now() + ttlMs).toISOString(),
      } satisfies SessionEventData['stored']);
      const evicted = backend.evictions();
      if (evicted > evictionsReported && backend.kind === 'memory') {
        recorder.stream('session-store').emit(sessionEventType('evicted'), { count: evicted - evictionsReported, backend: 'memory' } satisfies SessionEventData['evicted']);
        evictionsReported = evicted;
      }
      return { ok: true };
    },
    { queue: SESSION_STORE_QUEUE },
  );

  /** `get` reads a session; `take` reads and removes it (single-use sessions). Same reply, same counters. */
  const lookup =
    (verb: 'get' | 'take') =>
    async (data: Json): Promise<Json> => {
      const key = keyOf(data as unknown as SessionGet, verb);
      counters.gets++;
      const r = await viaBackend(() => backend[verb](key));
      const reply: SessionGetReply = r.found ? { found: true, sealed: r.sealed } : { found: false, reason: r.reason };
      if (reply.found) counters.hits++;
      return reply as unknown as Json;
    };
  const get = bus.serve(sessionStoreSubjects.get, lookup('get'), { queue: SESSION_STORE_QUEUE });
  const take = bus.serve(sessionStoreSubjects.take, lookup('take'), { queue: SESSION_STORE_QUEUE });

  const revoke = bus.serve(
    sessionStoreSubjects.revoke,
    async (data): Promise<Json> => {
      const key = keyOf(data as unknown as SessionRevoke, 'revoke');
      const found = (await viaBackend(() => backend.take(key))).found;
      recorder.stream(key).emit(sessionEventType('revoked'), { found, node: runtime.nodeId } satisfies SessionEventData['revoked']);
      return { found } satisfies SessionRevokeReply as unknown as Json;
    },
    { queue: SESSION_STORE_QUEUE },
  );

  runtime.health.register('session_store', () => ({ ok: true, facts: { backend: backend.kind, ...counters } }));
  log.info('session store serving', { backend: backend.kind, ttl_ms: cache.ttlMs, ...(backend.kind === 'nats-kv' ? { bucket: cache.bucket } : { size: cache.size }) });

  return {
    name: 'session-store',
    backend,
    async stop() {
      put.unsubscribe();
      get.unsubscribe();
      take.unsubscribe();
      revoke.unsubscribe();
      await backend.close();
    },
  };
}
