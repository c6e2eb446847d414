// What crosses the bus, checked: JSON payloads, the `{ error: { code, message } }` reply shape of
// `Bus.serve`, and CloudEvents 1.0 envelopes (spec v1.0.2 §3 "Context Attributes") with tlsedge's
// `sequence`/`correlationid` extensions. A malformed message is counted and dropped with a reason.
import type { Bus, BusMessage, SubscribeOptions, Subscription } from './bus.js';
import type { AnyEvent, Json } from './envelope.js';

/** Why an incoming event was dropped. Stable strings: they appear in metrics and logs. */
export const DropReason = {
  NotJson: 'not_json',
  NotObject: 'not_object',
  BadSpecversion: 'bad_specversion',
  MissingAttribute: 'missing_attribute',
  BadAttribute: 'bad_attribute',
  BadAttributeName: 'bad_attribute_name',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export type EventCheck =
  | { ok: true; event: AnyEvent }
  | { ok: false; reason: DropReason; /** Human-readable, names the attribute; never echoes values. */ detail: string };

/** Required string attributes (CloudEvents §3.1 plus ours): present and non-empty. */
const REQUIRED_STRINGS = ['id', 'source', 'type', 'time', 'correlationid'] as const;
/** Optional string attributes: when present, a non-empty string. */
const OPTIONAL_STRINGS = ['subject', 'datacontenttype', 'dataschema'] as const;
/** CloudEvents §3.1.1: attribute names are lower-case ASCII letters and digits (≤ 20 recommended). */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
/** RFC 3339 date-time (CloudEvents `time`), checked for shape; Date.parse checks the values. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Checks a decoded value against the envelope contract (bus/envelope.ts). */
export function validateEvent(value: unknown): EventCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: DropReason.NotObject, detail: 'event is not a JSON object' };
  }
  const record = value as Record<string, unknown>;
  if (record.specversion !== '1.0') {
    return record.specversion === undefined
      ? { ok: false, reason: DropReason.MissingAttribute, detail: 'specversion is missing' }
      : { ok: false, reason: DropReason.BadSpecversion, detail: 'specversion is not "1.0"' };
  }
  for (const name of REQUIRED_STRINGS) {
    const attr = record[name];
    if (attr === undefined) return { ok: false, reason: DropReason.MissingAttribute, detail: `${name} is missing` };
    if (typeof attr !== 'string' || attr.length === 0) return { ok: false, reason: DropReason.BadAttribute, detail: `${name} is not a non-empty string` };
  }
  for (const name of OPTIONAL_STRINGS) {
    const attr = record[name];
    if (attr !== undefined && (typeof attr !== 'string' || attr.length === 0)) {
      return { ok: false, reason: DropReason.BadAttribute, detail: `${name} is not a non-empty string` };
    }
  }
  if (!RFC3339.test(record.time as string) || Number.isNaN(Date.parse(record.time as string))) {
    return { ok: false, reason: DropReason.BadAttribute, detail: 'time is not an RFC 3339 timestamp' };
  }
  const sequence = record.sequence;
  if (sequence === undefined) return { ok: false, reason: DropReason.MissingAttribute, detail: 'sequence is missing' };
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) {
    return { ok: false, reason: DropReason.BadAttribute, detail: 'sequence is not a non-negative integer' };
  }
  if (!('data' in record)) return { ok: false, reason: DropReason.MissingAttribute, detail: 'data is missing' };
  for (const key in record) {
    if (!ATTRIBUTE_NAME.test(key)) {
      return { ok: false, reason: DropReason.BadAttributeName, detail: 'an attribute name is not lower-case alphanumeric (CloudEvents §3.1.1)' };
    }
  }
  return { ok: true, event: record as unknown as AnyEvent };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON payload (string or UTF-8 bytes) and validates it as an event. */
export function decodeEvent(payload: string | Uint8Array): EventCheck {
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : utf8.decode(payload));
  } catch {
    return { ok: false, reason: DropReason.NotJson, detail: 'payload is not UTF-8 JSON' };
  }
  return validateEvent(value);
}

export interface EventDecoderStats {
  accepted: number;
  dropped: number;
  byReason: Record<DropReason, number>;
}

/**
 * Validates events and keeps counts per drop reason. `onDrop` (optional) hears about each drop,
 * e.g. to log it rate-limited; it is given the reason and detail, never the payload.
 */
export class EventDecoder {
  private accepted = 0;
  private dropped = 0;
  private readonly byReason: Record<DropReason, number> = {
    not_json: 0,
    not_object: 0,
    bad_specversion: 0,
    missing_attribute: 0,
    bad_attribute: 0,
    bad_attribute_name: 0,
  };

  constructor(private readonly onDrop?: (reason: DropReason, detail: string, where: string) => void) {}

  /** The event, or undefined when it was dropped (and counted). `where` is e.g. the subject. */
  check(value: unknown, where = ''): AnyEvent | undefined {
    return this.count(validateEvent(value), where);
  }

  decode(payload: string | Uint8Array, where = ''): AnyEvent | undefined {
    return this.count(decodeEvent(payload), where);
  }

  stats(): EventDecoderStats {
    return { accepted: this.accepted, dropped: this.dropped, byReason: { ...this.byReason } };
  }

  private count(result: EventCheck, where: string): AnyEvent | undefined {
    if (result.ok) {
      this.accepted++;
      return result.event;
    }
    this.dropped++;
    this.byReason[result.reason]++;
    if (this.onDrop) {
      try {
        this.onDrop(result.reason, result.detail, where);
      } catch {
        // a failing observer must not turn a counted drop into a crash
      }
    }
    return undefined;
  }
}

/**
 * Subscribes to events on `pattern`: only valid CloudEvents reach `handler`; anything else is
 * counted in `decoder` and dropped. Works the same on every transport.
 */
export function subscribeEvents(
  bus: Bus,
  pattern: string,
  handler: (event: AnyEvent, msg: BusMessage) => void,
  decoder: EventDecoder = new EventDecoder(),
  options?: SubscribeOptions,
): Subscription {
  return bus.subscribe(pattern, (msg) => {
    const event = decoder.check(msg.data, msg.subject);
    if (event) handler(event, msg);
  }, options);
}

// ---- request/reply payloads ---------------------------------------------------------------------

export interface RemoteErrorBody {
  code: string;
  message: string;
}

/**
 * The reply `serve` sends when its handler throws: `{ error: { code, message } }`. The code comes
 * from the error's own `code` (a string), else `handler_error`. Replies of this exact shape are
 * reserved: a successful handler must not return an object whose only key is `error`.
 */
export function errorReply(err: unknown): Json {
  const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : 'handler_error';
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : 'request handler failed';
  return { error: { code, message } };
}

/** The error body of a reply made by `errorReply`, or undefined for an ordinary reply. */
export function replyError(reply: Json): RemoteErrorBody | undefined {
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return undefined;
  const error = reply.error;
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return undefined;
  for (const key in reply) if (key !== 'error') return undefined;
  if (typeof error.code !== 'string' || typeof error.message !== 'string') return undefined;
  return { code: error.code, message: error.message };
}

/** Runs a `serve` handler and replies with its value, or with `{ error }` when it throws or rejects. */
export function answerRequest(msg: BusMessage, handler: (data: Json, msg: BusMessage) => Json | Promise<Json>): void {
  let result: Json | Promise<Json>;
  try {
    result = handler(msg.data, msg);
  } catch (error) {
    msg.respond(errorReply(error));
    return;
  }
  if (result instanceof Promise) {
    result.then(
      (value) => msg.respond(value ?? null),
      (error: unknown) => msg.respond(errorReply(error)),
    );
  } else {
    msg.respond(result ?? null);
  }
}
