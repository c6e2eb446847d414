// Builds CloudEvents for an actor and hands them to an EventSink. One EventStream per correlation
// id (a connection, an actor instance) keeps that stream's `sequence` without a shared map.
import type { AnyEvent, CloudEvent, Json } from './envelope.js';

/** Where recorded events go: the bus (live subscribers) and the event log (durable). */
export interface EventSink {
  /** Must not throw and must not block: buffer, and count what cannot be kept. */
  append(event: AnyEvent): void;
}

/** `new Date().toISOString()` costs ~1–2 µs; events come in bursts, so reuse the string within a millisecond. */
let lastMs = -1;
let lastIso = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

export class EventRecorder {
  private counter = 0;
  private readonly idPrefix: string;

  /**
   * @param nodeId short id of this process (a subject-safe token), part of every event id
   * @param actor  actor kind, e.g. `connection`; used for the CloudEvents `source`
   */
  constructor(
    private readonly sink: EventSink,
    readonly nodeId: string,
    readonly actor: string,
  ) {
    this.idPrefix = `${nodeId}-${Date.now().toString(36)}-`;
  }

  get source(): string {
    return `/tlsedge/${this.nodeId}/${this.actor}`;
  }

  /** A stream of events for one correlation id, starting at `nextSequence` (1 for a new one). */
  stream(correlationId: string, nextSequence = 1): EventStream {
    return new EventStream(this, correlationId, nextSequence);
  }

  /** @internal used by EventStream */
  emit<TType extends string, TData>(type: TType, correlationId: string, sequence: number, data: TData, subject?: string): CloudEvent<TType, TData> {
    const event: CloudEvent<TType, TData> = {
      specversion: '1.0',
      id: this.idPrefix + (++this.counter).toString(36),
      source: this.source,
      type,
      time: isoNow(),
      datacontenttype: 'application/json',
      data,
      sequence,
      correlationid: correlationId,
    };
    if (subject !== undefined) event.subject = subject;
    this.sink.append(event as AnyEvent);
    return event;
  }
}

export class EventStream {
  constructor(
    private readonly recorder: EventRecorder,
    readonly correlationId: string,
    private nextSequence: number,
  ) {}

  emit<TType extends string, TData extends Json | object>(type: TType, data: TData, subject?: string): CloudEvent<TType, TData> {
    return this.recorder.emit(type, this.correlationId, this.nextSequence++, data, subject);
  }

  get sequence(): number {
    return this.nextSequence - 1;
  }
}
