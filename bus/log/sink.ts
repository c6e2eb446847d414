// Where recorded events go, per mode (ARCHITECTURE "Events"): embedded — the JSONL log plus a live
// publish on the memory bus; NATS — the durable JetStream publisher, whose publishes core
// subscribers on `tlsedge.evt.>` receive as well, so live tails work the same in both modes.
import type { LogConfig } from '../../adapters/config/model.js';
import type { Bus } from '../bus.js';
import type { AnyEvent } from '../envelope.js';
import { NatsBus } from '../nats/transport.js';
import { EVENT_ROOT, eventSubject, isRoutableEventType } from '../subjects.js';
import { MemoryBus } from '../memory/transport.js';
import { LogError } from './errors.js';
import { ensureEventStream } from './jetstream.js';
import { JetStreamEventPublisher, type JetStreamPublisherOptions } from './jetstream-publisher.js';
import { JetStreamEventReader } from './jetstream-reader.js';
import { JsonlEventReader } from './jsonl-reader.js';
import { openJsonlWriter, type JsonlWriterOptions } from './jsonl-writer.js';
import type { EventLogReader, EventLogStats, EventLogWriter } from './types.js';

export interface EmbeddedSinkStats extends EventLogStats {
  /** Events written to the log but not published live (type not `tlsedge.<actor>.<fact>`). */
  unroutable: number;
}

/** Embedded mode: durable append to the log, then a live publish on `tlsedge.evt.<actor>.<id>.<fact>`. */
export class EmbeddedEventSink implements EventLogWriter {
  private unroutable = 0;

  constructor(
    readonly log: EventLogWriter,
    readonly bus: Bus,
  ) {}

  append(event: AnyEvent): void {
    this.log.append(event);
    if (this.bus instanceof MemoryBus && !this.bus.interestedIn(EVENT_ROOT)) {
      // Nobody listens live (no `events --follow`, no SSE client): skip the subject and the match.
      if (!isRoutableEventType(event.type)) this.unroutable++;
      return;
    }
    let subject: string;
    try {
      subject = eventSubject(event.type, event.correlationid);
    } catch {
      this.unroutable++;
      return;
    }
    try {
      // the memory bus passes the object by reference: subscribers must treat it as read-only
      this.bus.publish(subject, event as unknown as Parameters<Bus['publish']>[1]);
    } catch {
      this.unroutable++;
    }
  }

  async flush(): Promise<void> {
    await Promise.all([this.log.flush(), this.bus.flush()]);
  }

  stats(): EmbeddedSinkStats {
    return { ...this.log.stats(), unroutable: this.unroutable };
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

export interface EventLog {
  /** Give this to EventRecorder: O(1) appends that never throw. */
  sink: EventLogWriter;
  reader: EventLogReader;
  /** Flushes and closes the sink and the reader (not the bus). */
  close(): Promise<void>;
}

export interface OpenEventLogOptions {
  log: LogConfig;
  bus: Bus;
  /** Embedded mode tuning (batching, pending bound). */
  jsonl?: Omit<JsonlWriterOptions, 'config'>;
  /** NATS mode tuning (in-flight acks, outbox size). */
  jetstream?: Omit<JetStreamPublisherOptions, 'stream'>;
  onError?: (error: LogError) => void;
}

/** Opens the event log that fits the bus: JSONL files for the memory bus, JetStream for NATS. */
export async function openEventLog(options: OpenEventLogOptions): Promise<EventLog> {
  const { log, bus } = options;
  const onError = options.onError ? { onError: options.onError } : {};
  if (bus.transport === 'memory') {
    const writer = await openJsonlWriter({ ...options.jsonl, config: log, ...onError });
    return eventLogOf(new EmbeddedEventSink(writer, bus), new JsonlEventReader(log.dir));
  }
  if (!(bus instanceof NatsBus)) throw new LogError('open_failed', 'NATS event log needs the NATS bus transport');
  await ensureEventStream(bus.connection, log);
  return eventLogOf(new JetStreamEventPublisher(bus, { ...options.jetstream, stream: log.stream, ...onError }), new JetStreamEventReader(bus.connection, log.stream));
}

/** The log of either mode: closing it closes the reader, then the sink (which flushes what it holds). */
function eventLogOf(sink: EventLogWriter, reader: EventLogReader): EventLog {
  return {
    sink,
    reader,
    async close() {
      await reader.close();
      await sink.close();
    },
  };
}
