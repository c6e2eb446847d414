// NATS subjects for tlsedge (ARCHITECTURE.md "Events"): events on
// `tlsedge.evt.<actor>.<id>.<fact>`, commands on `tlsedge.cmd.<actor>.<verb>`.
import { splitEventType } from './envelope.js';

export const EVENT_ROOT = 'tlsedge.evt';
export const COMMAND_ROOT = 'tlsedge.cmd';
/** Every event of every actor. */
export const ALL_EVENTS = `${EVENT_ROOT}.>`;

const SAFE_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Subject tokens cannot hold `.`, `*`, `>` or whitespace; ids are made of [A-Za-z0-9_-]. */
export function safeToken(value: string): string {
  // ids are almost always safe already: a test is cheaper than a replace that builds a new string
  if (SAFE_TOKEN.test(value)) return value;
  return value.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

/** Per event type: the subject around the id (`tlsedge.evt.<actor>.`, `.<fact>`). Types are few. */
const subjectParts = new Map<string, readonly [string, string]>();

export function eventSubject(type: string, correlationId: string): string {
  const parts = eventSubjectParts(type);
  if (!parts) throw new Error(`event type ${JSON.stringify(type)} is not of the form tlsedge.<actor>.<fact>`);
  return parts[0] + safeToken(correlationId) + parts[1];
}

/** Whether events of `type` have a subject (`tlsedge.<actor>.<fact>`), without building one. */
export function isRoutableEventType(type: string): boolean {
  return eventSubjectParts(type) !== undefined;
}

function eventSubjectParts(type: string): readonly [string, string] | undefined {
  let parts = subjectParts.get(type);
  if (!parts) {
    const split = splitEventType(type);
    if (!split) return undefined;
    parts = [`${EVENT_ROOT}.${safeToken(split.actor)}.`, `.${safeToken(split.fact)}`] as const;
    if (subjectParts.size < 10_000) subjectParts.set(type, parts);
  }
  return parts;
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

/** A publishable subject: dot-separated non-empty tokens, no whitespace, no `*`/`>` token. */
const SUBJECT = /^(?![*>](?:\.|$))[^.\s]+(?:\.(?![*>](?:\.|$))[^.\s]+)*$/;
/** A subscription pattern: like a subject, but `*` tokens anywhere and `>` as the last token. */
const PATTERN = /^(?:(?:\*|[^.\s*>]+)\.)*(?:\*|>|[^.\s*>]+)$/;

export function isValidSubject(subject: string): boolean {
  return SUBJECT.test(subject);
}

export function isValidPattern(pattern: string): boolean {
  return PATTERN.test(pattern);
}
