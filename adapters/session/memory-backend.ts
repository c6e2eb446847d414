// The embedded session store: an LRU bounded by `session.cache.size`, entries expiring at `ttl`.
import type { BackendGet, SessionBackend } from './backend.js';
import { LruCache } from './lru.js';

export class MemorySessionBackend implements SessionBackend {
  readonly kind = 'memory' as const;
  private readonly lru: LruCache<string>;
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(options: { maxEntries: number; now?: () => number }) {
    this.lru = new LruCache<string>(options);
    this.pruneTimer = setInterval(() => this.lru.prune(), 30_000);
    this.pruneTimer.unref();
  }

  async put(key: string, sealed: string, ttlMs: number): Promise<void> {
    this.lru.set(key, sealed, ttlMs);
  }

  async get(key: string): Promise<BackendGet> {
    const r = this.lru.get(key);
    return r.found ? { found: true, sealed: r.value } : r;
  }

  async take(key: string): Promise<BackendGet> {
    // One synchronous step on one thread: nothing can interleave.
    const r = this.lru.get(key);
    if (r.found) this.lru.delete(key);
    return r.found ? { found: true, sealed: r.value } : r;
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

  evictions(): number {
    return this.lru.evictions;
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
  }
}
