// The Bus on NATS (@nats-io/transport-node v3): JSON string payloads, reconnects forever, and a
// bounded buffer of its own for publishes made while disconnected (nats.js discards them on redial).
import {
  connect,
  errors as natsErrors,
  NoRespondersError,
  TimeoutError,
  type Msg,
  type NatsConnection,
  type Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import type { BusConfig } from '../../adapters/config/model.js';
import { BusError, type Bus, type BusMessage, type BusStats, type BusStatus, type RequestOptions, type SubscribeOptions, type Subscription } from '../bus.js';
import { answerRequest, replyError } from '../codec.js';
import type { Json } from '../envelope.js';
import { isValidPattern, isValidSubject } from '../subjects.js';
import { natsConnectionOptions, type NatsConnectTuning } from './options.js';

export interface NatsBusOptions {
  /**
   * Bytes of publishes kept while disconnected and sent on reconnect (default 8 MiB). Beyond it
   * publishes are dropped and counted: core NATS is at-most-once, the event log has its own outbox.
   */
  reconnectBufferBytes?: number;
  onHandlerError?: (error: unknown, subject: string) => void;
}

/** Connects to the servers in `config` (see natsConnectionOptions for the knobs). */
export async function connectNatsBus(config: BusConfig, tuning: NatsConnectTuning, options: NatsBusOptions = {}): Promise<NatsBus> {
  const connectionOptions = natsConnectionOptions(config, tuning);
  let nc: NatsConnection;
  try {
    nc = await connect(connectionOptions);
  } catch (error) {
    throw new BusError('connect_failed', `cannot connect to NATS at ${config.servers.join(', ')}: ${(error as Error).message}`, { cause: error });
  }
  return new NatsBus(nc, options);
}

/** nats.js keeps this internal flag in sync with the socket; status events lag a few microtasks. */
interface ProtocolPeek {
  protocol?: { connected?: boolean };
}

export class NatsBus implements Bus {
  readonly transport = 'nats' as const;
  private current: BusStatus = 'connected';
  private readonly listeners = new Set<(status: BusStatus) => void>();
  private readonly counters: BusStats = { published: 0, delivered: 0, handlerErrors: 0, dropped: 0, badPayloads: 0, buffered: 0 };
  /** Publishes held while disconnected: subject, payload. */
  private held: Array<[string, string]> = [];
  private heldBytes = 0;
  private readonly maxHeldBytes: number;
  private readonly peek: ProtocolPeek;
  private statusWaiters: Array<() => void> = [];

  constructor(
    /** The underlying connection, for JetStream and KV clients that share it. */
    readonly connection: NatsConnection,
    private readonly options: NatsBusOptions = {},
  ) {
    this.maxHeldBytes = options.reconnectBufferBytes ?? 8 * 1024 * 1024;
    this.peek = connection as unknown as ProtocolPeek;
    void this.watchStatus();
  }

  publish(subject: string, data: Json): void {
    if (!isValidSubject(subject)) throw new BusError('bad_subject', `invalid subject ${JSON.stringify(subject)}`);
    this.counters.published++;
    this.send(subject, JSON.stringify(data ?? null));
  }

  subscribe(pattern: string, handler: (msg: BusMessage) => void, options?: SubscribeOptions): Subscription {
    if (!isValidPattern(pattern)) throw new BusError('bad_subject', `invalid subscription pattern ${JSON.stringify(pattern)}`);
    if (this.current === 'closed') return { subject: pattern, unsubscribe() {} };
    const sub: NatsSubscription = this.connection.subscribe(pattern, {
      ...(options?.queue !== undefined ? { queue: options.queue } : {}),
      callback: (err, msg) => {
        if (err) return; // the subscription ended (permissions, close): nothing to deliver
        this.dispatch(msg, handler);
      },
    });
    return {
      subject: pattern,
      unsubscribe: () => {
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
  }

  async request(subject: string, data: Json, options: RequestOptions): Promise<Json> {
    if (this.current === 'closed') throw new BusError('closed', 'bus is closed');
    if (!isValidSubject(subject)) throw new BusError('bad_subject', `invalid subject ${JSON.stringify(subject)}`);
    const signal = options.signal;
    if (signal?.aborted) throw new BusError('cancelled', `request on ${subject} cancelled`);
    this.counters.published++;
    const reply = this.connection.request(subject, JSON.stringify(data ?? null), { timeout: Math.max(1, options.timeoutMs) });
    let msg: Msg;
    if (signal) {
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new BusError('cancelled', `request on ${subject} cancelled`));
        signal.addEventListener('abort', onAbort, { once: true });
      });
      // the nats.js request keeps its own timer; a late reply to it is discarded by the mux
      reply.catch(() => {});
      try {
        msg = await Promise.race([reply, aborted]).catch((error: unknown) => {
          throw error instanceof BusError ? error : requestError(error, subject, options.timeoutMs);
        });
      } finally {
        signal.removeEventListener('abort', onAbort!);
      }
    } else {
      msg = await reply.catch((error: unknown) => {
        throw requestError(error, subject, options.timeoutMs);
      });
    }
    let value: Json;
    try {
      value = msg.json<Json>();
    } catch (error) {
      this.counters.badPayloads++;
      throw new BusError('bad_payload', `reply on ${subject} is not JSON`, { cause: error });
    }
    const remote = replyError(value);
    if (remote) throw new BusError('remote_error', remote.message, { remoteCode: remote.code });
    return value;
  }

  serve(pattern: string, handler: (data: Json, msg: BusMessage) => Json | Promise<Json>, options?: SubscribeOptions): Subscription {
    return this.subscribe(pattern, (msg) => answerRequest(msg, handler), options);
  }

  async flush(): Promise<void> {
    for (;;) {
      if (this.current === 'closed') return;
      if (this.isConnected()) {
        try {
          await this.connection.flush();
          return;
        } catch {
          // disconnected during the flush: wait for the next connection and try again
        }
      }
      await new Promise<void>((resolve) => this.statusWaiters.push(resolve));
    }
  }

  status(): BusStatus {
    return this.current;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): BusStats {
    return { ...this.counters, buffered: this.held.length };
  }

  /** Delivers what can be delivered (drain) when connected, then closes; held publishes are dropped and counted. */
  async close(): Promise<void> {
    if (this.current === 'closed') return;
    this.counters.dropped += this.held.length;
    this.held = [];
    this.heldBytes = 0;
    try {
      if (this.isConnected()) await this.connection.drain();
      else await this.connection.close();
    } catch {
      await this.connection.close().catch(() => {});
    }
    this.setStatus('closed');
  }

  /** @internal used by NatsMessage.respond */
  sendReply(subject: string, data: Json): void {
    this.counters.published++;
    this.send(subject, JSON.stringify(data ?? null));
  }

  private send(subject: string, payload: string): void {
    if (this.current === 'closed') {
      this.counters.dropped++;
      return;
    }
    if (!this.isConnected() || this.held.length > 0) {
      this.hold(subject, payload);
      return;
    }
    try {
      this.connection.publish(subject, payload);
    } catch {
      // max_payload exceeded, or the connection closed under us: refused, counted
      this.counters.dropped++;
    }
  }

  private hold(subject: string, payload: string): void {
    const size = subject.length + payload.length;
    if (this.heldBytes + size > this.maxHeldBytes) {
      this.counters.dropped++;
      return;
    }
    this.held.push([subject, payload]);
    this.heldBytes += size;
  }

  /** Re-sends held publishes in order once the connection is back. */
  private replayHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const [subject, payload] of held) {
      try {
        this.connection.publish(subject, payload);
      } catch {
        this.counters.dropped++;
      }
    }
  }

  private dispatch(msg: Msg, handler: (msg: BusMessage) => void): void {
    let data: Json;
    try {
      data = msg.json<Json>();
    } catch {
      this.counters.badPayloads++;
      return;
    }
    this.counters.delivered++;
    try {
      handler(new NatsMessage(this, msg.subject, data, msg.reply || undefined));
    } catch (error) {
      this.counters.handlerErrors++;
      this.options.onHandlerError?.(error, msg.subject);
    }
  }

  private isConnected(): boolean {
    const connected = this.peek.protocol?.connected;
    return connected === undefined ? this.current === 'connected' : connected && this.current !== 'closed';
  }

  private async watchStatus(): Promise<void> {
    void this.connection.closed().then(() => this.setStatus('closed'));
    for await (const status of this.connection.status()) {
      switch (status.type) {
        case 'disconnect':
          this.setStatus('disconnected');
          break;
        case 'reconnecting':
          this.setStatus('reconnecting');
          break;
        case 'reconnect':
          this.replayHeld();
          this.setStatus('connected');
          break;
        case 'close':
          this.setStatus('closed');
          break;
        default:
          break;
      }
    }
  }

  private setStatus(status: BusStatus): void {
    if (this.current === status || this.current === 'closed') return;
    this.current = status;
    if (status === 'closed') {
      this.counters.dropped += this.held.length;
      this.held = [];
      this.heldBytes = 0;
    }
    const waiters = this.statusWaiters;
    this.statusWaiters = [];
    for (const resolve of waiters) resolve();
    for (const listener of this.listeners) {
      try {
        listener(status);
      } catch {
        // an observer cannot break status tracking
      }
    }
  }
}

class NatsMessage implements BusMessage {
  private answered = false;
  constructor(
    private readonly bus: NatsBus,
    readonly subject: string,
    readonly data: Json,
    readonly reply: string | undefined,
  ) {}

  respond(data: Json): void {
    if (this.reply === undefined || this.answered) return;
    this.answered = true;
    this.bus.sendReply(this.reply, data);
  }
}

function requestError(error: unknown, subject: string, timeoutMs: number): BusError {
  if (error instanceof TimeoutError || (error as Error | undefined)?.cause instanceof TimeoutError) {
    return new BusError('timeout', `no reply on ${subject} within ${timeoutMs} ms`, { cause: error });
  }
  if (
    error instanceof NoRespondersError ||
    (error as Error | undefined)?.cause instanceof NoRespondersError ||
    (error instanceof natsErrors.RequestError && error.isNoResponders())
  ) {
    return new BusError('no_responders', `no responders on ${subject}`, { cause: error });
  }
  return new BusError('closed', `request on ${subject} failed: ${(error as Error).message}`, { cause: error });
}
