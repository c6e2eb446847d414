// Test events for the bus and event log suites: valid CloudEvents with predictable ids and times.
import type { AnyEvent } from '../../../bus/envelope.js';

let counter = 0;

/** A valid `tlsedge.connection.<fact>` event; `overrides` replace any attribute. */
export function makeEvent(overrides: Partial<AnyEvent> & { fact?: string } = {}): AnyEvent {
  const n = ++counter;
  const { fact, ...rest } = overrides;
  return {
    specversion: '1.0',
    id: `test-${process.pid}-${n}`,
    source: '/tlsedge/test/connection',
    type: `tlsedge.connection.${fact ?? 'accepted'}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { n },
    sequence: n,
    correlationid: `c${n}`,
    ...rest,
  };
}

/** Resolves with the first `n` items of an async iterable (then stops iterating it). */
export async function take<T>(iterable: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  if (n === 0) return out;
  for await (const item of iterable) {
    out.push(item);
    if (out.length === n) break;
  }
  return out;
}

/** Everything an async iterable yields. */
export async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Polls `predicate` every 5 ms; rejects with `what` after 10 s (a deadline for a hang, not a timing assertion). */
export async function eventually(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
