// The in-memory Bus (embedded mode): NATS semantics in one process — wildcards, queue groups,
// request/reply with `no_responders` — with asynchronous delivery in publish order.
import { BusError, type Bus, type BusMessage, type BusStats, type BusStatus, type RequestOptions, type SubscribeOptions, type Subscription } from '../bus.js';
import { answerRequest, replyError } from '../codec.js';
import type { Json } from '../envelope.js';
import { isValidPattern, isValidSubject } from '../subjects.js';
import { SubjectIndex, type SubjectMatch } from './subject-index.js';

export interface MemoryBusOptions {
  /** Hears about every handler that threw (after it was counted). Must not throw itself. */
  onHandlerError?: (error: unknown, subject: string) => void;
  /** Subjects whose subscriber lists are cached (default 4096). */
  subjectCacheSize?: number;
}

type Handler = (msg: BusMessage) => void;

class MemorySubscription implements Subscription {
  active = true;
  constructor(
    private readonly bus: MemoryBus,
    readonly pattern: string,
    readonly queue: string | undefined,
    readonly handler: Handler,
  ) {}

  get subject(): string {
    return this.pattern;
  }

  unsubscribe(): void {
    if (!this.active) return;
    this.active = false;
    this.bus.removeSubscription(this);
  }
}

class MemoryMessage implements BusMessage {
  constructor(
    private readonly bus: MemoryBus,
    readonly subject: string,
    readonly data: Json,
    readonly reply: string | undefined,
  ) {}

  respond(data: Json): void {
    if (this.reply !== undefined) this.bus.deliverReply(this.reply, data);
  }
}

interface Delivery {
  readonly message: MemoryMessage;
  readonly match: SubjectMatch<MemorySubscription>;
}

interface PendingRequest {
  resolve(value: Json): void;
  reject(error: BusError): void;
}

let busCounter = 0;

export class MemoryBus implements Bus {
  readonly transport = 'memory' as const;
  private readonly index: SubjectIndex<MemorySubscription>;
  private readonly deliveries: Delivery[] = [];
  private draining = false;
  private scheduled = false;
  private flushWaiters: Array<() => void> = [];
  /** Round-robin position per queue group name. */
  private readonly turns = new Map<string, number>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly inboxPrefix = `_INBOX.mem${(++busCounter).toString(36)}.`;
  private requestCounter = 0;
  private closed = false;
  private readonly statusListeners = new Set<(status: BusStatus) => void>();
  private readonly counters: BusStats = { published: 0, delivered: 0, handlerErrors: 0, dropped: 0, badPayloads: 0, buffered: 0 };
  private readonly drainBound = (): void => this.drain();

  constructor(private readonly options: MemoryBusOptions = {}) {
    this.index = new SubjectIndex(options.subjectCacheSize);
  }

  publish(subject: string, data: Json): void {
    this.send(subject, data, undefined);
  }

  /**
   * False when no subscription can match any subject under `prefix` (literal tokens): publishing
   * there would reach nobody, so a publisher may skip building the subject and the message.
   */
  interestedIn(prefix: string): boolean {
    return !this.closed && this.index.interestedIn(prefix);
  }

  subscribe(pattern: string, handler: (msg: BusMessage) => void, options?: SubscribeOptions): Subscription {
    if (!isValidPattern(pattern)) throw new BusError('bad_subject', `invalid subscription pattern ${JSON.stringify(pattern)}`);
    const sub = new MemorySubscription(this, pattern, options?.queue, handler);
    if (this.closed) {
      sub.active = false;
      return sub;
    }
    this.index.add(sub);
    return sub;
  }

  request(subject: string, data: Json, options: RequestOptions): Promise<Json> {
    if (this.closed) return Promise.reject(new BusError('closed', 'bus is closed'));
    if (options.signal?.aborted) return Promise.reject(new BusError('cancelled', `request on ${subject} cancelled`));
    const inbox = this.inboxPrefix + (++this.requestCounter).toString(36);
    return new Promise<Json>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => settle(new BusError('cancelled', `request on ${subject} cancelled`));
      const timer = setTimeout(() => settle(new BusError('timeout', `no reply on ${subject} within ${options.timeoutMs} ms`)), options.timeoutMs);
      const settle = (outcome: BusError | { value: Json }): void => {
        if (!this.pending.delete(inbox)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (outcome instanceof BusError) reject(outcome);
        else resolve(outcome.value);
      };
      this.pending.set(inbox, {
        resolve: (value) => settle({ value }),
        reject: (error) => settle(error),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!this.send(subject, data, inbox)) {
        // like NATS: the "server" answers at once that nobody listens, asynchronously
        queueMicrotask(() => settle(new BusError('no_responders', `no responders on ${subject}`)));
      }
    });
  }

  serve(pattern: string, handler: (data: Json, msg: BusMessage) => Json | Promise<Json>, options?: SubscribeOptions): Subscription {
    return this.subscribe(pattern, (msg) => answerRequest(msg, handler), options);
  }

  flush(): Promise<void> {
    if (this.deliveries.length === 0 && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  status(): BusStatus {
    return this.closed ? 'closed' : 'connected';
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  stats(): BusStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deliveries.length = 0;
    for (const [, request] of this.pending) request.reject(new BusError('closed', 'bus closed while waiting for a reply'));
    this.pending.clear();
    this.releaseFlushWaiters();
    for (const listener of this.statusListeners) {
      try {
        listener('closed');
      } catch {
        // a status observer cannot stop the close
      }
    }
  }

  /** @internal */
  removeSubscription(sub: MemorySubscription): void {
    this.index.remove(sub);
  }

  /** @internal a reply to one of our requests settles it directly; other reply subjects are ordinary subjects. */
  deliverReply(reply: string, data: Json): void {
    const request = this.pending.get(reply);
    if (!request) {
      if (!this.closed && isValidSubject(reply)) this.send(reply, data, undefined);
      return;
    }
    this.counters.published++;
    // asynchronous like every other delivery, so a requester never resumes inside the server's stack
    queueMicrotask(() => {
      const remote = replyError(data);
      if (remote) request.reject(new BusError('remote_error', remote.message, { remoteCode: remote.code }));
      else request.resolve(data);
    });
  }

  /** Queues a message for every matching subscriber; false when nobody was interested. */
  private send(subject: string, data: Json, reply: string | undefined): boolean {
    if (this.closed) {
      this.counters.dropped++;
      return false;
    }
    const match = this.index.match(subject);
    if (!match) throw new BusError('bad_subject', `invalid subject ${JSON.stringify(subject)}`);
    this.counters.published++;
    if (match.empty) return false;
    this.deliveries.push({ message: new MemoryMessage(this, subject, data, reply), match });
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drainBound);
    }
    return true;
  }

  private drain(): void {
    this.scheduled = false;
    this.draining = true;
    // Deliveries queued by handlers run in this same loop, after those already queued: publish order holds.
    let i = 0;
    for (; i < this.deliveries.length; i++) {
      const { message, match } = this.deliveries[i]!;
      for (const sub of match.plain) if (sub.active) this.invoke(sub, message);
      for (const group of match.groups) {
        const sub = this.pickMember(group.queue, group.members);
        if (sub) this.invoke(sub, message);
      }
      if (this.closed) break;
    }
    this.deliveries.splice(0, i);
    this.draining = false;
    this.releaseFlushWaiters();
  }

  private pickMember(queue: string, members: readonly MemorySubscription[]): MemorySubscription | undefined {
    const start = this.turns.get(queue) ?? 0;
    for (let k = 0; k < members.length; k++) {
      const sub = members[(start + k) % members.length]!;
      if (sub.active) {
        this.turns.set(queue, (start + k + 1) % members.length);
        return sub;
      }
    }
    return undefined;
  }

  private invoke(sub: MemorySubscription, message: MemoryMessage): void {
    this.counters.delivered++;
    try {
      sub.handler(message);
    } catch (error) {
      this.counters.handlerErrors++;
      this.options.onHandlerError?.(error, message.subject);
    }
  }

  private releaseFlushWaiters(): void {
    if (this.flushWaiters.length === 0 || (this.deliveries.length > 0 && !this.closed)) return;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
