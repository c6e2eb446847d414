// Requests waiting for room in one origin pool bucket (max_connections reached): a bounded FIFO
// (beyond its limit requests are refused with `pool_full` rather than queued) whose members give
// up at the rule's connect timeout or when their caller aborts.
import type { OriginRule } from '../config/model.js';
import { OriginError } from './errors.js';
import type { OriginTarget } from './target.js';

/** A request taken off the queue: its timer and abort listener are already gone. */
export interface Waiter<L> {
  readonly target: OriginTarget;
  readonly signal: AbortSignal | undefined;
  resolve(lease: L): void;
  reject(err: unknown): void;
}

interface Entry<L> extends Waiter<L> {
  timer: NodeJS.Timeout;
  onAbort: (() => void) | undefined;
}

/** What the waiters wait for: a whole connection (HTTP/1.1) or a stream slot on a session (h2). */
export type WaitUnit = 'connection' | 'stream';

/** How one pool queues: the same for all its buckets, but for `gaveUp`. */
export interface QueueSpec {
  readonly unit: WaitUnit;
  /** Waiters at most. */
  readonly max: number;
  /** Called after a waiter left by timeout or abort (the bucket may now be empty). */
  readonly gaveUp: () => void;
}

/** The bucket a queue belongs to, as its messages name it. */
interface Owner {
  readonly shortKey: string;
  readonly rule: OriginRule;
}

const TEXT: Record<WaitUnit, { full: string; timeout: string }> = {
  connection: { full: '', timeout: 'no connection to' },
  stream: { full: 'every session at its stream limit, ', timeout: 'no stream on' },
};

export class WaiterQueue<L> {
  private readonly entries: Array<Entry<L>> = [];

  constructor(
    private readonly owner: Owner,
    private readonly spec: QueueSpec,
  ) {}

  get length(): number {
    return this.entries.length;
  }

  /**
   * Queues a request for `target`; it rejects with `queue_timeout` or `aborted` if it gives up
   * first, and at once with `pool_full` when the queue is full.
   */
  wait(target: OriginTarget, signal: AbortSignal | undefined): Promise<L> {
    if (this.entries.length >= this.spec.max) {
      const { shortKey, rule } = this.owner;
      return Promise.reject(new OriginError('pool_full', `origin pool ${shortKey} is full (max_connections ${rule.pool.maxConnections}, ${TEXT[this.spec.unit].full}${this.entries.length} waiting)`));
    }
    return new Promise<L>((resolve, reject) => {
      const ms = target.rule.timeouts.connectMs;
      const entry: Entry<L> = {
        target,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        timer: setTimeout(() => {
          this.remove(entry);
          reject(new OriginError('queue_timeout', `${TEXT[this.spec.unit].timeout} origin pool ${this.owner.shortKey} within ${ms} ms`));
        }, ms),
      };
      if (signal) {
        entry.onAbort = () => {
          this.remove(entry);
          reject(new OriginError('aborted', `gave up waiting for an origin ${this.spec.unit}`));
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.entries.push(entry);
    });
  }

  /** The longest-waiting request, no longer waiting (settle it with `resolve` or `reject`). */
  shift(): Waiter<L> | undefined {
    const entry = this.entries.shift();
    if (entry) settle(entry);
    return entry;
  }

  /** Refuses every waiter: the pool is closed. */
  close(): void {
    for (const entry of this.entries.splice(0)) {
      settle(entry);
      entry.reject(new OriginError('closed', 'origin pool is closed'));
    }
  }

  private remove(entry: Entry<L>): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
    settle(entry);
    this.spec.gaveUp();
  }
}

function settle<L>(entry: Entry<L>): void {
  clearTimeout(entry.timer);
  if (entry.signal && entry.onAbort) entry.signal.removeEventListener('abort', entry.onAbort);
}
