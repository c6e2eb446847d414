// The durable event publisher of NATS mode: an EventSink that stores every event in the JetStream
// stream with `Nats-Msg-Id` = event id (server-side dedup), many acks in flight, and a bounded
// outbox that keeps events while NATS is down and re-sends them after reconnect.
//
// Acks are read from one wildcard inbox subscription instead of one `js.publish()` promise per
// event: `append` stays O(1) and allocation-light, which the hot path needs (PLATFORM-FACTS: ~4k
// msg/s awaiting each ack, ~16–20k/s with 256 in flight).
import { createInbox, headers, type Msg, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import type { AnyEvent } from '../envelope.js';
import { encodeEvent } from '../event-json.js';
import type { NatsBus } from '../nats/transport.js';
import { eventSubject } from '../subjects.js';
import { LogError } from './errors.js';
import { Outbox } from './outbox.js';
import type { EventLogStats, EventLogWriter } from './types.js';

export interface JetStreamPublisherOptions {
  /** Stream name, for messages only (the stream's subjects decide where events land). */
  stream: string;
  /** Publishes awaiting their ack at once (default 256). */
  maxInFlight?: number;
  /** Events held while unacknowledged, including while NATS is down (default 100 000); beyond it appends are dropped and counted. */
  outboxEvents?: number;
  /** An ack slower than this counts as a failure: everything unacked is re-sent (default 5 s). */
  ackTimeoutMs?: number;
  /** First pause before re-sending after a failure; doubles up to 5 s (default 100 ms). */
  retryDelayMs?: number;
  /** `close()` waits this long for outstanding acks; what is left is counted as dropped (default 5 s). */
  closeTimeoutMs?: number;
  onError?: (error: LogError) => void;
}

export interface JetStreamPublisherStats extends EventLogStats {
  acked: number;
  /** Acks saying the stream already had the event (a re-send after a lost ack). */
  duplicates: number;
  /** Publishes sent again after a failure or reconnect. */
  resent: number;
  failures: number;
  inFlight: number;
  /** Events that cannot be routed (type not `tlsedge.<actor>.<fact>`) or are too large: dropped. */
  unroutable: number;
}

interface Entry {
  readonly event: AnyEvent;
  readonly subject: string;
  payload: string | undefined;
  acked: boolean;
  sent: boolean;
  sentAt: number;
}

const MAX_RETRY_DELAY_MS = 5000;

export class JetStreamEventPublisher implements EventLogWriter {
  private readonly outbox: Outbox<Entry>;
  /** Index (from the outbox head) of the next entry to send. */
  private cursor = 0;
  private readonly inflight = new Map<number, Entry>();
  private token = 0;
  private readonly inbox: string;
  private readonly msgIdHeader = headers();
  private readonly ackSub: NatsSubscription;
  private unacked = 0;
  private pumpScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private readonly ackTimer: NodeJS.Timeout;
  private readonly stopStatus: () => void;
  private flushWaiters: Array<() => void> = [];
  private closed = false;
  private readonly maxInFlight: number;
  private readonly ackTimeoutMs: number;
  private readonly counters = { appended: 0, dropped: 0, acked: 0, duplicates: 0, resent: 0, failures: 0, unroutable: 0 };

  constructor(
    private readonly bus: NatsBus,
    private readonly options: JetStreamPublisherOptions,
  ) {
    this.outbox = new Outbox(options.outboxEvents ?? 100_000);
    this.maxInFlight = options.maxInFlight ?? 256;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.retryDelay = options.retryDelayMs ?? 100;
    this.inbox = `${createInbox()}.`;
    this.ackSub = bus.connection.subscribe(`${this.inbox}*`, { callback: (err, msg) => (err ? undefined : this.onAck(msg)) });
    this.stopStatus = bus.onStatus((status) => {
      if (status === 'connected') {
        this.retryDelay = this.options.retryDelayMs ?? 100;
        this.restart(false);
      } else if (status !== 'closed') {
        // everything in flight is in doubt: re-send it all after reconnect (dedup by id makes that safe)
        this.inflight.clear();
        this.cursor = 0;
      }
    });
    this.ackTimer = setInterval(() => this.checkAckTimeout(), Math.max(10, this.ackTimeoutMs / 2));
    this.ackTimer.unref();
  }

  /** O(1): queues the event for the stream; never throws, never waits. */
  append(event: AnyEvent): void {
    if (this.closed) {
      this.counters.dropped++;
      return;
    }
    let subject: string;
    try {
      subject = eventSubject(event.type, event.correlationid);
    } catch {
      this.counters.unroutable++;
      this.counters.dropped++;
      return;
    }
    if (!this.outbox.push({ event, subject, payload: undefined, acked: false, sent: false, sentAt: 0 })) {
      this.counters.dropped++;
      return;
    }
    this.counters.appended++;
    this.unacked++;
    this.schedulePump();
  }

  /** Resolves when every event appended so far is acknowledged by the stream (or the publisher closed). */
  flush(): Promise<void> {
    if (this.unacked === 0 || this.closed) return Promise.resolve();
    this.schedulePump();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  stats(): JetStreamPublisherStats {
    return { ...this.counters, pending: this.unacked, inFlight: this.inflight.size };
  }

  /** Waits up to closeTimeoutMs for outstanding acks, then stops; unacked events are counted as dropped. The bus stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    const drained = this.flush();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.closeTimeoutMs ?? 5000)))]);
    clearTimeout(timer);
    this.closed = true;
    this.counters.dropped += this.unacked;
    this.unacked = 0;
    this.inflight.clear();
    clearInterval(this.ackTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopStatus();
    if (!this.ackSub.isClosed()) this.ackSub.unsubscribe();
    this.releaseWaiters();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(this.pumpBound);
  }

  private readonly pumpBound = (): void => this.pump();

  /** Sends queued entries while fewer than maxInFlight await their ack. */
  private pump(): void {
    this.pumpScheduled = false;
    if (this.closed || this.retryTimer || this.bus.status() !== 'connected') return;
    const nc = this.bus.connection;
    const now = Date.now();
    while (this.inflight.size < this.maxInFlight && this.cursor < this.outbox.size) {
      const entry = this.outbox.at(this.cursor++)!;
      if (entry.acked) continue;
      entry.payload ??= encodeEvent(entry.event);
      const token = ++this.token;
      // nats.js encodes headers inside publish(), so one header object serves every message
      this.msgIdHeader.set('Nats-Msg-Id', entry.event.id);
      try {
        nc.publish(entry.subject, entry.payload, { reply: this.inbox + token, headers: this.msgIdHeader });
      } catch {
        // refused by the client (larger than max_payload): it can never be stored
        this.counters.unroutable++;
        this.counters.dropped++;
        this.settle(entry);
        continue;
      }
      if (entry.sent) this.counters.resent++;
      entry.sent = true;
      entry.sentAt = now;
      this.inflight.set(token, entry);
    }
  }

  private onAck(msg: Msg): void {
    const token = Number(msg.subject.slice(this.inbox.length));
    const entry = this.inflight.get(token);
    if (!entry) return; // an ack from before a restart: the entry was (or will be) re-sent
    this.inflight.delete(token);
    const failure = ackFailure(msg);
    if (failure !== undefined) {
      this.fail(failure);
      return;
    }
    if (isDuplicate(msg)) this.counters.duplicates++;
    this.counters.acked++;
    this.retryDelay = this.options.retryDelayMs ?? 100;
    this.settle(entry);
    this.schedulePump();
  }

  /** Marks an entry done and drops finished entries from the head of the outbox. */
  private settle(entry: Entry): void {
    if (entry.acked) return;
    entry.acked = true;
    entry.payload = undefined;
    this.unacked--;
    while (this.outbox.peek()?.acked) {
      this.outbox.shift();
      if (this.cursor > 0) this.cursor--;
    }
    if (this.unacked === 0) this.releaseWaiters();
  }

  private fail(reason: string): void {
    this.counters.failures++;
    this.report(new LogError('write_failed', `JetStream stream ${this.options.stream} did not store an event (${reason}); re-sending`));
    this.restart(true);
  }

  /** Forgets what is in flight and re-sends from the oldest unacked entry, after a pause if `delayed`. */
  private restart(delayed: boolean): void {
    this.inflight.clear();
    this.cursor = 0;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!delayed) {
      this.schedulePump();
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, this.retryDelay);
    this.retryDelay = Math.min(MAX_RETRY_DELAY_MS, this.retryDelay * 2);
  }

  private checkAckTimeout(): void {
    const oldest = this.inflight.values().next();
    if (oldest.done) return;
    if (Date.now() - oldest.value.sentAt >= this.ackTimeoutMs) this.fail('ack timeout');
  }

  private releaseWaiters(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private report(error: LogError): void {
    try {
      this.options.onError?.(error);
    } catch {
      // an observer cannot break the publisher
    }
  }
}

const DUPLICATE_KEY = Buffer.from('"duplicate"');
const ERROR_KEY = Buffer.from('"error"');

function bytesOf(msg: Msg): Buffer {
  return Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
}

/** nats-server formats acks by hand (spacing varies by version): parse only the rare candidates. */
function isDuplicate(msg: Msg): boolean {
  if (bytesOf(msg).indexOf(DUPLICATE_KEY) === -1) return false;
  try {
    return msg.json<{ duplicate?: boolean }>().duplicate === true;
  } catch {
    return false;
  }
}

/**
 * Why a publish ack is not a success, or undefined for `{"stream":…,"seq":…}`. Successful acks
 * (nearly all) are recognised by a byte search, without JSON.parse.
 */
function ackFailure(msg: Msg): string | undefined {
  if (msg.headers?.code === 503) return 'no stream listens on the subject';
  if (msg.data.length === 0) return `status ${msg.headers?.code ?? 'unknown'}`;
  if (bytesOf(msg).indexOf(ERROR_KEY) === -1 && msg.data[0] === 0x7b) return undefined;
  try {
    const ack = msg.json<{ error?: { description?: string }; seq?: number }>();
    if (ack.error) return ack.error.description ?? 'error';
    return typeof ack.seq === 'number' ? undefined : 'malformed ack';
  } catch {
    return 'malformed ack';
  }
}
