// The buckets of one origin pool: its connections grouped by pool key (target.ts), indexed by
// address as well, so a request that found no reusable connection can be told why one to the
// same address did not fit. A bucket is dropped once it holds no connection and no waiter.
import type { OriginRule } from '../config/model.js';
import type { MissReason } from './identity.js';
import { missReasonOf, type OriginTarget } from './target.js';
import { WaiterQueue, type QueueSpec, type WaitUnit } from './waiters.js';

/** What every pool keeps per pool key; each pool adds how it holds its connections. */
export abstract class PoolBucket<L> {
  readonly key: string;
  readonly shortKey: string;
  readonly addressKey: string;
  /** The latest rule for this key: limits follow the latest config. */
  rule: OriginRule;
  /** Requests waiting for room (max_connections reached). */
  readonly waiters: WaiterQueue<L>;
  /** Connections counted against max_connections (connecting, idle and busy). */
  abstract readonly open: number;

  constructor(target: OriginTarget, queue: QueueSpec) {
    this.key = target.poolKey;
    this.shortKey = target.shortKey;
    this.addressKey = target.addressKey;
    this.rule = target.rule;
    this.waiters = new WaiterQueue<L>(this, queue);
  }

  /** The target of a connection here that another request could have reused, if any. */
  abstract reusable(): OriginTarget | undefined;
}

export class PoolBuckets<L, B extends PoolBucket<L>> {
  private readonly byKey = new Map<string, B>();
  private readonly byAddress = new Map<string, Set<B>>();

  /** @param maxQueue waiters per bucket (pool key) at most */
  constructor(
    private readonly unit: WaitUnit,
    private readonly maxQueue: number,
    private readonly create: (target: OriginTarget, queue: QueueSpec) => B,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<B> {
    return this.byKey.values();
  }

  get(poolKey: string): B | undefined {
    return this.byKey.get(poolKey);
  }

  /** The bucket for `target`'s pool key, made on first use. */
  for(target: OriginTarget): B {
    let bucket = this.byKey.get(target.poolKey);
    if (!bucket) {
      const made: B = this.create(target, { unit: this.unit, max: this.maxQueue, gaveUp: () => this.dropIfEmpty(made) });
      bucket = made;
      this.byKey.set(target.poolKey, bucket);
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

  dropIfEmpty(bucket: B): void {
    if (bucket.open > 0 || bucket.waiters.length > 0) return;
    if (this.byKey.get(bucket.key) === bucket) this.byKey.delete(bucket.key);
    const set = this.byAddress.get(bucket.addressKey);
    if (set) {
      set.delete(bucket);
      if (set.size === 0) this.byAddress.delete(bucket.addressKey);
    }
  }

  /** Why a reusable connection to the same address, in another bucket, cannot serve `target` (checked only when opening). */
  missReason(bucket: B, target: OriginTarget): MissReason | undefined {
    const set = this.byAddress.get(target.addressKey);
    if (!set) return undefined;
    for (const other of set) {
      if (other === bucket) continue;
      const reusable = other.reusable();
      if (reusable) return missReasonOf(target, reusable);
    }
    return undefined;
  }
}
