// Leases for "one actor of a kind acts per fleet" (the ticket-key rotator). A NATS KV entry taken
// with compare-and-set (`create` succeeds only when the key is absent; `update` only at the revision
// we hold) in a bucket whose TTL is the lease time: a holder that stops renewing loses it within
// that time. The revision at acquisition is the fencing term: a later holder always has a higher one.
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { openKvBucket } from './kv-bucket.js';

export interface LeaseState {
  held: boolean;
  /** Fencing term of the current holding (0 when not held). */
  term: number;
  /** Who holds it, when known. */
  holder: string | null;
}

export interface Lease {
  /** Tries to take or renew the lease; never throws (an unreachable store means not held). */
  tick(): Promise<LeaseState>;
  /** Gives it up (on clean stop) so another takes over at once. */
  release(): Promise<void>;
  readonly ttlMs: number;
}

/** One process, one leader: embedded mode. Terms count up from the one found in the log. */
export class LocalLease implements Lease {
  readonly ttlMs = Number.POSITIVE_INFINITY;
  constructor(private readonly holder: string) {}
  async tick(): Promise<LeaseState> {
    return { held: true, term: 1, holder: this.holder };
  }
  async release(): Promise<void> {}
}

export class NatsKvLease implements Lease {
  private revision = 0;
  private term = 0;
  /** When the current holding was last confirmed: past `ttlMs` we no longer trust it. */
  private confirmedAt = 0;

  private constructor(
    private readonly kv: KV,
    private readonly key: string,
    private readonly holder: string,
    readonly ttlMs: number,
  ) {}

  static async open(nc: NatsConnection, bucket: string, key: string, holder: string, ttlMs: number): Promise<NatsKvLease> {
    return new NatsKvLease(await openKvBucket(nc, bucket, ttlMs), key, holder, ttlMs);
  }

  async tick(): Promise<LeaseState> {
    const value = JSON.stringify({ holder: this.holder, at: new Date().toISOString() });
    try {
      if (this.revision > 0) {
        this.revision = await this.kv.update(this.key, value, this.revision);
      } else {
        this.revision = await this.kv.create(this.key, value);
        this.term = this.revision;
      }
      this.confirmedAt = Date.now();
      return { held: true, term: this.term, holder: this.holder };
    } catch (err) {
      // Lost the compare-and-set (someone else holds it, or ours expired) — or the store is
      // unreachable: then keep the holding only while it cannot have expired yet, so a NATS blip
      // does not flap leadership.
      const lostRace = /wrong last sequence/i.test((err as Error).message ?? '');
      if (!lostRace && this.revision > 0 && Date.now() - this.confirmedAt < this.ttlMs / 2) return { held: true, term: this.term, holder: this.holder };
      this.revision = 0;
      this.term = 0;
      let holder: string | null = null;
      try {
        const entry = await this.kv.get(this.key);
        if (entry?.operation === 'PUT') holder = (JSON.parse(entry.string()) as { holder?: string }).holder ?? null;
      } catch {
        // unknown
      }
      return { held: false, term: 0, holder };
    }
  }

  async release(): Promise<void> {
    if (this.revision === 0) return;
    try {
      await this.kv.delete(this.key, { previousSeq: this.revision });
    } catch {
      // expires by itself
    }
    this.revision = 0;
    this.term = 0;
  }
}
