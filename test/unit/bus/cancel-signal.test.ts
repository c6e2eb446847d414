import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cancellation, type CancelSignal } from '../../../bus/cancel-signal.js';

describe('Cancellation', () => {
  it('runs each listener once, in the order added, and reports aborted from then on', () => {
    const c = new Cancellation();
    const calls: string[] = [];
    c.addEventListener('abort', () => calls.push('a'));
    c.addEventListener('abort', () => calls.push('b'), { once: true });
    assert.equal(c.aborted, false);
    c.cancel();
    c.cancel();
    assert.deepEqual(calls, ['a', 'b']);
    assert.equal(c.signal.aborted, true);
  });

  it('never runs a listener that was removed, or one added after cancellation', () => {
    const c = new Cancellation();
    const calls: string[] = [];
    const removed = (): void => void calls.push('removed');
    c.addEventListener('abort', removed);
    c.addEventListener('abort', () => calls.push('kept'));
    c.removeEventListener('abort', removed);
    c.removeEventListener('abort', () => undefined); // unknown: nothing happens
    c.cancel();
    c.addEventListener('abort', () => calls.push('late'));
    assert.deepEqual(calls, ['kept']);
  });

  it('still runs every listener when one throws, then throws the first error', () => {
    const c = new Cancellation();
    const calls: string[] = [];
    c.addEventListener('abort', () => {
      throw new Error('first');
    });
    c.addEventListener('abort', () => {
      throw new Error('second');
    });
    c.addEventListener('abort', () => calls.push('third'));
    assert.throws(() => c.cancel(), /first/);
    assert.deepEqual(calls, ['third']);
  });

  it('is interchangeable with an AbortSignal for code that takes a CancelSignal', () => {
    const seen: boolean[] = [];
    const watch = (signal: CancelSignal): void => signal.addEventListener('abort', () => seen.push(signal.aborted), { once: true });
    const controller = new AbortController();
    const cancellation = new Cancellation();
    watch(controller.signal);
    watch(cancellation);
    controller.abort();
    cancellation.cancel();
    assert.deepEqual(seen, [true, true]);
  });
});
