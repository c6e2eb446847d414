// Reads the NATS-mode event log: an ordered consumer on the event stream, filtered server-side by
// one subject (nats-server 2.9 takes a single filter subject) and client-side by the full filter.
import { DeliverPolicy, jetstream, type ConsumerMessages, type OrderedConsumerOptions } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EventDecoder } from '../codec.js';
import type { AnyEvent } from '../envelope.js';
import { splitEventType } from '../envelope.js';
import { ALL_EVENTS, EVENT_ROOT, safeToken } from '../subjects.js';
import { compileFilter, typeMatchers } from './filter.js';
import type { EventFilter, EventLogReader } from './types.js';

export class JetStreamEventReader implements EventLogReader {
  /** Counts stream messages that are not valid events (by reason). */
  readonly decoder = new EventDecoder();
  private readonly active = new Set<ConsumerMessages>();

  constructor(
    private readonly nc: NatsConnection,
    readonly stream: string,
  ) {}

  async *read(filter: EventFilter = {}): AsyncGenerator<AnyEvent> {
    const consumer = await jetstream(this.nc).consumers.get(this.stream, consumerOptions(filter, filter.since ? 'since' : 'all'));
    const info = await consumer.info();
    if (info.num_pending === 0) return;
    yield* this.drain(await consumer.consume(), filter, true);
  }

  async *follow(filter: EventFilter & { fromStart?: boolean }, signal: AbortSignal): AsyncGenerator<AnyEvent> {
    if (signal.aborted) return;
    const start = filter.fromStart ? 'all' : filter.since ? 'since' : 'new';
    const consumer = await jetstream(this.nc).consumers.get(this.stream, consumerOptions(filter, start));
    const messages = await consumer.consume();
    const onAbort = (): void => void messages.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      yield* this.drain(messages, filter, false);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops every read and follow in progress. */
  async close(): Promise<void> {
    await Promise.all([...this.active].map((m) => m.close()));
    this.active.clear();
  }

  private async *drain(messages: ConsumerMessages, filter: EventFilter, untilEnd: boolean): AsyncGenerator<AnyEvent> {
    const predicate = compileFilter(filter);
    this.active.add(messages);
    try {
      for await (const msg of messages) {
        const event = this.decoder.decode(msg.data, msg.subject);
        if (event && predicate(event)) yield event;
        // `pending` is what the stream held beyond this message when it was delivered: 0 is the end
        if (untilEnd && msg.info.pending === 0) break;
      }
    } finally {
      this.active.delete(messages);
      await messages.close();
    }
  }
}

function consumerOptions(filter: EventFilter, start: 'all' | 'since' | 'new'): Partial<OrderedConsumerOptions> {
  const options: Partial<OrderedConsumerOptions> = { filter_subjects: filterSubjectFor(filter) };
  if (start === 'new') options.deliver_policy = DeliverPolicy.New;
  else if (start === 'since' && filter.since) {
    options.deliver_policy = DeliverPolicy.StartTime;
    options.opt_start_time = filter.since.toISOString();
  } else options.deliver_policy = DeliverPolicy.All;
  return options;
}

/**
 * The narrowest single subject (`tlsedge.evt.<actor>.<id>.<fact>`) covering the filter: the
 * correlation id and, when the types name one actor (or one fact), those tokens.
 */
export function filterSubjectFor(filter: EventFilter): string {
  const id = filter.correlationId === undefined ? '*' : safeToken(filter.correlationId);
  let actor = '*';
  let fact = '*';
  if (filter.types && filter.types.length > 0) {
    const { exact, prefixes } = typeMatchers(filter.types);
    const actors = new Set<string>();
    const facts = new Set<string>();
    for (const type of exact) {
      const parts = splitEventType(type);
      if (!parts) return ALL_EVENTS; // not a tlsedge type: nothing narrower is safe
      actors.add(parts.actor);
      facts.add(safeToken(parts.fact));
    }
    for (const prefix of prefixes) {
      const parts = /^tlsedge\.([^.]+)\./.exec(prefix);
      if (!parts) return ALL_EVENTS;
      actors.add(parts[1]!);
      facts.add('*');
    }
    if (actors.size === 1) actor = [...actors][0]!;
    if (facts.size === 1 && actors.size === 1) fact = [...facts][0]!;
  }
  if (actor === '*' && id === '*' && fact === '*') return ALL_EVENTS;
  return `${EVENT_ROOT}.${actor}.${id}.${fact}`;
}
