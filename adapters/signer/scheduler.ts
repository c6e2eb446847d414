// Admission control for one signer: a global concurrency cap (the worker pool), a per-key cap (a TPM
// serialises commands, so queueing into it only adds latency), a bounded wait queue that refuses
// instead of growing, a deadline per request, and cancellation while waiting or running.
import type { CancelSignal } from '../../bus/cancel-signal.js';
import { SignerError } from './errors.js';

export interface SchedulerOptions {
  /** Operations running at once (workers in the pool). */
  concurrency: number;
  /** Operations running at once on one key. */
  perKeyConcurrency: number;
  /** Requests allowed to wait; one more is refused with `queue_full`. */
  maxQueue: number;
  /** Clock in milliseconds (tests inject one); default performance.now. */
  now?: () => number;
}

export interface SubmitOptions {
  /** Absolute deadline on the scheduler's clock. */
  deadline: number;
  signal?: CancelSignal;
}

interface Entry {
  key: string;
  run: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  onAbort: (() => void) | undefined;
  signal: CancelSignal | undefined;
  /** For slot accounting: a running entry keeps its slot until the operation really ends. */
  state: 'queued' | 'running' | 'done';
  /** The requester has its answer (value, error, timeout or cancellation). */
  answered: boolean;
}

export class Scheduler {
  private readonly queue: Entry[] = [];
  private readonly perKey = new Map<string, number>();
  private runningCount = 0;
  private closedWith: SignerError | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly now: () => number;

  constructor(private readonly options: SchedulerOptions) {
    if (options.concurrency < 1 || options.perKeyConcurrency < 1 || options.maxQueue < 0) {
      throw new RangeError('scheduler: concurrency and perKeyConcurrency must be ≥ 1, maxQueue ≥ 0');
    }
    this.now = options.now ?? (() => performance.now());
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Operations started and not finished (including ones whose requester already gave up). */
  get running(): number {
    return this.runningCount;
  }

  /**
   * Runs `run` when a slot for `key` is free. Rejects with SignerError `queue_full`, `timeout`
   * or `cancelled`; an operation that outlives its requester keeps its slot until it finishes
   * (a token cannot be interrupted), and its result is dropped.
   */
  submit<T>(key: string, run: () => Promise<T>, options: SubmitOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closedWith) return reject(this.closedWith);
      if (options.signal?.aborted) return reject(new SignerError('cancelled', 'request cancelled before it was queued'));
      const remaining = options.deadline - this.now();
      if (remaining <= 0) return reject(new SignerError('timeout', 'deadline passed before the request was queued'));
      const canStart = this.canStart(key);
      if (!canStart && this.queue.length >= this.options.maxQueue) {
        return reject(new SignerError('queue_full', `signer queue is full (${this.options.maxQueue} waiting)`));
      }
      const entry: Entry = {
        key,
        run,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: undefined,
        onAbort: undefined,
        signal: options.signal,
        state: 'queued',
        answered: false,
      };
      entry.timer = setTimeout(() => {
        this.giveUp(entry, new SignerError('timeout', entry.state === 'queued' ? 'deadline passed while queued' : 'deadline passed while signing'));
      }, Math.ceil(remaining));
      if (options.signal) {
        entry.onAbort = () => this.giveUp(entry, new SignerError('cancelled', 'request cancelled'));
        options.signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      if (canStart) this.start(entry);
      else this.queue.push(entry);
    });
  }

  /** Rejects every waiting request (e.g. the token went away) without touching running ones. */
  failQueued(error: SignerError): void {
    for (const entry of this.queue.splice(0)) this.settle(entry, undefined, error);
  }

  /** Resolves when nothing is running. */
  idle(): Promise<void> {
    if (this.runningCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses new requests and fails waiting ones with `error`; running operations finish. */
  close(error = new SignerError('signer_unavailable', 'signer is closed')): void {
    this.closedWith = error;
    this.failQueued(error);
  }

  private canStart(key: string): boolean {
    return this.runningCount < this.options.concurrency && (this.perKey.get(key) ?? 0) < this.options.perKeyConcurrency;
  }

  private start(entry: Entry): void {
    entry.state = 'running';
    this.runningCount++;
    this.perKey.set(entry.key, (this.perKey.get(entry.key) ?? 0) + 1);
    let promise: Promise<unknown>;
    try {
      promise = entry.run();
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(
      (value) => this.finish(entry, value, undefined),
      (err: unknown) => this.finish(entry, undefined, err ?? new Error('operation failed')),
    );
  }

  private finish(entry: Entry, value: unknown, error: unknown): void {
    entry.state = 'done';
    this.runningCount--;
    // Kept at 0 rather than deleted: the keys are the token's few, and a delete per signature would
    // make the map re-allocate its table every few dozen signatures.
    this.perKey.set(entry.key, (this.perKey.get(entry.key) ?? 1) - 1);
    this.settle(entry, value, error);
    this.dispatch();
    if (this.runningCount === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private dispatch(): void {
    for (let i = 0; i < this.queue.length && this.runningCount < this.options.concurrency; ) {
      const entry = this.queue[i]!;
      if (this.canStart(entry.key)) {
        this.queue.splice(i, 1);
        this.start(entry);
      } else {
        i++;
      }
    }
  }

  private giveUp(entry: Entry, error: SignerError): void {
    if (entry.state === 'queued') {
      const at = this.queue.indexOf(entry);
      if (at >= 0) this.queue.splice(at, 1);
      entry.state = 'done';
    }
    this.settle(entry, undefined, error);
  }

  private settle(entry: Entry, value: unknown, error: unknown): void {
    if (entry.answered) return;
    entry.answered = true;
    if (entry.state === 'queued') entry.state = 'done';
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    entry.onAbort = undefined;
    if (error !== undefined) entry.reject(error);
    else entry.resolve(value);
  }
}
