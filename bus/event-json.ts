// The JSON text of an event, for the log, the wire and the SSE stream. Equal to JSON.stringify's
// output except where a data object supplies its own text, which it builds from parts it has
// encoded before: JSON.stringify walks every value of every event, and on the accept path most of
// that walk was the ClientHello's name lists (60 cipher names ≈ 7 µs), the same for every connection
// of one kind of client.
import type { AnyEvent } from './envelope.js';

/**
 * A data object may carry, under this key (non-enumerable, so JSON.stringify, spreads and deep
 * equality ignore it), a method returning its own JSON text. It must return exactly what
 * JSON.stringify would (key order aside), or fall back to JSON.stringify itself.
 */
export const ownJsonText = Symbol('tlsedge.ownJsonText');

interface SelfEncoding {
  [ownJsonText](): string;
}

/** Attaches `encode` (called with the object as `this`) as the object's own JSON text. */
export function withOwnJsonText<T extends object>(value: T, encode: (this: T) => string): T {
  Object.defineProperty(value, ownJsonText, { value: encode });
  return value;
}

/**
 * Attaches JSON text computed on first use and kept: for data objects that many events share and
 * nobody changes (a cached policy decision's facts). The caller must not mutate `value` afterwards.
 */
export function withMemoizedJsonText<T extends object>(value: T): T {
  let text: string | undefined;
  return withOwnJsonText(value, function () {
    return (text ??= JSON.stringify(this));
  });
}

/** JSON text of any value; self-encoding objects write themselves. Undefined for undefined/functions, like JSON.stringify. */
export function encodeJson(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && ownJsonText in value) return (value as SelfEncoding)[ownJsonText]();
  return JSON.stringify(value);
}

/** `"name":` for each attribute name seen: CloudEvents names are few and fixed. */
const attributePrefixes = new Map<string, string>();

function attributePrefix(name: string): string {
  let prefix = attributePrefixes.get(name);
  if (prefix === undefined) {
    prefix = `${JSON.stringify(name)}:`;
    if (attributePrefixes.size < 256) attributePrefixes.set(name, prefix);
  }
  return prefix;
}

/** One event as one line of JSON (no newline), attributes in the event's own order. */
export function encodeEvent(event: AnyEvent): string {
  const data = event.data;
  if (data === null || typeof data !== 'object' || !(ownJsonText in data)) return JSON.stringify(event); // faster when nothing is pre-encoded
  let out = '{';
  for (const name in event) {
    const value = name === 'data' ? encodeJson(event.data) : JSON.stringify((event as unknown as Record<string, unknown>)[name]);
    if (value === undefined) continue; // JSON.stringify leaves out undefined attributes too
    out += (out.length === 1 ? '' : ',') + attributePrefix(name) + value;
  }
  return out + '}';
}
