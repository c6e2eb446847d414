// The Bus contract (bus/bus.ts), run against every transport: the in-memory bus and NATS (a private
// nats-server per run). Actors rely on exactly these behaviours in both modes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BusError, type Bus, type BusMessage, type BusStatus } from '../../../bus/bus.js';
import { Cancellation } from '../../../bus/cancel-signal.js';
import type { Json } from '../../../bus/envelope.js';
import { MemoryBus } from '../../../bus/memory/transport.js';
import { connectNatsBus } from '../../../bus/nats/transport.js';
import type { BusConfig } from '../../../adapters/config/model.js';
import { startNats, type RunningNats } from '../../support/nats.js';
import { missingTools } from '../../support/requirements.js';

interface World {
  /** Two clients of the same bus: one process (memory) or two connections (NATS). */
  pair(): Promise<[Bus, Bus]>;
  done(): Promise<void>;
}

/** Resolves with the first `n` messages on `pattern`, or rejects (naming what arrived) after 10 s. */
function collect(bus: Bus, pattern: string, n: number, options?: { queue?: string }): { messages: BusMessage[]; done: Promise<BusMessage[]>; stop(): void } {
  const messages: BusMessage[] = [];
  let resolve!: (value: BusMessage[]) => void;
  let reject!: (error: Error) => void;
  const done = new Promise<BusMessage[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`expected ${n} messages on ${pattern}, got ${messages.length}`)), 10_000);
  const sub = bus.subscribe(pattern, (msg) => {
    messages.push(msg);
    if (messages.length === n) {
      clearTimeout(timer);
      resolve(messages);
    }
  }, options);
  if (n === 0) {
    clearTimeout(timer);
    resolve(messages);
  }
  return { messages, done, stop: () => { clearTimeout(timer); sub.unsubscribe(); } };
}

async function rejection(promise: Promise<unknown>): Promise<BusError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BusError, `expected a BusError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the promise to reject');
}

function contract(name: string, makeWorld: () => Promise<World>): void {
  describe(`Bus contract: ${name}`, () => {
    let world: World;
    const opened: Bus[] = [];
    const pair = async (): Promise<[Bus, Bus]> => {
      const buses = await world.pair();
      opened.push(...buses);
      return buses;
    };

    before(async () => {
      world = await makeWorld();
    });
    after(async () => {
      for (const bus of opened) await bus.close();
      await world.done();
    });

    it('delivers a published message to an exact subscriber with its data', async () => {
      const [pub, sub] = await pair();
      const got = collect(sub, 'test.exact.one', 1);
      await sub.flush();
      pub.publish('test.exact.one', { n: 1, s: 'x', list: [true, null] });
      const [msg] = await got.done;
      assert.equal(msg!.subject, 'test.exact.one');
      assert.deepEqual(msg!.data, { n: 1, s: 'x', list: [true, null] });
      got.stop();
    });

    it('matches `*` to exactly one token and `>` to one or more trailing tokens', async () => {
      const [pub, sub] = await pair();
      const star = collect(sub, 'wild.*.end', 1);
      const rest = collect(sub, 'wild.>', 3);
      await sub.flush();
      pub.publish('wild.a.b.end', 1); // neither `*` (two tokens) …
      pub.publish('wild.a.end', 2); // … this one matches both
      pub.publish('wild', 3); // `>` needs at least one token
      pub.publish('wild.z', 4);
      await Promise.all([star.done, rest.done]);
      await pub.flush();
      await sub.flush();
      assert.deepEqual(star.messages.map((m) => m.data), [2]);
      assert.deepEqual(rest.messages.map((m) => m.data), [1, 2, 4]);
      star.stop();
      rest.stop();
    });

    it('delivers to every plain subscriber, in publish order per subscriber', async () => {
      const [pub, sub] = await pair();
      const count = 500;
      const first = collect(sub, 'order.>', count);
      const second = collect(pub, 'order.*', count);
      await sub.flush();
      await pub.flush();
      for (let i = 0; i < count; i++) pub.publish(`order.${i % 7}`, i);
      const expected = Array.from({ length: count }, (_, i) => i);
      assert.deepEqual((await first.done).map((m) => m.data), expected);
      assert.deepEqual((await second.done).map((m) => m.data), expected);
      first.stop();
      second.stop();
    });

    it('delivers asynchronously, never inside publish', async () => {
      const [pub, sub] = await pair();
      let inPublish = false;
      let sawInPublish = false;
      const got = collect(sub, 'async.check', 1);
      sub.subscribe('async.check', () => {
        if (inPublish) sawInPublish = true;
      });
      await sub.flush();
      inPublish = true;
      pub.publish('async.check', null);
      inPublish = false;
      await got.done;
      assert.equal(sawInPublish, false);
      got.stop();
    });

    it('gives each message to exactly one member of a queue group, spreading the load, while plain subscribers get all', async () => {
      const [pub, sub] = await pair();
      const total = 60;
      const seen = new Map<Json, number>();
      const perMember = [0, 0, 0];
      let resolve!: () => void;
      const all = new Promise<void>((res) => (resolve = res));
      let received = 0;
      const subs = perMember.map((_, k) =>
        (k === 2 ? pub : sub).subscribe('work.item', (msg) => {
          perMember[k]!++;
          seen.set(msg.data, (seen.get(msg.data) ?? 0) + 1);
          if (++received === total) resolve();
        }, { queue: 'workers' }),
      );
      const plain = collect(sub, 'work.item', total);
      await sub.flush();
      await pub.flush();
      for (let i = 0; i < total; i++) pub.publish('work.item', i);
      await all;
      await plain.done;
      await pub.flush();
      await sub.flush();
      assert.equal(received, total);
      assert.equal(seen.size, total);
      assert.ok([...seen.values()].every((n) => n === 1), 'a message reached two group members');
      assert.ok(perMember.every((n) => n > 0), `load not spread: ${perMember.join('/')}`);
      for (const s of subs) s.unsubscribe();
      plain.stop();
    });

    it('stops delivering after unsubscribe', async () => {
      const [pub, sub] = await pair();
      const stopped: Json[] = [];
      const gone = sub.subscribe('unsub.x', (msg) => stopped.push(msg.data));
      const marker = collect(sub, 'unsub.x', 2);
      await sub.flush();
      pub.publish('unsub.x', 1);
      await new Promise<void>((resolve) => {
        const check = (): void => (stopped.length === 1 ? resolve() : void setTimeout(check, 5));
        check();
      });
      gone.unsubscribe();
      await sub.flush();
      pub.publish('unsub.x', 2);
      await marker.done;
      assert.deepEqual(stopped, [1]);
      marker.stop();
    });

    it('contains a throwing handler: the publisher and other subscribers carry on, and it is counted', async () => {
      const [pub, sub] = await pair();
      const before = sub.stats().handlerErrors;
      sub.subscribe('boom.x', () => {
        throw new Error('handler failure');
      });
      const other = collect(sub, 'boom.x', 3);
      await sub.flush();
      assert.doesNotThrow(() => {
        pub.publish('boom.x', 1);
        pub.publish('boom.x', 2);
        pub.publish('boom.x', 3);
      });
      assert.deepEqual((await other.done).map((m) => m.data), [1, 2, 3]);
      assert.equal(sub.stats().handlerErrors - before, 3);
      other.stop();
    });

    it('answers a request through serve with the handler value, sync or async', async () => {
      const [client, server] = await pair();
      server.serve('svc.double', (data) => (data as number) * 2);
      server.serve('svc.later', async (data) => {
        await new Promise((r) => setTimeout(r, 5));
        return { echoed: data };
      });
      await server.flush();
      assert.equal(await client.request('svc.double', 21, { timeoutMs: 5000 }), 42);
      assert.deepEqual(await client.request('svc.later', 'x', { timeoutMs: 5000 }), { echoed: 'x' });
    });

    it('turns a thrown handler error into remote_error carrying the error code', async () => {
      const [client, server] = await pair();
      server.serve('svc.fail', () => {
        throw Object.assign(new Error('signer queue is full'), { code: 'queue_full' });
      });
      server.serve('svc.reject', async () => {
        throw new Error('plain failure');
      });
      await server.flush();
      const error = await rejection(client.request('svc.fail', null, { timeoutMs: 5000 }));
      assert.equal(error.code, 'remote_error');
      assert.equal(error.remoteCode, 'queue_full');
      assert.equal(error.message, 'signer queue is full');
      const plain = await rejection(client.request('svc.reject', null, { timeoutMs: 5000 }));
      assert.equal(plain.code, 'remote_error');
      assert.equal(plain.remoteCode, 'handler_error');
    });

    it('fails a request with no_responders when nobody serves the subject', async () => {
      const [client] = await pair();
      const error = await rejection(client.request('svc.nobody.home', null, { timeoutMs: 5000 }));
      assert.equal(error.code, 'no_responders');
    });

    it('fails a request with timeout when the responder never answers', async () => {
      const [client, server] = await pair();
      server.subscribe('svc.silent', () => {});
      await server.flush();
      const error = await rejection(client.request('svc.silent', null, { timeoutMs: 50 }));
      assert.equal(error.code, 'timeout');
    });

    it('fails a request with cancelled when its AbortSignal fires, and at once if already aborted', async () => {
      const [client, server] = await pair();
      server.subscribe('svc.slow', () => {});
      await server.flush();
      const controller = new AbortController();
      const pending = client.request('svc.slow', null, { timeoutMs: 30_000, signal: controller.signal });
      controller.abort();
      assert.equal((await rejection(pending)).code, 'cancelled');
      assert.equal((await rejection(client.request('svc.slow', null, { timeoutMs: 30_000, signal: AbortSignal.abort() }))).code, 'cancelled');
    });

    it('fails a request with cancelled when its Cancellation fires, and leaves other requests waiting', async () => {
      const [client, server] = await pair();
      server.serve('svc.cancel-one', (data) => new Promise((resolve) => setTimeout(() => resolve(data), 50)));
      await server.flush();
      const cancellation = new Cancellation();
      const cancelled = client.request('svc.cancel-one', 1, { timeoutMs: 30_000, signal: cancellation });
      const other = client.request('svc.cancel-one', 2, { timeoutMs: 30_000, signal: new Cancellation() });
      cancellation.cancel();
      assert.equal((await rejection(cancelled)).code, 'cancelled');
      assert.equal(await other, 2);
    });

    it('sends a request to one member of a queue group of servers', async () => {
      const [client, server] = await pair();
      let calls = 0;
      for (let k = 0; k < 3; k++) {
        server.serve('svc.pool', () => {
          calls++;
          return k;
        }, { queue: 'pool' });
      }
      await server.flush();
      const answers = new Set<Json>();
      for (let i = 0; i < 12; i++) answers.add(await client.request('svc.pool', i, { timeoutMs: 5000 }));
      await server.flush();
      assert.equal(calls, 12);
      assert.ok(answers.size >= 2, 'requests should spread over the group');
    });

    it('rejects an invalid subject or pattern with bad_subject', async () => {
      const [bus] = await pair();
      assert.throws(() => bus.publish('a..b', 1), (e: unknown) => e instanceof BusError && e.code === 'bad_subject');
      assert.throws(() => bus.publish('a.*', 1), (e: unknown) => e instanceof BusError && e.code === 'bad_subject');
      assert.throws(() => bus.subscribe('a.>.b', () => {}), (e: unknown) => e instanceof BusError && e.code === 'bad_subject');
    });

    it('after close: reports closed, publish is counted as dropped, requests reject with closed', async () => {
      const [bus] = await pair();
      const seen: BusStatus[] = [];
      bus.onStatus((s) => seen.push(s));
      assert.equal(bus.status(), 'connected');
      await bus.close();
      assert.equal(bus.status(), 'closed');
      assert.deepEqual(seen, ['closed']);
      const dropped = bus.stats().dropped;
      assert.doesNotThrow(() => bus.publish('after.close', 1));
      assert.equal(bus.stats().dropped, dropped + 1);
      assert.equal((await rejection(bus.request('svc.double', 1, { timeoutMs: 1000 }))).code, 'closed');
    });
  });
}

contract('memory', async () => {
  const bus = new MemoryBus();
  let used = false;
  return {
    async pair() {
      // one process, one bus: a fresh one per test except the first, so `close` tests stay isolated
      if (!used) {
        used = true;
        return [bus, bus];
      }
      const fresh = new MemoryBus();
      return [fresh, fresh];
    },
    async done() {
      await bus.close();
    },
  };
});

describe('Bus contract over NATS', { skip: missingTools('nats-server') }, () => {
  let nats: RunningNats | undefined;
  const config = (): BusConfig => ({ url: nats!.url, transport: 'nats', servers: [nats!.url] });
  contract('nats', async () => {
    nats = await startNats();
    let n = 0;
    return {
      async pair() {
        const tuning = { name: `contract-${++n}`, reconnectTimeWaitMs: 100 };
        return [await connectNatsBus(config(), tuning), await connectNatsBus(config(), { ...tuning, name: `contract-${++n}` })];
      },
      async done() {
        await nats?.stop();
      },
    };
  });
});
