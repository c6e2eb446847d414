// The session store's storage port: sealed sessions by key with a time to live. Implemented by an
// in-memory LRU (embedded) and a NATS KV bucket with a bucket TTL (distributed). Values are opaque
// sealed text: a backend never sees a session in the clear.
export type BackendGet = { found: true; sealed: string } | { found: false; reason: 'not_found' | 'expired' };

export interface SessionBackend {
  readonly kind: 'memory' | 'nats-kv';
  put(key: string, sealed: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<BackendGet>;
  /**
   * Gets and deletes in one step (single-use sessions: the offload engine's TLS 1.3 stateful PSKs).
   * Of two concurrent takes of one key at most one finds it.
   */
  take(key: string): Promise<BackendGet>;
  delete(key: string): Promise<void>;
  /** Entries evicted for space so far (LRU only; KV expires by age). */
  evictions(): number;
  close(): Promise<void>;
}
