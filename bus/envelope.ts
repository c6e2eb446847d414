// The event envelope: CloudEvents 1.0 JSON (https://github.com/cloudevents/spec, v1.0.2) plus the
// `sequence` and `correlationid` extension attributes. Every fact an actor records travels in one.

/** A JSON value: what crosses the bus and rests in the log. No Buffers, no class instances. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };

export interface CloudEvent<TType extends string = string, TData = Json> {
  specversion: '1.0';
  /** Unique per source: `<source-node>-<counter>` style, never reused. */
  id: string;
  /** URI-reference of the emitting actor instance, e.g. `/tlsedge/node-3f2a/connection`. */
  source: string;
  /** Past-tense fact, e.g. `tlsedge.connection.handshake_completed`. */
  type: TType;
  /** What the event is about, e.g. the SNI name or key id. Optional in CloudEvents. */
  subject?: string;
  /** RFC 3339 timestamp with milliseconds. */
  time: string;
  datacontenttype?: 'application/json';
  data: TData;
  /** Monotonic per `correlationid` within one emitter: orders a connection's or actor's events. */
  sequence: number;
  /** The connection id or actor id the event belongs to. */
  correlationid: string;
}

export type AnyEvent = CloudEvent<string, unknown>;

const TYPE_PREFIX = 'tlsedge.';

/**
 * Splits `tlsedge.<actor>.<fact>` into its actor kind and fact name.
 * Returns undefined for types outside the tlsedge namespace.
 */
export function splitEventType(type: string): { actor: string; fact: string } | undefined {
  if (!type.startsWith(TYPE_PREFIX)) return undefined;
  const rest = type.slice(TYPE_PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) return undefined;
  return { actor: rest.slice(0, dot), fact: rest.slice(dot + 1) };
}
