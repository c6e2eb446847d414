import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../../adapters/signer/scheduler.js';
import { SignerError } from '../../../adapters/signer/errors.js';
import { Cancellation, type CancelSignal } from '../../../bus/cancel-signal.js';

interface Op {
  key: string;
  started: boolean;
  finish(value?: string): void;
  fail(err: Error): void;
}

const cleanups: Array<() => void> = [];

/** Operations that only finish when the test says so, recording start order. */
function harness(options: { concurrency: number; perKeyConcurrency: number; maxQueue: number }) {
  const scheduler = new Scheduler(options);
  const starts: string[] = [];
  const ops: Op[] = [];
  const submit = (key: string, tag: string, opts: { deadlineMs?: number; signal?: CancelSignal } = {}) => {
    const op = { key, started: false } as Op;
    ops.push(op);
    const promise = scheduler.submit(
      key,
      () =>
        new Promise<string>((resolve, reject) => {
          op.started = true;
          starts.push(tag);
          op.finish = (v = tag) => resolve(v);
          op.fail = reject;
        }),
      { deadline: performance.now() + (opts.deadlineMs ?? 60_000), ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    promise.catch(() => undefined);
    return { op, promise };
  };
  // Whatever a test leaves running or waiting ends with it (no deadline timers keep the process up).
  cleanups.push(() => {
    scheduler.close();
    for (const op of ops) if (op.started) op.finish();
  });
  return { scheduler, starts, submit };
}

const code = (c: string) => (e: unknown) => e instanceof SignerError && e.code === c;
const tick = () => new Promise((r) => setImmediate(r));

describe('signer scheduler', () => {
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('runs one operation per key at a time when perKeyConcurrency is 1, in arrival order', async () => {
    const { starts, submit } = harness({ concurrency: 4, perKeyConcurrency: 1, maxQueue: 10 });
    const a = submit('tpm', 'a');
    const b = submit('tpm', 'b');
    const c = submit('tpm', 'c');
    assert.deepEqual(starts, ['a']);
    a.op.finish();
    assert.equal(await a.promise, 'a');
    await tick();
    assert.deepEqual(starts, ['a', 'b']);
    b.op.finish();
    await b.promise;
    await tick();
    c.op.finish();
    assert.equal(await c.promise, 'c');
    assert.deepEqual(starts, ['a', 'b', 'c']);
  });

  it('does not let a busy key hold back other keys', async () => {
    const { starts, submit } = harness({ concurrency: 2, perKeyConcurrency: 1, maxQueue: 10 });
    submit('k1', 'k1-a');
    submit('k1', 'k1-b');
    submit('k2', 'k2-a');
    assert.deepEqual(starts, ['k1-a', 'k2-a']);
  });

  it('caps total concurrency across keys', async () => {
    const { scheduler, starts, submit } = harness({ concurrency: 2, perKeyConcurrency: 8, maxQueue: 10 });
    const a = submit('x', 'a');
    submit('y', 'b');
    submit('z', 'c');
    assert.deepEqual(starts, ['a', 'b']);
    assert.equal(scheduler.running, 2);
    assert.equal(scheduler.queued, 1);
    a.op.finish();
    await a.promise;
    await tick();
    assert.deepEqual(starts, ['a', 'b', 'c']);
  });

  it('refuses with queue_full beyond maxQueue waiting requests instead of growing', async () => {
    const { scheduler, submit } = harness({ concurrency: 1, perKeyConcurrency: 1, maxQueue: 2 });
    submit('k', 'running');
    submit('k', 'w1');
    submit('k', 'w2');
    const refused = submit('k', 'w3');
    await assert.rejects(refused.promise, code('queue_full'));
    assert.equal(scheduler.queued, 2);
  });

  it('times out a request still waiting at its deadline and removes it from the queue', async () => {
    const { scheduler, starts, submit } = harness({ concurrency: 1, perKeyConcurrency: 1, maxQueue: 5 });
    const first = submit('k', 'first');
    const late = submit('k', 'late', { deadlineMs: 20 });
    await assert.rejects(late.promise, (e: unknown) => e instanceof SignerError && e.code === 'timeout' && /queued/.test(e.message));
    assert.equal(scheduler.queued, 0);
    first.op.finish();
    await first.promise;
    await tick();
    assert.deepEqual(starts, ['first'], 'the timed-out request never reaches the token');
  });

  it('times out a running request but keeps its slot until the token answers', async () => {
    const { scheduler, starts, submit } = harness({ concurrency: 1, perKeyConcurrency: 1, maxQueue: 5 });
    const slow = submit('k', 'slow', { deadlineMs: 20 });
    const next = submit('k', 'next');
    await assert.rejects(slow.promise, (e: unknown) => e instanceof SignerError && e.code === 'timeout' && /signing/.test(e.message));
    assert.equal(scheduler.running, 1);
    assert.deepEqual(starts, ['slow'], 'no second operation is pushed into a busy token');
    slow.op.finish('too late');
    await tick();
    assert.deepEqual(starts, ['slow', 'next']);
    next.op.finish();
    assert.equal(await next.promise, 'next');
  });

  it('cancels a waiting request when its Cancellation fires (as the signer actor does), and never starts it', async () => {
    const { scheduler, starts, submit } = harness({ concurrency: 1, perKeyConcurrency: 1, maxQueue: 5 });
    const first = submit('k', 'first');
    const cancellation = new Cancellation();
    const gone = submit('k', 'gone', { signal: cancellation });
    cancellation.cancel();
    await assert.rejects(gone.promise, code('cancelled'));
    assert.equal(scheduler.queued, 0);
    first.op.finish();
    await first.promise;
    await tick();
    assert.deepEqual(starts, ['first']);
  });

  it('answers cancelled at once for a running request and drops its late result', async () => {
    const { submit } = harness({ concurrency: 1, perKeyConcurrency: 1, maxQueue: 5 });
    const controller = new AbortController();
    const running = submit('k', 'running', { signal: controller.signal });
    controller.abort();
    await assert.rejects(running.promise, code('cancelled'));
    running.op.finish();
  });

  it('refuses an already-aborted or already-expired request without queueing it', async () => {
    const { scheduler } = harness({ concurrency: 1, perKeyConcurrency: 1, maxQueue: 5 });
    await assert.rejects(scheduler.submit('k', async () => 1, { deadline: performance.now() - 1 }), code('timeout'));
    await assert.rejects(scheduler.submit('k', async () => 1, { deadline: performance.now() + 1000, signal: AbortSignal.abort() }), code('cancelled'));
  });

  it('fails every waiting request at once with failQueued (token gone) and passes operation errors through', async () => {
    const { scheduler, submit } = harness({ concurrency: 1, perKeyConcurrency: 1, maxQueue: 5 });
    const running = submit('k', 'running');
    const w1 = submit('k', 'w1');
    const w2 = submit('k', 'w2');
    scheduler.failQueued(new SignerError('token_error', 'device gone'));
    await assert.rejects(w1.promise, code('token_error'));
    await assert.rejects(w2.promise, code('token_error'));
    running.op.fail(new SignerError('token_error', 'CKR_GENERAL_ERROR'));
    await assert.rejects(running.promise, code('token_error'));
  });

  it('refuses new requests after close and reports idle once running work ends', async () => {
    const { scheduler, submit } = harness({ concurrency: 1, perKeyConcurrency: 1, maxQueue: 5 });
    const running = submit('k', 'running');
    const waiting = submit('k', 'waiting');
    scheduler.close();
    await assert.rejects(waiting.promise, code('signer_unavailable'));
    await assert.rejects(scheduler.submit('k', async () => 1, { deadline: performance.now() + 1000 }), code('signer_unavailable'));
    let idle = false;
    const done = scheduler.idle().then(() => (idle = true));
    await tick();
    assert.equal(idle, false);
    running.op.finish();
    await done;
    assert.equal(idle, true);
  });
});
