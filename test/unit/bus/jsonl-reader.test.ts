import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LogConfig } from '../../../adapters/config/model.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { JsonlEventReader } from '../../../bus/log/jsonl-reader.js';
import { openJsonlWriter } from '../../../bus/log/jsonl-writer.js';
import { listSegments, segmentName } from '../../../bus/log/segments.js';
import { tempDir } from '../../support/processes.js';
import { all, eventually, makeEvent } from './fixtures.js';

function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { dir: tempDir('tlsedge-log-'), segmentBytes: 64 * 1024 * 1024, fsync: 'never', fsyncIntervalMs: 1000, maxSegments: 0, stream: 'EVENTS', maxAgeMs: 86_400_000, ...overrides };
}

async function logWith(events: AnyEvent[], overrides: Partial<LogConfig> = {}): Promise<string> {
  const c = config(overrides);
  const writer = await openJsonlWriter({ config: c });
  for (const e of events) writer.append(e);
  await writer.close();
  return c.dir;
}

/** Iterates `iterable` in the background, collecting what it yields. */
function background(iterable: AsyncIterable<AnyEvent>): { got: AnyEvent[]; done: Promise<void> } {
  const got: AnyEvent[] = [];
  const done = (async () => {
    for await (const e of iterable) got.push(e);
  })();
  return { got, done };
}

describe('JsonlEventReader.read', () => {
  it('returns every event oldest first across segments', async () => {
    const events = Array.from({ length: 300 }, () => makeEvent());
    const dir = await logWith(events, { segmentBytes: 4096 });
    assert.ok((await listSegments(dir)).length > 3);
    const reader = new JsonlEventReader(dir, { chunkBytes: 1000 });
    assert.deepEqual((await all(reader.read())).map((e) => e.id), events.map((e) => e.id));
  });

  it('filters by correlation id, type prefix, subject and since', async () => {
    const old = makeEvent({ correlationid: 'conn-1', fact: 'accepted', subject: 'a.test', time: '2020-01-01T00:00:00.000Z' });
    const hello = makeEvent({ correlationid: 'conn-1', fact: 'client_hello_received', subject: 'a.test' });
    const other = makeEvent({ correlationid: 'conn-2', fact: 'accepted', subject: 'b.test' });
    const session = { ...makeEvent({ correlationid: 'conn-1' }), type: 'tlsedge.session.stored' };
    const dir = await logWith([old, hello, other, session]);
    const reader = new JsonlEventReader(dir);
    const ids = async (filter: Parameters<JsonlEventReader['read']>[0]): Promise<string[]> => (await all(reader.read(filter))).map((e) => e.id);
    assert.deepEqual(await ids({ correlationId: 'conn-1' }), [old.id, hello.id, session.id]);
    assert.deepEqual(await ids({ types: ['tlsedge.connection.*'] }), [old.id, hello.id, other.id]);
    assert.deepEqual(await ids({ types: ['tlsedge.connection.accepted'], correlationId: 'conn-2' }), [other.id]);
    assert.deepEqual(await ids({ subject: 'a.test' }), [old.id, hello.id]);
    assert.deepEqual(await ids({ since: new Date('2021-01-01T00:00:00Z') }), [hello.id, other.id, session.id]);
  });

  it('parses only candidate lines when reading by correlation id', async () => {
    const events = Array.from({ length: 2000 }, (_, i) => makeEvent({ correlationid: `conn-${i % 100}` }));
    const dir = await logWith(events);
    const reader = new JsonlEventReader(dir);
    const got = await all(reader.read({ correlationId: 'conn-7' }));
    assert.equal(got.length, 20);
    assert.ok(got.every((e) => e.correlationid === 'conn-7'));
    assert.equal(reader.stats().parsedLines, 20, 'lines of other connections were parsed');
  });

  it('skips and counts a torn line left by a crash, and reads on past it', async () => {
    const dir = config().dir;
    const before = makeEvent();
    const after = makeEvent();
    // a segment cut mid-line by a crash, then the next segment a restarted writer opened
    writeFileSync(join(dir, segmentName(1, new Date('2030-01-01T00:00:00Z'))), `${JSON.stringify(before)}\n{"specversion":"1.0","id":"tor`);
    writeFileSync(join(dir, segmentName(2, new Date('2030-01-01T00:00:01Z'))), `${JSON.stringify(after)}\nnot json at all\n{"valid":"json","not":"an event"}\n`);
    const reader = new JsonlEventReader(dir);
    assert.deepEqual((await all(reader.read())).map((e) => e.id), [before.id, after.id]);
    assert.equal(reader.stats().tornLines, 2);
    assert.equal(reader.stats().invalidEvents, 1);
  });

  it('reads an empty or missing directory as no events', async () => {
    assert.deepEqual(await all(new JsonlEventReader(join(tempDir(), 'nope')).read()), []);
    assert.deepEqual(await all(new JsonlEventReader(tempDir()).read()), []);
  });
});

describe('JsonlEventReader.follow', () => {
  it('delivers only new events by default, then new ones as they are written', async () => {
    const c = config();
    const writer = await openJsonlWriter({ config: c, batchMs: 1 });
    const past = makeEvent();
    writer.append(past);
    await writer.flush();
    const reader = new JsonlEventReader(c.dir, { pollMs: 20 });
    const stop = new AbortController();
    const tail = background(reader.follow({}, stop.signal));
    // the follower picks its starting point asynchronously: write markers until it reports one
    const written: AnyEvent[] = [];
    await eventually(async () => {
      if (tail.got.length > 0) return true;
      const marker = makeEvent();
      written.push(marker);
      writer.append(marker);
      await writer.flush();
      return false;
    }, 'the follower to start');
    const fresh = [makeEvent(), makeEvent()];
    for (const e of fresh) writer.append(e);
    written.push(...fresh);
    await writer.flush();
    await eventually(() => tail.got.at(-1)?.id === fresh[1]!.id, 'the new events');
    stop.abort();
    await tail.done;
    const ids = tail.got.map((e) => e.id);
    assert.ok(!ids.includes(past.id), 'a past event was replayed');
    assert.deepEqual(ids, written.slice(written.length - ids.length).map((e) => e.id), 'new events missing or out of order');
    await writer.close();
  });

  it('follows from the start across rotations without losing or repeating events', async () => {
    const c = config({ segmentBytes: 1500 });
    const writer = await openJsonlWriter({ config: c, batchMs: 1 });
    const events: AnyEvent[] = [];
    const write = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const e = makeEvent({ correlationid: `conn-${events.length % 3}` });
        events.push(e);
        writer.append(e);
      }
      await writer.flush();
    };
    await write(20);
    const reader = new JsonlEventReader(c.dir, { pollMs: 20 });
    const stop = new AbortController();
    const tail = background(reader.follow({ fromStart: true, correlationId: 'conn-1' }, stop.signal));
    for (let round = 0; round < 10; round++) await write(15);
    const wanted = events.filter((e) => e.correlationid === 'conn-1').map((e) => e.id);
    await eventually(() => tail.got.length >= wanted.length, `${wanted.length} events`);
    stop.abort();
    await tail.done;
    assert.deepEqual(tail.got.map((e) => e.id), wanted);
    assert.ok(writer.stats().rotations >= 5);
    await writer.close();
  });

  it('waits for a half-written line to be completed instead of counting it torn', async () => {
    const dir = config().dir;
    const path = join(dir, segmentName(1, new Date()));
    const first = makeEvent();
    const second = JSON.stringify(makeEvent());
    writeFileSync(path, `${JSON.stringify(first)}\n${second.slice(0, 20)}`);
    const reader = new JsonlEventReader(dir, { pollMs: 20 });
    const stop = new AbortController();
    const tail = background(reader.follow({ fromStart: true }, stop.signal));
    await eventually(() => tail.got.length === 1, 'the complete line');
    appendFileSync(path, `${second.slice(20)}\n`);
    await eventually(() => tail.got.length === 2, 'the completed line');
    stop.abort();
    await tail.done;
    assert.equal(reader.stats().tornLines, 0);
  });

  it('ends when close() is called', async () => {
    const reader = new JsonlEventReader(tempDir(), { pollMs: 20 });
    const tail = background(reader.follow({}, new AbortController().signal));
    await reader.close();
    await tail.done;
    assert.deepEqual(tail.got, []);
  });
});
