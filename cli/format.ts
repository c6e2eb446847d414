// How the CLI prints events: one human line per event (time, connection, fact, summary), or the
// CloudEvent as a JSON line with --json.
import type { AnyEvent } from '../bus/envelope.js';
import { summarizeConnectionEvent } from '../actors/connection/summary.js';

export function formatEventLine(event: AnyEvent): string {
  const time = event.time.slice(11, 23);
  const connection = summarizeConnectionEvent(event);
  if (connection) return `${time} ${event.correlationid.padEnd(14)} ${connection.fact.padEnd(21)} ${connection.text}`;
  const short = event.type.replace(/^tlsedge\./, '');
  return `${time} ${event.correlationid.padEnd(14)} ${short.padEnd(21)} ${genericSummary(event.data)}`;
}

function genericSummary(data: unknown): string {
  if (data === null || typeof data !== 'object') return JSON.stringify(data);
  return Object.entries(data as Record<string, unknown>)
    // `sealed` holds key material (sealed under the fleet key): never print it, even sealed
    .filter(([k, v]) => k !== 'sealed' && v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}
