// The event log ports: one writer and one reader interface, implemented by JSONL segment files
// (embedded mode) and by a JetStream stream over `tlsedge.evt.>` (NATS mode).
import type { AnyEvent } from '../envelope.js';
import type { EventSink } from '../recorder.js';

export interface EventFilter {
  /** Only this connection's / actor's events. */
  correlationId?: string;
  /** Event types; an entry ending in `.` or `*` is a prefix (`tlsedge.connection.*`). */
  types?: string[];
  /** Only events whose `subject` (the SNI for connection events) equals this. */
  subject?: string;
  /** Only events at or after this time. */
  since?: Date;
}

export interface EventLogReader {
  /** Stored events matching the filter, oldest first. Ends at the current end of the log. */
  read(filter?: EventFilter): AsyncIterable<AnyEvent>;
  /**
   * Stored events from `since` (default: none of the past, only new ones), then new events as
   * they arrive, until `signal` aborts.
   */
  follow(filter: EventFilter & { fromStart?: boolean }, signal: AbortSignal): AsyncIterable<AnyEvent>;
  close(): Promise<void>;
}

export interface EventLogStats {
  appended: number;
  /** Events that could not be kept (buffer full while the store was unreachable). Should stay 0. */
  dropped: number;
  /** Events accepted but not yet durable. */
  pending: number;
}

export interface EventLogWriter extends EventSink {
  /** Resolves when everything appended so far is written (and, per policy, synced). */
  flush(): Promise<void>;
  stats(): EventLogStats;
  close(): Promise<void>;
}
