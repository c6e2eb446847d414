import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HELPER_NICE_ENV, HELPER_THREAD_NICE, helperNiceFromEnv, keepEventLoopFirst, lowerHelperThreads } from '../../../adapters/runtime/event-loop-first.js';

const linux = process.platform === 'linux';

describe('keepEventLoopFirst', { skip: linux ? false : 'per-thread nice values are Linux-only' }, () => {
  it('lowers every thread of the process but the main one, including threads started later', async () => {
    const mainBefore = getPriority(process.pid);
    lowerHelperThreads();
    // A thread started afterwards inherits the main thread's priority until the next sweep.
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((resolve) => worker.once('online', resolve));
    try {
      const others = () => readdirSync('/proc/self/task').map(Number).filter((tid) => tid !== process.pid);
      assert.ok(others().some((tid) => getPriority(tid) < HELPER_THREAD_NICE), 'the new worker thread starts at normal priority');
      lowerHelperThreads();
      for (const tid of others()) assert.ok(getPriority(tid) >= HELPER_THREAD_NICE, `thread ${tid} runs at nice ${getPriority(tid)}`);
      assert.equal(getPriority(process.pid), mainBefore, 'the event loop keeps its priority');
    } finally {
      await worker.terminate();
    }
  });
});

describe('helper thread nice from the environment', () => {
  it('defaults, takes 0–19, turns off at 0, and names the variable when the value is wrong', () => {
    assert.equal(helperNiceFromEnv({}), HELPER_THREAD_NICE);
    assert.equal(helperNiceFromEnv({ [HELPER_NICE_ENV]: '15' }), 15);
    assert.equal(keepEventLoopFirst(0).lowered, 0);
    for (const bad of ['20', '-1', 'high', '2.5']) {
      assert.throws(() => helperNiceFromEnv({ [HELPER_NICE_ENV]: bad }), new RegExp(`${HELPER_NICE_ENV}=${bad.replace('.', '\\.')}: expected a whole number from 0 \\(off\\) to 19`));
    }
  });
});
