// The distributed session store: a NATS KV bucket whose TTL is `session.cache.ttl` (nats-server 2.9
// has no per-key TTL, PLATFORM-FACTS). Entries also carry their own expiry inside the seal, so an
// entry read in the instant before the server drops it is still refused as `expired`.
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BackendGet, SessionBackend } from './backend.js';
import { openKvBucket } from './kv-bucket.js';

export class NatsKvSessionBackend implements SessionBackend {
  readonly kind = 'nats-kv' as const;

  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, bucket: string, ttlMs: number): Promise<NatsKvSessionBackend> {
    return new NatsKvSessionBackend(await openKvBucket(nc, bucket, ttlMs));
  }

  async put(key: string, sealed: string): Promise<void> {
    await this.kv.put(key, sealed);
  }

  async get(key: string): Promise<BackendGet> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return { found: false, reason: 'not_found' };
    return { found: true, sealed: entry.string() };
  }

  async take(key: string): Promise<BackendGet> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return { found: false, reason: 'not_found' };
    try {
      // Deletes only the revision we read: a concurrent take (another store process) wins or loses as a whole.
      await this.kv.delete(key, { previousSeq: entry.revision });
    } catch {
      return { found: false, reason: 'not_found' };
    }
    return { found: true, sealed: entry.string() };
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(key);
  }

  evictions(): number {
    return 0;
  }

  async close(): Promise<void> {
    // the connection belongs to the bus
  }
}
