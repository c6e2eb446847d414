import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { HandshakePacer } from '../../../../adapters/tls/offload/handshake-pacer.js';

/** A clock that each task moves forward by `stepMs`: how long a handshake step "took". */
function steppedClock(stepMs: number) {
  let t = 0;
  return { now: () => t, advance: () => (t += stepMs) };
}

describe('HandshakePacer', () => {
  it('runs steps in order, a budget per loop turn, and lets other callbacks run between turns', async () => {
    const clock = steppedClock(0.6);
    const pacer = new HandshakePacer({ budgetMs: 1, now: clock.now });
    const log: string[] = [];
    for (let i = 0; i < 5; i++) {
      pacer.schedule(() => {
        clock.advance();
        log.push(`step${i}`);
        // What arrives while the first slice runs (a keep-alive request's read, say) must not
        // wait for every queued handshake step.
        if (i === 0) setImmediate(() => log.push('other'));
      });
    }
    assert.equal(pacer.pending, 5);
    assert.deepEqual(log, [], 'nothing runs synchronously');
    await new Promise((resolve) => pacer.schedule(() => resolve(undefined)));
    // 0.6 ms per step, 1 ms budget: two steps per turn (the second starts before the budget is spent).
    assert.deepEqual(log, ['step0', 'step1', 'other', 'step2', 'step3', 'step4']);
    assert.equal(pacer.pending, 0);
  });

  it('always makes progress: a step longer than the budget still runs, one per turn', async () => {
    const clock = steppedClock(5);
    const pacer = new HandshakePacer({ budgetMs: 1, now: clock.now });
    const log: string[] = [];
    pacer.schedule(() => {
      clock.advance();
      log.push('a');
      setImmediate(() => log.push('between'));
    });
    pacer.schedule(() => {
      clock.advance();
      log.push('b');
    });
    await new Promise((resolve) => pacer.schedule(() => resolve(undefined)));
    assert.deepEqual(log, ['a', 'between', 'b']);
  });

  it('keeps running the other steps when one throws, and says so', async () => {
    const pacer = new HandshakePacer({ budgetMs: 0 });
    const ran: number[] = [];
    const warning = once(process, 'warning');
    pacer.schedule(() => {
      throw new Error('broken step');
    });
    pacer.schedule(() => ran.push(2));
    const [w] = (await warning) as [Error];
    assert.match(w.message, /handshake step failed: broken step/);
    await new Promise((resolve) => pacer.schedule(() => resolve(undefined)));
    assert.deepEqual(ran, [2]);
  });

  it('accepts steps scheduled by a running step (the next slice takes them)', async () => {
    const pacer = new HandshakePacer({ budgetMs: 0 });
    const log: string[] = [];
    await new Promise<void>((resolve) =>
      pacer.schedule(() => {
        log.push('first');
        pacer.schedule(() => {
          log.push('second');
          resolve();
        });
      }),
    );
    assert.deepEqual(log, ['first', 'second']);
  });
});
