// A bounded map with least-recently-used eviction and a per-entry expiry: the proxies' local
// session cache and the embedded session store. A Map keeps insertion order, so moving an entry to
// the end on every hit makes the first key the least recently used one.
export interface LruOptions {
  /** Most entries kept; the least recently used is evicted beyond it. */
  maxEntries: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export type LruGet<V> = { found: true; value: V } | { found: false; reason: 'not_found' | 'expired' };

export class LruCache<V> {
  private readonly map = new Map<string, Entry<V>>();
  private readonly now: () => number;
  evictions = 0;

  constructor(private readonly options: LruOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.map.size;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.map.size > this.options.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.evictions++;
    }
  }

  /** A hit refreshes recency (not expiry); an expired entry is removed and reported as such. */
  get(key: string): LruGet<V> {
    const entry = this.map.get(key);
    if (!entry) return { found: false, reason: 'not_found' };
    if (entry.expiresAt <= this.now()) {
      this.map.delete(key);
      return { found: false, reason: 'expired' };
    }
    this.map.delete(key);
    this.map.set(key, entry);
    return { found: true, value: entry.value };
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  /** Drops expired entries (call now and then: expiry is otherwise lazy). Returns how many. */
  prune(): number {
    const now = this.now();
    let n = 0;
    for (const [key, entry] of this.map) {
      if (entry.expiresAt <= now) {
        this.map.delete(key);
        n++;
      }
    }
    return n;
  }
}
