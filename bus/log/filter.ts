// EventFilter (bus/log/types.ts) as a predicate, shared by the JSONL and JetStream readers, plus
// the cheap hints each store uses to avoid decoding events that cannot match.
import type { AnyEvent } from '../envelope.js';
import type { EventFilter } from './types.js';

export type EventPredicate = (event: AnyEvent) => boolean;

/** Splits `types` into exact names and prefixes (an entry ending in `.` or `*` is a prefix). */
export function typeMatchers(types: readonly string[]): { exact: Set<string>; prefixes: string[] } {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const type of types) {
    if (type.endsWith('*')) prefixes.push(type.slice(0, -1));
    else if (type.endsWith('.')) prefixes.push(type);
    else exact.add(type);
  }
  return { exact, prefixes };
}

export function compileFilter(filter: EventFilter = {}): EventPredicate {
  const { correlationId, subject } = filter;
  const since = filter.since?.getTime();
  const types = filter.types && filter.types.length > 0 ? typeMatchers(filter.types) : undefined;
  return (event) => {
    if (correlationId !== undefined && event.correlationid !== correlationId) return false;
    if (subject !== undefined && event.subject !== subject) return false;
    if (types !== undefined && !types.exact.has(event.type) && !types.prefixes.some((p) => event.type.startsWith(p))) return false;
    if (since !== undefined && !(Date.parse(event.time) >= since)) return false;
    return true;
  };
}

/**
 * A byte string every matching event's JSON line contains (as JSON.stringify writes it, no
 * spaces), chosen from the most selective attribute; undefined when the filter gives none.
 * Only a hint: a line containing it is still parsed and checked with compileFilter.
 */
export function lineNeedle(filter: EventFilter = {}): string | undefined {
  if (filter.correlationId !== undefined) return `"correlationid":${JSON.stringify(filter.correlationId)}`;
  if (filter.subject !== undefined) return `"subject":${JSON.stringify(filter.subject)}`;
  if (filter.types && filter.types.length === 1) {
    const { exact, prefixes } = typeMatchers(filter.types);
    const [name] = exact;
    if (name !== undefined) return `"type":${JSON.stringify(name)}`;
    const [prefix] = prefixes;
    // an open-ended prefix: the JSON string without its closing quote
    if (prefix !== undefined && prefix.length > 0) return `"type":${JSON.stringify(prefix).slice(0, -1)}`;
  }
  return undefined;
}
