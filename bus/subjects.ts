// NATS subjects for tlsedge (ARCHITECTURE.md "Events"): events on
// `tlsedge.evt.<actor>.<id>.<fact>`, commands on `tlsedge.cmd.<actor>.<verb>`.
import { splitEventType } from './envelope.js';

export const EVENT_ROOT = 'tlsedge.evt';
export const COMMAND_ROOT = 'tlsedge.cmd';
/** Every event of every actor. */
export const ALL_EVENTS = `${EVENT_ROOT}.>`;

/** Subject tokens cannot hold `.`, `*`, `>` or whitespace; ids are made of [A-Za-z0-9_-]. */
export function safeToken(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

export function eventSubject(type: string, correlationId: string): string {
  const parts = splitEventType(type);
  if (!parts) throw new Error(`event type ${JSON.stringify(type)} is not of the form tlsedge.<actor>.<fact>`);
  return `${EVENT_ROOT}.${parts.actor}.${safeToken(correlationId)}.${safeToken(parts.fact)}`;
}

export function commandSubject(actor: string, verb: string): string {
  return `${COMMAND_ROOT}.${safeToken(actor)}.${verb.split('.').map(safeToken).join('.')}`;
}

/** NATS wildcard match: `*` matches one token, a final `>` one or more tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}
