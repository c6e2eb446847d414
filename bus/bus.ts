// The Bus port: publish/subscribe with NATS-style wildcards, request/reply with a timeout, and
// queue groups. Transports (memory, NATS) implement it; actors only ever see this interface.
import type { CancelSignal } from './cancel-signal.js';
import type { Json } from './envelope.js';

export interface BusMessage {
  readonly subject: string;
  /** The decoded JSON payload. Memory transport passes it by reference: never mutate it. */
  readonly data: Json;
  /** Present on requests: `respond` answers exactly once. */
  readonly reply?: string;
  respond(data: Json): void;
}

export interface Subscription {
  readonly subject: string;
  unsubscribe(): void;
}

export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group (load sharing). */
  queue?: string;
}

export interface RequestOptions {
  /** Milliseconds before the request fails with BusError code `timeout`. */
  timeoutMs: number;
  /** Cancels the wait (e.g. the connection that asked went away); fails with code `cancelled`. */
  signal?: CancelSignal;
}

export type BusStatus = 'connected' | 'disconnected' | 'reconnecting' | 'closed';

export interface Bus {
  /** `memory` or `nats`: for logs and health, never for branching actor behaviour. */
  readonly transport: 'memory' | 'nats';
  /**
   * Fire-and-forget. Never throws for a closed or disconnected transport: it buffers or counts a
   * drop. Throws BusError `bad_subject` for a malformed subject (empty token, wildcard, whitespace).
   */
  publish(subject: string, data: Json): void;
  /** `pattern` may use `*` (one token) and `>` (one or more trailing tokens). */
  subscribe(pattern: string, handler: (msg: BusMessage) => void, options?: SubscribeOptions): Subscription;
  /** Sends a request and waits for the first reply. Rejects with BusError (`timeout`, `no_responders`, `cancelled`, `closed`). */
  request(subject: string, data: Json, options: RequestOptions): Promise<Json>;
  /**
   * Serves requests on `pattern`: the handler's value (or the error it throws, as a `{ error }`
   * reply the requester turns back into a BusError with code `remote_error`) is the reply.
   */
  serve(
    pattern: string,
    handler: (data: Json, msg: BusMessage) => Json | Promise<Json>,
    options?: SubscribeOptions,
  ): Subscription;
  /** Resolves when everything published so far has been handed to the transport. */
  flush(): Promise<void>;
  status(): BusStatus;
  /** Called on every status change (reconnects in NATS mode). Returns an unsubscribe function. */
  onStatus(listener: (status: BusStatus) => void): () => void;
  /** Counters for health and metrics. */
  stats(): BusStats;
  close(): Promise<void>;
}

export interface BusStats {
  /** Messages handed to `publish` (including replies and requests). */
  published: number;
  /** Handler invocations (one per subscriber a message reached). */
  delivered: number;
  /** Handlers that threw: contained, counted, never seen by the publisher. */
  handlerErrors: number;
  /** Messages the transport could not keep (closed, or the reconnect buffer was full). */
  dropped: number;
  /** Incoming payloads that were not JSON: dropped before any handler ran. */
  badPayloads: number;
  /** NATS: messages held while disconnected, re-sent on reconnect. Always 0 in memory. */
  buffered: number;
}

export type BusErrorCode = 'timeout' | 'no_responders' | 'cancelled' | 'closed' | 'remote_error' | 'bad_payload' | 'bad_subject' | 'connect_failed';

export class BusError extends Error {
  override readonly name = 'BusError';
  /** For `remote_error`: the `code` the serving handler's error carried (e.g. `queue_full`). */
  readonly remoteCode: string | undefined;
  constructor(
    readonly code: BusErrorCode,
    message: string,
    options?: { cause?: unknown; remoteCode?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.remoteCode = options?.remoteCode;
  }
}
